"""SEED001 (unseeded-training): Flags a training run whose result depends on randomness (weight initialisation, shuffling, dropout, a randomized estimator) in a file that sets no seed at all: no `random.seed`, `np.random.seed`, `torch.manual_seed`, `tf.random.set_seed`, `keras.utils.set_random_seed`, `lightning.seed_everything`, `transformers.set_seed`, nor a project helper that calls them."""

from __future__ import annotations

from collections.abc import Iterator

from preplint.analysis.calls import call_sites
from preplint.analysis.context import FileContext
from preplint.analysis.objects import bindings, classify_call
from preplint.analysis.randomness import (
    FAMILY_LABEL,
    built_models,
    profiling_script,
    randomized_estimator,
    reproducibility_intent,
    rng_families_used,
    seed_calls,
    trainings,
)
from preplint.analysis.scopes import enclosing_class
from preplint.diagnostics import Related, Severity
from preplint.facts import frameworks as fw
from preplint.facts.model import Call, FileFacts
from preplint.facts.project import ProjectIndex
from preplint.rules import Finding, rule


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
    for call in trainings(facts, index):
        if call.scope.rsplit(".", 1)[-1] in _FRAMEWORK_HOOKS:
            continue  # a Keras `train_step` / Lightning `training_step` override runs inside someone's fit
        if call.method in ("backward", "step", "apply_gradients", "minimize"):
            out.append(call)
        elif call.method in ("fit", "fit_generator", "train_on_batch", "partial_fit", "train"):
            root = call.receiver.split(".")[0] if call.receiver else ""
            random_fit = (
                call.receiver in keras_or_torch
                or root in keras_or_torch
                or (call.receiver in random_estimators and _bound_to_random(facts, call))
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


def _bound_to_random(facts: FileFacts, call: Call) -> bool:
    """The name a `fit` is called on holds a randomized estimator at that point, not only
    somewhere else in the file (`model = LinearRegression()` after `model = KMeans()`)."""
    assign = facts.reaching_assign(call.receiver, call.scope, call.stmt)
    if assign is None or assign.value.kind != "call":
        return True
    maker = facts.call_by_id.get(assign.value.call)
    return maker is None or not maker.qualname or _pipeline_is_random(facts, maker)


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
            if len(parts) >= 2 and parts[0] == cls.name and parts[1] in fw.SEED_SETUP_METHODS:
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
    if randomized_estimator(call):
        return True
    if call.qualname.rsplit(".", 1)[-1] in fw.SKLEARN_PIPELINES:
        return any(
            randomized_estimator(facts.call_by_id[c])
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
import argparse
import torch
import torch.nn as nn

parser = argparse.ArgumentParser()
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()
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
from sklearn.model_selection import train_test_split
from tensorflow import keras

def train(x, y):
    x, x_test, y, y_test = train_test_split(x, y, random_state=0)
    model = keras.Sequential([keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=5, shuffle=True)  # expect: SEED001
    model.save("model.keras")
""",
        """
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
X, y = make_classification(n_samples=500, random_state=101)
clf = RandomForestClassifier(n_estimators=100)
clf.fit(X, y)  # expect: SEED001
""",
        # keras_unseeded_in_main
        """
import numpy as np
import tensorflow as tf

def main():
    x = np.load("x.npy")
    x = x[np.random.default_rng(seed=7).permutation(len(x))]
    model = tf.keras.Sequential([tf.keras.layers.Dense(16), tf.keras.layers.Dropout(0.2), tf.keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, x[:, :1], epochs=3)  # expect: SEED001
    model.save("m.keras")

if __name__ == "__main__":
    main()
""",
        # random_forest_in_pipeline
        """
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split
import joblib
X, X_test, y, y_test = train_test_split(X, y, stratify=y, random_state=3)
pipe = make_pipeline(StandardScaler(), RandomForestClassifier())
pipe.fit(X, y)  # expect: SEED001
joblib.dump(pipe, "pipe.joblib")
""",
        # random_state_none_is_unseeded
        """
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.model_selection import KFold
folds = KFold(5, shuffle=True, random_state=1)
gbr = GradientBoostingRegressor(random_state=None)
gbr.fit(X, y)  # expect: SEED001
""",
        # train_test_script_is_still_a_training_script
        {
            "train_test.py": """
import torch
from torch.utils.data import DataLoader

def test_model(model, loader):
    model.eval()
    with torch.no_grad():
        return sum((model(x).argmax(1) == y).sum().item() for x, y in loader)

def main():
    torch.use_deterministic_algorithms(True)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Dropout(0.3), torch.nn.Linear(8, 2))
    opt = torch.optim.Adam(model.parameters())
    loader = DataLoader(dataset, batch_size=8, shuffle=True)
    for x, y in loader:
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()  # expect: SEED001
        opt.step()
    print(test_model(model, loader))
""",
        },
        # class_with_a_test_epoch_method_still_trains
        """
import torch

class Experiment:
    def __init__(self):
        self.split = train_test_split(rows, random_state=11)
        self.model = torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.Dropout(0.5))
        self.opt = torch.optim.SGD(self.model.parameters(), lr=0.01)

    def train_epoch(self, batches):
        for x in batches:
            self.opt.zero_grad()
            self.model(x).sum().backward()  # expect: SEED001
            self.opt.step()

    def test_epoch(self, batches):
        return [self.model(x) for x in batches]
""",
        # base_class_that_seeds_nothing_still_reports
        {
            "engine/base.py": """
class Job:
    def __init__(self, name):
        self.name = name
""",
            "engine/finetune.py": """
import torch
from engine.base import Job

class FinetuneJob(Job):
    def run(self, batches):
        batches = batches.shuffle(seed=5)
        head = torch.nn.Sequential(torch.nn.Linear(16, 4), torch.nn.Dropout(0.1))
        opt = torch.optim.AdamW(head.parameters())
        for xb in batches:
            opt.zero_grad()
            head(xb).sum().backward()  # expect: SEED001
            opt.step()
""",
        },
        # lightning_module_subclass_is_still_a_model
        """
import torch
from lightning.pytorch.core import LightningModule

class Regressor(LightningModule):
    def __init__(self):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.Dropout(0.2), torch.nn.Linear(4, 1))

reg = Regressor()
opt = torch.optim.Adam(reg.parameters())
for batch in train_test_split(rows, random_state=4)[0]:
    reg.net(batch).sum().backward()  # expect: SEED001
    opt.step()
""",
        # reused_name_points_at_the_random_estimator_fitted
        """
from sklearn.cluster import KMeans
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import train_test_split
parts = train_test_split(X, random_state=0)
model = LinearRegression()
model.fit(X, y)
model = KMeans(3)
model.fit(X)  # expect: SEED001
""",
    ],
    negatives=[
        # autograd_demo_then_a_saved_pretrained_model
        """
import torch
import torchvision
x = torch.tensor(1.0, requires_grad=True)
y = 2 * x + 3
y.backward()
print(x.grad)
resnet = torchvision.models.resnet18(weights="DEFAULT")
torch.save(resnet.state_dict(), "params.ckpt")
""",
        # distributed_api_demo_checkpoint
        {
            "distributed/ddp/train.py": """
import torch
model = torch.nn.Linear(20, 1)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for xb, yb in [(torch.rand(8, 20), torch.rand(8, 1))] * 10:
    torch.nn.functional.mse_loss(model(xb), yb).backward()
    opt.step()
torch.save(model.state_dict(), "checkpoint.pt")
""",
        },
        # library_loop_given_its_model_and_loader
        """
import torch
from torch.utils.data import DataLoader

def train(model, dataset, epochs=3):
    loader = DataLoader(dataset, batch_size=32, shuffle=True)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(epochs):
        for x, y in loader:
            opt.zero_grad()
            torch.nn.functional.mse_loss(model(x), y).backward()
            opt.step()
""",
        # main_guard_smoke_test_runs_one_backward
        """
import torch

class Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(8, 8)

    def forward(self, x):
        return torch.relu(self.fc(x))

if __name__ == "__main__":
    block = Block()
    block(torch.randn(2, 8)).sum().backward()
    print(block.fc.weight.grad.shape)
""",
        # memory_profiler_demo
        """
from scalene import scalene_profiler
from sklearn.datasets import make_regression
from sklearn.neural_network import MLPRegressor
X, y = make_regression(n_samples=2000, random_state=0)
scalene_profiler.start()
mlp = MLPRegressor(max_iter=50)
mlp.fit(X, y)
scalene_profiler.stop()
""",
        # teaching_notebook_without_any_wish_for_repeatable_runs
        """
import torch
model = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Dropout(0.1), torch.nn.Linear(8, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for epoch in range(100):
    opt.zero_grad()
    model(X).sub(y).pow(2).mean().backward()
    opt.step()
""",
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
        # library_wrapper_only_steps_what_it_is_given
        """
import torch

class Precision:
    def backward(self, tensor: torch.Tensor, model: torch.nn.Module) -> None:
        tensor.backward()

    def optimizer_step(self, optimizer: torch.optim.Optimizer) -> None:
        optimizer.step()
""",
        # keras_seeded_with_set_random_seed
        """
import tensorflow as tf
from tensorflow import keras
keras.utils.set_random_seed(3)
model = keras.Sequential([keras.layers.Dense(1)])
model.compile(loss="mse")
model.fit(X, y, epochs=2)
""",
        # torch_seeded_by_lightning
        """
import lightning as L
import torch
L.seed_everything(7)
net = torch.nn.Linear(2, 1)
opt = torch.optim.SGD(net.parameters(), lr=0.1)
net(torch.ones(1, 2)).sum().backward()
opt.step()
""",
        # transformers_set_seed
        """
import torch
from transformers import set_seed
set_seed(0)
model = torch.nn.Linear(2, 2)
optimizer = torch.optim.AdamW(model.parameters())
model(torch.zeros(1, 2)).sum().backward()
optimizer.step()
""",
        # deterministic_sklearn_is_quiet
        """
from sklearn.linear_model import LogisticRegression
from sklearn.svm import SVC
LogisticRegression(max_iter=500).fit(X, y)
svc = SVC(C=1.0)
svc.fit(X, y)
""",
        # inference_only_is_quiet
        """
import torch
model = torch.jit.load("model.pt")
model.eval()
with torch.no_grad():
    print(model(torch.ones(1, 3)))
""",
        # rng_generator_is_local_and_seeded
        """
import numpy as np
import torch
torch.manual_seed(0)
rng = np.random.default_rng(0)
idx = rng.permutation(100)
net = torch.nn.Linear(1, 1)
opt = torch.optim.SGD(net.parameters(), lr=0.1)
net(torch.ones(1, 1)).sum().backward()
opt.step()
""",
        # trainer_module_called_from_seeded_main
        {
            "engine.py": """
import torch

def train(model, loader, epochs):
    opt = torch.optim.Adam(model.parameters())
    for _ in range(epochs):
        for xb, yb in loader:
            opt.zero_grad()
            torch.nn.functional.mse_loss(model(xb), yb).backward()
            opt.step()
""",
            "main.py": """
import torch
from engine import train
torch.manual_seed(0)
model = torch.nn.Linear(3, 1)
train(model, [], 3)
""",
        },
        # sample_on_non_dataframe_is_quiet
        """
import torch
dist = torch.distributions.Normal(0.0, 1.0)
z = dist.sample((10,))
""",
        # benchmark_without_seed_is_quiet
        """
import torch
torch.backends.cudnn.benchmark = True
torch.use_deterministic_algorithms(False)
""",
        # unittest_method_fitting_random_data_is_quiet
        {
            "pkg/layers/pooling_test.py": """
import numpy as np
from pkg import testing
from pkg.layers import Pooling
from tensorflow import keras

class PoolingTest(testing.TestCase):
    def test_fit_keeps_output_shape(self):
        model = keras.Sequential([keras.layers.Dense(4), Pooling()])
        model.compile(optimizer="adam", loss="mse")
        x = np.random.rand(16, 8)
        history = model.fit(x, np.random.rand(16, 4), epochs=2, verbose=0)
        self.assertLen(history.history["loss"], 2)
""",
        },
        # numpy_seeded_test_data_in_keras_test_is_quiet
        {
            "pkg/callbacks/logger_test.py": """
import numpy as np
import pytest
from tensorflow import keras

class LoggerTest:
    def test_logs_every_epoch(self, tmp_path):
        np.random.seed(1)
        x = np.random.random((8, 3))
        model = keras.Sequential([keras.layers.Dense(1)])
        model.compile(loss="mse")
        model.fit(x, x[:, :1], epochs=3, callbacks=[keras.callbacks.CSVLogger(tmp_path / "l.csv")])
""",
        },
        # pytest_module_helper_and_late_seed_are_quiet
        {
            "tests/test_blocks.py": """
import torch

def _grad_flows(block):
    out = block(torch.randn(2, 8)).sum()
    out.backward()
    return all(p.grad is not None for p in block.parameters())

def test_block_grads():
    assert _grad_flows(torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.Dropout(0.1)))

def test_reference_output():
    net = torch.nn.Linear(8, 2)
    torch.manual_seed(0)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    net(torch.ones(1, 8)).sum().backward()
    opt.step()
""",
        },
        # launched_test_script_in_test_utils_is_quiet
        {
            "mylib/test_utils/scripts/test_sharded_save.py": """
import torch

def short_training(model):
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(3):
        opt.zero_grad()
        model(torch.randn(4, 2)).sum().backward()
        opt.step()
    return model

if __name__ == "__main__":
    model = short_training(torch.nn.Linear(2, 2))
    torch.save(model.state_dict(), "tmp.pt")
    assert torch.load("tmp.pt").keys() == model.state_dict().keys()
""",
        },
        # testcase_base_helper_outside_a_test_file_is_quiet
        {
            "mylib/testing/base.py": """
import unittest
from tensorflow import keras

class LayerTestCase(unittest.TestCase):
    pass

class ModelTestCase(LayerTestCase):
    def check_trainable(self, layer, x, y):
        model = keras.Sequential([layer])
        model.compile(optimizer="sgd", loss="mse")
        model.fit(x, y, epochs=1, verbose=0)
""",
        },
        # base_class_init_in_another_file_seeds
        {
            "engine/base.py": """
import random
import numpy as np
import torch

class ReproducibleJob:
    def __init__(self, seed=1234):
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)
""",
            "engine/finetune.py": """
