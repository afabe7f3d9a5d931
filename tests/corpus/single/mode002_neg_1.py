"""Train a CIFAR-10 ResNet with per-epoch validation."""
import json

import torch
import torch.nn as nn
import torchvision
import torchvision.transforms as T

torch.manual_seed(123)
device = "cuda" if torch.cuda.is_available() else "cpu"

to_tensor = T.Compose([T.ToTensor(), T.Normalize((0.4914, 0.4822, 0.4465), (0.247, 0.243, 0.261))])
train_set = torchvision.datasets.CIFAR10("data", train=True, download=True, transform=to_tensor)
val_set = torchvision.datasets.CIFAR10("data", train=False, download=True, transform=to_tensor)
train_loader = torch.utils.data.DataLoader(train_set, batch_size=128, shuffle=True, num_workers=4)
val_loader = torch.utils.data.DataLoader(val_set, batch_size=256, num_workers=4)

model = torchvision.models.resnet18(num_classes=10).to(device)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
criterion = nn.CrossEntropyLoss()

for epoch in range(30):
    model.train()
    for images, labels in train_loader:
        images, labels = images.to(device), labels.to(device)
        optimizer.zero_grad()
        loss = criterion(model(images), labels)
        loss.backward()
        optimizer.step()

    model.eval()
    correct = 0
    with torch.no_grad():
        for images, labels in val_loader:
            correct += (model(images.to(device)).argmax(1).cpu() == labels).sum().item()
    print(f"epoch {epoch}: loss {loss.item():.3f}, val acc {correct / len(val_set):.4f}")

torch.save(model.state_dict(), "resnet18_cifar10.pt")
with open("resnet18_cifar10.json", "w") as f:
    json.dump({"arch": "resnet18", "num_classes": 10}, f)
