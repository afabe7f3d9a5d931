"""Build a triplet dataset and train the face-embedding head (all RNGs seeded)."""
import json
import random

import numpy as np
import torch
from torch import nn

SEED = 0
random.seed(SEED)
np.random.seed(SEED)
torch.manual_seed(SEED)

embeddings = np.load("data/face_features.npy").astype(np.float32)
identities = np.load("data/face_ids.npy")
by_id = {}
for i, pid in enumerate(identities):
    by_id.setdefault(int(pid), []).append(i)

triplets = []
for pid, rows in by_id.items():
    if len(rows) < 2:
        continue
    negatives = [r for r in range(len(identities)) if identities[r] != pid]
    for _ in range(10):
        a, p = random.sample(rows, 2)
        triplets.append((a, p, random.choice(negatives)))

head = nn.Sequential(nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 128))
opt = torch.optim.Adam(head.parameters(), lr=1e-4)
loss_fn = nn.TripletMarginLoss(margin=0.2)
t = torch.from_numpy(embeddings)
for step in range(0, len(triplets), 128):
    a, p, n = (torch.tensor(c) for c in zip(*triplets[step:step + 128]))
    opt.zero_grad()
    loss_fn(head(t[a]), head(t[p]), head(t[n])).backward()
    opt.step()

torch.save(head.state_dict(), "face_head.pt")
with open("face_head.json", "w") as f:
    json.dump({"dims": [512, 256, 128]}, f)
