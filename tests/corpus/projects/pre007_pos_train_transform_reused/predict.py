"""Classify one dermatoscope image."""
import json
import sys

import torch
from PIL import Image
from torchvision import models

from data import train_transform

with open("weights/lesions_effb0.json") as f:
    meta = json.load(f)
model = models.efficientnet_b0(num_classes=len(meta["classes"]))
model.load_state_dict(torch.load("weights/lesions_effb0.pt", map_location="cpu", weights_only=True))
model.eval()

image = train_transform(Image.open(sys.argv[1]).convert("RGB"))  # expect: PRE007
with torch.no_grad():
    probs = model(image.unsqueeze(0)).softmax(dim=1)[0]
print(meta["classes"][int(probs.argmax())], f"{probs.max():.2%}")
