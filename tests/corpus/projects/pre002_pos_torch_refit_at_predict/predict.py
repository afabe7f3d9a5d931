"""Predict delivery minutes for open orders."""
import json
from pathlib import Path

import pandas as pd
import torch
from sklearn.preprocessing import StandardScaler

from model import MLP

OUT = Path("artifacts")
FEATURES = ["distance_km", "items", "hour", "weekday", "rain_mm"]


def load():
    config = json.loads((OUT / "mlp.json").read_text())
    model = MLP(**config)
    model.load_state_dict(torch.load(OUT / "mlp.pt", weights_only=True))
    model.eval()
    return model


@torch.no_grad()
def predict(orders: pd.DataFrame):
    model = load()
    scaled = StandardScaler().fit_transform(orders[FEATURES])  # expect: PRE002
    return model(torch.tensor(scaled, dtype=torch.float32)).numpy()


if __name__ == "__main__":
    print(predict(pd.read_csv("data/open_orders.csv")))
