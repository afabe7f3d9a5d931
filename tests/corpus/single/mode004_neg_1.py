"""Run the BatchNorm CNN on each recording separately (eval mode: running statistics)."""
import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset


class Recordings(Dataset):
    def __init__(self, path):
        blob = np.load(path, allow_pickle=False)
        self.signals = [blob[f"sig_{i}"].astype(np.float32) for i in range(int(blob["n"]))]

    def __len__(self):
        return len(self.signals)

    def __getitem__(self, i):
        return torch.from_numpy(self.signals[i])


model = nn.Sequential(
    nn.Conv1d(12, 32, 7, padding=3), nn.BatchNorm1d(32), nn.ReLU(),
    nn.Conv1d(32, 64, 7, padding=3), nn.BatchNorm1d(64), nn.ReLU(),
    nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(64, 5),
)
model.load_state_dict(torch.load("ecg_cnn.pt", weights_only=True)["state_dict"])
model.eval()

with torch.no_grad():
    for signal in DataLoader(Recordings("data/ecg_new.npz"), batch_size=1):
        print(model(signal).softmax(dim=1).argmax().item())
