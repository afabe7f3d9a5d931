"""Graph convolution network for node classification (Kipf & Welling style)."""
import torch
from torch import nn
from torch.nn import functional as F


class GCNLayer(nn.Module):
    def __init__(self, d_in, d_out):
        super().__init__()
        self.linear = nn.Linear(d_in, d_out)

    def forward(self, x, adj):
        return adj @ self.linear(x)


class GCN(nn.Module):
    def __init__(self, d_in, d_hidden, n_classes, dropout=0.5):
        super().__init__()
        self.gc1 = GCNLayer(d_in, d_hidden)
        self.gc2 = GCNLayer(d_hidden, n_classes)
        self.dropout = dropout

    def forward(self, x, adj):
        h = F.relu(self.gc1(x, adj))
        h = F.dropout(h, p=self.dropout, training=self.training)
        return F.log_softmax(self.gc2(h, adj), dim=1)
