"""Two small classifiers: one with Dropout, one without any mode-dependent layer."""

from pathlib import Path

import torch
from torch import nn

# Proof, for the tests, of whether the project's code was imported.
Path(__file__).with_name("imported.txt").touch()


class DropNet(nn.Module):
    def __init__(self, n_in, hidden=16, p=0.5):
        super().__init__()
        self.fc = nn.Linear(n_in, hidden)
        self.drop = nn.Dropout(p)
        self.out = nn.Linear(hidden, 3)

    def forward(self, x):
        return self.out(self.drop(torch.relu(self.fc(x))))


class PlainNet(nn.Module):
    def __init__(self, n_in, hidden=16):
        super().__init__()
        self.fc = nn.Linear(n_in, hidden)
        self.out = nn.Linear(hidden, 3)

    def forward(self, x):
        return self.out(torch.relu(self.fc(x)))
