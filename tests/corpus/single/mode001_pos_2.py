"""Train the tabular classifier; evaluate() reports validation accuracy after each epoch."""
import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
np.random.seed(0)


def make_model(n_in, n_out):
    return nn.Sequential(
        nn.Linear(n_in, 256), nn.BatchNorm1d(256), nn.ReLU(), nn.Dropout(0.3),
        nn.Linear(256, n_out),
    )


def evaluate(model, loader):
    correct = total = 0
    with torch.no_grad():
        for xb, yb in loader:
            correct += (model(xb).argmax(1) == yb).sum().item()  # expect: MODE001
            total += len(yb)
    return correct / total


def main():
    data = np.load("data/covtype.npz")
    tr = TensorDataset(torch.tensor(data["x_train"], dtype=torch.float32), torch.tensor(data["y_train"]))
    va = TensorDataset(torch.tensor(data["x_val"], dtype=torch.float32), torch.tensor(data["y_val"]))
    train_dl, val_dl = DataLoader(tr, batch_size=512, shuffle=True), DataLoader(va, batch_size=1024)

    model = make_model(54, 7)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(10):
        model.train()
        for xb, yb in train_dl:
            opt.zero_grad()
            nn.functional.cross_entropy(model(xb), yb).backward()
            opt.step()
        print(f"epoch {epoch}: val acc {evaluate(model, val_dl):.4f}")


if __name__ == "__main__":
    main()
