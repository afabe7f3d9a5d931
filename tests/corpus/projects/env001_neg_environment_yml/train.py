"""Train the review-rating regressor on sentence embeddings."""
import argparse
import json
import random
from pathlib import Path

import numpy as np
import torch
from torch import nn

from utils import count_parameters, set_seed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--out", type=Path, default=Path("runs/latest"))
    args = parser.parse_args()

    set_seed(args.seed)
    data = np.load("data/review_embeddings.npz")
    pairs = list(zip(data["x"].astype(np.float32), data["y"].astype(np.float32)))
    random.shuffle(pairs)
    split = int(0.9 * len(pairs))
    train_x = torch.tensor(np.stack([p[0] for p in pairs[:split]]))
    train_y = torch.tensor(np.array([p[1] for p in pairs[:split]]))

    config = {"dim": int(train_x.shape[1]), "hidden": 256, "dropout": 0.2}
    model = nn.Sequential(nn.Linear(config["dim"], config["hidden"]), nn.GELU(),
                          nn.Dropout(config["dropout"]), nn.Linear(config["hidden"], 1))
    print("parameters:", count_parameters(model))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)

    model.train()
    for epoch in range(args.epochs):
        perm = torch.randperm(len(train_x))
        for i in range(0, len(perm), 256):
            idx = perm[i:i + 256]
            opt.zero_grad()
            loss = nn.functional.mse_loss(model(train_x[idx]).squeeze(-1), train_y[idx])
            loss.backward()
            opt.step()

    args.out.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), args.out / "model.pt")
    with open(args.out / "config.json", "w") as f:
        json.dump(config, f)


if __name__ == "__main__":
    main()
