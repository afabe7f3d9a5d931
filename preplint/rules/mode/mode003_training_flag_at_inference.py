"""MODE003 (training-flag-at-inference): Flags a Keras model or layer called with `training=True` in an inference path (a loaded model, a predict/evaluate/serve function, outside any `GradientTape` and training step), and, in PyTorch, `F.dropout(x, p)` inside a module without `training=self.training`."""

from __future__ import annotations

from collections.abc import Iterator

from preplint.analysis.artifacts import artifact_events
from preplint.analysis.context import FileContext
from preplint.analysis.module_layers import DROPOUT_FUNCTIONS
from preplint.analysis.module_use import is_test_in_pytest_file
from preplint.analysis.objects import binding_of, class_kind
from preplint.analysis.scopes import (
    enclosing_class,
    enclosing_functions,
    inference_named_scope,
    name_words,
)
from preplint.analysis.training import in_training_loop
from preplint.diagnostics import Severity
from preplint.facts import frameworks as fw
from preplint.facts.model import Call, FileFacts
from preplint.facts.project import ProjectIndex
from preplint.rules import Finding, rule

_MC_WORDS = frozenset(
    {"mc", "monte", "carlo", "uncertainty", "bayes", "bayesian", "mcdropout", "stochastic"}
)


_GRADIENT_TAPES = frozenset({"tensorflow.GradientTape", "tensorflow.autograd.GradientTape"})


def _keras_loaded(facts: FileFacts, index: ProjectIndex, name: str, call: Call) -> str | None:
    """The artifact path when `name` holds a Keras model loaded from a file (None when not loaded)."""
    root = name.split(".")[0]
    for event in artifact_events(facts, index):
        if (
            event.action == "load"
            and event.api in ("keras-load", "jit-load", "torch-load")
            and event.obj in (name, root)
        ):
            return event.path
    b = binding_of(facts, root, call.scope, call.stmt, index)
    if b is not None and b.origin == "loaded" and b.kind == "keras-model":
        return ""
    return None


def _mc_dropout(facts: FileFacts, call: Call) -> bool:
    names = [fn.name for fn in enclosing_functions(facts, call.scope)]
    names += [t for a in facts.assigns if a.stmt == call.stmt for t in a.targets]
    return any(w in _MC_WORDS for n in names for w in name_words(n))


