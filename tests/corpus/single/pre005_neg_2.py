"""ImageNet classifier served from a TorchScript export."""
import numpy as np
import torch
from PIL import Image

# fixed ImageNet statistics, the same constants torchvision uses
IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)

model = torch.jit.load("export/efficientnet_b0.pt", map_location="cpu")
model.eval()


def predict(path):
    image = Image.open(path).convert("RGB").resize((224, 224))
    x = np.asarray(image, dtype=np.float32) / 255.0
    x = (x - IMAGENET_MEAN) / IMAGENET_STD
    tensor = torch.from_numpy(x.transpose(2, 0, 1)).unsqueeze(0)
    with torch.inference_mode():
        return int(model(tensor).argmax(dim=1))


if __name__ == "__main__":
    print(predict("cat.jpg"))
