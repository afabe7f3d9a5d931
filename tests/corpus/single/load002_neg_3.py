"""PyTorch residual block (not Keras: no get_config needed, weights go through state_dict)."""
import torch.nn as nn


class ResidualBlock(nn.Module):
    def __init__(self, channels, kernel_size=3, dropout=0.1):
        super().__init__()
        padding = kernel_size // 2
        self.conv1 = nn.Conv2d(channels, channels, kernel_size, padding=padding)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, kernel_size, padding=padding)
        self.bn2 = nn.BatchNorm2d(channels)
        self.drop = nn.Dropout2d(dropout)

    def forward(self, x):
        h = self.drop(nn.functional.relu(self.bn1(self.conv1(x))))
        return nn.functional.relu(x + self.bn2(self.conv2(h)))
