"""Regression head for the credit-limit model (weights trained elsewhere)."""
import torch
from torch import nn


class LimitRegressor(nn.Module):
    def __init__(self, n_features=16, hidden=(128, 64), dropout=0.1):
        super().__init__()
        layers, width = [], n_features
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU(), nn.Dropout(dropout)]
            width = h
        layers.append(nn.Linear(width, 1))
        self.mlp = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.mlp(x).squeeze(-1)


def load_regressor(path="weights/limit_regressor.pt") -> LimitRegressor:
    model = LimitRegressor()
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return model.eval()
