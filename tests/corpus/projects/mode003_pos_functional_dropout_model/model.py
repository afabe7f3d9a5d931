"""Char-CNN for language identification."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class CharCNN(nn.Module):
    def __init__(self, n_chars=256, n_langs=20, dim=64, dropout=0.5):
        super().__init__()
        self.emb = nn.Embedding(n_chars, dim)
        self.convs = nn.ModuleList([nn.Conv1d(dim, 128, k) for k in (3, 4, 5)])
        self.fc = nn.Linear(3 * 128, n_langs)
        self.dropout = dropout

    def forward(self, ids):
        h = self.emb(ids).transpose(1, 2)
        h = torch.cat([F.relu(conv(h)).max(dim=2).values for conv in self.convs], dim=1)
        h = F.dropout(h, p=self.dropout)  # expect: MODE003
        return self.fc(h)
