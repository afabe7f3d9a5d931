"""SEED: reproducibility of training runs, splits and kernels."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from preplint.analysis.calls import call_sites, resolve_function
from preplint.analysis.code_roles import is_test_code, is_test_module
from preplint.analysis.context import memos
from preplint.analysis.models import model_origin
from preplint.analysis.scopes import enclosing_class
from preplint.analysis.training import training_calls
from preplint.diagnostics import Edit, Fix, Related
from preplint.facts import frameworks as fw
from preplint.facts.model import Call, FileFacts
from preplint.facts.objects import bindings, classify_call
from preplint.facts.project import ProjectIndex
from preplint.rules import Finding, rule

_FAMILY_LABEL = {
    "python": "Python `random`",
    "numpy": "NumPy",
    "torch": "PyTorch",
    "tensorflow": "TensorFlow",
}
# sklearn estimators whose fit draws random numbers (bootstrap, feature subsets, init, shuffling).
_RANDOM_ESTIMATORS = frozenset(
    {
        "RandomForestClassifier",
        "RandomForestRegressor",
        "ExtraTreesClassifier",
        "ExtraTreesRegressor",
        "GradientBoostingClassifier",
        "GradientBoostingRegressor",
        "DecisionTreeClassifier",
        "DecisionTreeRegressor",
        "BaggingClassifier",
        "BaggingRegressor",
        "SGDClassifier",
        "SGDRegressor",
        "MLPClassifier",
        "MLPRegressor",
        "KMeans",
        "MiniBatchKMeans",
        "IsolationForest",
        "Perceptron",
        "RandomTreesEmbedding",
        "AdaBoostClassifier",
        "AdaBoostRegressor",
    }
)
_NUMPY_GLOBAL_RNG_SAFE = frozenset(
    {
        "numpy.random.seed",
        "numpy.random.default_rng",
        "numpy.random.RandomState",
        "numpy.random.Generator",
        "numpy.random.get_state",
        "numpy.random.set_state",
        "numpy.random.PCG64",
        "numpy.random.SeedSequence",
    }
)
_TORCH_RANDOM = frozenset(
    {
        "torch.rand",
        "torch.randn",
        "torch.randint",
        "torch.randperm",
        "torch.bernoulli",
        "torch.multinomial",
        "torch.normal",
        "torch.rand_like",
        "torch.randn_like",
        "torch.utils.data.random_split",
        "torch.nn.functional.dropout",
    }
)


@dataclass(frozen=True)
class SeedCall:
    call: Call
    families: frozenset[str]
    via: str  # the helper's name when seeded through a project function, '' for a direct seed call


def seed_calls(facts: FileFacts, index: ProjectIndex) -> list[SeedCall]:
    """Calls that seed global RNGs: framework seed functions, and project helpers (`set_seed`) that call them."""
    memo = memos(facts, index)
    if memo.seed_calls is None:
        memo.seed_calls = _seed_calls(facts, index)
    return memo.seed_calls


def _seed_calls(facts: FileFacts, index: ProjectIndex) -> list[SeedCall]:
    out: list[SeedCall] = []
    for call in facts.calls:
        families = fw.SEED_CALLS.get(call.qualname)
        if families is not None:
            out.append(SeedCall(call, _families(families), ""))
            continue
        if (
            call.qualname.endswith((".seed_everything", ".set_seed", ".set_random_seed"))
            and call.qualname.split(".")[0] in fw.ML_MODULE_ROOTS
        ):
            out.append(SeedCall(call, frozenset({"python", "numpy", "torch", "tensorflow"}), ""))
            continue
        helper = _helper_families(facts, call, index, 0)
        if helper:
            out.append(SeedCall(call, helper, call.callee))
        elif _unresolved_seed_helper(facts, call, index):
            # `from common import set_seed` outside the linted files: assume it seeds everything.
            out.append(SeedCall(call, frozenset(_FAMILY_LABEL), call.callee))
    return out


def _unresolved_seed_helper(facts: FileFacts, call: Call, index: ProjectIndex) -> bool:
    leaf = call.callee.rsplit(".", 1)[-1].lower()
    if "seed" not in leaf or call.qualname in fw.SEED_CALLS or leaf in ("seed",):
        return False
    root = call.callee.split(".")[0]
    imported = facts.imports.get(root, "")
    if imported.split(".")[0] in fw.ML_MODULE_ROOTS or imported.split(".")[0] in (
        "random",
        "numpy",
    ):
        return False
    return (
        resolve_function(facts, call, index) is None
        and index.function_for(facts, call.callee) is None
    )


def _families(families: frozenset[str]) -> frozenset[str]:
    return frozenset("tensorflow" if f == "keras" else f for f in families)


def _helper_families(
    facts: FileFacts, call: Call, index: ProjectIndex, depth: int
) -> frozenset[str]:
    """RNG families a project function seeds (through the seed calls inside it, two helpers deep)."""
    if depth > 2 or not call.callee or call.qualname in fw.SEED_CALLS:
        return frozenset()
    target = resolve_function(facts, call, index)
    if target is None and index is not None and call.callee and not call.method:
        target = index.function_for(facts, call.callee)
    if target is None:
        return frozenset()
    owner, fn = target
    memo = memos(owner, index).seed_helper_families
    key = (fn.qualname, depth)
    if key in memo:
        return memo[key]
    memo[key] = frozenset()  # a recursive helper seeds nothing more by calling itself
    found: set[str] = set()
    for inner in owner.calls_by_function.get(fn.qualname, []):
        families = fw.SEED_CALLS.get(inner.qualname)
        if families is not None:
            found |= _families(families)
        elif inner.callee and inner is not call:
            found |= _helper_families(owner, inner, index, depth + 1)
    memo[key] = frozenset(found)
    return memo[key]


@dataclass(frozen=True)
class RngUse:
    call: Call
    explicit: bool  # a direct draw (`random.sample`, `np.random.permutation`), not a model's initialisation


@dataclass(frozen=True)
class BuiltModel:
    name: str
    scope: str
    stmt: int
    family: str  # torch | tensorflow
    call: Call


def built_models(facts: FileFacts, index: ProjectIndex) -> list[BuiltModel]:
    """Models constructed in this file (directly, or by a project helper such as `build_model()`), not loaded."""
    out: list[BuiltModel] = []
    seen: set[int] = set()
    for b in bindings(facts, index):
        call = facts.call_by_id[b.call]
        if b.origin != "constructed" or call.qualname.endswith("Loss"):
            continue
        if b.kind in ("torch-module", "keras-model"):
            out.append(
                BuiltModel(
                    b.name,
                    b.scope,
                    b.stmt,
                    "torch" if b.kind == "torch-module" else "tensorflow",
                    call,
                )
            )
            seen.add(b.call)
    for assign in facts.assigns:
        if (
            assign.op != "="
            or len(assign.targets) != 1
            or assign.value.kind != "call"
            or assign.value.call in seen
        ):
            continue
        call = facts.call_by_id[assign.value.call]
        if call.qualname or not call.callee or call.method:
            continue
        origin = model_origin(facts, assign.targets[0], assign.scope, assign.stmt + 1, index)
        if (
            origin is not None
            and origin.load_call < 0
            and not origin.artifact
            and origin.kind in ("torch-module", "keras-model")
        ):
            family = "torch" if origin.kind == "torch-module" else "tensorflow"
            out.append(BuiltModel(assign.targets[0], assign.scope, assign.stmt, family, call))
    return sorted(out, key=lambda m: m.call.id)


def rng_families_used(facts: FileFacts, index: ProjectIndex) -> dict[str, RngUse]:
    """RNG family → where the file first relies on its global generator (building a model, or a direct draw)."""
    used: dict[str, RngUse] = {}
    trained = training_calls(facts, index)
    for model in built_models(facts, index):
        used.setdefault(model.family, RngUse(model.call, False))
    for call in facts.calls:
        qual = call.qualname
        if not qual:
            continue
        root = qual.split(".", 1)[0]
        if root == "random" and qual not in (
            "random.seed",
            "random.Random",
            "random.SystemRandom",
            "random.getstate",
            "random.setstate",
        ):
            used.setdefault("python", RngUse(call, True))
        elif qual.startswith("numpy.random.") and qual not in _NUMPY_GLOBAL_RNG_SAFE:
            used.setdefault("numpy", RngUse(call, True))
        elif qual in _TORCH_RANDOM and not call.has_kwarg("generator"):
            used.setdefault("torch", RngUse(call, True))
        elif (
            qual.startswith(("tensorflow.random.", "keras.random."))
            and qual not in fw.SEED_CALLS
            and not call.has_kwarg("seed")
        ):
            used.setdefault("tensorflow", RngUse(call, True))
        elif _randomized_estimator(call):
            used.setdefault("numpy", RngUse(call, True))
    if trained:
        if facts.uses("torch") and any(c.method in ("backward", "step") for c in trained):
            used.setdefault("torch", RngUse(trained[0], False))
        if (facts.uses("keras") or facts.uses("tensorflow")) and any(
            c.method in ("fit", "fit_generator", "train_on_batch") for c in trained
        ):
            used.setdefault("tensorflow", RngUse(trained[0], False))
    return used


def _randomized_estimator(call: Call) -> bool:
    qual = call.qualname
    if not qual.startswith("sklearn.") or qual.rsplit(".", 1)[-1] not in _RANDOM_ESTIMATORS:
        return False
    state = call.arg(keyword="random_state")
    if state is None:
        return not any(a.star == "**" for a in call.args)
    return state.value.kind == "const" and state.value.const is None


def _shuffled_loader(facts: FileFacts) -> bool:
    return any(
        c.qualname == "torch.utils.data.DataLoader" and c.kwarg_const("shuffle") is True
        for c in facts.calls
    )


def _neural_training(facts: FileFacts, index: ProjectIndex) -> list[Call]:
    """Training calls whose result depends on random initialisation: torch/Keras training, randomized estimators."""
    out: list[Call] = []
    keras_or_torch = {
        b.name
        for b in bindings(facts, index)
        if b.kind in ("keras-model", "torch-module", "hf-model") and b.origin == "constructed"
    }
    random_estimators = {
        b.name
        for b in bindings(facts, index)
        if b.kind in ("sklearn-model", "pipeline")
        and _pipeline_is_random(facts, facts.call_by_id[b.call])
    }
    keras_or_torch |= {m.name for m in built_models(facts, index)}
    for call in _trainings(facts, index):
        if call.scope.rsplit(".", 1)[-1] in _FRAMEWORK_HOOKS:
            continue  # a Keras `train_step` / Lightning `training_step` override runs inside someone's fit
        if call.method in ("backward", "step", "apply_gradients", "minimize"):
            out.append(call)
        elif call.method in ("fit", "fit_generator", "train_on_batch", "partial_fit", "train"):
            root = call.receiver.split(".")[0] if call.receiver else ""
            random_fit = (
                call.receiver in keras_or_torch
                or root in keras_or_torch
                or call.receiver in random_estimators
                or (
                    call.receiver_call >= 0
                    and _pipeline_is_random(facts, facts.call_by_id[call.receiver_call])
                )
                or call.has_kwarg("epochs")
                or call.has_kwarg("max_epochs")
                or _trainer_fit(facts, call, index)
            )
            if random_fit:
                out.append(call)
    return [
        c
        for c in out
        if not _seeded_by_caller(facts, c, index) and not _seeded_by_class(facts, c, index)
    ]


def _trainings(facts: FileFacts, index: ProjectIndex) -> list[Call]:
    """The shared training calls, plus `fit` on a model a project helper built (`model = build(); model.fit(...)`).

    Training in test code is left out: a unit test fits a model to check shapes or behaviour,
    and the model it trains never ships, so its seeds do not decide what a re-run deploys.
    """
    if is_test_module(facts):
        return []
    found = {c.id: c for c in training_calls(facts, index)}
    built = {m.name for m in built_models(facts, index)}
    for call in facts.calls:
        if call.method in ("fit", "fit_generator", "train_on_batch") and (
            call.receiver in built or call.has_kwarg("epochs")
        ):
            found.setdefault(call.id, call)
    return [found[k] for k in sorted(found) if not is_test_code(facts, found[k].scope)]


_FRAMEWORK_HOOKS = frozenset(
    {"train_step", "training_step", "test_step", "validation_step", "predict_step", "compute_loss"}
)
_TRAINER_CLASSES = ("lightning.Trainer", "transformers.Trainer", "transformers.Seq2SeqTrainer")


def _trainer_fit(facts: FileFacts, call: Call, index: ProjectIndex) -> bool:
    """`trainer.fit(LitModel(), loader)` / `trainer.train()` on a Lightning or Hugging Face trainer."""
    if call.receiver:
        assign = facts.reaching_assign(call.receiver, call.scope, call.stmt)
        maker = (
            facts.call_by_id.get(assign.value.call)
            if assign is not None and assign.value.kind == "call"
            else None
        )
        if maker is not None and (
            maker.qualname in _TRAINER_CLASSES or maker.qualname.startswith("trl.")
        ):
            return True
    for arg in call.args:
        for cid in arg.value.calls:
            found = classify_call(facts, facts.call_by_id[cid], index)
            if found is not None and found[0] in ("torch-module", "keras-model", "hf-model"):
                return True
    return False


_SETUP_METHODS = frozenset(
    {"__init__", "__post_init__", "setUp", "setUpClass", "setup", "setup_method", "setup_class"}
)


def _seeded_by_class(facts: FileFacts, call: Call, index: ProjectIndex) -> bool:
    """Training in a method of a class whose own or inherited set-up (`__init__`, `setUp`) seeds,
    also when the base class lives in another project file."""
    frontier = [(facts, enclosing_class(facts, call.scope))]
    seen: set[tuple[str, str]] = set()
    while frontier and len(seen) < 8:
        owner, name = frontier.pop()
        if not name or (owner.path, name) in seen:
            continue
        seen.add((owner.path, name))
        cls = owner.class_by_name.get(name)
        if cls is None:
            found = index.class_for(owner, name)
            if found is None:
                continue
            owner, cls = found
        for seed in seed_calls(owner, index):
            parts = seed.call.scope.split(".")
            if len(parts) >= 2 and parts[0] == cls.name and parts[1] in _SETUP_METHODS:
                return True
        frontier.extend((owner, base.rsplit(".", 1)[-1]) for base in cls.bases)
    return False


def _seeded_by_caller(facts: FileFacts, call: Call, index: ProjectIndex) -> bool:
    """Training inside a function that another project file calls after seeding (`main.py` seeds, `engine.py` trains)."""
    top = call.scope.split(".")[0] if call.scope else ""
    fn = facts.function_by_qualname.get(call.scope) or facts.function_by_qualname.get(top)
    if fn is None:
        return False
    for owner, _site in call_sites(facts, fn, index):
        if owner is not facts and seed_calls(owner, index):
            return True
    return False


def _pipeline_is_random(facts: FileFacts, call: Call) -> bool:
    """A randomized sklearn estimator constructor, alone or inside a Pipeline/make_pipeline."""
    if _randomized_estimator(call):
        return True
    if call.qualname.rsplit(".", 1)[-1] in fw.SKLEARN_PIPELINES:
        return any(
            _randomized_estimator(facts.call_by_id[c])
            for a in call.args
            for c in a.value.calls
            if c in facts.call_by_id
        )
    return False


@rule(
    "SEED001",
    "unseeded-training",
    severity="warning",
    positives=[
        """
