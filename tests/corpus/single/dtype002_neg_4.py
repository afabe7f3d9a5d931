"""Physics surrogate evaluated in double precision on purpose (the solver is float64)."""
import numpy as np
import torch
from torch import nn

surrogate = nn.Sequential(nn.Linear(6, 256), nn.SiLU(), nn.Linear(256, 256), nn.SiLU(), nn.Linear(256, 3))
surrogate.load_state_dict(torch.load("weights/surrogate_fp64.pt", weights_only=True))
surrogate = surrogate.double().eval()

states = np.load("data/solver_states.npy").astype(np.float64)
with torch.no_grad():
    fluxes = surrogate(torch.from_numpy(states)).numpy()
np.save("data/surrogate_fluxes.npy", fluxes)
