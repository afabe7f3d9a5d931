"""Restore the trained ViT and classify a folder of images."""
import sys
from pathlib import Path

import timm
import torch
from PIL import Image

model = timm.create_model("vit_small_patch16_224", num_classes=5)
model.load_state_dict(torch.load("checkpoints/vit_flowers.pth", weights_only=True))
model.eval()

config = timm.data.resolve_data_config({}, model=model)
transform = timm.data.create_transform(**config)

with torch.no_grad():
    for path in sorted(Path(sys.argv[1]).glob("*.jpg")):
        print(path.name, model(transform(Image.open(path).convert("RGB")).unsqueeze(0)).argmax(1).item())
