from pathlib import Path

import torch.nn as nn

CKPT = Path("checkpoints") / "churn_mlp.pt"
CONFIG = {"n_features": 18, "hidden": 64}


class ChurnMLP(nn.Module):
    def __init__(self, n_features, hidden):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(n_features, hidden), nn.ReLU(), nn.Dropout(0.2), nn.Linear(hidden, 1))

    def forward(self, x):
        return self.net(x).squeeze(-1)
