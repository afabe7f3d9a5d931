"""MODE004 (batchnorm-tiny-batches): Flags training with batches of one sample when the model has BatchNorm layers: Keras `fit(..., batch_size=1)` (or a `tf.data` pipeline batched by 1), or a `DataLoader` with `batch_size=1` (the default) that feeds a training loop."""

from __future__ import annotations

from collections.abc import Iterator

from preplint.analysis.calls import resolve_function
from preplint.analysis.context import FileContext
from preplint.analysis.module_layers import _builtin_mode_layers
from preplint.analysis.objects import binding_of
from preplint.analysis.records import Binding
from preplint.analysis.training import training_calls
from preplint.diagnostics import Related
from preplint.facts import frameworks as fw
from preplint.facts.model import Call, ClassDef, FileFacts
from preplint.facts.project import ProjectIndex
from preplint.rules import Finding, rule


def _int_value(
    facts: FileFacts, index: ProjectIndex, call: Call, position: int | None, keyword: str
) -> int | None:
    arg = call.arg(position, keyword)
    if arg is None:
        return None
    value = arg.value.const
    if value is None and arg.value.name:
        value = index.constant(facts, arg.value.name)
        if value is None:
            assign = facts.reaching_assign(arg.value.name, call.scope, call.stmt)
            value = assign.value.const if assign is not None and assign.op == "=" else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _file_has_batchnorm(facts: FileFacts, index: ProjectIndex, keras: bool) -> bool:
    files = [facts]
    for qual in facts.imports.values():
        owner = index.module(qual, facts.path) or index.module(qual.rpartition(".")[0], facts.path)
        if owner is not None and owner is not facts:
            files.append(owner)
    for f in files:
        for c in f.calls:
            leaf = c.qualname.rsplit(".", 1)[-1]
            if (
                keras
                and leaf in ("BatchNormalization", "SyncBatchNormalization")
                and c.qualname.startswith("keras")
            ):
                return True
            if not keras and c.qualname.startswith("torch.nn.") and "BatchNorm" in leaf:
                return True
            if (
                not keras
                and c.qualname.startswith("torchvision.models.")
                and _builtin_mode_layers(c.qualname)
            ):
                return True
    return False


_BATCHNORM_LEAVES = ("BatchNormalization", "SyncBatchNormalization")


def _keras_model_batchnorm(facts: FileFacts, index: ProjectIndex, fit: Call, b: Binding) -> bool:
    """Whether the Keras model that `fit` trains holds BatchNormalization: a layer built where the
    model is built or fitted, in the model's project class, or in project functions and classes
    those call (two levels). A model whose layers cannot be seen (loaded, a library architecture)
    falls back to any BatchNormalization in the file and the project modules it imports."""
    local_cls = _project_class(facts, index, b.cls) if b.cls and "." not in b.cls else None
    if b.origin != "constructed" or (
        local_cls is None and not b.cls.endswith((".Sequential", ".Model"))
    ):
        return _file_has_batchnorm(facts, index, keras=True)
    # (file, exact scope or None, first statement, last statement)
    regions: list[tuple[FileFacts, str | None, int, int]] = [
        (facts, b.scope, 0, -1),
        (facts, fit.scope, 0, -1),
    ]
    if local_cls is not None:
        regions += _class_regions(index, *local_cls)
    seen: set[tuple[str, str | None, int]] = set()
    for _ in range(3):
        following: list[tuple[FileFacts, str | None, int, int]] = []
        for owner, scope, lo, hi in regions:
            if (owner.path, scope, lo) in seen:
                continue
            seen.add((owner.path, scope, lo))
            for c in owner.calls:
                if (c.scope != scope) if scope is not None else not (lo <= c.stmt <= hi):
                    continue
                if c.qualname.startswith("keras") and c.qualname.endswith(_BATCHNORM_LEAVES):
                    return True
                if not c.callee or c.qualname.startswith(fw.KERAS_PACKAGES):
                    continue
                cls = _project_class(owner, index, c.callee) if not c.method else None
                if cls is not None:
                    following += _class_regions(index, *cls)
                    continue
                target = resolve_function(owner, c, index)
                if target is not None:
                    following.append((target[0], None, target[1].stmt_start, target[1].stmt_end))
        regions = following
    return False


def _project_class(
    facts: FileFacts, index: ProjectIndex, name: str
) -> tuple[FileFacts, ClassDef] | None:
    found = index.class_for(facts, name)
    if found is not None:
        return found
    cdef = facts.class_by_name.get(name)
    return (facts, cdef) if cdef is not None else None


def _class_regions(
    index: ProjectIndex, owner: FileFacts, cdef: ClassDef, depth: int = 0
) -> list[tuple[FileFacts, str | None, int, int]]:
    """The statements of a project class and of its project base classes."""
    out: list[tuple[FileFacts, str | None, int, int]] = [
        (owner, None, cdef.stmt_start, cdef.stmt_end)
    ]
    for base in cdef.bases:
        found = _project_class(owner, index, base) if "." not in base and depth < 3 else None
        if found is not None and found[1] is not cdef:
            out += _class_regions(index, *found, depth=depth + 1)
    return out


