"""Train a GRU forecaster on hourly load data."""
import numpy as np
import torch
import torch.nn as nn


class Forecaster(nn.Module):
    def __init__(self, n_features, hidden=128, horizon=24):
        super().__init__()
        self.gru = nn.GRU(n_features, hidden, num_layers=2, batch_first=True, dropout=0.2)
        self.head = nn.Linear(hidden, horizon)

    def forward(self, x):
        out, _ = self.gru(x)
        return self.head(out[:, -1])


if __name__ == "__main__":
    np.random.seed(4)
    torch.manual_seed(4)
    windows = np.load("data/load_windows.npz")
    x = torch.tensor(windows["x"], dtype=torch.float32)
    y = torch.tensor(windows["y"], dtype=torch.float32)

    model = Forecaster(n_features=x.shape[-1], hidden=256, horizon=48)
    opt = torch.optim.Adam(model.parameters(), lr=5e-4)
    for epoch in range(30):
        perm = torch.randperm(len(x))
        for i in range(0, len(x), 128):
            idx = perm[i:i + 128]
            opt.zero_grad()
            loss = nn.functional.mse_loss(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
        print(epoch, loss.item())

    torch.save(model.state_dict(), "forecaster.pt")  # expect: LOAD006
