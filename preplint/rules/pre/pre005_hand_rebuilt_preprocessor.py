"""PRE005 (hand-rebuilt-preprocessor): Flags inference code that re-implements a fitted transform by hand from saved attributes, e.g."""

from __future__ import annotations

import re
from collections.abc import Iterator

from preplint.analysis.context import FileContext
from preplint.analysis.inference import inference_reason
from preplint.analysis.lineage import reaching
from preplint.analysis.models import binding_at
from preplint.analysis.preprocessing import SAVE_QUALS
from preplint.diagnostics import Span
from preplint.facts.model import Call, FileFacts, Value
from preplint.facts.paths import basename, paths_match
from preplint.facts.project import ProjectIndex
from preplint.rules import Finding, rule

_FITTED_ATTR = re.compile(
    r"\.(mean_|scale_|var_|data_min_|data_max_|data_range_|min_|center_|lambdas_|quantiles_|components_)(\b|$)"
)


_STAT_FILE_WORDS = ("mean", "std", "scale", "var", "min", "max", "stat", "norm", "mu", "sigma")


def _file_of_load(facts: FileFacts, index: ProjectIndex, call: Call) -> str:
    """The path a numpy/json/pickle load reads."""
    a = call.arg(0)
    if a is None:
        return ""
    v = a.value
    if v.kind in ("name", "attr"):
        src = reaching(facts, v.text, call.scope, call.stmt)
        if src is not None and src.op == "with" and src.value.kind == "call":
            opener = facts.call_by_id[src.value.call]
            inner = opener.arg(0)
            if inner is not None:
                v = inner.value
    elif v.kind == "call":
        opener = facts.call_by_id[v.call]
        if opener.callee == "open" and opener.arg(0) is not None:
            v = opener.arg(0).value  # type: ignore[union-attr]
    return index.resolve_path(facts, v, call.scope, call.stmt)


_STAT_LOADS = (
    "numpy.load",
    "numpy.loadtxt",
    "json.load",
    "json.loads",
    "pickle.load",
    "joblib.load",
    "torch.load",
    "yaml.safe_load",
    "yaml.load",
    "pandas.read_csv",
    "pandas.read_json",
)


def _saved_attributes(index: ProjectIndex, path: str) -> bool | None:
    """Whether the saver of `path` writes fitted attributes (`scaler.mean_`); None when no saver is known."""
    found: bool | None = None
    for other in index.files_calling_any(q.rsplit(".", 1)[-1] for q in SAVE_QUALS):
        for c in other.calls:
            if c.qualname not in SAVE_QUALS:
                continue
            if c.qualname.startswith("numpy."):
                target = c.arg(0, "file")
                payload = [a.value for a in c.args[1:]]
            else:
                target = c.arg(1, "file") or c.arg(1, "filename") or c.arg(1, "fp")
                payload = [c.args[0].value] if c.args else []
            if target is None:
                continue
            tv = target.value
            if tv.kind in ("name", "attr"):
                src = reaching(other, tv.text, c.scope, c.stmt)
                if (
                    src is not None
                    and src.op == "with"
                    and src.value.kind == "call"
                    and other.call_by_id[src.value.call].arg(0) is not None
                ):
                    tv = other.call_by_id[src.value.call].arg(0).value  # type: ignore[union-attr]
            elif (
                tv.kind == "call"
                and other.call_by_id[tv.call].callee == "open"
                and other.call_by_id[tv.call].arg(0) is not None
            ):
                tv = other.call_by_id[tv.call].arg(0).value  # type: ignore[union-attr]
            saved = index.resolve_path(other, tv, c.scope, c.stmt)
            if not saved or not paths_match(saved, path):
                continue
            attr = any(
                _FITTED_ATTR.search(p.text)
                or any(_FITTED_ATTR.search("." + n.rsplit(".", 1)[-1]) for n in p.names if "." in n)
                for p in payload
            )
            if attr:
                return True
            for p in payload:
                for n in p.names:
                    b = binding_at(other, n, c.scope, c.stmt, index)
                    if b is not None and b.kind == "preprocessor":
                        return None  # the fitted object itself: not a rebuild
            found = False
    return found


