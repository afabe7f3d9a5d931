"""Score a CSV of sensor windows with the anomaly MLP."""
import sys

import numpy as np
import torch
import torch.nn as nn

model = nn.Sequential(nn.Linear(30, 64), nn.ReLU(), nn.Linear(64, 30))
model.load_state_dict(torch.load("weights/ae_mlp.pt", map_location="cpu", weights_only=True))
model.eval()

windows = np.loadtxt(sys.argv[1], delimiter=",")
x = torch.from_numpy(windows).float()
with torch.no_grad():
    errors = ((model(x) - x) ** 2).mean(dim=1)
print(errors.numpy())
