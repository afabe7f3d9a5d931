import torch.nn as nn


class KeywordNet(nn.Module):
    def __init__(self, n_mels, n_classes, channels=64):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv1d(n_mels, channels, 3, padding=1), nn.BatchNorm1d(channels), nn.ReLU(),
            nn.Conv1d(channels, channels, 3, padding=1), nn.BatchNorm1d(channels), nn.ReLU(),
            nn.AdaptiveAvgPool1d(1), nn.Flatten(),
        )
        self.out = nn.Linear(channels, n_classes)

    def forward(self, mel):
        return self.out(self.body(mel))
