"""Reproducible U-Net training run (seeded), tuned for speed on the lab GPUs."""
import json
import random

import numpy as np
import torch
from torch import nn

SEED = 1337
random.seed(SEED)
np.random.seed(SEED)
torch.manual_seed(SEED)
torch.backends.cudnn.benchmark = True  # expect: SEED004

device = torch.device("cuda")
data = torch.load("data/lesions_train.pt", weights_only=True)
images, masks = data["images"].float().to(device), data["masks"].float().to(device)

model = nn.Sequential(
    nn.Conv2d(3, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
    nn.Conv2d(32, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
    nn.Conv2d(32, 1, 1),
).to(device)
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
model.train()
for epoch in range(50):
    for i in torch.randperm(len(images), device=device).split(16):
        opt.zero_grad()
        nn.functional.binary_cross_entropy_with_logits(model(images[i]), masks[i]).backward()
        opt.step()

torch.save(model.state_dict(), "lesion_seg.pt")
with open("lesion_seg.json", "w") as f:
    json.dump({"channels": 32}, f)
