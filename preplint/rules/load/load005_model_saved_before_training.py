"""LOAD005 (model-saved-before-training): Flags a model saved before the last `fit` / training loop that changes it, when no later save overwrites the artifact and the earlier artifact is what the inference path loads."""

from __future__ import annotations

import re
from collections.abc import Iterator

from preplint.analysis.artifacts import loaders
from preplint.analysis.context import FileContext
from preplint.analysis.objects import binding_of
from preplint.analysis.records import ArtifactEvent
from preplint.analysis.saving import _artifact, _related
from preplint.analysis.training import training_steps
from preplint.diagnostics import Related
from preplint.facts.model import Call, FileFacts, Value
from preplint.facts.paths import paths_match
from preplint.facts.project import ProjectIndex
from preplint.rules import Finding, rule

_MODEL_SAVE_APIS = frozenset(
    {"keras-save", "keras-save-weights", "torch-save", "pickle-dump", "jit-save"}
)


_SAVE_WORDS = re.compile(r"save|export|dump|checkpoint|persist|upload|log_model", re.I)


@rule(
    "LOAD005",
    "model-saved-before-training",
    severity="warning",
    positives=[
        """
from tensorflow import keras

MODEL_FILE = "churn.keras"

def train(x, y):
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.save(MODEL_FILE)  # expect: LOAD005
    model.fit(x, y, epochs=20)

def evaluate(x, y):
    model = keras.models.load_model(MODEL_FILE)
    return model.evaluate(x, y)
""",
        """
import torch
from torch import nn

net = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2))
opt = torch.optim.SGD(net.parameters(), lr=0.1)
torch.save(net.state_dict(), "net.pt")  # expect: LOAD005, LOAD006
for epoch in range(10):
    opt.zero_grad()
    loss = nn.functional.cross_entropy(net(x), y)
    loss.backward()
    opt.step()
""",
        # sklearn-dump-before-fit
        {
            "train.py": """
import joblib
from sklearn.ensemble import RandomForestClassifier

clf = RandomForestClassifier(random_state=0)
joblib.dump(clf, "models/rf.joblib")  # expect: LOAD005
clf.fit(X, y)
""",
            "predict.py": """
import joblib
clf = joblib.load("models/rf.joblib")
""",
        },
        # torch-helper-trains-after-save
        {
            "engine.py": """
def train_one_epoch(model, loader, opt):
    for x, y in loader:
        opt.zero_grad()
        loss = (model(x) - y).pow(2).mean()
        loss.backward()
        opt.step()
""",
            "train.py": """
import torch
from engine import train_one_epoch
from model import Net

def main():
    model = Net()
    opt = torch.optim.Adam(model.parameters())
    torch.save(model.state_dict(), "net.pt")  # expect: LOAD005, LOAD006
    for epoch in range(10):
        train_one_epoch(model, loader, opt)

if __name__ == "__main__":
    main()
""",
        },
    ],
    negatives=[
        # trained-saved-reloaded-then-trained-on
        """
import keras

m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
m.compile("adam", "mse")
m.fit(x, y)
m.save("stage1.keras")
restored = keras.models.load_model("stage1.keras")
m.fit(more_x, more_y)
""",
        """
from tensorflow import keras

model = keras.Sequential([keras.layers.Dense(1)])
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epochs=5)
model.save("m.keras")  # stage 1, kept in case fine-tuning diverges
model.fit(x, y, epochs=5)
model.save("m.keras")
""",
        """
import torch
from torch import nn

net = nn.Linear(4, 2)
opt = torch.optim.SGD(net.parameters(), lr=0.1)
torch.save(net.state_dict(), "init.pt")  # the initial weights, on purpose  # expect: LOAD006
for epoch in range(10):
    loss = net(x).sum()
    loss.backward()
    opt.step()
    torch.save(net.state_dict(), f"epoch_{epoch}.pt")  # expect: LOAD006
torch.save(net.state_dict(), "final.pt")  # expect: LOAD006
""",
        # fine-tune-loaded-model-then-save
        """
from tensorflow import keras
model = keras.models.load_model("base.keras")
model.fit(x, y)
model.save("tuned.keras")
""",
        # scaler-saved-model-fitted
        """
import joblib
from sklearn.preprocessing import StandardScaler
from sklearn.linear_model import LogisticRegression
scaler = StandardScaler().fit(X)
joblib.dump(scaler, "scaler.joblib")
clf = LogisticRegression().fit(scaler.transform(X), y)
joblib.dump(clf, "clf.joblib")
""",
        # saved-by-helper-after-training
        """
from tensorflow import keras
from utils import save_artifacts
model = keras.Sequential([keras.layers.Dense(1)])
model.save("untrained.keras")
model.fit(x, y)
save_artifacts(model, "out")
""",
        # reassigned-before-training
        """
from tensorflow import keras
model = keras.Sequential([keras.layers.Dense(1)])
model.save("a.keras")
model = keras.Sequential([keras.layers.Dense(2)])
model.fit(x, y)
model.save("b.keras")
""",
    ],
)
def model_saved_before_training(ctx: FileContext) -> Iterator[Finding]:
    """What it does:
    Flags a model saved before the last `fit` / training loop that changes it, when no later save
    overwrites the artifact and the earlier artifact is what the inference path loads.

    Why is this bad?:
    The file holds the model as it was when it was saved: untrained, or trained for fewer epochs.
    The training that follows changes only the object in memory, and the inference script loads
    the stale file. Accuracy at the end of training looks fine; predictions are poor.

    Example:
    ```python
    model.compile(optimizer="adam", loss="mse")
    model.save("model.keras")
    model.fit(x, y, epochs=20)
    ```

    Use instead:
    ```python
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=20)
    model.save("model.keras")
    ```

    References:
    - https://keras.io/api/models/model_saving_apis/model_saving_and_loading/
    """
    facts, index = ctx.facts, ctx.index
    events = ctx.artifact_events
    for event in events:
        if event.action != "save" or event.api not in _MODEL_SAVE_APIS:
            continue
        call = facts.call_by_id[event.call]
        if call.loops or call.in_condition:
            continue  # checkpoints written during training
        name = _saved_model_name(facts, call, event)
        if not name:
            continue
        kind = _kind(facts, index, name, call)
        if kind in ("preprocessor", "optimizer", "dataloader"):
            continue
        steps = training_steps(facts, index, name, call.scope, call.stmt)
        if not steps:
            continue
        built = max(
            (
                a.stmt
                for a in facts.assigns
                if a.scope == call.scope and name in a.targets and a.stmt < call.stmt
            ),
            default=-1,
        )
        if any(s.stmt < call.stmt for s in training_steps(facts, index, name, call.scope, built)):
            continue  # trained before this save: the file holds a trained model, trained on later
        last = max(s.stmt for s in steps)
        later = _later_saves(facts, index, name, call.scope, last, events)
        if any(p and paths_match(p, event.path) for p in later):
            continue
        readers = loaders(index, event.path, near=facts.path) if event.path else []
        if later and not readers:
            continue  # the trained model is saved elsewhere, and nothing loads this early file
        step = steps[-1]
        related = [
            Related(
                facts.path, step.span.line, step.span.column, f"trained again here ({step.what})"
            )
        ]
        for loader in readers[:2]:
            link = _related(index, loader, "the earlier artifact is loaded here")
            if link is not None:
                related.append(link)
        target = f"`{event.path}`" if event.path else "the artifact"
        yield Finding(
            call.span,
            f"`{name}` is saved to {target} before it is trained (line {step.span.line}); the saved file "
            "holds the untrained model; save after the last training step",
            related=tuple(related),
            artifact=_artifact(event.path),
        )


