import torch.nn as nn
import torchvision


class RetrievalNet(nn.Module):
    """ResNet-50 trunk with a 256-d embedding head."""

    def __init__(self, dim=256):
        super().__init__()
        self.backbone = torchvision.models.resnet50()
        self.backbone.fc = nn.Identity()
        self.head = nn.Sequential(nn.Linear(2048, dim), nn.BatchNorm1d(dim))

    def forward(self, x):
        return nn.functional.normalize(self.head(self.backbone(x)), dim=-1)
