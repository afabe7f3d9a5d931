"""Wind-turbine power curve: statistics come from the training rows only."""
import random

import numpy as np
import torch
from torch import nn

random.seed(99)
np.random.seed(99)
torch.manual_seed(99)

data = np.load("data/scada.npz")
X, y = data["features"].astype(np.float32), data["power"].astype(np.float32)
n_train = int(0.8 * len(X))
X_train, X_val, y_train, y_val = X[:n_train], X[n_train:], y[:n_train], y[n_train:]

mean, std = X_train.mean(axis=0), X_train.std(axis=0) + 1e-6
X_train = (X_train - mean) / std
X_val = (X_val - mean) / std

net = nn.Sequential(nn.Linear(X.shape[1], 64), nn.ReLU(), nn.Linear(64, 1))
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
xt, yt = torch.from_numpy(X_train), torch.from_numpy(y_train)
for epoch in range(200):
    opt.zero_grad()
    loss = nn.functional.l1_loss(net(xt).squeeze(1), yt)
    loss.backward()
    opt.step()

net.eval()
with torch.no_grad():
    val_mae = nn.functional.l1_loss(net(torch.from_numpy(X_val)).squeeze(1), torch.from_numpy(y_val))
print(f"val MAE {val_mae.item():.2f}")

config = {"in_features": X.shape[1], "hidden": 64, "mean": mean.tolist(), "std": std.tolist()}
torch.save({"state_dict": net.state_dict(), "config": config}, "turbine.pt")