def _saved_model_name(facts: FileFacts, call: Call, event: ArtifactEvent) -> str:
    """The dotted name of the saved model: `model` for model.save(...), torch.save(model.state_dict(), ...)."""
    if event.api in ("keras-save", "keras-save-weights") and call.receiver:
        return call.receiver
    arg = call.arg(0, "obj") or call.arg(0, "value") or call.arg(0, "model") or call.arg(0, "m")
    if arg is None:
        return ""
    return _model_of(facts, arg.value, call)


def _model_of(facts: FileFacts, value: Value, call: Call, depth: int = 0) -> str:
    if value.kind in ("name", "attr"):
        assign = facts.reaching_assign(value.text, call.scope, call.stmt)
        if depth < 2 and assign is not None and assign.value.kind == "call":
            inner = facts.call_by_id[assign.value.call]
            if inner.method == "state_dict" and inner.receiver:
                return inner.receiver
        return value.text
    if value.kind == "call":
        inner = facts.call_by_id[value.call]
        if inner.method in ("state_dict", "get_weights") and inner.receiver:
            return inner.receiver
    return ""


def _kind(facts: FileFacts, index: ProjectIndex, name: str, call: Call) -> str:
    b = binding_of(facts, name, call.scope, call.stmt, index)
    return b.kind if b is not None else ""


def _later_saves(
    facts: FileFacts,
    index: ProjectIndex,
    name: str,
    scope: str,
    after: int,
    events: tuple[ArtifactEvent, ...],
) -> list[str]:
    """Paths the model is saved to after a statement ('' when a helper saves it somewhere unknown)."""
    out: list[str] = []
    for e in events:
        if e.action != "save":
            continue
        c = facts.call_by_id[e.call]
        if c.scope == scope and c.stmt > after and _saved_model_name(facts, c, e) == name:
            out.append(e.path)
    for c in facts.calls:
        if c.scope != scope or c.stmt <= after:
            continue
        if c.qualname == "keras.callbacks.ModelCheckpoint":
            arg = c.arg(0, "filepath")
            if arg is not None:
                out.append(index.resolve_path(facts, arg.value, c.scope, c.stmt))
        elif _SAVE_WORDS.search(c.callee or "") and any(name in a.value.names for a in c.args):
            out.append("")
    # A ModelCheckpoint passed to the last fit writes the trained model too.
    for c in facts.calls:
        if c.scope == scope and c.qualname == "keras.callbacks.ModelCheckpoint" and c.stmt <= after:
            arg = c.arg(0, "filepath")
            if arg is not None and c.kwarg_const("save_weights_only") is not True:
                out.append(index.resolve_path(facts, arg.value, c.scope, c.stmt))
    return out
