"""Lightning module for the tabular regressor, seeded for reproducible runs."""
import lightning as L
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


class Regressor(L.LightningModule):
    def __init__(self, n_features=20, hidden=64, lr=1e-3):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential(nn.Linear(n_features, hidden), nn.ReLU(), nn.Dropout(0.1), nn.Linear(hidden, 1))

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = nn.functional.mse_loss(self.net(x).squeeze(-1), y)
        self.log("train_loss", loss)
        return loss

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=self.hparams.lr)


if __name__ == "__main__":
    L.seed_everything(42, workers=True)
    tensors = torch.load("data/tabular_train.pt", weights_only=True)
    loader = DataLoader(TensorDataset(tensors["x"], tensors["y"]), batch_size=128, shuffle=True)
    trainer = L.Trainer(max_epochs=20, accelerator="auto")
    trainer.fit(Regressor(), loader)
    trainer.save_checkpoint("regressor.ckpt")
