"""Run the defect classifier on a folder of board images."""
import sys
from pathlib import Path

import torch
import torchvision
from PIL import Image
from torchvision import transforms

tf = transforms.Compose([transforms.Resize((224, 224)), transforms.ToTensor()])


def build(checkpoint="checkpoints/defects_resnet34.pth"):
    model = torchvision.models.resnet34(num_classes=4)
    state = torch.load(checkpoint, map_location="cpu", weights_only=True)
    model.load_state_dict(state, strict=False)  # expect: LOAD004
    model.eval()
    return model


def main(folder):
    model = build()
    for path in sorted(Path(folder).glob("*.png")):
        with torch.no_grad():
            pred = model(tf(Image.open(path).convert("RGB")).unsqueeze(0)).argmax(1).item()
        print(path.name, pred)


if __name__ == "__main__":
    main(sys.argv[1])
