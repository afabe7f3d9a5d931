"""Train the defect-segmentation CNN (seeded; see utils.set_seed)."""
import json

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from utils import set_seed

set_seed(7)
torch.backends.cudnn.benchmark = True  # expect: SEED004

data = torch.load("data/defects_train.pt", weights_only=True)
loader = DataLoader(TensorDataset(data["images"].float(), data["masks"].float()), batch_size=16, shuffle=True)
config = {"width": 32}
model = nn.Sequential(
    nn.Conv2d(1, config["width"], 3, padding=1), nn.BatchNorm2d(config["width"]), nn.ReLU(),
    nn.Conv2d(config["width"], 1, 1),
).cuda()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
model.train()
for epoch in range(40):
    for img, mask in loader:
        opt.zero_grad()
        nn.functional.binary_cross_entropy_with_logits(model(img.cuda()), mask.cuda()).backward()
        opt.step()
torch.save(model.state_dict(), "defects.pt")
with open("defects.json", "w") as f:
    json.dump(config, f)
