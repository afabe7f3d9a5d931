"""Train a classifier on float32 features with int64 class labels."""
import json

import numpy as np
import torch
from torch import nn

np.random.seed(5)
torch.manual_seed(5)

data = np.load("data/letters.npz")
features = data["x"].astype(np.float32)
labels = data["y"].astype(np.int64)

model = nn.Sequential(nn.Linear(16, 128), nn.ReLU(), nn.Linear(128, 26))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
x, y = torch.from_numpy(features), torch.from_numpy(labels)

for epoch in range(50):
    perm = np.random.permutation(len(x))
    for i in range(0, len(x), 256):
        idx = torch.from_numpy(perm[i:i + 256])
        opt.zero_grad()
        nn.functional.cross_entropy(model(x[idx]), y[idx]).backward()
        opt.step()

torch.save(model.state_dict(), "letters_mlp.pt")
with open("letters_mlp.json", "w") as f:
    json.dump({"layers": [16, 128, 26]}, f)