import torch
from engine.base import ReproducibleJob

class FinetuneJob(ReproducibleJob):
    def run(self, batches):
        head = torch.nn.Sequential(torch.nn.Linear(16, 4), torch.nn.Dropout(0.1))
        opt = torch.optim.AdamW(head.parameters())
        for xb in batches:
            opt.zero_grad()
            head(xb).sum().backward()
            opt.step()
""",
        },
        # lightning_strategy_plugins_are_not_models
        """
import torch
from lightning.fabric.plugins.io.checkpoint_io import CheckpointIO
from lightning.fabric.strategies.strategy import _BackwardSyncControl

class _ShardedSyncControl(_BackwardSyncControl):
    def no_backward_sync(self, module, enabled):
        return module.no_sync()

class ShardedStrategy:
    def __init__(self):
        self._sync = _ShardedSyncControl()
        self._io = CheckpointIO()

    def backward(self, tensor, module):
        self.precision.backward(tensor, module)

    def optimizer_step(self, optimizer, **kwargs):
        return optimizer.step(**kwargs)
""",
        # determinism_toggles_beside_an_unrelated_seed_helper_are_quiet
        """
import os
import torch

def device_seed(seed):
    torch.manual_seed(seed)

def enable_determinism():
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.benchmark = False

def disable_determinism():
    os.environ["CUBLAS_WORKSPACE_CONFIG"] = ""
    torch.use_deterministic_algorithms(False)
    torch.backends.cudnn.benchmark = True
