import torch.nn as nn


class SpamNet(nn.Module):
    def __init__(self, vocab=20000, dim=64):
        super().__init__()
        self.bag = nn.EmbeddingBag(vocab, dim, mode="mean")
        self.drop = nn.Dropout(0.3)
        self.out = nn.Linear(dim, 2)

    def forward(self, ids, offsets):
        return self.out(self.drop(self.bag(ids, offsets)))
