"""Embed product images with the fine-tuned ResNet-50 backbone."""
import glob

import numpy as np
import torch
import torchvision.models as models
import torchvision.transforms as T
from PIL import Image

preprocess = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(),
                        T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])

backbone = models.resnet50()
backbone.fc = torch.nn.Identity()
backbone.load_state_dict(torch.load("weights/resnet50_products.pt", weights_only=True))

vectors = []
with torch.inference_mode():
    for path in sorted(glob.glob("images/*.jpg")):
        x = preprocess(Image.open(path).convert("RGB")).unsqueeze(0)
        vectors.append(backbone(x).squeeze(0).numpy())  # expect: MODE001
np.save("product_vectors.npy", np.stack(vectors))