@rule(
    "PRE005",
    "hand-rebuilt-preprocessor",
    severity="info",
    positives=[
        """
import numpy as np
from tensorflow import keras

model = keras.models.load_model("m.keras")
x = np.load("batch.npy")
x = (x - np.load("mean.npy")) / np.load("scale.npy")  # expect: PRE005
print(model.predict(x))
""",
        {
            "train.py": """
import json
import joblib
from sklearn.preprocessing import StandardScaler
from sklearn.linear_model import Ridge

sc = StandardScaler().fit(X)
joblib.dump(Ridge().fit(sc.transform(X), y), "ridge.joblib")
with open("stats.json", "w") as f:
    json.dump({"mean": sc.mean_.tolist(), "scale": sc.scale_.tolist()}, f)
""",
            "serve.py": """
import json
import joblib
import numpy as np

def predict(rows):
    model = joblib.load("ridge.joblib")
    with open("stats.json") as f:
        stats = json.load(f)
    x = (np.asarray(rows) - np.array(stats["mean"])) / np.array(stats["scale"])  # expect: PRE005
    return model.predict(x)
""",
        },
    ],
    negatives=[
        # pre005_neg_metric_from_loaded_rows: a specificity is not a transform
        """
import joblib
import pandas as pd
from sklearn.metrics import roc_curve

clf = joblib.load("clf.joblib")
rows = pd.read_csv("patient_stats.csv")
probs = clf.predict_proba(rows[COLS])[:, 1]
fpr, tpr, thresholds = roc_curve(rows["label"], probs)


def evaluate_threshold(t):
    print("Specificity:", 1 - fpr[thresholds > t][-1])
""",
        # pre005_neg_accuracy_count: a count of matches over loaded features
        """
import numpy as np
from tensorflow import keras

model = keras.models.load_model("dogs.keras")
feats = np.load("bottleneck_stats.npz")
test_x = feats["test"]
preds = [np.argmax(model.predict(np.expand_dims(f, 0))) for f in test_x]
test_acc = 100 * np.sum(np.array(preds) == np.argmax(test_y, axis=1)) / len(preds)
""",
        """
import joblib

def predict(rows):
    model = joblib.load("m.joblib")
    scaler = joblib.load("scaler.joblib")
    return model.predict(scaler.transform(rows))
""",
        """
import numpy as np

X = np.load("train.npy")
mean, std = X.mean(0), X.std(0)
X = (X - mean) / std
np.save("mean.npy", mean)
""",
        # pre005_neg_consistent_hand_stats
        {
            "train.py": """
import numpy as np
import tensorflow as tf

x = np.load("x.npy")
mean, std = x.mean(0), x.std(0)
np.save("mean.npy", mean)
np.save("std.npy", std)
model = tf.keras.Sequential([tf.keras.layers.Dense(1)])
model.fit((x - mean) / std, y)
model.save("m.keras")
""",
            "predict.py": """
import numpy as np
import tensorflow as tf

model = tf.keras.models.load_model("m.keras")
x = (np.load("new.npy") - np.load("mean.npy")) / np.load("std.npy")
print(model.predict(x))
""",
        },
        # pre005_neg_per_sample_minmax
        """
import numpy as np
from tensorflow import keras

def predict(path):
    model = keras.models.load_model("m.keras")
    img = np.load(path)
    img = (img - img.min()) / (img.max() - img.min())
    return model.predict(img[None])
""",
    ],
)
def hand_rebuilt_preprocessor(ctx: FileContext) -> Iterator[Finding]:
    """What it does:
    Flags inference code that re-implements a fitted transform by hand from saved attributes,
    e.g. `(x - np.load("mean.npy")) / np.load("scale.npy")` or `(x - scaler.mean_) / scaler.scale_`,
    instead of loading the fitted object and calling `transform`.

    Why is this bad?:
    The hand-written formula silently diverges from the fitted object: `with_mean`/`with_std`,
    zero-variance columns, clipping, column order and dtype are all handled by the object and not
    by the copy.

    Example:
    ```python
    x = (x - np.load("mean.npy")) / np.load("scale.npy")
    ```

    Use instead:
    ```python
    scaler = joblib.load("scaler.joblib")
    x = scaler.transform(x)
    ```

    References:
    - https://scikit-learn.org/stable/model_persistence.html
    """
    facts, index = ctx.facts, ctx.index
    lines: set[int] = set()
    candidates: list[tuple[Value, str, int, Span, tuple[str, ...]]] = []
    for a in facts.assigns:
        withs = next((c.withs for c in facts.calls_by_stmt.get(a.stmt, ())), ())
        candidates.append((a.value, a.scope, a.stmt, a.span, withs))
    for c in facts.calls:
        for arg in c.args:
            if arg.value.kind == "binop":
                candidates.append((arg.value, c.scope, c.stmt, c.span, c.withs))
    for call, obj in _attribute_saves(facts, index):
        lines.add(call.span.line)
        yield Finding(
            call.span,
            f"only some attributes of the fitted `{obj}` are saved: inference will have to rebuild the transform by hand; save the fitted object itself (joblib.dump)",
        )
    for value, scope, stmt, span, withs in candidates:
        if value.kind != "binop" or not ({"-", "/"} & set(value.ops)) or span.line in lines:
            continue
        if _is_metric(facts, value, stmt):
            continue
        if not inference_reason(facts, scope, stmt, withs, index):
            continue
        why = _rebuilt_from(facts, index, value, scope, stmt)
        if why:
            lines.add(span.line)
            yield Finding(
                span,
                f"the fitted transform is rebuilt by hand from {why}: load the fitted preprocessor and call `transform` instead",
            )


