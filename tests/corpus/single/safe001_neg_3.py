"""Evaluate the best checkpoint of a training run, loading only tensors and primitives."""
import argparse

import torch
from torch.utils.data import DataLoader
from torchvision import datasets, models, transforms


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ckpt", default="runs/exp7/best.ckpt")
    args = parser.parse_args()

    with open(args.ckpt, "rb") as f:
        checkpoint = torch.load(f, map_location="cpu", weights_only=True)
    model = models.mobilenet_v3_large(num_classes=checkpoint["num_classes"])
    model.load_state_dict(checkpoint["model"])
    model.eval()

    test = datasets.ImageFolder("data/test", transforms.Compose([
        transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(),
    ]))
    correct = 0
    with torch.no_grad():
        for x, y in DataLoader(test, batch_size=128):
            correct += (model(x).argmax(1) == y).sum().item()
    print(f"epoch {checkpoint['epoch']}: test accuracy {correct / len(test):.4f}")


if __name__ == "__main__":
    main()
