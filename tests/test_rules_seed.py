"""SEED001-SEED004 on varied realistic snippets: each case lists where each code must fire (and nowhere else)."""

from __future__ import annotations

import pytest

from tests.helpers import as_project, expected_lines, lint

CODES = ("SEED001", "SEED002", "SEED003", "SEED004")

CASES: dict[str, str | dict[str, str]] = {
    "library_wrapper_only_steps_what_it_is_given": """
import torch

class Precision:
    def backward(self, tensor: torch.Tensor, model: torch.nn.Module) -> None:
        tensor.backward()

    def optimizer_step(self, optimizer: torch.optim.Optimizer) -> None:
        optimizer.step()
""",
    "loop_over_shuffled_loader_of_a_given_model": """
import torch
from torch.utils.data import DataLoader

def train(model, dataset, epochs=3):
    loader = DataLoader(dataset, batch_size=32, shuffle=True)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(epochs):
        for x, y in loader:
            opt.zero_grad()
            torch.nn.functional.mse_loss(model(x), y).backward()  # expect: SEED001
            opt.step()
""",
    "keras_unseeded_in_main": """
import numpy as np
import tensorflow as tf

def main():
    x = np.load("x.npy")
    model = tf.keras.Sequential([tf.keras.layers.Dense(16), tf.keras.layers.Dropout(0.2), tf.keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, x[:, :1], epochs=3)  # expect: SEED001
    model.save("m.keras")

if __name__ == "__main__":
    main()
""",
    "keras_seeded_with_set_random_seed": """
import tensorflow as tf
from tensorflow import keras
keras.utils.set_random_seed(3)
model = keras.Sequential([keras.layers.Dense(1)])
model.compile(loss="mse")
model.fit(X, y, epochs=2)
""",
    "torch_seeded_by_lightning": """
import lightning as L
import torch
L.seed_everything(7)
net = torch.nn.Linear(2, 1)
opt = torch.optim.SGD(net.parameters(), lr=0.1)
net(torch.ones(1, 2)).sum().backward()
opt.step()
""",
    "transformers_set_seed": """
import torch
from transformers import set_seed
set_seed(0)
model = torch.nn.Linear(2, 2)
optimizer = torch.optim.AdamW(model.parameters())
model(torch.zeros(1, 2)).sum().backward()
optimizer.step()
""",
    "deterministic_sklearn_is_quiet": """
from sklearn.linear_model import LogisticRegression
from sklearn.svm import SVC
LogisticRegression(max_iter=500).fit(X, y)
svc = SVC(C=1.0)
svc.fit(X, y)
""",
    "random_forest_in_pipeline": """
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.ensemble import RandomForestClassifier
import joblib
pipe = make_pipeline(StandardScaler(), RandomForestClassifier())
pipe.fit(X, y)  # expect: SEED001
joblib.dump(pipe, "pipe.joblib")
""",
    "random_state_none_is_unseeded": """
from sklearn.ensemble import GradientBoostingRegressor
gbr = GradientBoostingRegressor(random_state=None)
gbr.fit(X, y)  # expect: SEED001
""",
    "inference_only_is_quiet": """
import torch
model = torch.jit.load("model.pt")
model.eval()
with torch.no_grad():
    print(model(torch.ones(1, 3)))
""",
    "numpy_seeded_torch_not": """
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
    "python_random_draw_unseeded": """
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
    "seed_after_model_built": """
import tensorflow as tf
model = tf.keras.Sequential([tf.keras.layers.Dense(4), tf.keras.layers.Dense(1)])
tf.random.set_seed(5)  # expect: SEED002
model.compile(loss="mse")
model.fit(X, y, epochs=1)
""",
    "rng_generator_is_local_and_seeded": """
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
    "helper_seeds_only_numpy": {
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
    "trainer_module_called_from_seeded_main": {
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
    "splits": """
import pandas as pd
from sklearn.model_selection import train_test_split, ShuffleSplit, StratifiedKFold, RepeatedKFold, GroupKFold
from sklearn import model_selection as ms

SEED = 1
df = pd.read_csv("d.csv")
a = train_test_split(df, test_size=0.1, random_state=None)  # expect: SEED003
b = ms.train_test_split(df, test_size=0.1)  # expect: SEED003
c = ShuffleSplit(n_splits=3)  # expect: SEED003
d = StratifiedKFold(5, shuffle=True)  # expect: SEED003
e = StratifiedKFold(5, shuffle=True, random_state=SEED)
f = RepeatedKFold(n_splits=5)  # expect: SEED003
g = GroupKFold(n_splits=5)
h = df.dropna().sample(frac=1.0)  # expect: SEED003
i = df.sample(n=100, random_state=SEED)
shuffled = df.sample(frac=1).reset_index(drop=True)  # expect: SEED003
""",
    "sample_on_non_dataframe_is_quiet": """
import torch
dist = torch.distributions.Normal(0.0, 1.0)
z = dist.sample((10,))
""",
    "nondeterministic_kernels": """
import torch
from torch.backends import cudnn
import os

def setup(seed):
    torch.manual_seed(seed)
    cudnn.benchmark = True  # expect: SEED004
    torch.backends.cudnn.deterministic = False  # expect: SEED004
    torch.use_deterministic_algorithms(False)  # expect: SEED004
""",
    "benchmark_without_seed_is_quiet": """
import torch
torch.backends.cudnn.benchmark = True
torch.use_deterministic_algorithms(False)
""",
    "tf_env_determinism_off": """
import os
import tensorflow as tf
os.environ["TF_DETERMINISTIC_OPS"] = "1"
tf.keras.utils.set_random_seed(0)
os.environ.setdefault("TF_CUDNN_DETERMINISTIC", "0")  # expect: SEED004
""",
    # --- test code trains models that never ship: no SEED001/SEED002 there ---
    "unittest_method_fitting_random_data_is_quiet": {
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
    "numpy_seeded_test_data_in_keras_test_is_quiet": {
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
    "pytest_module_helper_and_late_seed_are_quiet": {
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
    "launched_test_script_in_test_utils_is_quiet": {
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
    "testcase_base_helper_outside_a_test_file_is_quiet": {
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
    "train_test_script_is_still_a_training_script": {
        "train_test.py": """
import torch
from torch.utils.data import DataLoader

def test_model(model, loader):
    model.eval()
    with torch.no_grad():
        return sum((model(x).argmax(1) == y).sum().item() for x, y in loader)

def main():
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
    "class_with_a_test_epoch_method_still_trains": """
import torch

class Experiment:
    def __init__(self):
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
    # --- seeding done by an inherited set-up method counts ---
    "base_class_init_in_another_file_seeds": {
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
    "base_class_that_seeds_nothing_still_reports": {
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
        head = torch.nn.Sequential(torch.nn.Linear(16, 4), torch.nn.Dropout(0.1))
        opt = torch.optim.AdamW(head.parameters())
        for xb in batches:
            opt.zero_grad()
            head(xb).sum().backward()  # expect: SEED001
            opt.step()
""",
    },
    # --- library code that only steps what it is given ---
    "lightning_strategy_plugins_are_not_models": """
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
    "lightning_module_subclass_is_still_a_model": """
