"""Split the image folder into train/val and fine-tune a ResNet."""
import json

import torch
from torch import nn
from torch.utils.data import DataLoader, random_split
from torchvision import datasets, models, transforms

torch.manual_seed(0)
full = datasets.ImageFolder("data/birds", transforms.Compose([
    transforms.Resize((224, 224)), transforms.ToTensor(),
]))
n_val = len(full) // 5
train_ds, val_ds = random_split(full, [len(full) - n_val, n_val])

model = models.resnet18(num_classes=len(full.classes))
opt = torch.optim.Adam(model.parameters(), lr=1e-4)
for epoch in range(5):
    model.train()
    for x, y in DataLoader(train_ds, batch_size=32, shuffle=True):
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        acc = sum((model(x).argmax(1) == y).sum().item() for x, y in DataLoader(val_ds, batch_size=64))
    print(epoch, acc / len(val_ds))

torch.save(model.state_dict(), "birds_resnet18.pt")
with open("birds_resnet18.json", "w") as f:
    json.dump({"arch": "resnet18", "classes": full.classes}, f)
