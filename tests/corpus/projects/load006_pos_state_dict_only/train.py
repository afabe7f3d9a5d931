"""Train the keyword-spotting CNN on precomputed log-mel features."""
import torch
from torch.utils.data import DataLoader, TensorDataset

from config import LABELS, N_MELS, WEIGHTS_PATH
from net import KeywordNet

torch.manual_seed(0)
feats = torch.load("data/mels_train.pt", weights_only=True)
loader = DataLoader(TensorDataset(feats["x"].float(), feats["y"]), batch_size=64, shuffle=True)

model = KeywordNet(N_MELS, len(LABELS), channels=96)
opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
for epoch in range(20):
    model.train()
    for mel, label in loader:
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(mel), label).backward()
        opt.step()

WEIGHTS_PATH.parent.mkdir(exist_ok=True)
torch.save(model.state_dict(), WEIGHTS_PATH)  # expect: LOAD006
