"""Classify uploaded photos with the fine-tuned ResNet."""
import torch
import torchvision
from PIL import Image, ImageOps
from torchvision import transforms

CLASSES = ["cat", "dog", "other"]
to_tensor = transforms.Compose([
    transforms.ToTensor(),
    transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225]),
])


def load_classifier(path="artifacts/resnet18_pets.pt"):
    model = torchvision.models.resnet18(num_classes=len(CLASSES))
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return model.eval()


def predict(model, image_path):
    image = Image.open(image_path).convert("RGB")
    image = ImageOps.fit(image, (224, 224))  # centre-crop to the training size
    with torch.no_grad():
        logits = model(to_tensor(image).unsqueeze(0))
    return CLASSES[int(logits.argmax(1))]


if __name__ == "__main__":
    print(predict(load_classifier(), "upload.jpg"))
