"""Save the models the way projects do: state_dicts, a checkpoint dict, a whole module, TorchScript."""

import json
import os
import sys

import torch
from model import DropNet, PlainNet


def main():
    torch.manual_seed(0)
    os.makedirs("artifacts", exist_ok=True)
    drop = DropNet(4, hidden=32, p=0.5)
    torch.save(drop.state_dict(), "artifacts/drop.pt")

    cfg = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {"n_in": 4, "hidden": 8}
    plain = PlainNet(**cfg)
    torch.save(plain.state_dict(), "artifacts/plain.pt")
    with open("artifacts/plain.json", "w") as f:
        json.dump(cfg, f)

    hparams = {"n_in": 4, "hidden": 24, "p": 0.5}
    ckpt = DropNet(**hparams)
    torch.save(
        {"model_state_dict": ckpt.state_dict(), "hparams": hparams, "epoch": 3}, "artifacts/ckpt.pt"
    )

    width = len(sys.argv) + 7
    unknown = PlainNet(4, hidden=width)
    torch.save(unknown.state_dict(), "artifacts/unknown.pt")

    torch.save(DropNet(4), "artifacts/whole.pt")
    torch.jit.save(torch.jit.script(DropNet(4)), "artifacts/scripted.pt")


if __name__ == "__main__":
    main()
