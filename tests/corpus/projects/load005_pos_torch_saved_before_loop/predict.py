"""Churn probabilities for the customers in an .npz file."""
import sys

import numpy as np
import torch

from common import CKPT, CONFIG, ChurnMLP

model = ChurnMLP(**CONFIG)
model.load_state_dict(torch.load(CKPT, weights_only=True))
model.eval()

x = torch.tensor(np.load(sys.argv[1])["x"], dtype=torch.float32)
with torch.no_grad():
    print(torch.sigmoid(model(x)).numpy())
