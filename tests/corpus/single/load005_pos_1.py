"""Train the text CNN and evaluate the saved checkpoint on the test set."""
import json

import numpy as np
import torch
from torch import nn

CKPT = "checkpoints/textcnn.pt"
CONFIG = {"vocab": 25000, "dim": 128, "n_classes": 5}


class TextCNN(nn.Module):
    def __init__(self, vocab, dim, n_classes):
        super().__init__()
        self.emb = nn.Embedding(vocab, dim)
        self.conv = nn.Conv1d(dim, 128, 5, padding=2)
        self.drop = nn.Dropout(0.5)
        self.fc = nn.Linear(128, n_classes)

    def forward(self, ids):
        h = torch.relu(self.conv(self.emb(ids).transpose(1, 2))).max(dim=2).values
        return self.fc(self.drop(h))


def train(ids, labels):
    np.random.seed(0)
    torch.manual_seed(0)
    model = TextCNN(**CONFIG)
    torch.save(model.state_dict(), CKPT)  # expect: LOAD005
    with open(CKPT.replace(".pt", ".json"), "w") as f:
        json.dump(CONFIG, f)

    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    for epoch in range(5):
        for i in np.random.permutation(len(ids) // 64):
            xb, yb = ids[i * 64:(i + 1) * 64], labels[i * 64:(i + 1) * 64]
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()


def evaluate(ids, labels):
    with open(CKPT.replace(".pt", ".json")) as f:
        model = TextCNN(**json.load(f))
    model.load_state_dict(torch.load(CKPT, weights_only=True))
    model.eval()
    with torch.no_grad():
        return (model(ids).argmax(1) == labels).float().mean().item()


if __name__ == "__main__":
    data = torch.load("data/reviews_tokenized.pt", weights_only=True)
    train(data["train_ids"], data["train_labels"])
    print("test accuracy:", evaluate(data["test_ids"], data["test_labels"]))
