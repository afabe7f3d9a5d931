import json
import sys

import torch

from model import CharCNN

LANGS = ["ar", "de", "en", "es", "fa", "fr", "hi", "id", "it", "ja",
         "ko", "nl", "pl", "pt", "ru", "sv", "th", "tr", "uk", "zh"]

with open("langid.json") as f:
    model = CharCNN(**json.load(f))
model.load_state_dict(torch.load("langid.pt", weights_only=True))
model.eval()

ids = torch.tensor([list(sys.argv[1].encode("utf-8")[:200].ljust(200, b"\0"))], dtype=torch.long)
with torch.no_grad():
    print(LANGS[model(ids).argmax(1).item()])