def _loader_trains(facts: FileFacts, index: ProjectIndex, name: str, scope: str) -> Call | None:
    """A training step fed by loader `name`: a loop over it that trains, or a training helper given it."""
    training = training_calls(facts, index)
    for a in facts.assigns:
        if a.op == "for" and a.scope == scope and name in a.value.names:
            loop = next(
                (lp for lp in facts.loops if lp.scope == scope and lp.stmt_start == a.stmt), None
            )
            if loop is None:
                continue
            step = next((t for t in training if loop.id in t.loops), None)
            if step is not None:
                return step
    for t in training:
        if t.scope == scope and any(name in arg.value.names for arg in t.args):
            return t
    return None


@rule(
    "MODE004",
    "batchnorm-tiny-batches",
    severity="warning",
    probe="mode-sensitivity",
    positives=[
        """
import torch
from torch import nn
from torch.utils.data import DataLoader

model = nn.Sequential(nn.Linear(8, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.01)
loader = DataLoader(dataset, batch_size=1, shuffle=True)  # expect: MODE004
for xb, yb in loader:
    opt.zero_grad()
    nn.functional.mse_loss(model(xb), yb).backward()
    opt.step()
""",
        """
from tensorflow import keras

model = keras.Sequential([keras.layers.Dense(32), keras.layers.BatchNormalization(), keras.layers.Dense(1)])
model.compile(optimizer="adam", loss="mse")
model.fit(x_train, y_train, epochs=5, batch_size=1)  # expect: MODE004
""",
        # positives-MODE004
        """
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self, n_in=8, n_out=2):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(n_in, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.2))
        self.head = nn.Linear(32, n_out)

    def forward(self, x):
        return self.head(self.body(x))

from torch.utils.data import DataLoader

def train_epoch(model, loader, opt):
    model.train()
    for x, y in loader:
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()

def main(train_set):
    model = Net()
    opt = torch.optim.Adam(model.parameters())
    train_loader = DataLoader(train_set, shuffle=True)  # expect: MODE004
    for epoch in range(5):
        train_epoch(model, train_loader, opt)
""",
        # positives-MODE004
        """
import tensorflow as tf
BATCH_SIZE = 1
model = tf.keras.Sequential([
    tf.keras.layers.Conv2D(16, 3, activation="relu"),
    tf.keras.layers.BatchNormalization(),
    tf.keras.layers.Flatten(),
    tf.keras.layers.Dense(10),
])
model.compile("adam", "sparse_categorical_crossentropy")
model.fit(x_train, y_train, batch_size=BATCH_SIZE, epochs=3)  # expect: MODE004
""",
        # narrowed_positives-MODE004
        {
            "blocks.py": """
from tensorflow import keras

def conv_block(x, filters):
    x = keras.layers.Conv2D(filters, 3, padding="same")(x)
    x = keras.layers.BatchNormalization()(x)
    return keras.layers.ReLU()(x)
""",
            "train.py": """
from tensorflow import keras
from blocks import conv_block

def main(images, labels):
    inp = keras.Input((32, 32, 3))
    x = conv_block(conv_block(inp, 16), 32)
    model = keras.Model(inp, keras.layers.Dense(10)(keras.layers.Flatten()(x)))
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(images, labels, batch_size=1)  # expect: MODE004
""",
        },
        # narrowed_positives-MODE004
        """
import keras

class Normed(keras.layers.Layer):
    def __init__(self):
        super().__init__()
        self.norm = keras.layers.BatchNormalization()

class Net(keras.Model):
    def __init__(self):
        super().__init__()
        self.body = Normed()
        self.head = keras.layers.Dense(1)

def fit_one_by_one(x, y):
    model = Net()
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, batch_size=1)  # expect: MODE004
""",
    ],
    negatives=[
        """
import torch
from torch import nn
from torch.utils.data import DataLoader

model = nn.Sequential(nn.Linear(8, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.01)
loader = DataLoader(dataset, batch_size=64, shuffle=True)
for xb, yb in loader:
    opt.zero_grad()
    nn.functional.mse_loss(model(xb), yb).backward()
    opt.step()
test_loader = DataLoader(test_set, batch_size=1)
""",
        """
from tensorflow import keras

model = keras.Sequential([keras.layers.Dense(32), keras.layers.Dropout(0.2), keras.layers.Dense(1)])
model.compile(optimizer="adam", loss="mse")
model.fit(x_train, y_train, epochs=5, batch_size=1)
""",
        """
import keras

def build_normed():
    return keras.Sequential([keras.layers.Dense(8), keras.layers.BatchNormalization()])

def check_step_counter(x, y):
    # the file builds BatchNorm elsewhere, but this model has none: one sample per step is fine
    class Counting(keras.Model):
        def __init__(self):
            super().__init__()
            self.proj = keras.layers.Dense(2)

        def call(self, x):
            return self.proj(x)

    model = Counting()
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, batch_size=1, epochs=2)
""",
        # negatives-MODE004
        """
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self, n_in=8, n_out=2):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(n_in, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.2))
        self.head = nn.Linear(32, n_out)

    def forward(self, x):
        return self.head(self.body(x))

from torch.utils.data import DataLoader

model = Net()
opt = torch.optim.Adam(model.parameters())
train_loader = DataLoader(train_set, batch_size=64, shuffle=True, drop_last=True)
test_loader = DataLoader(test_set, batch_size=1)
for x, y in train_loader:
    opt.zero_grad()
    nn.functional.cross_entropy(model(x), y).backward()
    opt.step()
model.eval()
with torch.no_grad():
    preds = [model(x) for x, _ in test_loader]
""",
        # negatives-MODE004
        """
import torch
import torch.nn as nn
from torch.utils.data import DataLoader

model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 1))
opt = torch.optim.Adam(model.parameters())
loader = DataLoader(train_set, batch_size=1, shuffle=True)
for x, y in loader:
    opt.zero_grad()
    nn.functional.mse_loss(model(x), y).backward()
    opt.step()
""",
        # real_code_negatives-MODE004
        """
import numpy as np
import keras

def test_bn_inference():
    model = keras.Sequential([keras.Input((3,)), keras.layers.BatchNormalization()])
    model.predict(np.ones((2, 3)))

def test_retracing():
    inp = keras.Input(shape=[4])
    out = keras.layers.Dense(1, activation="relu")(inp)

    class Tracing(keras.Model):
        def train_step(self, *args):
            return super().train_step(*args)

    model = Tracing(inputs=inp, outputs=out)
    model.compile(loss="mse", optimizer="adam")
    model.fit(x=np.ones((100, 4)), y=np.ones((100, 1)), batch_size=1, epochs=1)
""",
    ],
)
def batchnorm_tiny_batches(ctx: FileContext) -> Iterator[Finding]:
    """What it does:
    Flags training with batches of one sample when the model has BatchNorm layers: Keras
    `fit(..., batch_size=1)` (or a `tf.data` pipeline batched by 1), or a `DataLoader` with
    `batch_size=1` (the default) that feeds a training loop.

    Why is this bad?:
    BatchNorm normalises with the statistics of the current batch. With one sample the batch
    variance is zero (PyTorch raises for 1-D features) and the running statistics it learns
    are noise, so the model that is saved behaves differently at inference.

    Example:
    ```python
    loader = DataLoader(train_set, batch_size=1, shuffle=True)
    ```

    Use instead:
    ```python
    loader = DataLoader(train_set, batch_size=32, shuffle=True, drop_last=True)
    ```

    References:
    - https://pytorch.org/docs/stable/generated/torch.nn.BatchNorm1d.html
    - https://keras.io/api/layers/normalization_layers/batch_normalization/
    """
    facts, index = ctx.facts, ctx.index
    keras = any(facts.uses(r) for r in fw.KERAS_PACKAGES)
    torch = facts.uses("torch")
    if keras:
        for call in facts.calls:
            if call.method != "fit" or not call.receiver:
                continue
            b = binding_of(facts, call.receiver.split(".")[0], call.scope, call.stmt, index)
            if b is None or b.kind != "keras-model":
                continue
            size = _int_value(facts, index, call, None, "batch_size")
            if size is None:
                first = call.arg(0, "x")
                if first is not None and first.value.name:
                    size = _dataset_batch(facts, first.value.name, call)
            if size == 1 and _keras_model_batchnorm(facts, index, call, b):
                yield Finding(
                    call.span,
                    "the model has BatchNormalization and trains with batches of one sample: its batch statistics are meaningless",
                )
    if torch:
        for call in facts.calls_named("torch.utils.data.DataLoader"):
            if call.arg(keyword="batch_sampler") is not None or any(a.star for a in call.args):
                continue
            has_size = call.arg(1, "batch_size") is not None
            size = _int_value(facts, index, call, 1, "batch_size") if has_size else 1
            if size != 1:
                continue
            target = next(
                (
                    a.targets[0]
                    for a in facts.assigns
                    if a.value.call == call.id and len(a.targets) == 1
                ),
                "",
            )
            if not target:
                continue
            step = _loader_trains(facts, index, target, call.scope)
            if step is None or not _file_has_batchnorm(facts, index, keras=False):
                continue
            what = "batch_size=1" if has_size else "the default batch_size=1"
            yield Finding(
                call.span,
                f"`{target}` feeds training with {what} and the model has BatchNorm: batch statistics of one sample are meaningless",
                related=(
                    Related(
                        facts.path, step.span.line, step.span.column, "training step fed by it"
                    ),
                ),
            )


def _dataset_batch(facts: FileFacts, name: str, call: Call) -> int | None:
    """`ds = ds.batch(1)` before `model.fit(ds)`."""
    assign = facts.reaching_assign(name, call.scope, call.stmt)
    if assign is None or assign.value.kind != "call":
        return None
    for cid in assign.value.calls:
        inner = facts.call_by_id.get(cid)
        if inner is not None and inner.method == "batch":
            arg = inner.arg(0, "batch_size")
            return arg.value.const if arg is not None and isinstance(arg.value.const, int) else None
    return None
