"""Sequence tagger: train for a fixed budget, evaluate once at the end."""
import json
import random

import numpy as np
import torch
from torch import nn

random.seed(0)
np.random.seed(0)
torch.manual_seed(0)


class Tagger(nn.Module):
    def __init__(self, vocab, tags, dim=100):
        super().__init__()
        self.emb = nn.Embedding(vocab, dim)
        self.lstm = nn.LSTM(dim, dim, batch_first=True, bidirectional=True)
        self.drop = nn.Dropout(0.33)
        self.out = nn.Linear(2 * dim, tags)

    def forward(self, ids):
        h, _ = self.lstm(self.emb(ids))
        return self.out(self.drop(h))


if __name__ == "__main__":
    data = torch.load("data/conll_batches.pt", weights_only=True)
    model = Tagger(vocab=20000, tags=9)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)

    model.train()
    for epoch in range(15):
        random.shuffle(data["train"])
        for x, y in data["train"]:
            opt.zero_grad()
            nn.functional.cross_entropy(model(x).flatten(0, 1), y.flatten()).backward()
            opt.step()

    model.eval()
    with torch.no_grad():
        acc = np.mean([(model(x).argmax(-1) == y).float().mean().item() for x, y in data["test"]])
    print(f"test token accuracy: {acc:.4f}")
    torch.save(model.state_dict(), "tagger.pt")
    with open("tagger.json", "w") as f:
        json.dump({"vocab": 20000, "tags": 9}, f)
