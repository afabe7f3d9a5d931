"""Build the example projects' artifacts on CPU, on synthetic data, so that --confirm has models.

Run `python -m preplint.confirm.demo [FIXTURES]` (default: ./fixtures). It trains the torch
project's TabularNet and the Keras project's house-price model for a few steps with the
projects' own classes, and saves them where the projects' scripts load them:
`torch_project/artifacts/tabular_net.pt` (+ `.json`) and `keras_project/artifacts/house_prices.keras`.
Needs the `confirm` extra. This imports the projects' modules and the frameworks: never part of
`preplint check`.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

TORCH_CONFIG: dict[str, float] = {"n_features": 12, "hidden": 64, "n_classes": 3, "dropout": 0.3}
N_FEATURES = 12


def _import_from(folder: Path, module: str) -> object:
    sys.path.insert(0, str(folder))
    try:
        return importlib.import_module(module)
    finally:
        sys.path.remove(str(folder))


def build_torch(project: Path, steps: int = 30) -> list[Path]:
    """TabularNet trained on random readings; weights and their config, as train.py saves them."""
    import torch

    net_class = _import_from(project, "model").TabularNet  # type: ignore[attr-defined]
    torch.manual_seed(0)
    model = net_class(**TORCH_CONFIG)
    x = torch.randn(256, N_FEATURES)
    y = (x[:, 0] > 0).long() + (x[:, 1] > 1).long()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    model.train()
    for _ in range(steps):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
    out = project / "artifacts"
    out.mkdir(exist_ok=True)
    weights, config = out / "tabular_net.pt", out / "tabular_net.json"
    torch.save(model.state_dict(), weights)
    config.write_text(json.dumps(TORCH_CONFIG))
    return [weights, config]


def build_keras(project: Path, epochs: int = 2) -> list[Path]:
    """The house-price model of train.py, with the project's FeatureCross layer."""
    import keras
    import numpy as np

    cross = _import_from(project, "layers").FeatureCross  # type: ignore[attr-defined]
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input(shape=(5,)),
            cross(64),
            keras.layers.Dropout(0.2),
            cross(32),
            keras.layers.Dense(1),
        ]
    )
    model.compile(optimizer="adam", loss="mse")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(128, 5)).astype("float32")
    model.fit(x, x.sum(axis=1), epochs=epochs, verbose=0)
    out = project / "artifacts"
    out.mkdir(exist_ok=True)
    path = out / "house_prices.keras"
    model.save(path)
    return [path]


def main(argv: list[str] | None = None) -> int:
    import os

    # CPU only, and quiet: the same environment the confirmation worker runs in.
    os.environ["CUDA_VISIBLE_DEVICES"] = ""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # bit-stable results, run after run
    args = sys.argv[1:] if argv is None else argv
    root = Path(args[0] if args else "fixtures")
    if not (root / "torch_project").is_dir() or not (root / "keras_project").is_dir():
        print(f"{root}: expected the example projects torch_project/ and keras_project/")
        return 2
    try:
        built = build_torch(root / "torch_project") + build_keras(root / "keras_project")
    except ImportError as exc:
        print(f"needs the confirm extra (pip install '.[confirm]'): {exc}")
        return 2
    for path in built:
        print(f"built {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
