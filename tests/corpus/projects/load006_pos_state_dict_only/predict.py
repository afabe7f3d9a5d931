"""Recognise the keyword in a precomputed log-mel file."""
import sys

import torch

from config import LABELS, N_MELS, WEIGHTS_PATH
from net import KeywordNet

model = KeywordNet(N_MELS, len(LABELS), channels=96)
model.load_state_dict(torch.load(WEIGHTS_PATH, map_location="cpu", weights_only=True))
model.eval()

mel = torch.load(sys.argv[1], weights_only=True).float().unsqueeze(0)
with torch.no_grad():
    print(LABELS[model(mel).argmax(1).item()])
