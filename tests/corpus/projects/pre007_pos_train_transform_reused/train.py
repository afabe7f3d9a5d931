"""Fine-tune EfficientNet-B0 on the lesion folders."""
import json
import random

import numpy as np
import torch
from torch.utils.data import DataLoader
from torchvision import datasets, models

from data import train_transform

random.seed(0)
np.random.seed(0)
torch.manual_seed(0)

train_ds = datasets.ImageFolder("data/lesions/train", train_transform)
loader = DataLoader(train_ds, batch_size=32, shuffle=True, num_workers=4)
model = models.efficientnet_b0(num_classes=len(train_ds.classes))
opt = torch.optim.AdamW(model.parameters(), lr=3e-4)

for epoch in range(15):
    model.train()
    for x, y in loader:
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()

torch.save(model.state_dict(), "weights/lesions_effb0.pt")
with open("weights/lesions_effb0.json", "w") as f:
    json.dump({"arch": "efficientnet_b0", "classes": train_ds.classes}, f)
