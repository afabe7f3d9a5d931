"""Inference wrapper for the churn network used by the CRM batch job."""
import numpy as np
import torch
from torch import nn


class ChurnNet(nn.Module):
    def __init__(self, n_features=12):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(n_features, 32), nn.ReLU(), nn.Dropout(0.2), nn.Linear(32, 1))

    def forward(self, x):
        return torch.sigmoid(self.body(x)).squeeze(-1)


class Predictor:
    def __init__(self, weights="weights/churn_net.pt"):
        self.net = ChurnNet()
        self.net.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
        self.net.eval()

    def predict(self, rows: list[list[float]]) -> list[float]:
        features = np.array(rows)
        with torch.no_grad():
            return self.net(torch.tensor(features, dtype=torch.float32)).tolist()
