"""Train the sensor-fault classifier; NumPy seeded, torch forgotten."""
import json

import numpy as np
import torch
from torch import nn

np.random.seed(2024)  # expect: SEED002

data = np.load("data/faults.npz")
idx = np.random.permutation(len(data["x"]))
x = torch.tensor(data["x"][idx], dtype=torch.float32)
y = torch.tensor(data["y"][idx], dtype=torch.long)

model = nn.Sequential(nn.Linear(x.shape[1], 64), nn.ReLU(), nn.Dropout(0.2), nn.Linear(64, 4))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
for epoch in range(40):
    opt.zero_grad()
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    opt.step()

torch.save(model.state_dict(), "faults_mlp.pt")
with open("faults_mlp.json", "w") as f:
    json.dump({"in": int(x.shape[1]), "hidden": 64, "out": 4}, f)