import torch
from lightning.pytorch.core import LightningModule

class Regressor(LightningModule):
    def __init__(self):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.Dropout(0.2), torch.nn.Linear(4, 1))

reg = Regressor()
opt = torch.optim.Adam(reg.parameters())
reg.net(torch.ones(3, 2)).sum().backward()  # expect: SEED001
opt.step()
""",
    # --- SEED004 needs the seed and the setting on one path ---
    "determinism_toggles_beside_an_unrelated_seed_helper_are_quiet": """
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
    "seed_in_init_and_benchmark_in_setup_of_one_class": """
import torch

class Runner:
    def __init__(self, seed):
        torch.manual_seed(seed)

    def setup(self):
        torch.backends.cudnn.benchmark = True  # expect: SEED004
""",
    "module_level_benchmark_with_seed_in_main": """
import torch
torch.backends.cudnn.benchmark = True  # expect: SEED004

def main():
    torch.manual_seed(0)
""",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_seed_case(name: str) -> None:
    example = CASES[name]
    sources = as_project(example)
    diagnostics = lint(example)
    for code in CODES:
        found = {(d.path, d.line) for d in diagnostics if d.code == code}
        assert found == expected_lines(sources, code), code


def test_split_fix_inserts_random_state_and_is_unsafe() -> None:
    src = "from sklearn.model_selection import train_test_split\nparts = train_test_split(X, y, test_size=0.2)\n"
    [d] = [d for d in lint(src) if d.code == "SEED003"]
    assert d.fix is not None and d.fix.unsafe
    [edit] = d.fix.edits
    line = src.splitlines()[edit.line - 1]
    fixed = line[: edit.column - 1] + edit.replacement + line[edit.end_column - 1 :]
    assert fixed == "parts = train_test_split(X, y, test_size=0.2, random_state=0)"


def test_split_fix_for_random_split_uses_a_generator() -> None:
    src = (
        "import torch\nfrom torch.utils.data import random_split\na, b = random_split(ds, [8, 2])\n"
    )
    [d] = [d for d in lint(src) if d.code == "SEED003"]
    assert d.fix is not None
    assert d.fix.edits[0].replacement == ", generator=torch.Generator().manual_seed(0)"


def test_no_fix_for_multiline_call_or_explicit_none() -> None:
    src = "from sklearn.model_selection import train_test_split\nparts = train_test_split(\n    X, y,\n)\nq = train_test_split(X, random_state=None)\n"
    found = [d for d in lint(src) if d.code == "SEED003"]
    assert len(found) == 2 and all(d.fix is None for d in found)
