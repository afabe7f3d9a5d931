"""Language-model fine-tuning with validation every 500 steps."""
import numpy as np
import torch
from torch import nn

np.random.seed(9)
torch.manual_seed(9)

EVAL_EVERY = 500


class CharLM(nn.Module):
    def __init__(self, vocab=256, dim=512):
        super().__init__()
        self.emb = nn.Embedding(vocab, dim)
        self.rnn = nn.LSTM(dim, dim, num_layers=2, dropout=0.2, batch_first=True)
        self.head = nn.Linear(dim, vocab)

    def forward(self, x):
        return self.head(self.rnn(self.emb(x))[0])


def batches(tokens, size=64, seq=128):
    while True:
        starts = np.random.randint(0, len(tokens) - seq - 1, size)
        x = np.stack([tokens[s:s + seq] for s in starts])
        y = np.stack([tokens[s + 1:s + seq + 1] for s in starts])
        yield torch.from_numpy(x).long(), torch.from_numpy(y).long()


train_tokens = np.fromfile("data/train.bin", dtype=np.uint8)
val_x, val_y = next(batches(np.fromfile("data/val.bin", dtype=np.uint8), size=256))
model = CharLM()
opt = torch.optim.AdamW(model.parameters(), lr=3e-4)

for epoch in range(3):
    model.train()
    for step, (x, y) in enumerate(batches(train_tokens)):
        if step == 5000:
            break
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x).transpose(1, 2), y)
        loss.backward()
        opt.step()
        if step % EVAL_EVERY == 0:
            model.eval()  # expect: MODE002
            with torch.no_grad():
                val_loss = nn.functional.cross_entropy(model(val_x).transpose(1, 2), val_y)
            print(f"epoch {epoch} step {step}: train {loss.item():.3f} val {val_loss.item():.3f}")

torch.save({"state_dict": model.state_dict(), "config": {"vocab": 256, "dim": 512}}, "charlm.pt")
