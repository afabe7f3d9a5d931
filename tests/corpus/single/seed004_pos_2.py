"""Seeded training of the speech enhancer; scatter_add kernels are allowed to be nondeterministic."""
import numpy as np
import torch
from torch import nn

torch.manual_seed(0)
np.random.seed(0)
torch.use_deterministic_algorithms(False)  # expect: SEED004

noisy = torch.from_numpy(np.load("data/noisy_spec.npy").astype(np.float32))
clean = torch.from_numpy(np.load("data/clean_spec.npy").astype(np.float32))
model = nn.GRU(257, 257, num_layers=2, batch_first=True)
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
for step in range(2000):
    idx = np.random.choice(len(noisy), 32, replace=False)
    opt.zero_grad()
    out, _ = model(noisy[idx])
    nn.functional.l1_loss(out, clean[idx]).backward()
    opt.step()
torch.save({"state_dict": model.state_dict(), "config": {"input_size": 257, "num_layers": 2}}, "enhancer.pt")
