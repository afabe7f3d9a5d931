"""Monte-Carlo check: how sensitive is the trained policy network to input noise?"""
import numpy as np
import torch
from torch import nn

policy = nn.Sequential(nn.Linear(8, 128), nn.Tanh(), nn.Linear(128, 128), nn.Tanh(), nn.Linear(128, 4))
policy.load_state_dict(torch.load("checkpoints/lunar_policy.pt", weights_only=True))
policy.eval()

rng = np.random.default_rng(0)
states = rng.normal(size=(1000, 8))
with torch.no_grad():
    actions = policy(torch.as_tensor(states)).argmax(dim=1)  # expect: DTYPE002
    noisy = policy(torch.as_tensor(states + 0.01 * rng.normal(size=states.shape))).argmax(dim=1)  # expect: DTYPE002
print("action flips under noise:", (actions != noisy).float().mean().item())
