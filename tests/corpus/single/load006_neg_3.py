"""Fine-tune a small CNN on CIFAR-10 and write a self-describing checkpoint."""
import torch
import torch.nn as nn
import torchvision
import torchvision.transforms as T

torch.manual_seed(10)
HPARAMS = {"width": 64, "n_classes": 10, "dropout": 0.2}


class Net(nn.Module):
    def __init__(self, width, n_classes, dropout):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, 3, padding=1), nn.BatchNorm2d(2 * width), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(dropout),
        )
        self.classifier = nn.Linear(2 * width, n_classes)

    def forward(self, x):
        return self.classifier(self.features(x))


train_set = torchvision.datasets.CIFAR10("data", train=True, download=True, transform=T.ToTensor())
loader = torch.utils.data.DataLoader(train_set, batch_size=128, shuffle=True)
model = Net(**HPARAMS)
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
model.train()
for epoch in range(15):
    for images, labels in loader:
        opt.zero_grad()
        nn.functional.cross_entropy(model(images), labels).backward()
        opt.step()

torch.save({"model_state": model.state_dict(), "hparams": HPARAMS, "epoch": 15}, "cifar_net.ckpt")
