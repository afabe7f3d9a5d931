"""Evaluate a DataParallel checkpoint on the test split (strict loading)."""
import torch
from torch.utils.data import DataLoader
from torchvision import datasets, models, transforms

ckpt = torch.load("runs/exp12/best.pth", map_location="cpu", weights_only=True)
state = {k.replace("module.", "", 1): v for k, v in ckpt["state_dict"].items()}

model = models.efficientnet_b0(num_classes=37)
model.load_state_dict(state, strict=True)
model.eval()

test_ds = datasets.OxfordIIITPet("data", split="test", download=True, transform=transforms.Compose([
    transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(),
]))
correct = 0
with torch.no_grad():
    for x, y in DataLoader(test_ds, batch_size=64):
        correct += (model(x).argmax(1) == y).sum().item()
print(f"test accuracy: {correct / len(test_ds):.4f}")
