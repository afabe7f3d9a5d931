"""Train the ICU-mortality model on per-patient records (one record at a time)."""
import json

import numpy as np
import pandas as pd
import torch
from torch.utils.data import DataLoader, Dataset

from model import PatientNet

np.random.seed(1)
torch.manual_seed(1)


class Patients(Dataset):
    def __init__(self, csv_path):
        df = pd.read_csv(csv_path)
        self.x = df.drop(columns=["died"]).to_numpy(dtype=np.float32)
        self.y = df["died"].to_numpy(dtype=np.float32)

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return torch.from_numpy(self.x[i]), torch.tensor(self.y[i])


loader = DataLoader(Patients("data/icu_train.csv"), batch_size=1, shuffle=True)  # expect: MODE004
model = PatientNet()
opt = torch.optim.SGD(model.parameters(), lr=1e-3)
loss_fn = torch.nn.BCEWithLogitsLoss()

for epoch in range(5):
    model.train()
    for x, y in loader:
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

torch.save(model.state_dict(), "patient_net.pt")
with open("patient_net.json", "w") as f:
    json.dump({"n_features": 40, "hidden": 64}, f)
