"""Serve the sentiment classifier; the loader hands back a model in eval mode."""
import torch
import torch.nn as nn


class SentimentLSTM(nn.Module):
    def __init__(self, vocab_size=30000, embed_dim=128, hidden=128):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.lstm = nn.LSTM(embed_dim, hidden, batch_first=True, bidirectional=True)
        self.dropout = nn.Dropout(0.5)
        self.fc = nn.Linear(2 * hidden, 2)

    def forward(self, ids):
        out, _ = self.lstm(self.embed(ids))
        return self.fc(self.dropout(out[:, -1]))


def load_model(weights_path="weights/sentiment_lstm.pt"):
    model = SentimentLSTM()
    model.load_state_dict(torch.load(weights_path, map_location="cpu", weights_only=True))
    model.eval()
    return model


def predict(model, token_ids):
    ids = torch.tensor([token_ids], dtype=torch.long)
    with torch.no_grad():
        probs = model(ids).softmax(dim=-1)
    return probs[0, 1].item()


if __name__ == "__main__":
    classifier = load_model()
    print(predict(classifier, [12, 845, 3, 77, 2]))
