"""SEED rule parts in the preview tier: quiet by default, reported with --preview."""

from __future__ import annotations

import textwrap

from preplint.config import Config
from preplint.diagnostics import Severity
from preplint.engine import lint_sources


def _codes(src: str, preview: bool) -> list[tuple[str, int, bool]]:
    report = lint_sources({"s.py": textwrap.dedent(src).lstrip("\n")}, Config(preview=preview))
    return [(d.code, d.line, d.preview) for d in report.diagnostics if d.code.startswith("SEED")]


UNSEEDED_TEACHING = """
import torch
model = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Dropout(0.1))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for epoch in range(10):
    model(X).sum().backward()
    opt.step()
"""


def test_seed001_without_intent_is_preview_at_info() -> None:
    assert _codes(UNSEEDED_TEACHING, preview=False) == []
    assert _codes(UNSEEDED_TEACHING, preview=True) == [("SEED001", 5, True)]
    report = lint_sources(
        {"s.py": textwrap.dedent(UNSEEDED_TEACHING).lstrip("\n")}, Config(preview=True)
    )
    assert [d.severity for d in report.diagnostics if d.code == "SEED001"] == [Severity.INFO]


def test_seed001_with_a_random_state_elsewhere_is_default_warning() -> None:
    src = UNSEEDED_TEACHING + "parts = train_test_split(X, random_state=0)\n"
    assert _codes(src, preview=False) == [("SEED001", 5, False)]


def test_seed001_random_state_none_is_not_intent() -> None:
    src = UNSEEDED_TEACHING + "parts = train_test_split(X, random_state=None)\n"
    assert _codes(src, preview=False) == []


def test_seed002_implied_generator_is_default_only_for_a_random_init_seen() -> None:
    built = """
import numpy as np
import torch
np.random.seed(1)
net = torch.nn.Linear(4, 1)
opt = torch.optim.Adam(net.parameters())
net(torch.ones(3, 4)).sum().backward()
opt.step()
"""
    assert _codes(built, preview=False) == [("SEED002", 3, False)]
    per_layer = """
import numpy as np
from tensorflow import keras
np.random.seed(1)
model = keras.Sequential([keras.layers.Dense(4, kernel_initializer=keras.initializers.GlorotUniform(seed=0))])
model.compile(loss="mse")
model.fit(x, y, epochs=2)
"""
    assert _codes(per_layer, preview=False) == []
    assert _codes(per_layer, preview=True) == [("SEED002", 3, True)]
    zeroed = """
import numpy as np
import torch

class Softmax(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(4, 2)
        self.linear.weight.detach().zero_()
        self.linear.bias.detach().zero_()

np.random.seed(1)
net = Softmax()
opt = torch.optim.SGD(net.parameters(), lr=0.1)
net(torch.ones(3, 4)).sum().backward()
opt.step()
"""
    assert _codes(zeroed, preview=False) == []


def test_seed002_top_level_draw_outside_a_data_loop_is_preview() -> None:
    top = """
import random
import torch
torch.manual_seed(0)
net = torch.nn.Linear(1, 1)
opt = torch.optim.SGD(net.parameters(), lr=0.1)
net(torch.ones(1, 1)).sum().backward()
opt.step()
picked = random.sample(paths, k=3)
"""
    assert _codes(top, preview=False) == []
    assert _codes(top, preview=True) == [("SEED002", 8, True)]
    inside = top.replace(
        "picked = random.sample(paths, k=3)", "def pick():\n    return random.sample(paths, k=3)"
    )
    assert _codes(inside, preview=False) == [("SEED002", 9, False)]
    before = top.replace("picked = random.sample(paths, k=3)\n", "").replace(
        "net = torch", "picked = random.sample(paths, k=3)\nnet = torch"
    )
    assert _codes(before, preview=False) == []
    assert _codes(before, preview=True) == [("SEED002", 4, True)]
    building = top.replace("picked = random.sample(paths, k=3)\n", "").replace(
        "net = torch",
        "pairs = []\nfor row in rows:\n    pairs.append((row, random.choice(rows)))\nnet = torch",
    )
    assert _codes(building, preview=False) == [("SEED002", 6, False)]


def test_seed003_dataframe_sample_is_preview() -> None:
    src = """
import pandas as pd
df = pd.read_csv("d.csv")
test = df.sample(frac=0.2)
"""
    assert _codes(src, preview=False) == []
    assert _codes(src, preview=True) == [("SEED003", 3, True)]


def test_seed003_seed_after_the_split_does_not_cover_it() -> None:
    src = """
import numpy as np
from sklearn.model_selection import train_test_split
parts = train_test_split(X, y)
np.random.seed(0)
"""
    assert _codes(src, preview=False) == [("SEED003", 3, False)]


def test_seed003_loop_without_collected_results_still_reports() -> None:
    src = """
from sklearn.model_selection import train_test_split
for name in names:
    a, b = train_test_split(frames[name])
"""
    assert _codes(src, preview=False) == [("SEED003", 3, False)]


def test_seed003_take_without_skip_is_not_a_split() -> None:
    src = """
import tensorflow as tf
ds = tf.data.Dataset.range(100)
ds = ds.shuffle(100)
first = ds.take(5)
"""
    assert _codes(src, preview=False) == []


def test_seed004_fixed_seed_still_reports() -> None:
    src = """
import torch
seed = 7
torch.manual_seed(seed)
torch.backends.cudnn.benchmark = True
"""
    assert _codes(src, preview=False) == [("SEED004", 4, False)]
