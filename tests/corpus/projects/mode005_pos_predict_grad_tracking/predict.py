"""Label each face crop in a folder with an emotion."""
import json
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from model import EmotionNet

EMOTIONS = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]


def load_net():
    with open("checkpoints/emotion.json") as f:
        net = EmotionNet(**json.load(f))
    net.load_state_dict(torch.load("checkpoints/emotion.pt", map_location="cpu", weights_only=True))
    net.eval()
    return net


def predict(net, folder):
    for path in sorted(Path(folder).glob("*.png")):
        face = np.asarray(Image.open(path).convert("L").resize((48, 48))) / 255.0
        x = torch.tensor(face[None, None], dtype=torch.float32)
        probs = net(x).softmax(dim=1)  # expect: MODE005
        yield path.name, EMOTIONS[int(probs.argmax())], float(probs.max())


if __name__ == "__main__":
    for name, label, p in predict(load_net(), sys.argv[1]):
        print(f"{name}\t{label}\t{p:.2f}")
