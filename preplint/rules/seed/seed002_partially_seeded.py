"""SEED002 (partially-seeded): Flags a training script that seeds some of the random generators it uses but not all (NumPy and `random` seeded, PyTorch not), or that sets a framework's seed only after the model was built, when its weights are already drawn."""

from __future__ import annotations

from collections.abc import Iterator

from preplint.analysis.context import FileContext
from preplint.analysis.randomness import (
    FAMILY_LABEL,
    built_models,
    rng_families_used,
    trainings,
)
from preplint.diagnostics import Related
from preplint.rules import Finding, rule


@rule(
    "SEED002",
    "partially-seeded",
    severity="warning",
    positives=[
        """
import random
import numpy as np
import torch

random.seed(0)  # expect: SEED002
np.random.seed(0)
model = torch.nn.Linear(4, 1)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
model(torch.randn(8, 4)).sum().backward()
opt.step()
""",
        """
import torch
import torch.nn as nn

model = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.5), nn.Linear(8, 1))
torch.manual_seed(42)  # expect: SEED002
opt = torch.optim.Adam(model.parameters())
model(torch.ones(2, 4)).sum().backward()
opt.step()
""",
        # numpy_seeded_torch_not
        """
import numpy as np
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 1)

    def forward(self, x):
        return self.fc(x)

def train():
    np.random.seed(1)  # expect: SEED002
    net = Net()
    opt = torch.optim.Adam(net.parameters())
    for _ in range(5):
        opt.zero_grad()
        net(torch.ones(3, 4)).sum().backward()
        opt.step()
""",
        # python_random_draw_unseeded
        """
import random
import torch
torch.manual_seed(0)
files = ["a", "b", "c"]
random.shuffle(files)  # expect: SEED002
net = torch.nn.Linear(1, 1)
opt = torch.optim.SGD(net.parameters(), lr=0.1)
net(torch.ones(1, 1)).sum().backward()
opt.step()
""",
        # seed_after_model_built
        """
import tensorflow as tf
model = tf.keras.Sequential([tf.keras.layers.Dense(4), tf.keras.layers.Dense(1)])
tf.random.set_seed(5)  # expect: SEED002
model.compile(loss="mse")
model.fit(X, y, epochs=1)
""",
        # helper_seeds_only_numpy
        {
            "common/utils.py": """
import random
import numpy as np

def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed)
""",
            "train.py": """
import torch
from common.utils import seed_everything

seed_everything(1)  # expect: SEED002
model = torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.Dropout(0.1))
opt = torch.optim.Adam(model.parameters())
model(torch.ones(2, 3)).sum().backward()
opt.step()
""",
        },
    ],
    negatives=[
        """
import numpy as np
import tensorflow as tf

tf.keras.utils.set_random_seed(1)
x = np.random.rand(100, 3)
model = tf.keras.Sequential([tf.keras.layers.Dense(1)])
model.compile(loss="mse")
model.fit(x, x[:, :1], epochs=2)
""",
        """
import numpy as np
import torch

torch.manual_seed(0)
x = np.array([[1.0, 2.0]])
model = torch.nn.Linear(2, 1)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
model(torch.from_numpy(x).float()).sum().backward()
opt.step()
""",
        {
            "tests/test_scheduler_callback.py": """
import numpy as np
from tensorflow import keras

def test_lr_drops_after_patience():
    np.random.seed(3)
    x, y = np.random.rand(20, 4), np.random.rand(20, 1)
    model = keras.Sequential([keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, epochs=4, callbacks=[keras.callbacks.ReduceLROnPlateau(patience=1)])
""",
        },
    ],
)
def partially_seeded(ctx: FileContext) -> Iterator[Finding]:
    """What it does:
    Flags a training script that seeds some of the random generators it uses but not all
    (NumPy and `random` seeded, PyTorch not), or that sets a framework's seed only after the
    model was built, when its weights are already drawn. Test code is not checked: a test that
    seeds NumPy only to make its input data fits a model that never ships.

    Why is this bad?:
    The script looks reproducible, so nobody checks; but the unseeded generator (weight
    initialisation, dropout masks, shuffling) still changes the model on every run.

    Example:
    ```python
    np.random.seed(0)
    model = Net()              # torch RNG never seeded
    ```

    Use instead:
    ```python
    np.random.seed(0)
    torch.manual_seed(0)
    model = Net()
    ```

    References:
    - https://pytorch.org/docs/stable/notes/randomness.html
    """
    facts, index = ctx.facts, ctx.index
    seeds = ctx.seed_calls
    if not seeds or not trainings(facts, index):
        return
    seeded = frozenset().union(*(s.families for s in seeds))
    used = rng_families_used(facts, index)
    missing = sorted(f for f in used if f not in seeded)
    first = seeds[0]
    if missing:
        done = (
            ", ".join(FAMILY_LABEL[f] for f in sorted(seeded & set(FAMILY_LABEL)))
            or "some generators"
        )
        implicit = [f for f in missing if not used[f].explicit]
        if implicit:
            labels = " and ".join(FAMILY_LABEL[f] for f in implicit)
            related = tuple(
                Related(
                    facts.path,
                    used[f].call.span.line,
                    used[f].call.span.column,
                    f"{FAMILY_LABEL[f]} randomness used here",
                )
                for f in implicit
            )
            yield Finding(
                first.call.span,
                f"seeds {done} but not {labels}, which this script also uses; runs are still not reproducible",
                related,
            )
        for family in missing:
            if used[family].explicit:
                call = used[family].call
                yield Finding(
                    call.span,
                    f"`{call.callee}` draws from the unseeded {FAMILY_LABEL[family]} generator while the script seeds {done}; runs are still not reproducible",
                    (
                        Related(
                            facts.path,
                            first.call.span.line,
                            first.call.span.column,
                            "seeds set here",
                        ),
                    ),
                )
        return
    # Seeds set after the model they should fix was built.
    for model in built_models(facts, index):
        family = model.family
        earlier = [
            s
            for s in seeds
            if family in s.families
            and s.call.scope in (model.scope, "")
            and s.call.stmt < model.stmt
        ]
        late = [
            s
            for s in seeds
            if family in s.families and s.call.scope == model.scope and s.call.stmt > model.stmt
        ]
        if earlier or not late:
            continue
        seed = min(late, key=lambda s: s.call.stmt)
        line = model.call.span.line
        yield Finding(
            seed.call.span,
            f"{FAMILY_LABEL[family]} seed is set after `{model.name}` was built (line {line}); its initial weights are not reproducible",
            (Related(facts.path, line, model.call.span.column, "model built here"),),
        )
        return
