"""Train a GRU forecaster; weights go to one file, constructor arguments to JSON."""
import json
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

OUT = Path("artifacts/forecaster")


class Forecaster(nn.Module):
    def __init__(self, n_features, hidden=128, horizon=24):
        super().__init__()
        self.gru = nn.GRU(n_features, hidden, num_layers=2, batch_first=True, dropout=0.2)
        self.head = nn.Linear(hidden, horizon)

    def forward(self, x):
        out, _ = self.gru(x)
        return self.head(out[:, -1])


if __name__ == "__main__":
    np.random.seed(4)
    torch.manual_seed(4)
    windows = np.load("data/load_windows.npz")
    x = torch.tensor(windows["x"], dtype=torch.float32)
    y = torch.tensor(windows["y"], dtype=torch.float32)

    config = {"n_features": x.shape[-1], "hidden": 256, "horizon": 48}
    model = Forecaster(**config)
    opt = torch.optim.Adam(model.parameters(), lr=5e-4)
    for epoch in range(30):
        perm = torch.randperm(len(x))
        for i in range(0, len(x), 128):
            idx = perm[i:i + 128]
            opt.zero_grad()
            loss = nn.functional.mse_loss(model(x[idx]), y[idx])
            loss.backward()
            opt.step()

    OUT.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), OUT / "weights.pt")
    with open(OUT / "config.json", "w") as f:
        json.dump(config, f, indent=2)
