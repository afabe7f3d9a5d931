"""Train the delivery-time regressor; saves weights, config and the fitted scaler."""
import json
import random
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import torch
import torch.nn as nn
from sklearn.preprocessing import StandardScaler

from model import MLP

OUT = Path("artifacts")
FEATURES = ["distance_km", "items", "hour", "weekday", "rain_mm"]

random.seed(0)
np.random.seed(0)
torch.manual_seed(0)

df = pd.read_csv("data/deliveries_train.csv")
scaler = StandardScaler()
X = torch.tensor(scaler.fit_transform(df[FEATURES]), dtype=torch.float32)
y = torch.tensor(df["minutes"].to_numpy(), dtype=torch.float32)

config = {"in_features": len(FEATURES), "hidden": 64, "dropout": 0.1}
model = MLP(**config)
opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
loss_fn = nn.MSELoss()

model.train()
for step in range(2000):
    idx = torch.randint(0, len(X), (256,))
    opt.zero_grad()
    loss = loss_fn(model(X[idx]), y[idx])
    loss.backward()
    opt.step()

OUT.mkdir(exist_ok=True)
torch.save(model.state_dict(), OUT / "mlp.pt")
with open(OUT / "mlp.json", "w") as f:
    json.dump(config, f)
joblib.dump(scaler, OUT / "scaler.joblib")
