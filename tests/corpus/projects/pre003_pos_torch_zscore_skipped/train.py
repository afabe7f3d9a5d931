"""Predict yield of the injection-moulding machine from process parameters."""
import json

import numpy as np
import torch

from model import QualityNet

np.random.seed(8)
torch.manual_seed(8)

data = np.load("data/moulding.npz")
x, y = data["x"].astype(np.float32), data["y"].astype(np.float32)
mean, std = x.mean(axis=0), x.std(axis=0) + 1e-8
x = (x - mean) / std

config = {"n_features": int(x.shape[1]), "hidden": 32, "mean": mean.tolist(), "std": std.tolist()}
model = QualityNet(config["n_features"], config["hidden"])
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
xt, yt = torch.from_numpy(x), torch.from_numpy(y)
for step in range(500):
    opt.zero_grad()
    loss = torch.nn.functional.mse_loss(model(xt), yt)
    loss.backward()
    opt.step()

torch.save(model.state_dict(), "quality.pt")
with open("quality.json", "w") as f:
    json.dump(config, f)