@rule(
    "MODE003",
    "training-flag-at-inference",
    severity="error",
    probe="mode-sensitivity",
    positives=[
        """
import tensorflow as tf

model = tf.keras.models.load_model("models/clf.keras")

def predict(batch):
    return model(batch, training=True).numpy()  # expect: MODE003
""",
        """
import torch
import torch.nn.functional as F
from torch import nn

class Head(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(16, 2)

    def forward(self, x):
        return self.fc(F.dropout(x, p=0.5))  # expect: MODE003
""",
        # positives-MODE003
        {
            "config.py": 'MODEL_FILE = "models/cnn.keras"\n',
            "serve.py": """
import numpy as np
from tensorflow import keras
from config import MODEL_FILE

model = keras.models.load_model(MODEL_FILE)

def handle(request):
    x = np.asarray(request["pixels"], dtype="float32")[None]
    return model(x, training=True).numpy().tolist()  # expect: MODE003
""",
        },
        # positives-MODE003
        """
import torch.nn as nn
from torch.nn import functional as F

class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(64, 32)
        self.fc2 = nn.Linear(32, 4)

    def forward(self, x):
        h = F.dropout(F.relu(self.fc1(x)), 0.3)  # expect: MODE003
        return self.fc2(h)
""",
    ],
    negatives=[
        # field_negatives-MODE003: dropout taken only when `self.training` is true
        """
import torch.nn as nn
import torch.nn.functional as F

class Head(nn.Module):
    def __init__(self, rate=0.2):
        super().__init__()
        self.rate = rate
        self.fc = nn.Linear(16, 4)

    def forward(self, x):
        if self.training and self.rate > 0:
            x = F.dropout(x, p=self.rate)
        return self.fc(x)
""",
        """
import tensorflow as tf

@tf.function
def train_step(model, optimizer, x, y):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.keras.losses.mse(y, model(x, training=True)))
    optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
    return loss
""",
        """
import torch.nn.functional as F
from torch import nn

class Head(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(16, 2)

    def forward(self, x):
        return self.fc(F.dropout(x, p=0.5, training=self.training))
""",
        # negatives-MODE003
        """
import numpy as np
import tensorflow as tf

model = tf.keras.models.load_model("models/reg.keras")

def mc_dropout_predict(x, samples=50):
    preds = np.stack([model(x, training=True).numpy() for _ in range(samples)])
    return preds.mean(0), preds.std(0)
""",
        # negatives-MODE003
        """
import tensorflow as tf

class Block(tf.keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.drop = tf.keras.layers.Dropout(0.2)

    def call(self, x, training=None):
        return self.drop(x, training=training)

def predict(model, x):
    return model(x, training=False)
""",
        # negatives-MODE003
        """
import torch
import torch.nn.functional as F

def augment_features(x):
    # plain function, not a module's forward: deliberate noise for augmentation
    return F.dropout(x, 0.1)
""",
        # real_code_negatives-MODE003
        """
import torch.nn.functional as F
from torch import nn

class Head(nn.Module):
    def forward(self, x):
        # resampled on purpose even under eval()
        return F.dropout(x, p=0.1, training=True)
""",
    ],
)
def training_flag_at_inference(ctx: FileContext) -> Iterator[Finding]:
    """What it does:
    Flags a Keras model or layer called with `training=True` in an inference path (a loaded
    model, a predict/evaluate/serve function, outside any `GradientTape` and training step), and,
    in PyTorch, `F.dropout(x, p)` inside a module without `training=self.training`.

    Why is this bad?:
    `training=True` makes Dropout drop units and BatchNorm use the batch's statistics, so
    predictions are random and depend on the batch. `F.dropout` defaults to `training=True`:
    unlike `nn.Dropout`, it ignores `model.eval()` and keeps dropping at inference.

    Preview:
    An `F.dropout(x, p)` without `training=` inside an `if`/`else` branch is in preview: the
    usual guard `if self.training and p > 0:` cannot be told apart from other conditions
    until the facts record the tests of enclosing branches. It leaves preview when they do and
    the rule skips branches whose test reads `self.training`.

    Example:
    ```python
    probs = model(batch, training=True)

    def forward(self, x):
        return self.fc(F.dropout(x, p=0.5))
    ```

    Use instead:
    ```python
    probs = model(batch, training=False)

    def forward(self, x):
        return self.fc(F.dropout(x, p=0.5, training=self.training))
    ```

    References:
    - https://keras.io/getting_started/faq/#whats-the-difference-between-the-training-argument-in-call-and-the-trainable-attribute
    - https://pytorch.org/docs/stable/generated/torch.nn.functional.dropout.html
    """
    facts, index = ctx.facts, ctx.index
    keras = any(facts.uses(r) for r in fw.KERAS_PACKAGES)
    torch = facts.uses("torch")
    training = ctx.training_scopes if keras else frozenset()
    for call in facts.calls:
        if torch and call.qualname in DROPOUT_FUNCTIONS or call.qualname == "torch.dropout":
            flag = (
                call.arg(2, "training")
                if call.qualname != "torch.dropout"
                else call.arg(2, "train")
            )
            if flag is not None:
                continue  # an explicit `training=` (even True, e.g. MC dropout) is a decision, not an oversight
            if flag is None and any(a.star == "**" for a in call.args):
                continue
            cls = enclosing_class(facts, call.scope)
            if not cls or class_kind(facts, cls, index) != "torch-module":
                continue
            if call.in_condition:
                # Preview: `if self.training and p > 0: x = F.dropout(x, p)` guards the call, and the
                # branch's test is not among the facts, so a guarded call cannot be told apart.
                yield Finding(
                    call.span,
                    f"`{call.callee}` inside `{cls}` runs in a conditional branch without `training=`; unless "
                    "that branch is taken only when `self.training` is true, it drops units after `model.eval()`",
                    severity=Severity.WARNING,
                    preview=True,
                )
                continue
            yield Finding(
                call.span,
                f"`{call.callee}` inside `{cls}` drops units even after `model.eval()` (its `training` defaults to True); "
                "pass `training=self.training` or use `nn.Dropout`",
            )
            continue
        if (
            not keras
            or call.kwarg_const("training") is not True
            or (call.qualname and not call.qualname.startswith(fw.KERAS_PACKAGES))
        ):
            continue
        if (
            any(w in _GRADIENT_TAPES for w in call.withs)
            or call.scope in training
            or in_training_loop(facts, call, index)
        ):
            continue
        if is_test_in_pytest_file(facts, call.scope):
            continue
        if _mc_dropout(facts, call):
            continue
        name = call.receiver if call.method in ("call", "__call__") else call.callee
        loaded = _keras_loaded(facts, index, name, call) if name else None
        named = inference_named_scope(facts, call.scope)
        if loaded is None and not named:
            continue
        where = "a loaded model" if loaded is not None else f"`{named}`"
        yield Finding(
            call.span,
            f"`training=True` in {where}: Dropout and BatchNorm run as in training, so predictions are random and batch-dependent",
            artifact=loaded or None,
        )
