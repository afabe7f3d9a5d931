"""Fine-tune ResNet-18 on the X-ray folders. Augmentation only in the training transform."""
import json
import random

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader
from torchvision import datasets, models, transforms

SEED = 0
random.seed(SEED)
np.random.seed(SEED)
torch.manual_seed(SEED)

train_tf = transforms.Compose([
    transforms.RandomResizedCrop(224),
    transforms.RandomHorizontalFlip(),
    transforms.ToTensor(),
    transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
])
eval_tf = transforms.Compose([
    transforms.Resize(256),
    transforms.CenterCrop(224),
    transforms.ToTensor(),
    transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
])

train_dl = DataLoader(datasets.ImageFolder("data/train", train_tf), batch_size=32, shuffle=True)
val_dl = DataLoader(datasets.ImageFolder("data/val", eval_tf), batch_size=64)

model = models.resnet18(num_classes=2)
opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
criterion = nn.CrossEntropyLoss()

for epoch in range(10):
    model.train()
    for images, labels in train_dl:
        opt.zero_grad()
        criterion(model(images), labels).backward()
        opt.step()
    model.eval()
    correct = 0
    with torch.no_grad():
        for images, labels in val_dl:
            correct += (model(images).argmax(1) == labels).sum().item()
    print(f"epoch {epoch}: val acc {correct / len(val_dl.dataset):.3f}")

torch.save(model.state_dict(), "checkpoints/resnet18_xray.pt")
with open("checkpoints/resnet18_xray.json", "w") as f:
    json.dump({"arch": "resnet18", "num_classes": 2}, f)
