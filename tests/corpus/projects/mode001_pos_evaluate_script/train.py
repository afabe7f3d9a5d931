"""Train the churn MLP and write the checkpoint."""
import json

import numpy as np
import torch

from common import CKPT, CONFIG, ChurnMLP

np.random.seed(0)
torch.manual_seed(0)

data = np.load("data/churn_train.npz")
x = torch.tensor(data["x"], dtype=torch.float32)
y = torch.tensor(data["y"], dtype=torch.float32)

model = ChurnMLP(**CONFIG)
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
model.train()
for epoch in range(100):
    opt.zero_grad()
    loss = torch.nn.functional.binary_cross_entropy_with_logits(model(x), y)
    loss.backward()
    opt.step()

CKPT.parent.mkdir(exist_ok=True)
torch.save(model.state_dict(), CKPT)
with open(CKPT.with_suffix(".json"), "w") as f:
    json.dump(CONFIG, f)
