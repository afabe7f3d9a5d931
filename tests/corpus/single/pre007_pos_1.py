"""Classify X-ray images with the fine-tuned DenseNet."""
import torch
from PIL import Image
from torchvision import models, transforms

LABELS = ["normal", "pneumonia"]

infer_tf = transforms.Compose([
    transforms.Resize(256),
    transforms.RandomCrop(224),  # expect: PRE007
    transforms.ToTensor(),
    transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
])


def load(path="checkpoints/densenet121_xray.pt"):
    net = models.densenet121(num_classes=len(LABELS))
    net.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    net.eval()
    return net


def predict(net, image_path):
    x = infer_tf(Image.open(image_path).convert("RGB")).unsqueeze(0)
    with torch.no_grad():
        return LABELS[net(x).argmax(1).item()]


if __name__ == "__main__":
    print(predict(load(), "patient_0042.png"))
