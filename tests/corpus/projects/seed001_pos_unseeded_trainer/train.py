"""Train the bag-of-embeddings spam filter."""
import json

import torch

from model import SpamNet

batches = torch.load("data/spam_batches.pt", weights_only=True)
config = {"vocab": 20000, "dim": 64}
model = SpamNet(**config)
opt = torch.optim.Adam(model.parameters(), lr=1e-3)

model.train()
for epoch in range(8):
    for ids, offsets, labels in batches:
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(ids, offsets), labels)
        loss.backward()  # expect: SEED001
        opt.step()

torch.save(model.state_dict(), "spamnet.pt")
with open("spamnet.json", "w") as f:
    json.dump(config, f)
