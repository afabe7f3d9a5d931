"""Train a 1-D CNN on variable-length ECG recordings, one recording per step."""
import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

np.random.seed(3)
torch.manual_seed(3)


class Recordings(Dataset):
    def __init__(self, path):
        blob = np.load(path, allow_pickle=False)
        self.signals = [blob[f"sig_{i}"].astype(np.float32) for i in range(int(blob["n"]))]
        self.labels = blob["labels"]

    def __len__(self):
        return len(self.signals)

    def __getitem__(self, i):
        return torch.from_numpy(self.signals[i]), int(self.labels[i])


model = nn.Sequential(
    nn.Conv1d(12, 32, 7, padding=3), nn.BatchNorm1d(32), nn.ReLU(),
    nn.Conv1d(32, 64, 7, padding=3), nn.BatchNorm1d(64), nn.ReLU(),
    nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(64, 5),
)
# recordings have different lengths, so they cannot be stacked into bigger batches
loader = DataLoader(Recordings("data/ecg_train.npz"), batch_size=1, shuffle=True)  # expect: MODE004
opt = torch.optim.Adam(model.parameters(), lr=1e-3)

for epoch in range(10):
    model.train()
    for signal, label in loader:
        opt.zero_grad()
        nn.functional.cross_entropy(model(signal), label).backward()
        opt.step()

torch.save({"state_dict": model.state_dict(), "config": {"leads": 12, "classes": 5}}, "ecg_cnn.pt")
