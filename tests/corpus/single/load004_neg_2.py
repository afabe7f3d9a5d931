"""Sentence-embedding service backed by a fine-tuned BiLSTM encoder."""
import logging

import torch
import torch.nn as nn

log = logging.getLogger(__name__)


class Encoder(nn.Module):
    def __init__(self, vocab=32000, dim=256):
        super().__init__()
        self.emb = nn.Embedding(vocab, dim, padding_idx=0)
        self.lstm = nn.LSTM(dim, dim, batch_first=True, bidirectional=True)
        self.proj = nn.Linear(2 * dim, dim)

    def forward(self, ids):
        out, _ = self.lstm(self.emb(ids))
        return self.proj(out.mean(dim=1))


class Predictor:
    def __init__(self, weights="weights/encoder_ft.pt"):
        self.model = Encoder()
        state = torch.load(weights, map_location="cpu", weights_only=True)
        result = self.model.load_state_dict(state["model"], strict=False)
        if result.missing_keys or result.unexpected_keys:
            log.error("checkpoint mismatch: %s", result)
            raise RuntimeError(f"checkpoint {weights} does not match Encoder")
        self.model.eval()

    @torch.inference_mode()
    def predict(self, ids: torch.Tensor) -> torch.Tensor:
        return nn.functional.normalize(self.model(ids), dim=-1)
