"""Embed the catalogue images for the nearest-neighbour index."""
import glob

import numpy as np
import torch
from PIL import Image
from torchvision import transforms

from model import RetrievalNet

tf = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor()])

net = RetrievalNet(dim=256)
state = torch.load("weights/retrieval_v2.pt", map_location="cpu", weights_only=True)
net.load_state_dict(state, strict=False)  # expect: LOAD004
net.eval()

vectors = []
with torch.no_grad():
    for path in sorted(glob.glob("catalogue/*.jpg")):
        vectors.append(net(tf(Image.open(path).convert("RGB")).unsqueeze(0))[0].numpy())
np.save("index/catalogue.npy", np.stack(vectors))
