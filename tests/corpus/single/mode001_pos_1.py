"""Serve the sentiment classifier (BiLSTM with dropout)."""
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


class Predictor:
    def __init__(self, weights_path="weights/sentiment_lstm.pt", device="cpu"):
        self.device = torch.device(device)
        self.model = SentimentLSTM().to(self.device)
        self.model.load_state_dict(torch.load(weights_path, map_location=self.device, weights_only=True))

    def predict(self, token_ids):
        ids = torch.tensor(token_ids, dtype=torch.long, device=self.device).unsqueeze(0)
        with torch.no_grad():
            probs = self.model(ids).softmax(dim=-1)  # expect: MODE001
        return {"negative": probs[0, 0].item(), "positive": probs[0, 1].item()}
