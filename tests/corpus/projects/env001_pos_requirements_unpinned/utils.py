"""Small helpers shared by the training scripts."""
import os
import random

import numpy as np
import torch


def set_seed(seed: int = 42) -> None:
    """Seed every RNG the training code touches."""
    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)


def count_parameters(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
