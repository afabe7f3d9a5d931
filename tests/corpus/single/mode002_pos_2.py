"""Sequence tagger training with a validate() helper called every epoch."""
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


def validate(model, batches):
    model.eval()  # expect: MODE002
    with torch.no_grad():
        losses = [nn.functional.cross_entropy(model(x).flatten(0, 1), y.flatten()) for x, y in batches]
    return torch.stack(losses).mean().item()


def fit(model, train_batches, val_batches, epochs=15):
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    model.train()
    for epoch in range(epochs):
        random.shuffle(train_batches)
        for x, y in train_batches:
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x).flatten(0, 1), y.flatten())
            loss.backward()
            opt.step()
        print(epoch, validate(model, val_batches))
    return model


if __name__ == "__main__":
    data = torch.load("data/conll_batches.pt", weights_only=True)
    fit(Tagger(vocab=20000, tags=9), data["train"], data["val"])