""",
    ],
)
def unseeded_training(ctx: FileContext) -> Iterator[Finding]:
    """What it does:
    Flags a training run whose result depends on randomness (weight initialisation, shuffling,
    dropout, a randomized estimator) in a file that sets no seed at all: no `random.seed`,
    `np.random.seed`, `torch.manual_seed`, `tf.random.set_seed`, `keras.utils.set_random_seed`,
    `lightning.seed_everything`, `transformers.set_seed`, nor a project helper that calls them.
    A seed set by an inherited `__init__`/`setUp`, or by every caller of the training function,
    counts. Test code is not checked (test modules, pytest `test_*` functions, `TestCase`
    methods): the model a unit test fits never ships. Nor is a library method that only steps
    the loss or optimizer it is given and builds nothing random itself, a training function of
    an importable module that receives its model or optimizer as a parameter (its caller owns
    the seed), or a profiling / FLOP-counting script. Reported by default only when the file
    shows it wants repeatable runs (a `random_state=`/`seed=` argument with a value, a `--seed`
    option, `torch.use_deterministic_algorithms(True)`) or saves the model it trains (not in a
    `distributed/` folder of API demos, which train on generated tensors).

    Preview:
    Files that show no wish for repeatable runs (teaching notebooks, demos, benchmarks), at
    info severity; a single module-level `.backward()` (a smoke test) is never reported. Read by
    hand on public code these were almost all deliberately unseeded teaching code. To leave
    preview this part needs a better sign that identical runs matter (reported scores compared
    across runs, a model that is served).

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
    facts, index = ctx.facts, ctx.index
    if ctx.seed_calls:
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
    if profiling_script(facts):
        return  # a profiler or FLOP-counter demo measures the run, not the model it trains
    # One backward or step at module level, outside any loop, is a smoke test or an autograd
    # demo, not a training run.
    trained = [
        c
        for c in trained
        if not _given_model_in_library(facts, c)
        and not (c.method in ("backward", "step") and not c.scope and not c.loops)
    ]
    if not trained:
        return
    call = trained[0]
    what = ", ".join(FAMILY_LABEL[f] for f in sorted(used))
    intent = reproducibility_intent(facts)
    if intent is not None:
        yield Finding(
            call.span,
            f"training depends on randomness but no seed is set ({what}), though the file asks "
            f"for repeatable results elsewhere (`{intent.callee or intent.method}`); every run "
            "trains a different model",
            (
                Related(
                    facts.path,
                    intent.span.line,
                    intent.span.column,
                    "repeatable results asked for here",
                ),
            ),
        )
        return
    saved = _model_save(ctx)
    if saved is not None and not _distributed_demo(facts):
        yield Finding(
            call.span,
            f"training depends on randomness but no seed is set ({what}); every run trains a "
            f"different model, and the one saved by `{saved.callee or saved.method}` cannot be rebuilt",
            (Related(facts.path, saved.span.line, saved.span.column, "model saved here"),),
        )
        return
    # No sign that the file wants repeatable runs (teaching code, a demo, a benchmark):
    # preview until intent is read.
    yield Finding(
        call.span,
        f"training depends on randomness but no seed is set ({what}); every run trains a different model",
        severity=Severity.INFO,
        preview=True,
    )


