"""SEED002 (partially-seeded): Flags a training script that seeds some of the random generators it uses but not all (NumPy and `random` seeded, PyTorch not), or that sets a framework's seed only after the model was built, when its weights are already drawn."""

from __future__ import annotations

from collections.abc import Iterator

from preplint.analysis.context import FileContext
from preplint.analysis.randomness import (
    FAMILY_LABEL,
    BuiltModel,
    RngUse,
    built_models,
    rng_families_used,
    trainings,
)
from preplint.diagnostics import Related
from preplint.facts.model import Call, FileFacts
from preplint.facts.project import ProjectIndex
from preplint.rules import Finding, rule


@rule(
    "SEED002",
    "partially-seeded",
    severity="warning",
    positives=[
        """
import torch
import torch.nn as nn

model = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.5), nn.Linear(8, 1))
torch.manual_seed(42)  # expect: SEED002
opt = torch.optim.Adam(model.parameters())
model(torch.ones(2, 4)).sum().backward()
opt.step()
""",
        # python_random_draw_unseeded
        """
import random
import torch
torch.manual_seed(0)

class Pairs(torch.utils.data.Dataset):
    def __getitem__(self, i):
        j = random.randint(0, len(self.items) - 1)  # expect: SEED002
        return self.items[i], self.items[j]

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
        # seed_in_the_training_cell_after_model_and_optimizer
        """
import torch
net = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
opt = torch.optim.SGD(net.parameters(), lr=0.1)
torch.manual_seed(42)  # expect: SEED002
for epoch in range(100):
    net.train()
    loss = torch.nn.functional.mse_loss(net(X), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
""",
    ],
    negatives=[
        # model_rebuilt_after_the_seed
        """
import torch

class Classifier(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(4, 2)

net = Classifier()
print(net)
torch.manual_seed(0)
net = Classifier()
opt = torch.optim.SGD(net.parameters(), lr=0.1)
net(x).sum().backward()
opt.step()
""",
        # seed_after_pretrained_backbone_before_new_head
        """
import torch
import torchvision
backbone = torchvision.models.resnet18(weights="DEFAULT")
torch.manual_seed(42)
backbone.fc = torch.nn.Linear(512, 3)
opt = torch.optim.Adam(backbone.parameters())
backbone(x).sum().backward()
opt.step()
""",
        # constant_initialised_model_has_nothing_to_seed
        """
import tensorflow as tf

class Line(tf.keras.Model):
    def __init__(self):
        super().__init__()
        self.w = tf.Variable(0.0)
        self.b = tf.Variable(0.0)

    def call(self, x):
        return self.w * x + self.b

line = Line()
tf.random.set_seed(1)
line.compile(optimizer="sgd", loss="mse")
line.fit(x, y, epochs=10)
""",
        # demo_module_never_trained
        """
import torch
patcher = torch.nn.Conv2d(3, 16, 4, stride=4)
print(patcher(torch.zeros(1, 3, 32, 32)).shape)
torch.manual_seed(0)
vit = build_vit()
opt = torch.optim.Adam(vit.parameters())
vit(x).sum().backward()
opt.step()
""",
        # seed_per_iteration_to_share_inputs
        """
import torch
model = torch.nn.Linear(10, 10)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for step in range(5):
    torch.manual_seed(step)
    inp = torch.rand(4, 10)
    model(inp).sum().backward()
    opt.step()
""",
        # draw_that_only_picks_images_to_show
        """
import random
import torch
torch.manual_seed(42)
model = torch.nn.Linear(4, 2)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
model(x).sum().backward()
opt.step()
for path in random.sample(test_paths, k=3):
    show_prediction(model, path)
""",
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
    seeds NumPy only to make its input data fits a model that never ships. A late seed is not
    reported when the model built before it is rebuilt after it, never trained, loaded with
    pretrained weights, or initialised to constants only; nor a seed set inside a loop.

    Preview:
    "seeds X but not Y, which this script also uses" when the generator is only implied by a
    training step, a constant-initialised model or layers seeded per initializer; and unseeded
    draws at the top level of a script or notebook outside a loop or after training. On public
    code the first were zero-initialised models or layers seeded per initializer, the second
    picked test images to plot. To leave preview they need to follow the generator's use into
    training (a random initialiser that is not seeded per layer; a draw whose value reaches a
    dataset, a sampler or the training loop).

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
                preview=not _real_random_init(facts, index, [used[f] for f in implicit]),
            )
        for family in missing:
            if used[family].explicit:
                call = used[family].call
                # A draw at top level of a notebook or script picked what to show (test images
                # to plot) every time it was read on public code; draws inside functions
                # (`__getitem__`, an exploration policy) were the real ones.
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
                    preview=not call.scope
                    and (not call.loops or _after_training(facts, index, call)),
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
        if (
            seed.call.loops
            or _pretrained(facts, model.call)
            or _rebuilt_after(facts, model, seed.call.stmt)
            or not _trained_later(facts, model, seed.call.stmt)
            or _constant_init(facts, model.call)
        ):
            continue
        line = model.call.span.line
        yield Finding(
            seed.call.span,
            f"{FAMILY_LABEL[family]} seed is set after `{model.name}` was built (line {line}); its initial weights are not reproducible",
            (Related(facts.path, line, model.call.span.column, "model built here"),),
        )
        return


def _pretrained(facts: FileFacts, call: Call) -> bool:
    """A build that loads weights (`pretrained=True`, `weights=...`, `from_pretrained`), also
    behind a method chain (`resnet18(weights=...).to(device)`): no random init."""
    probe: Call | None = call
    for _ in range(4):
        if probe is None:
            return False
        if _loads_weights(probe):
            return True
        probe = facts.call_by_id.get(probe.receiver_call) if probe.receiver_call >= 0 else None
    return False


def _loads_weights(call: Call) -> bool:
    if call.method == "from_pretrained" or call.callee.endswith(".from_pretrained"):
        return True
    for keyword in ("pretrained", "weights"):
        arg = call.arg(keyword=keyword)
        if arg is not None and not (arg.value.kind == "const" and arg.value.const in (None, False)):
            return True
    return False


def _rebuilt_after(facts: FileFacts, model: BuiltModel, stmt: int) -> bool:
    """The name is bound again after the seed: the model trained is the rebuilt one."""
    return any(
        a.stmt > stmt and a.op == "=" and (a.scope == model.scope or not a.scope)
        for a in facts.assigns_by_target.get(model.name, ())
    )


def _trained_later(facts: FileFacts, model: BuiltModel, stmt: int) -> bool:
    """The model built before the seed reaches training after it: `model.fit(...)`, its
    `.parameters()` given to an optimizer, or the model passed to a training helper."""
    name = model.name
    for call in facts.calls:
        if call.stmt <= stmt:
            continue
        if call.receiver == name and call.method in (
            "fit",
            "fit_generator",
            "train_on_batch",
            "parameters",
            "compile",
            "train",
        ):
            return True
        if call.callee == name and call.loops:
            return True  # called in a loop after the seed: the training loop's forward pass
        leaf = (call.method or call.callee.rsplit(".", 1)[-1]).lower()
        if ("train" in leaf or "fit" in leaf) and any(name in a.value.names for a in call.args):
            return True
    return False


_CONSTANT_INIT = ("zero_", "zeros_", "constant_", "fill_", "ones_")


def _constant_init(facts: FileFacts, call: Call) -> bool:
    """A model class of this file whose `__init__` sets every parameter to a constant
    (`tf.Variable(0.0)`, `.weight.detach().zero_()` on weight and bias): nothing random to seed."""
    name = call.callee
    if call.scope.endswith(".__init__"):
        name = call.scope.split(".")[-2]  # a layer built inside a model class's `__init__`
    cls = facts.class_by_name.get(name)
    if cls is None:
        return False
    init = facts.calls_by_function.get(f"{cls.name}.__init__", [])
    layers = 0
    constants = 0
    for inner in init:
        qual = inner.qualname
        if qual == "tensorflow.Variable":
            first = inner.arg(0, "initial_value")
            if first is None or first.value.kind != "const":
                return False
            constants += 2
        elif inner.method in _CONSTANT_INIT:
            constants += 1
        elif (
            qual.startswith(("torch.nn.", "keras.layers."))
            and qual.rsplit(".", 1)[-1][:1].isupper()
        ):
            if qual.rsplit(".", 1)[-1] in ("Module", "Sequential", "ModuleList", "ModuleDict"):
                continue
            layers += 1
    return constants > 0 and constants >= 2 * layers


def _real_random_init(facts: FileFacts, index: ProjectIndex, uses: list[RngUse]) -> bool:
    """Every implied generator is used by a model built in this file with random weights:
    not only a training step, not a constant-initialised model, and no initializer seeded
    per layer (`GlorotUniform(seed=0)`) anywhere in the file."""
    if any(c.has_kwarg("seed") and "initializers" in c.qualname for c in facts.calls):
        return False
    built = {m.call.id: m for m in built_models(facts, index)}
    return all(u.call.id in built and not _constant_init(facts, u.call) for u in uses)


def _after_training(facts: FileFacts, index: ProjectIndex, call: Call) -> bool:
    """A top-level draw after the first training call: it picks what to show or predict on.
    (A top-level draw outside any loop picked a few items to show, too; one inside a loop
    builds data, and stays reported.)"""
    trained = trainings(facts, index)
    return bool(trained) and call.id > min(c.id for c in trained)
