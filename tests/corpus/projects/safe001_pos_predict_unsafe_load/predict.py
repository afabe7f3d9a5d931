"""Label each face crop in a folder with an emotion."""
import json
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from model import EmotionNet

EMOTIONS = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]

with open("checkpoints/emotion.json") as f:
    net = EmotionNet(**json.load(f))
net.load_state_dict(torch.load("checkpoints/emotion.pt", map_location="cpu"))  # expect: SAFE001
net.eval()

for path in sorted(Path(sys.argv[1]).glob("*.png")):
    face = np.asarray(Image.open(path).convert("L").resize((48, 48))) / 255.0
    x = torch.tensor(face[None, None], dtype=torch.float32)
    with torch.no_grad():
        print(path.name, EMOTIONS[net(x).argmax(1).item()])
