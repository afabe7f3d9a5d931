"""Train EmotionNet on FER-2013 (48x48 crops stored as uint8 arrays)."""
import json

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

from model import EmotionNet

torch.manual_seed(42)
np.random.seed(42)

data = np.load("data/fer2013_train.npz")
images = torch.tensor(data["images"][:, None] / 255.0, dtype=torch.float32)
loader = DataLoader(TensorDataset(images, torch.tensor(data["labels"])), batch_size=64, shuffle=True)

model = EmotionNet(n_classes=7)
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
for epoch in range(30):
    model.train()
    for x, y in loader:
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()

torch.save(model.state_dict(), "checkpoints/emotion.pt")
with open("checkpoints/emotion.json", "w") as f:
    json.dump({"n_classes": 7}, f)
