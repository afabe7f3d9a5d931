import json

import torch
from torch.utils.data import DataLoader, TensorDataset

from model import CharCNN

torch.manual_seed(0)
data = torch.load("data/langid_train.pt", weights_only=True)
loader = DataLoader(TensorDataset(data["ids"], data["lang"]), batch_size=256, shuffle=True)
config = {"n_chars": 256, "n_langs": 20, "dim": 64, "dropout": 0.5}
model = CharCNN(**config)
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
for epoch in range(10):
    model.train()
    for ids, lang in loader:
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(ids), lang).backward()
        opt.step()
torch.save(model.state_dict(), "langid.pt")
with open("langid.json", "w") as f:
    json.dump(config, f)
