"""Training loop with a validation helper that restores the caller's mode."""
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)


@torch.no_grad()
def validate(model, loader, loss_fn):
    was_training = model.training
    model.eval()
    total = sum(loss_fn(model(x), y).item() for x, y in loader) / len(loader)
    model.train(was_training)
    return total


def fit(model, train_loader, val_loader, epochs=20):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    for epoch in range(epochs):
        for x, y in train_loader:
            opt.zero_grad()
            loss_fn(model(x), y).backward()
            opt.step()
        print(f"epoch {epoch}: val loss {validate(model, val_loader, loss_fn):.4f}")
    return model


if __name__ == "__main__":
    data = torch.load("data/spam_features.pt", weights_only=True)
    train_dl = DataLoader(TensorDataset(data["x_train"], data["y_train"]), batch_size=256, shuffle=True)
    val_dl = DataLoader(TensorDataset(data["x_val"], data["y_val"]), batch_size=1024)
    net = nn.Sequential(nn.Linear(300, 64), nn.ReLU(), nn.Dropout(0.2), nn.Linear(64, 2))
    fit(net, train_dl, val_dl)