_SAVE_METHODS = frozenset({"save_checkpoint", "save_pretrained", "save_model"})


def _model_save(ctx: FileContext) -> Call | None:
    """The first save of a trained artifact in the file (a model, its weights, a checkpoint):
    what a re-run is expected to reproduce. Data arrays saved with NumPy do not count."""
    facts = ctx.facts
    for event in ctx.artifact_events:
        if event.action == "save" and event.file == facts.path and event.api != "numpy-save":
            found = facts.call_by_id.get(event.call)
            if found is not None:
                return found
    return next((c for c in facts.calls if c.method in _SAVE_METHODS), None)


def _distributed_demo(facts: FileFacts) -> bool:
    """A file under a `distributed/` folder: examples of a parallelism API, whose checkpoints
    (trained on generated tensors on public code) are not a result anyone re-runs."""
    return "distributed" in facts.path.replace("\\", "/").lower().split("/")[:-1]


def _given_model_in_library(facts: FileFacts, call: Call) -> bool:
    """Training inside a function that receives its model (or optimizer) as a parameter, in an
    importable module with no training of its own at top level: the caller owns the seed."""
    fn = facts.function_by_qualname.get(call.scope)
    if fn is None or facts.main_guard:
        return False
    given = {"model", "net", "network", "optimizer", "opt", "module"}
    return bool(given & set(fn.params))
