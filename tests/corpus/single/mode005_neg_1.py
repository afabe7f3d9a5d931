"""Predict house prices with the exported PyTorch regressor."""
import json

import pandas as pd
import torch
from torch import nn

FEATURES = ["sqft", "bedrooms", "bathrooms", "year_built", "lot_size"]


def build(cfg):
    return nn.Sequential(nn.Linear(len(FEATURES), cfg["hidden"]), nn.ReLU(),
                         nn.Dropout(cfg["dropout"]), nn.Linear(cfg["hidden"], 1))


@torch.no_grad()
def predict(csv_path):
    with open("export/regressor.json") as f:
        cfg = json.load(f)
    model = build(cfg)
    model.load_state_dict(torch.load("export/regressor.pt", weights_only=True))
    model.eval()

    frame = pd.read_csv(csv_path)
    x = torch.tensor(frame[FEATURES].to_numpy(), dtype=torch.float32)
    prices = model(x).squeeze(1)
    return frame.assign(predicted_price=prices.numpy())


if __name__ == "__main__":
    print(predict("data/listings.csv").head())