import torch
import torch.nn as nn

model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 1))
opt = torch.optim.Adam(model.parameters())
for epoch in range(10):
    loss = model(torch.randn(8, 4)).pow(2).mean()
    opt.zero_grad()
    loss.backward()  # expect: SEED001
    opt.step()
torch.save(model.state_dict(), "model.pt")
""",
        """
from tensorflow import keras

def train(x, y):
    model = keras.Sequential([keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=5, shuffle=True)  # expect: SEED001
    model.save("model.keras")
""",
        """
from sklearn.ensemble import RandomForestClassifier
clf = RandomForestClassifier(n_estimators=100)
clf.fit(X, y)  # expect: SEED001
""",
    ],
    negatives=[
        """
import torch
from utils import set_seed
set_seed(0)
model = torch.nn.Linear(4, 1)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
loss = model(torch.randn(8, 4)).sum()
loss.backward()
opt.step()
""",
        """
from sklearn.linear_model import LinearRegression
from sklearn.ensemble import RandomForestRegressor
LinearRegression().fit(X, y)
rf = RandomForestRegressor(random_state=42)
rf.fit(X, y)
""",
        {
            "utils.py": """
import random
import numpy as np
import torch

def set_seed(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
""",
            "train.py": """
import torch
from utils import set_seed

def main():
    set_seed(42)
    model = torch.nn.Linear(3, 1)
    optimizer = torch.optim.Adam(model.parameters())
    for _ in range(3):
        optimizer.zero_grad()
        model(torch.ones(2, 3)).sum().backward()
        optimizer.step()
""",
        },
        {
            "src/blocks/attention_test.py": """
import numpy as np
from tensorflow import keras
from src import testing

class AttentionTest(testing.TestCase):
    def test_training_reduces_loss(self):
        model = keras.Sequential([keras.layers.Dense(8), keras.layers.Dropout(0.1)])
        model.compile(optimizer="adam", loss="mse")
        history = model.fit(np.random.rand(32, 8), np.random.rand(32, 8), epochs=3)
        self.assertLess(history.history["loss"][-1], history.history["loss"][0])
""",
        },
        {
            "runners.py": """
import torch

class SeededRunner:
    def __init__(self, seed=0):
        torch.manual_seed(seed)
""",
            "classify.py": """
import torch
from runners import SeededRunner

class ClassifierRunner(SeededRunner):
    def run(self, batches):
        net = torch.nn.Sequential(torch.nn.Linear(5, 5), torch.nn.Dropout(0.2))
        opt = torch.optim.Adam(net.parameters())
        for xb in batches:
            opt.zero_grad()
            net(xb).sum().backward()
            opt.step()
""",
        },
        """
from lightning.fabric.plugins.io.checkpoint_io import CheckpointIO

class AsyncCheckpointIO(CheckpointIO):
    def save_checkpoint(self, checkpoint, path):
        self.pending.append((checkpoint, path))

class OffloadStrategy:
    def __init__(self):
        self.checkpoint_io = AsyncCheckpointIO()

    def backward(self, loss, module):
        self.precision.backward(loss, module)

    def optimizer_step(self, optimizer):
        return optimizer.step()
""",
    ],
)
def unseeded_training(facts: FileFacts, index: ProjectIndex) -> Iterator[Finding]:
    """What it does:
    Flags a training run whose result depends on randomness (weight initialisation, shuffling,
    dropout, a randomized estimator) in a file that sets no seed at all: no `random.seed`,
    `np.random.seed`, `torch.manual_seed`, `tf.random.set_seed`, `keras.utils.set_random_seed`,
    `lightning.seed_everything`, `transformers.set_seed`, nor a project helper that calls them.
    A seed set by an inherited `__init__`/`setUp`, or by every caller of the training function,
    counts. Test code is not checked (test modules, pytest `test_*` functions, `TestCase`
    methods): the model a unit test fits never ships. Nor is a library method that only steps
    the loss or optimizer it is given and builds nothing random itself.

    Why is this bad?:
    Every run trains a different model. A regression in accuracy cannot be told apart from
    noise, and the model that was evaluated is not the one a re-run deploys.

    Example:
    ```python
    model = nn.Sequential(nn.Linear(4, 16), nn.Dropout(0.2), nn.Linear(16, 1))
    for xb, yb in loader:
        loss_fn(model(xb), yb).backward()
    ```

    Use instead:
    ```python
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 16), nn.Dropout(0.2), nn.Linear(16, 1))
    ```

    References:
    - https://pytorch.org/docs/stable/notes/randomness.html
    - https://keras.io/examples/keras_recipes/reproducibility_recipes/
    """
    if seed_calls(facts, index):
        return
    trained = _neural_training(facts, index)
    if not trained:
        return
    used = rng_families_used(facts, index)
    step_only = {
        id(c) for c in trained if c.method in ("backward", "step", "apply_gradients", "minimize")
    }
    if not any(
        use.explicit or id(use.call) not in step_only for use in used.values()
    ) and not _shuffled_loader(facts):
        # A wrapper that only calls `loss.backward()` on what it is given (a library's
        # `Precision.backward`) builds and draws nothing random itself: the script that
        # builds the model and the data is where a seed belongs.
        return
    call = trained[0]
    what = ", ".join(_FAMILY_LABEL[f] for f in sorted(used))
    yield Finding(
        call.span,
        f"training depends on randomness but no seed is set ({what}); every run trains a different model",
    )


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
def partially_seeded(facts: FileFacts, index: ProjectIndex) -> Iterator[Finding]:
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
    seeds = seed_calls(facts, index)
    if not seeds or not _trainings(facts, index):
        return
    seeded = frozenset().union(*(s.families for s in seeds))
    used = rng_families_used(facts, index)
    missing = sorted(f for f in used if f not in seeded)
    first = seeds[0]
    if missing:
        done = (
            ", ".join(_FAMILY_LABEL[f] for f in sorted(seeded & set(_FAMILY_LABEL)))
            or "some generators"
        )
        implicit = [f for f in missing if not used[f].explicit]
        if implicit:
            labels = " and ".join(_FAMILY_LABEL[f] for f in implicit)
            related = tuple(
                Related(
                    facts.path,
                    used[f].call.span.line,
                    used[f].call.span.column,
                    f"{_FAMILY_LABEL[f]} randomness used here",
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
                    f"`{call.callee}` draws from the unseeded {_FAMILY_LABEL[family]} generator while the script seeds {done}; runs are still not reproducible",
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
            f"{_FAMILY_LABEL[family]} seed is set after `{model.name}` was built (line {line}); its initial weights are not reproducible",
            (Related(facts.path, line, model.call.span.column, "model built here"),),
        )
        return


_SHUFFLING_SPLITTERS = frozenset({"KFold", "StratifiedKFold", "GroupKFold", "StratifiedGroupKFold"})
_ALWAYS_RANDOM_SPLITTERS = frozenset(
    {
        "ShuffleSplit",
        "StratifiedShuffleSplit",
        "GroupShuffleSplit",
        "RepeatedKFold",
        "RepeatedStratifiedKFold",
    }
)
_PANDAS_SAMPLE_KEYWORDS = ("frac", "n", "replace", "weights", "axis", "ignore_index")


def _split_problem(facts: FileFacts, call: Call, index: ProjectIndex) -> str:
    """'' when the call is a seeded (or non-random) split, else the name of the unseeded split."""
    qual = call.qualname
    leaf = qual.rsplit(".", 1)[-1] if qual else ""
    if any(a.star == "**" for a in call.args):
        return ""
    if qual == "torch.utils.data.random_split":
        return "" if call.has_kwarg("generator") or len(call.args) >= 3 else "random_split"
    if qual.startswith(("sklearn.model_selection.", "sklearn.cross_validation.")):
        if leaf == "train_test_split":
            if call.kwarg_const("shuffle", True) is False and call.has_kwarg("shuffle"):
                return ""
        elif leaf in _SHUFFLING_SPLITTERS:
            shuffle = call.arg(keyword="shuffle")
            positional = [a for a in call.args if a.keyword is None]
            if shuffle is None and len(positional) >= 2:
                shuffle = positional[1]
            if shuffle is None or shuffle.value.const is not True:
                return ""
        elif leaf not in _ALWAYS_RANDOM_SPLITTERS:
            return ""
        state = call.arg(keyword="random_state")
        if state is None and leaf in _SHUFFLING_SPLITTERS:
            positional = [a for a in call.args if a.keyword is None]
            state = positional[2] if len(positional) >= 3 else None
        if state is None or (state.value.kind == "const" and state.value.const is None):
            return leaf
        return ""
    if call.method == "sample" and not qual and call.receiver != "random":
        if call.has_kwarg("random_state"):
            state = call.arg(keyword="random_state")
            return (
                "sample"
                if state is not None and state.value.kind == "const" and state.value.const is None
                else ""
            )
        positional = [a for a in call.args if a.keyword is None]
        if len(positional) >= 6:
            return ""
        if any(call.has_kwarg(k) for k in _PANDAS_SAMPLE_KEYWORDS) or _is_dataframe(
            facts, call, index
        ):
            return "sample"
    return ""


def _is_dataframe(facts: FileFacts, call: Call, index: ProjectIndex) -> bool:
    """Whether a method's receiver comes from pandas (read_csv, DataFrame, or a method chain on one)."""
    probe: Call | None = call
    for _ in range(8):
        if probe is None:
            return False
        if probe.receiver_call >= 0:
            probe = facts.call_by_id.get(probe.receiver_call)
            if probe is not None and probe.qualname.startswith("pandas."):
                return True
            continue
        if not probe.receiver:
            return False
        root = probe.receiver.split(".")[0].split("[")[0]
        assign = facts.reaching_assign(root, probe.scope, probe.stmt)
        if assign is None or assign.op != "=" or len(assign.targets) != 1:
            return False
        value = assign.value
        if value.kind == "subscript" and value.operands and value.operands[0].name:
            assign = facts.reaching_assign(value.operands[0].name, assign.scope, assign.stmt)
            if assign is None or assign.value.kind != "call":
                return False
            value = assign.value
        if value.kind != "call":
            return False
        probe = facts.call_by_id.get(value.call)
        if probe is not None and probe.qualname.startswith("pandas."):
            return True
    return False


@rule(
    "SEED003",
    "unseeded-split",
    severity="warning",
    fixable=True,
    positives=[
        """
from sklearn.model_selection import train_test_split, KFold
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2)  # expect: SEED003
folds = KFold(n_splits=5, shuffle=True)  # expect: SEED003
""",
        """
import pandas as pd
import torch
from torch.utils.data import random_split
df = pd.read_csv("data.csv")
test = df.sample(frac=0.2)  # expect: SEED003
train_ds, val_ds = random_split(dataset, [800, 200])  # expect: SEED003
""",
    ],
    negatives=[
        """
from sklearn.model_selection import train_test_split, KFold, StratifiedShuffleSplit
SEED = 7
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=SEED)
folds = KFold(n_splits=5)
sss = StratifiedShuffleSplit(n_splits=3, random_state=0)
ordered = train_test_split(X, y, shuffle=False)
""",
        """
import random
import torch
from torch.utils.data import random_split
picked = random.sample(items, 3)
train_ds, val_ds = random_split(dataset, [0.8, 0.2], generator=torch.Generator().manual_seed(0))
""",
    ],
)
def unseeded_split(facts: FileFacts, index: ProjectIndex) -> Iterator[Finding]:
    """What it does:
    Flags data splits drawn without a seed: `train_test_split`, `KFold(shuffle=True)`,
    `ShuffleSplit`, `StratifiedShuffleSplit`, `torch.utils.data.random_split`, `df.sample` without
    `random_state` (or `generator=`). `random_state=None` written out is still unseeded.

    Why is this bad?:
    The test set changes on every run: scores move for no reason, and once a run has seen
    another run's test rows (a saved model, a tuned threshold) the evaluation leaks.

    Example:
    ```python
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2)
    ```

    Use instead:
    ```python
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0)
    ```

    References:
    - https://scikit-learn.org/stable/common_pitfalls.html#controlling-randomness
    """
    for call in facts.calls:
        what = _split_problem(facts, call, index)
        if not what:
            continue
        explicit_none = call.has_kwarg("random_state")
        fix = None if explicit_none else _seed_fix(facts, call, what)
        hint = (
            "`generator=torch.Generator().manual_seed(0)`"
            if what == "random_split"
            else "`random_state=`"
        )
        message = f"`{call.callee or what}` splits randomly without a seed; the test set changes on every run (pass {hint})"
        yield Finding(call.span, message, fix=fix)


def _seed_fix(facts: FileFacts, call: Call, what: str) -> Fix | None:
    span = call.span
    if span.line != span.end_line:
        return None  # a trailing comma may sit before the parenthesis
    if what == "random_split":
        torch_name = next((local for local, qual in facts.imports.items() if qual == "torch"), "")
        if not torch_name:
            return None
        keyword = f"generator={torch_name}.Generator().manual_seed(0)"
    else:
        keyword = "random_state=0"
    text = f", {keyword}" if call.args else keyword
    edit = Edit(span.end_line, span.end_column - 1, span.end_line, span.end_column - 1, text)
    return Fix(f"Pass `{keyword}` (changes which rows land in each split)", (edit,), unsafe=True)


def _on_seeded_path(seeds: list[SeedCall], scope: str) -> bool:
    """Whether code in `scope` runs with the file's seeds: either side at module level, or
    both in the same top-level function or class. A library's `disable_determinism()` helper
    is not made suspect by an unrelated `manual_seed` wrapper elsewhere in the module."""
    if not scope:
        return True
    top = scope.split(".")[0]
    return any(not s.call.scope or s.call.scope.split(".")[0] == top for s in seeds)


_NONDETERMINISTIC_ENV = {
    "TF_DETERMINISTIC_OPS": ("0", "false", "False"),
    "TF_CUDNN_DETERMINISTIC": ("0", "false", "False"),
}


@rule(
    "SEED004",
    "nondeterministic-kernels",
    severity="info",
    positives=[
        """
import torch
torch.manual_seed(0)
torch.backends.cudnn.benchmark = True  # expect: SEED004
""",
        """
import os
import tensorflow as tf
tf.random.set_seed(1)
os.environ["TF_DETERMINISTIC_OPS"] = "0"  # expect: SEED004
""",
    ],
    negatives=[
        """
import torch
torch.backends.cudnn.benchmark = True
""",
        """
import torch
torch.manual_seed(0)
torch.backends.cudnn.benchmark = False
torch.use_deterministic_algorithms(True)
""",
        """
import torch

def seed_generator(seed):
    return torch.manual_seed(seed)

def restore_default_kernels():
    torch.use_deterministic_algorithms(False)
    torch.backends.cudnn.benchmark = True
""",
    ],
)
def nondeterministic_kernels(facts: FileFacts, index: ProjectIndex) -> Iterator[Finding]:
    """What it does:
    Flags a script that sets seeds (so it wants reproducible runs) but turns nondeterministic
    kernels on: `torch.backends.cudnn.benchmark = True`, `torch.backends.cudnn.deterministic = False`,
    `torch.use_deterministic_algorithms(False)`, `TF_DETERMINISTIC_OPS=0`. A seeded script that
    merely never asks for determinism is not flagged, and neither is a setting in a function
    unrelated to the seeds (a library's `disable_determinism()` next to a seeding helper): the
    seed and the setting must share a top-level function or class, or one of them must sit at
    module level.

    Why is this bad?:
    cuDNN autotuning and atomic-add kernels give different results from run to run, so the
    seeds do not make the run reproducible, which is what they were written for.

    Example:
    ```python
    torch.manual_seed(0)
    torch.backends.cudnn.benchmark = True
    ```

    Use instead:
    ```python
    torch.manual_seed(0)
    torch.backends.cudnn.benchmark = False
    torch.use_deterministic_algorithms(True)
    ```

    References:
    - https://pytorch.org/docs/stable/notes/randomness.html
    """
    seeds = seed_calls(facts, index)
    if not seeds:
        return
    for assign in facts.assigns:
        if assign.op != "=" or not _on_seeded_path(seeds, assign.scope):
            continue
        for target in assign.targets:
            qual = facts.resolve(target) if not target.endswith("[]") else ""
            const = assign.value.const
            if qual == "torch.backends.cudnn.benchmark" and const is True:
                yield Finding(
                    assign.span,
                    "`cudnn.benchmark = True` picks kernels by timing; results change between runs despite the seeds",
                )
            elif qual == "torch.backends.cudnn.deterministic" and const is False:
                yield Finding(
                    assign.span,
                    "`cudnn.deterministic = False` allows nondeterministic kernels despite the seeds",
                )
            elif target == "os.environ[]" and facts.imports.get("os") == "os":
                for key in assign.keys:
                    if (
                        isinstance(key, str)
                        and key in _NONDETERMINISTIC_ENV
                        and const in _NONDETERMINISTIC_ENV[key]
                    ):
                        yield Finding(
                            assign.span,
                            f"`{key}={const}` turns deterministic TensorFlow ops off despite the seeds",
                        )
    for call in facts.calls:
        if not _on_seeded_path(seeds, call.scope):
            continue
        if call.qualname == "torch.use_deterministic_algorithms":
            arg = call.arg(0, "mode")
            if arg is not None and arg.value.const is False:
                yield Finding(
                    call.span,
                    "`torch.use_deterministic_algorithms(False)` allows nondeterministic kernels despite the seeds",
                )
        elif call.qualname in ("os.environ.setdefault", "os.putenv") or (
            call.callee == "os.environ.update"
        ):
            name_arg = call.arg(0)
            val = call.arg(1)
            env = name_arg.value.const if name_arg is not None else None
            if (
                isinstance(env, str)
                and val is not None
                and env in _NONDETERMINISTIC_ENV
                and val.value.const in _NONDETERMINISTIC_ENV[env]
            ):
                yield Finding(
                    call.span,
                    f"`{env}={val.value.const}` turns deterministic TensorFlow ops off despite the seeds",
                )
