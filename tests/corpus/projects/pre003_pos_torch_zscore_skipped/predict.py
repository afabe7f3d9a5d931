"""Yield prediction for the parameter sets in a CSV."""
import json
import sys

import numpy as np
import torch

from model import QualityNet

with open("quality.json") as f:
    config = json.load(f)
model = QualityNet(config["n_features"], config["hidden"])
model.load_state_dict(torch.load("quality.pt", weights_only=True))
model.eval()

params = np.loadtxt(sys.argv[1], delimiter=",", skiprows=1, dtype=np.float32)
with torch.no_grad():
    print(model(torch.from_numpy(params)).numpy())  # expect: PRE003