_COMPARE = re.compile(r"==|!=|[<>]")


def _is_metric(facts: FileFacts, value: Value, stmt: int) -> bool:
    """A count of matches, a complement (`1 - rate`) or a printed value: a metric, not a transform."""
    if _COMPARE.search(value.text):
        return True  # `np.sum(preds == labels) / n`, `fpr[thresholds > t]`
    left = value.operands[0] if value.operands else None
    if value.ops[:1] == ("-",) and left is not None and left.const in (1, 1.0, 100):
        return True
    for c in facts.calls_by_stmt.get(stmt, ()):
        if c.callee == "print" and any(a.value.text == value.text for a in c.args):
            return True
    return False


def _rebuilt_from(
    facts: FileFacts, index: ProjectIndex, value: Value, scope: str, stmt: int
) -> str:
    """What a normalising expression takes its statistics from, when those are a fitted object's saved attributes."""
    for n in value.names:
        if "." in n and _FITTED_ATTR.search("." + n.rsplit(".", 1)[-1]):
            return f"its attributes (`{n}`)"
    loads: list[Call] = []
    texts: list[str] = [value.text]
    frontier = [(n, scope, stmt) for n in value.names]
    seen: set[tuple[str, str]] = set()
    for cid in value.calls:
        c = facts.call_by_id[cid]
        if c.qualname in _STAT_LOADS:
            loads.append(c)
    steps = 0
    while frontier and steps < 24:
        steps += 1
        name, sc, st = frontier.pop()
        if (name, sc) in seen or name.split(".", 1)[0] in facts.imports:
            continue
        seen.add((name, sc))
        a = reaching(facts, name, sc, st)
        if a is None and "." in name and not name.startswith("self."):
            a = reaching(facts, name.split(".", 1)[0], sc, st)
        if a is None or a.op not in ("=", "with"):
            continue
        texts.append(a.value.text)
        for cid in a.value.calls:
            c = facts.call_by_id[cid]
            if c.qualname in _STAT_LOADS:
                loads.append(c)
        frontier.extend((n, a.scope, a.stmt) for n in a.value.names)
    stat_words = any(
        re.search(r"\b\w*(?<!arg)(mean|std|scale|sigma|mu|var|min|max|stats?)\w*\b", t, re.I)
        for t in texts[1:]
    )
    for c in loads:
        path = _file_of_load(facts, index, c)
        saved = _saved_attributes(index, path) if path else None
        if saved:
            return f"saved attributes (`{basename(path)}`)"
        if saved is None and (
            any(w in basename(path).lower() for w in _STAT_FILE_WORDS) or stat_words
        ):
            return f"saved statistics (`{basename(path) or c.callee}`)"
    return ""


def _attribute_saves(facts: FileFacts, index: ProjectIndex) -> Iterator[tuple[Call, str]]:
    """Saves of a fitted preprocessor's attributes (`np.save(p, scaler.mean_)`) when the object itself is not saved."""
    done: set[str] = set()
    for call in facts.calls:
        if call.qualname not in SAVE_QUALS:
            continue
        for a in call.args:
            for n in a.value.names:
                if "." not in n or not _FITTED_ATTR.search("." + n.rsplit(".", 1)[-1]):
                    continue
                obj = n.rsplit(".", 1)[0]
                if obj in done:
                    continue
                b = binding_at(facts, obj, call.scope, call.stmt, index)
                if b is None or b.kind != "preprocessor":
                    continue
                done.add(obj)
                whole = any(
                    c.qualname in SAVE_QUALS and any(x.value.name == obj for x in c.args)
                    for c in facts.calls
                )
                if not whole:
                    yield call, obj
