"""PRE: preprocessing parity between training and inference."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from preplint.analysis.calls import argument_for, call_sites
from preplint.analysis.context import memos
from preplint.analysis.inference import in_inference_path, inference_reason, is_inference_function
from preplint.analysis.lineage import Lineage, data_arg, lineage, reaching
from preplint.analysis.models import (
    MODEL_KINDS,
    PREDICT_METHODS,
    TRAIN_METHODS,
    binding_at,
    model_feeds,
)
from preplint.analysis.scopes import NO_GRAD_CONTEXTS, name_words
from preplint.analysis.training import training_calls, training_scopes
from preplint.diagnostics import Related, Span
from preplint.facts import frameworks as fw
from preplint.facts.artifacts import ArtifactEvent, artifact_events
from preplint.facts.model import Call, FileFacts, Value
from preplint.facts.objects import classify_call
from preplint.facts.paths import basename, paths_match
from preplint.facts.project import ProjectIndex
from preplint.rules import Finding, rule

_FIT_PRE = frozenset(
    {"fit", "fit_transform", "adapt", "fit_on_texts", "fit_on_sequences", "partial_fit"}
)
_TARGET_ENCODERS = frozenset({"LabelEncoder", "LabelBinarizer", "MultiLabelBinarizer"})
_STATS_PREPROCESSORS = frozenset(
    {
        "StandardScaler",
        "MinMaxScaler",
        "RobustScaler",
        "MaxAbsScaler",
        "QuantileTransformer",
        "PowerTransformer",
        "PCA",
        "IncrementalPCA",
        "KernelPCA",
        "TruncatedSVD",
        "SimpleImputer",
        "KNNImputer",
        "IterativeImputer",
        "KBinsDiscretizer",
        "Normalization",
        "Discretization",
        "TfidfVectorizer",
        "TfidfTransformer",
    }
)
_CATEGORICAL_ENCODERS = frozenset(
    {
        "LabelEncoder",
        "OrdinalEncoder",
        "OneHotEncoder",
        "LabelBinarizer",
        "MultiLabelBinarizer",
        "DictVectorizer",
    }
)
_EVAL_WORDS = frozenset({"test", "val", "valid", "validation", "eval", "holdout", "heldout"})
_EVAL_COMPACT = re.compile(
    r"^(x|y|df|data|dataset|ds|features?)(test|val|valid|eval|holdout)$|^(test|val|valid|eval|holdout)(x|y|df|data|set|ds)$"
)
_SAVE_QUALS = frozenset(
    {
        *fw.PICKLE_DUMP,
        "numpy.save",
        "numpy.savez",
        "numpy.savez_compressed",
        "numpy.savetxt",
        "json.dump",
        "json.dumps",
        "yaml.dump",
        "yaml.safe_dump",
        "torch.save",
    }
)
_SAVE_METHODS = frozenset(
    {
        "save",
        "to_json",
        "save_pretrained",
        "get_config",
        "get_vocabulary",
        "save_vocabulary",
        "dump",
        "save_weights",
        "get_weights",
        "to_disk",
    }
)
_CONTAINER_LEAVES = frozenset(
    {
        "Pipeline",
        "make_pipeline",
        "ColumnTransformer",
        "make_column_transformer",
        "FeatureUnion",
        "make_union",
        "TransformedTargetRegressor",
    }
)
_STATS_METHODS = frozenset(
    {
        "mean",
        "std",
        "var",
        "min",
        "max",
        "median",
        "quantile",
        "nanmean",
        "nanstd",
        "amin",
        "amax",
        "ptp",
    }
)
_STATS_QUALS = frozenset(
    {
        f"numpy.{n}"
        for n in (
            "mean",
            "std",
            "var",
            "min",
            "max",
            "amin",
            "amax",
            "nanmean",
            "nanstd",
            "nanmin",
            "nanmax",
            "median",
            "percentile",
            "quantile",
            "ptp",
        )
    }
    | {f"torch.{n}" for n in ("mean", "std", "var", "min", "max", "amin", "amax")}
    | {
        "tensorflow.reduce_mean",
        "tensorflow.math.reduce_mean",
        "tensorflow.math.reduce_std",
        "tensorflow.reduce_max",
        "tensorflow.reduce_min",
        "tensorflow.math.reduce_variance",
    }
)
_FITTED_ATTR = re.compile(
    r"\.(mean_|scale_|var_|data_min_|data_max_|data_range_|min_|center_|lambdas_|quantiles_|components_)(\b|$)"
)
_STAT_FILE_WORDS = ("mean", "std", "scale", "var", "min", "max", "stat", "norm", "mu", "sigma")
_SPLIT_EXTRA = frozenset(
    {
        "sklearn.model_selection.cross_val_score",
        "sklearn.model_selection.cross_validate",
        "sklearn.model_selection.cross_val_predict",
    }
)


# --- shared pieces ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreFit:
    call: Call
    obj: str  # the name holding the fitted preprocessor, '' when anonymous
    cls: str  # qualified class name
    ctor: int  # the constructor call id, or -1

    @property
    def leaf(self) -> str:
        return self.cls.rsplit(".", 1)[-1]


def preprocessor_fits(facts: FileFacts, index: ProjectIndex) -> tuple[PreFit, ...]:
    """Every fit/fit_transform/adapt/fit_on_texts of a preprocessor built in this file (stateless ones excluded)."""
    memo = memos(facts, index)
    if memo.preprocessor_fits is not None:
        return memo.preprocessor_fits
    out: list[PreFit] = []
    for call in facts.calls:
        if call.method not in _FIT_PRE:
            continue
        obj, cls, ctor = "", "", -1
        if call.receiver_call >= 0:
            inner = facts.call_by_id[call.receiver_call]
            found = classify_call(facts, inner, index)
            if found is None or found[0] != "preprocessor" or found[3] != "constructed":
                continue
            cls, ctor = found[2], inner.id
            for a in facts.assigns:
                if a.stmt == call.stmt and a.value.call == call.id and len(a.targets) == 1:
                    obj = a.targets[0]
        elif call.receiver and not call.qualname:
            b = binding_at(facts, call.receiver, call.scope, call.stmt, index)
            if b is None or b.kind != "preprocessor" or b.origin != "constructed":
                continue
            obj, cls, ctor = call.receiver, b.cls, b.call
        else:
            continue
        if cls.rsplit(".", 1)[-1] in fw.STATELESS_PREPROCESSORS:
            continue
        out.append(PreFit(call, obj, cls, ctor))
    result = tuple(out)
    memo.preprocessor_fits = result
    return result


def is_eval_name(name: str) -> bool:
    """`X_test`, `val_df`, `x_valid`, `Xtest`: a name that holds evaluation data."""
    last = name.rsplit(".", 1)[-1]
    words = set(name_words(last))
    found = words & _EVAL_WORDS
    if found == {"val"} and words & _VALUE_WORDS:
        return False  # `loss_val`, `max_val`: "val" is a value here, not validation data
    if found:
        return True
    return bool(_EVAL_COMPACT.match(last.lower()))


_VALUE_WORDS = frozenset(
    {
        "loss",
        "losses",
        "acc",
        "accuracy",
        "score",
        "metric",
        "metrics",
        "min",
        "max",
        "mean",
        "std",
        "sum",
        "grad",
        "lr",
        "clip",
        "pad",
        "fill",
        "default",
        "init",
    }
)


def is_eval_data(facts: FileFacts, value: Value, scope: str, stmt: int, depth: int = 0) -> bool:
    """Whether an expression reads evaluation data (by name, or a file read whose path says test/val)."""
    if any(is_eval_name(n) for n in value.names):
        return True
    if depth >= 2:
        return False
    for cid in value.calls:
        call = facts.call_by_id[cid]
        if call.qualname.startswith(("pandas.read_", "numpy.load")):
            for a in call.args:
                if (
                    isinstance(a.value.const, str)
                    and set(name_words(basename(a.value.const).rsplit(".", 1)[0])) & _EVAL_WORDS
                ):
                    return True
        if call.receiver and not call.qualname and is_eval_name(call.receiver):
            return True
    for n in value.names:
        src = reaching(facts, n, scope, stmt)
        if src is None or src.op != "=" or len(src.targets) != 1:
            continue
        v = src.value
        if v.kind == "call" and facts.call_by_id[v.call].qualname in fw.SPLIT_CALLS:
            continue
        if is_eval_data(facts, v, src.scope, src.stmt, depth + 1):
            return True
    return False


def _is_target_data(value: Value) -> bool:
    return any(
        set(name_words(n.rsplit(".", 1)[-1]))
        & {"y", "label", "labels", "target", "targets", "class", "classes"}
        or n.split(".")[-1].lower().startswith("y_")
        for n in value.names
    ) or bool(re.search(r"\[\s*['\"](label|target|class|y)", value.text))


def model_saves(facts: FileFacts, index: ProjectIndex) -> list[ArtifactEvent]:
    """Save events of a model (not of a preprocessor or plain arrays) in this file."""
    trained = {c.receiver for c in training_calls(facts, index) if c.receiver}
    out: list[ArtifactEvent] = []
    for e in artifact_events(facts, index):
        if e.action != "save":
            continue
        root = _obj_root(e.obj)
        if (
            e.api in ("keras-save", "keras-save-weights", "jit-save")
            or e.api in ("torch-save", "pickle-dump")
            and (
                (e.obj_kind in MODEL_KINDS and e.obj_kind != "unpickled")
                or root in trained
                or ".state_dict" in e.obj
            )
        ):
            out.append(e)
    return out


def _obj_root(obj: str) -> str:
    text = obj.split("(", 1)[0]
    for suffix in (".state_dict", ".module", ".model"):
        if text.endswith(suffix) and text != suffix[1:]:
            text = text[: -len(suffix)]
    return text


def _reads(value: Value, name: str) -> bool:
    return any(n == name or n.startswith(name + ".") for n in value.names)


def _persisted(facts: FileFacts, index: ProjectIndex, fit: PreFit) -> bool:
    """Whether the fitted object (or some of its attributes) is saved, put in a saved container, or part of a model."""
    name = fit.obj
    if not name:
        return False
    for call in facts.calls:
        if call.receiver == name and call.method in _SAVE_METHODS:
            return True
        if not any(_reads(a.value, name) for a in call.args):
            continue
        qual = call.qualname
        leaf = qual.rsplit(".", 1)[-1]
        if qual in _SAVE_QUALS or qual.startswith(
            ("mlflow.", "wandb.", "skops.", "bentoml.", "onnx", "skl2onnx")
        ):
            return True
        if (
            leaf in _CONTAINER_LEAVES
            or fw.is_keras_model_constructor(qual)
            or call.method
            in (
                "add",
                "write",
                "log_model",
                "log_artifact",
                "save",
                "dump",
                "update",
                "append",
                "setdefault",
            )
        ):
            return True
        if call.callee and not call.method and index.class_for(facts, call.callee) is not None:
            return True
        found = index.function_for(facts, call.callee) if call.callee else None
        if found is not None and _function_saves(found[0], found[1].qualname):
            return True
        if (
            not qual
            and not call.method
            and call.callee
            and re.search(r"save|dump|persist|export|store|write|log", call.callee, re.I)
        ):
            return True
        if call.callee == name or call.method in ("__call__",):
            continue
    # returned to a caller, or stored on `self`/in a dict that may be saved elsewhere
    for fn in facts.functions:
        if any(_reads(r, name) for r in fn.returns):
            return True
    for a in facts.assigns:
        if (
            a.op == "="
            and _reads(a.value, name)
            and a.value.kind in ("dict", "list", "tuple", "name")
            and any(t.startswith("self.") or t.endswith("[]") for t in a.targets)
        ):
            return True
    return fit.leaf in fw.KERAS_PREPROCESSING_LAYERS and _layer_in_model(facts, fit)


def _function_saves(facts: FileFacts, qualname: str) -> bool:
    return any(
        c.scope == qualname and (c.qualname in _SAVE_QUALS or c.method in ("save", "dump"))
        for c in facts.calls
    )


def _layer_in_model(facts: FileFacts, fit: PreFit) -> bool:
    """A Keras preprocessing layer applied to a symbolic tensor (functional API) or given to a model."""
    for call in facts.calls:
        if call.callee != fit.obj:
            continue
        for a in call.args:
            for n in a.value.names:
                src = reaching(facts, n, call.scope, call.stmt)
                if src is None:
                    continue
                for cid in src.value.calls:
                    q = facts.call_by_id[cid].qualname
                    if q.startswith("keras.layers.") or q.startswith("keras.Input"):
                        return True
    return False


def _stats_calls(facts: FileFacts) -> Iterator[tuple[Call, Value]]:
    """mean/std/min/max calls with the data they summarise."""
    for call in facts.calls:
        if call.qualname in _STATS_QUALS:
            first = call.arg(0)
            if first is not None:
                yield call, first.value
        elif call.method in _STATS_METHODS and not call.qualname and call.receiver:
            yield call, Value(kind="name", text=call.receiver, names=(call.receiver,))
        elif call.method in _STATS_METHODS and not call.qualname and call.receiver_call < 0:
            # `df[COLS].mean()`: the receiver is an expression; its names are in the statement's value
            for assign in facts.assigns:
                if assign.stmt == call.stmt and assign.value.call == call.id:
                    yield call, assign.value
                    break


def _normalising_stats(facts: FileFacts) -> dict[int, tuple[Call, Value]]:
    """Statistics that are used to normalise data: `(x - x.mean()) / x.std()`, `mean = X.mean(0); (X - mean) / std`."""
    stats = {c.id: (c, v) for c, v in _stats_calls(facts)}
    out: dict[int, tuple[Call, Value]] = {}
    values: list[tuple[Value, str, int]] = [(a.value, a.scope, a.stmt) for a in facts.assigns]
    values += [
        (arg.value, c.scope, c.stmt)
        for c in facts.calls
        for arg in c.args
        if arg.value.kind == "binop"
    ]
    for value, scope, stmt in values:
        if value.kind != "binop" or not ({"-", "/"} & set(value.ops)):
            continue
        ids = set(value.calls)
        for cid in value.calls:
            if cid in stats and facts.call_by_id[cid].parent not in ids:
                out[cid] = stats[cid]
        for n in value.names:
            a = reaching(facts, n, scope, stmt)
            if a is None or a.op != "=":
                continue
            inner_ids = set(a.value.calls)
            for cid in a.value.calls:
                if cid in stats and facts.call_by_id[cid].parent not in inner_ids:
                    out[cid] = stats[cid]
    return out


def _split_inputs(facts: FileFacts, index: ProjectIndex) -> list[tuple[Call, list[Value]]]:
    out: list[tuple[Call, list[Value]]] = []
    for call in facts.calls:
        if call.qualname in fw.SPLIT_CALLS and call.qualname.endswith(
            ("train_test_split", "random_split")
        ):
            out.append((call, [a.value for a in call.args if a.keyword is None and not a.star]))
        elif call.qualname in _SPLIT_EXTRA:
            out.append(
                (
                    call,
                    [a.value for a in call.args[1:2] if a.keyword is None]
                    + [a.value for a in call.args if a.keyword == "X"],
                )
            )
        elif call.method == "split" and call.args:
            splitter = ""
            if call.receiver_call >= 0:
                splitter = facts.call_by_id[call.receiver_call].qualname
            elif call.receiver:
                a = reaching(facts, call.receiver, call.scope, call.stmt)
                if a is not None and a.value.kind == "call":
                    splitter = facts.call_by_id[a.value.call].qualname
            if splitter in fw.SPLIT_CALLS:
                out.append((call, [call.args[0].value]))
        elif (
            call.method in TRAIN_METHODS
            and call.has_kwarg("validation_split")
            and call.kwarg_const("validation_split") not in (0, 0.0, None)
        ):
            data = data_arg(call)
            if data is not None:
                out.append((call, [data]))
    # a split by slicing: `X_train, X_val = X[:n], X[n:]`, `X_test = X[n:]`
    for a in facts.assigns:
        if a.op != "=" or not any(is_eval_name(t) for t in a.targets):
            continue
        parts = a.value.items if a.value.kind == "tuple" else (a.value,)
        if parts and all(p.kind == "subscript" for p in parts):
            anchor = Call(-1, "", "", "", "", -1, (), a.scope, a.loops, (), a.stmt, a.span)
            out.append(
                (anchor, [Value("name", p.names[0], names=(p.names[0],)) for p in parts if p.names])
            )
    return out


def _root_names(facts: FileFacts, value: Value) -> set[str]:
    return {
        n
        for n in value.names
        if n.split(".", 1)[0] not in facts.imports and n not in facts.constants and not n.isupper()
    }


def _helper_sites(facts: FileFacts, index: ProjectIndex, fit: PreFit) -> list[Call]:
    """Call sites that pass evaluation data (or run at inference) into a helper whose fit reads its parameter."""
    fn = facts.function_by_qualname.get(fit.call.scope)
    data = data_arg(fit.call)
    if fn is None or data is None:
        return []
    tracer_lineage = lineage(facts, data, fit.call.scope, fit.call.stmt, index, follow_params=False)
    params = [p for p in tracer_lineage.params if p in fn.params]
    if not params:
        return []
    out: list[Call] = []
    for owner, site in call_sites(facts, fn, index):
        for p in params:
            arg = argument_for(site, fn, p)
            if arg is not None and is_eval_data(owner, arg, site.scope, site.stmt):
                out.append(site)
                break
    return out


# --- PRE001 ---------------------------------------------------------------------------------------


@rule(
    "PRE001",
    "fitted-preprocessor-not-persisted",
    severity="error",
    positives=[
        """
import joblib
import pandas as pd
from sklearn.preprocessing import StandardScaler
from sklearn.linear_model import LogisticRegression

df = pd.read_csv("train.csv")
scaler = StandardScaler()
X = scaler.fit_transform(df.drop(columns="y"))  # expect: PRE001
clf = LogisticRegression().fit(X, df["y"])
joblib.dump(clf, "model.joblib")
""",
        """
import tensorflow as tf
from tensorflow.keras.preprocessing.text import Tokenizer

def main(texts, labels):
    tok = Tokenizer(num_words=5000)
    tok.fit_on_texts(texts)  # expect: PRE001
    seqs = tf.keras.utils.pad_sequences(tok.texts_to_sequences(texts), maxlen=100)
    model = tf.keras.Sequential([tf.keras.layers.Embedding(5000, 32), tf.keras.layers.GlobalAveragePooling1D(), tf.keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(seqs, labels, epochs=2)
    model.save("text.keras")
""",
        {
            "config.py": 'MODEL_PATH = "models/reg.pt"\n',
            "train.py": """
import torch
from sklearn.preprocessing import MinMaxScaler as MMS
from config import MODEL_PATH

class Trainer:
    def __init__(self, net):
        self.net = net
        self.scaler = MMS()

    def run(self, X, y):
        Xs = torch.tensor(self.scaler.fit_transform(X), dtype=torch.float32)  # expect: PRE001
        opt = torch.optim.Adam(self.net.parameters())
        for _ in range(10):
            opt.zero_grad()
            loss = ((self.net(Xs) - y) ** 2).mean()
            loss.backward()
            opt.step()
        torch.save(self.net.state_dict(), MODEL_PATH)
""",
        },
    ],
    negatives=[
        """
import joblib
from sklearn.preprocessing import StandardScaler as SS
from sklearn.svm import SVC

def train(X, y):
    scaler = SS()
    clf = SVC().fit(scaler.fit_transform(X), y)
    joblib.dump(clf, "svm.joblib")
    with open("scaler.pkl", "wb") as f:
        import pickle
        pickle.dump(scaler, f)
""",
        """
from tensorflow import keras

def build(x_train):
    norm = keras.layers.Normalization()
    norm.adapt(x_train)
    return keras.Sequential([norm, keras.layers.Dense(1)])

model = build(x)
model.compile(loss="mse")
model.fit(x, y)
model.save("m.keras")
""",
        """
import pandas as pd
from sklearn.preprocessing import StandardScaler
from sklearn.decomposition import PCA

df = pd.read_csv("data.csv")
coords = PCA(2).fit_transform(StandardScaler().fit_transform(df))
pd.DataFrame(coords).to_csv("coords.csv")
""",
        """
import joblib
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.linear_model import Ridge

scaler = StandardScaler()
pipe = make_pipeline(scaler, Ridge())
pipe.fit(X, y)
joblib.dump(pipe, "pipe.joblib")
""",
    ],
)
def fitted_preprocessor_not_persisted(facts: FileFacts, index: ProjectIndex) -> Iterator[Finding]:
    """What it does:
    Flags a preprocessor (scaler, encoder, vectoriser, tokenizer, adapted Keras layer) that is fitted
    on training data in a script that saves a model, when the fitted object itself is never saved.

    Why is this bad?:
    The model only works on data transformed with the statistics learned at training time
    (means, scales, vocabularies). If the fitted preprocessor is not saved, the inference script
    cannot apply the same transform: it skips it, or refits it on new data, and predictions are wrong.

    Example:
    ```python
    scaler = StandardScaler()
    X_train = scaler.fit_transform(X_train)
    model.fit(X_train, y_train)
    joblib.dump(model, "model.joblib")
    ```

    Use instead:
    ```python
    joblib.dump(scaler, "scaler.joblib")   # or save a Pipeline(scaler, model), or put a Keras Normalization layer in the model
    ```

    References:
    - https://scikit-learn.org/stable/model_persistence.html
    - https://keras.io/guides/preprocessing_layers/
    """
    saves = model_saves(facts, index)
    if not saves:
        return
    done: set[str] = set()
    for fit in preprocessor_fits(facts, index):
        key = fit.obj or f"#{fit.ctor}"
        if key in done:
            continue
        data = data_arg(fit.call)
        if data is None:
            continue
        if fit.leaf in _TARGET_ENCODERS and _is_target_data(data):
            continue
        if in_inference_path(facts, fit.call, index) or is_eval_data(
            facts, data, fit.call.scope, fit.call.stmt
        ):
            continue
        done.add(key)
        if _persisted(facts, index, fit):
            continue
        save = saves[0]
        save_call = facts.call_by_id[save.call]
        what = f"`{fit.obj}`" if fit.obj else f"this `{fit.leaf}`"
        yield Finding(
            fit.call.span,
            f"{what} ({fit.leaf}) is fitted here but never saved, while the model is saved"
            f"{f' to `{save.path}`' if save.path else ''}: inference cannot apply the same transform; "
            "save it (joblib.dump) or put it in a saved Pipeline/model",
            related=(
                Related(facts.path, save_call.span.line, save_call.span.column, "model saved here"),
            ),
            artifact=save.path or None,
        )


# --- PRE002 ---------------------------------------------------------------------------------------


@rule(
    "PRE002",
    "preprocessor-refit-at-inference",
    severity="error",
    positives=[
        """
import joblib
from sklearn.preprocessing import StandardScaler

def predict(df):
    model = joblib.load("model.joblib")
    X = StandardScaler().fit_transform(df)  # expect: PRE002
    return model.predict(X)
""",
        """
from sklearn.preprocessing import MinMaxScaler
from sklearn.model_selection import train_test_split
from sklearn.linear_model import Ridge

X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
mms = MinMaxScaler()
X_train = mms.fit_transform(X_train)
X_test = mms.fit_transform(X_test)  # expect: PRE002, PRE004
Ridge().fit(X_train, y_train)
""",
        """
import pandas as pd
from sklearn.preprocessing import StandardScaler
from sklearn.linear_model import Ridge

def prepare(frame):
    return StandardScaler().fit_transform(frame)  # expect: PRE002, PRE004

train = pd.read_csv("train.csv")
test = pd.read_csv("test.csv")
m = Ridge().fit(prepare(train), train["y"])
print(m.score(prepare(test), test["y"]))
""",
    ],
    negatives=[
        """
import joblib

def predict(df):
    model = joblib.load("model.joblib")
    scaler = joblib.load("scaler.joblib")
    return model.predict(scaler.transform(df))
""",
        """
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

scaler = StandardScaler().fit(X_train)
clf = SVC().fit(scaler.transform(X_train), y_train)
print(clf.score(scaler.transform(X_test), y_test))
""",
        """
import joblib
import pandas as pd

class Predictor:
    def __init__(self, path):
        self.pipeline = joblib.load(path)

    def predict(self, frame: pd.DataFrame):
        return self.pipeline.predict(frame)
""",
        """
import unittest
import numpy as np
from tensorflow import keras

class LookupLayerTest(unittest.TestCase):
    def test_adapt_learns_vocabulary(self):
        lookup = keras.layers.IntegerLookup()
        lookup.adapt(np.array([3, 1, 3]))
        self.assertEqual(lookup.vocabulary_size(), 3)

    def test_reload(self):
        restored = keras.models.load_model("golden/lookup.keras")
        self.assertIsNotNone(restored)
""",
    ],
)
def preprocessor_refit_at_inference(facts: FileFacts, index: ProjectIndex) -> Iterator[Finding]:
    """What it does:
    Flags a preprocessor that is fitted in an inference path (after a model is loaded, in a
    `predict`/`evaluate`/`serve` function, under `torch.no_grad()`) or on evaluation data
    (`scaler.fit_transform(X_test)`, a shared helper that fits and is also called on test data).

    Why is this bad?:
    Refitting learns new statistics from the data being scored: the features no longer mean what
    they meant in training (a batch of one row scales to zeros), and the test score measures
    something other than what is deployed.

    Example:
    ```python
    model = joblib.load("model.joblib")
    X = StandardScaler().fit_transform(new_data)
    model.predict(X)
    ```

    Use instead:
    ```python
    scaler = joblib.load("scaler.joblib")   # fitted on training data, saved by the training script
    model.predict(scaler.transform(new_data))
    ```

    References:
    - https://scikit-learn.org/stable/common_pitfalls.html#inconsistent-preprocessing
    """
    for fit in preprocessor_fits(facts, index):
        data = data_arg(fit.call)
        if data is None:
            continue
        call = fit.call
        reason = inference_reason(facts, call.scope, call.stmt, call.withs, index)
        if reason:
            yield Finding(
                call.span,
                f"`{fit.leaf}` is fitted at inference ({reason}): it learns new statistics from the data it scores; load the preprocessor fitted in training and call `transform`",
            )
            continue
        if is_eval_data(facts, data, call.scope, call.stmt):
            yield Finding(
                call.span,
                f"`{fit.leaf}` is fitted on evaluation data `{data.text}`: use the one fitted on training data and call `transform`",
            )
            continue
        sites = _helper_sites(facts, index, fit)
        if sites:
            site = sites[0]
            yield Finding(
                call.span,
                f"`{call.scope}` fits a new `{fit.leaf}` on whatever it is given, and it is also called on evaluation data (line {site.span.line}): fit once on training data and reuse it",
                related=(
                    Related(
                        facts.path,
                        site.span.line,
                        site.span.column,
                        "called on evaluation data here",
                    ),
                ),
            )


# --- PRE003 ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainInput:
    root: str  # the trained model's name
    call: Call
    lineage: Lineage
    file: str


def train_inputs(facts: FileFacts, index: ProjectIndex) -> tuple[TrainInput, ...]:
    """What each training call feeds its model, with the data's lineage."""
    memo = memos(facts, index)
    if memo.train_inputs is not None:
        return memo.train_inputs
    out: list[TrainInput] = []
    for call in facts.calls:
        if call.method not in TRAIN_METHODS or call.qualname:
            continue
        if call.receiver_call >= 0:
            found = classify_call(facts, facts.call_by_id[call.receiver_call], index)
            data = data_arg(call)
            if found is None or found[0] not in MODEL_KINDS or data is None:
                continue
            root = next(
                (
                    a.targets[0]
                    for a in facts.assigns
                    if a.stmt == call.stmt and a.value.call == call.id and len(a.targets) == 1
                ),
                "",
            )
            out.append(
                TrainInput(
                    root, call, lineage(facts, data, call.scope, call.stmt, index), facts.path
                )
            )
            continue
        if not call.receiver:
            continue
        b = binding_at(facts, call.receiver, call.scope, call.stmt, index)
        if b is not None and (b.kind not in MODEL_KINDS or b.kind == "unpickled"):
            continue
        if b is None and (len(call.args) < 2 or "trainer" in call.receiver.lower()):
            continue
        data = data_arg(call)
        if data is None:
            continue
        out.append(
            TrainInput(
                call.receiver,
                call,
                lineage(facts, data, call.scope, call.stmt, index),
                facts.path,
            )
        )
    for feed in model_feeds(facts, index):
        call = facts.call_by_id[feed.call]
        if feed.stage != "train" or call.method in TRAIN_METHODS:
            continue
        out.append(
            TrainInput(
                feed.model,
                call,
                lineage(facts, feed.data, call.scope, call.stmt, index),
                facts.path,
            )
        )
    result = tuple(out)
    memo.train_inputs = result
    return result


def _inference_calls(facts: FileFacts, index: ProjectIndex) -> Iterator[Call]:
    trains = training_scopes(facts, index)
    for call in facts.calls:
        if (
            call.method in PREDICT_METHODS
            and (call.receiver or call.receiver_call >= 0)
            and not call.qualname
        ):
            if call.receiver:
                b = binding_at(facts, call.receiver, call.scope, call.stmt, index)
                if b is not None and b.kind in (
                    "preprocessor",
                    "pipeline",
                    "optimizer",
                    "dataloader",
                ):
                    continue
                if b is None and call.receiver in ("self", "np", "pd"):
                    continue
            yield call
        elif not call.method and call.callee and not call.qualname:
            b = binding_at(facts, call.callee, call.scope, call.stmt, index)
            if b is None or b.kind not in (
                "torch-module",
                "keras-model",
                "torch-loaded",
                "hf-model",
            ):
                continue
            if call.scope in trains and not any(w in NO_GRAD_CONTEXTS for w in call.withs):
                continue
            if in_inference_path(facts, call, index):
                yield call


def _model_root(call: Call) -> str:
    return call.receiver if call.method else call.callee


def _load_events_for(
    facts: FileFacts, index: ProjectIndex, root: str, scope: str, stmt: int, depth: int = 0
) -> list[ArtifactEvent]:
    """The load events whose result `root` holds at (scope, stmt)."""
    if depth > 3 or not root:
        return []
    events = [e for e in artifact_events(facts, index) if e.action == "load"]
    by_call = {e.call: e for e in events}
    out: list[ArtifactEvent] = []
    assign = reaching(facts, root, scope, stmt)
    if assign is not None:
        for cid in assign.value.calls:
            if cid in by_call:
                out.append(by_call[cid])
        if not out and assign.value.kind == "call":
            call = facts.call_by_id[assign.value.call]
            target = call.callee
            if call.method and call.receiver in ("self", "cls"):
                fn = facts.function_by_qualname.get(scope)
                target = f"{fn.cls}.{call.method}" if fn is not None and fn.cls else call.method
            found = index.function_for(facts, target) if target else None
            if found is not None:
                owner, fn2 = found
                out.extend(
                    e
                    for e in artifact_events(owner, index)
                    if e.action == "load"
                    and owner.call_by_id[e.call].scope == fn2.qualname
                    and e.api != "numpy-load"
                )
        if not out and assign.value.kind in ("name", "attr") and assign.value.text != root:
            out.extend(
                _load_events_for(
                    facts, index, assign.value.text, assign.scope, assign.stmt, depth + 1
                )
            )
    # model.load_state_dict(torch.load(p)) / model.load_weights(p)
    for e in events:
        call = facts.call_by_id[e.call]
        if e.api == "load-weights" and e.obj == root:
            out.append(e)
        elif call.parent >= 0:
            parent = facts.call_by_id[call.parent]
            if parent.method == "load_state_dict" and _obj_root(parent.receiver) == root:
                out.append(e)
    return out


def _lineage_for_saved(index: ProjectIndex, save: ArtifactEvent) -> list[TrainInput]:
    owner = index.file(save.file)
    if owner is None:
        return []
    inputs = train_inputs(owner, index)
    root = _obj_root(save.obj)
    matched = [t for t in inputs if t.root == root or _obj_root(t.root) == root]
    if matched:
        return matched
    if len({t.root for t in inputs}) == 1:
        return list(inputs)
    return []


@rule(
    "PRE003",
    "preprocessing-skipped-at-inference",
    severity="error",
    positives=[
        {
            "config.py": 'MODEL = "artifacts/clf.joblib"\n',
            "train.py": """
import joblib
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from config import MODEL

scaler = StandardScaler()
X = scaler.fit_transform(X_raw)
clf = SVC().fit(X, y)
joblib.dump(clf, MODEL)
joblib.dump(scaler, "artifacts/scaler.joblib")
""",
            "predict.py": """
import joblib
import pandas as pd
import config

def predict(path):
    clf = joblib.load(config.MODEL)
    rows = pd.read_csv(path)
    return clf.predict(rows)  # expect: PRE003
""",
        },
        """
import numpy as np
from tensorflow import keras

(x_train, y_train), _ = keras.datasets.mnist.load_data()
model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(10)])
model.compile(loss="sparse_categorical_crossentropy")
model.fit(x_train / 255.0, y_train)
model.save("mnist.keras")

def predict_digit(path):
    m = keras.models.load_model("mnist.keras")
    img = np.load(path).astype("float32")
    return m.predict(img[None])  # expect: PRE003
""",
    ],
    negatives=[
        {
            "train.py": """
import joblib
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

scaler = StandardScaler()
clf = SVC().fit(scaler.fit_transform(X_raw), y)
joblib.dump(clf, "clf.joblib")
joblib.dump(scaler, "scaler.joblib")
""",
            "predict.py": """
import joblib
import pandas as pd

def predict(path):
    clf = joblib.load("clf.joblib")
    scaler = joblib.load("scaler.joblib")
    return clf.predict(scaler.transform(pd.read_csv(path)))
""",
        },
        """
import numpy as np
from tensorflow import keras

def preprocess(images):
    return images.astype(np.float32) / 255.0

model = keras.Sequential([keras.layers.Dense(10)])
model.fit(preprocess(x_train), y_train)
model.save("m.keras")
print(model.predict(preprocess(x_test)))
""",
        """
from tensorflow import keras

model = keras.Sequential([keras.layers.Rescaling(1 / 255), keras.layers.Dense(10)])
model.fit(x_train, y_train)
model.save("m.keras")
print(model.predict(x_new))
""",
    ],
)
def preprocessing_skipped_at_inference(facts: FileFacts, index: ProjectIndex) -> Iterator[Finding]:
    """What it does:
    Flags a `predict` / `evaluate` / `model(x)` call in an inference path whose input never went
    through the transform that training applied before `fit` (`scaler.transform`, `(x - mean) / std`,
    `x / 255.0`, `tokenizer.texts_to_sequences`, an encoder, a project `preprocess()` helper).
    The training side is found in the same file or in the script that saved the loaded artifact.

    Why is this bad?:
    The model learned on transformed features; raw features are on another scale or in another
    representation, so predictions are silently wrong, with no error.

    Example:
    ```python
    # train.py
    model.fit(scaler.fit_transform(X), y); joblib.dump(model, "m.joblib")
    # predict.py
    joblib.load("m.joblib").predict(new_rows)
    ```

    Use instead:
    ```python
    scaler = joblib.load("scaler.joblib")
    model.predict(scaler.transform(new_rows))   # or train and save a Pipeline
    ```

    References:
    - https://scikit-learn.org/stable/common_pitfalls.html#inconsistent-preprocessing
    """
    reported: set[int] = set()
    for call in _inference_calls(facts, index):
        data = data_arg(call)
        if data is None or data.kind == "const":
            continue
        seen = lineage(facts, data, call.scope, call.stmt, index)
        if not seen.raw:
            continue
        root = _model_root(call)
        inputs: list[TrainInput] = []
        artifact = ""
        loads = _load_events_for(facts, index, root, call.scope, call.stmt)
        if loads:
            for load in loads:
                for save in index.partners(load, "save"):
                    got = _lineage_for_saved(index, save)
                    if got:
                        artifact = artifact or load.path
                    inputs.extend(got)
        else:
            own = train_inputs(facts, index)
            inputs = [t for t in own if t.root == root]
            if not inputs and root:
                assign = reaching(facts, root, call.scope, call.stmt)
                fn = facts.function_by_qualname.get(call.scope)
                is_param = assign is None and fn is not None and root in fn.params
                from_call = (
                    assign is not None
                    and assign.value.kind == "call"
                    and classify_call(facts, facts.call_by_id[assign.value.call], index) is None
                )
                if (is_param or from_call) and len({t.root for t in own}) == 1:
                    inputs = list(own)
        if not inputs or not all(t.lineage.transforms for t in inputs):
            continue
        if call.id in reported:
            continue
        reported.add(call.id)
        first = inputs[0]
        transform = sorted(first.lineage.transforms, key=len)[0]
        if len(transform) > 60:
            transform = transform[:57] + "..."
        yield Finding(
            call.span,
            f"`{call.callee or call.method}` gets `{data.text}` untransformed, but training fed the model data through `{transform}`"
            f" ({first.file}:{first.call.span.line}): apply the same fitted transform at inference",
            related=(
                Related(
                    first.file,
                    first.call.span.line,
                    first.call.span.column,
                    "training input transformed here",
                ),
            ),
            artifact=artifact or None,
        )


# --- PRE004 ---------------------------------------------------------------------------------------


@rule(
    "PRE004",
    "statistics-from-evaluation-data",
    severity="warning",
    positives=[
        """
import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

X = np.load("x.npy")
X_scaled = StandardScaler().fit_transform(X)  # expect: PRE004
X_tr, X_te, y_tr, y_te = train_test_split(X_scaled, y, random_state=0)
""",
        """
import numpy as np

x_val = np.load("val.npy")
x_val = (x_val - x_val.mean(axis=0)) / x_val.std(axis=0)  # expect: PRE004
""",
        """
import pandas as pd
from sklearn.model_selection import train_test_split

df = pd.read_csv("d.csv")
mean = df[COLS].mean()  # expect: PRE004
std = df[COLS].std()
df[COLS] = (df[COLS] - mean) / std
train, test = train_test_split(df, test_size=0.2, random_state=1)
""",
    ],
    negatives=[
        """
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

X_tr, X_te, y_tr, y_te = train_test_split(X, y, random_state=0)
sc = StandardScaler().fit(X_tr)
X_tr, X_te = sc.transform(X_tr), sc.transform(X_te)
""",
        """
import numpy as np

acc = (model.predict(X_test) == y_test).mean()
print(acc, X_test.std())
""",
        """
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

print(cross_val_score(make_pipeline(StandardScaler(), SVC()), X, y, cv=5))
""",
    ],
)
def statistics_from_evaluation_data(facts: FileFacts, index: ProjectIndex) -> Iterator[Finding]:
    """What it does:
    Flags normalisation statistics (a scaler fit, `mean`/`std`/`min`/`max` used to normalise)
    computed on test/validation data, or on the full data set before it is split.

    Why is this bad?:
    Statistics that have seen the evaluation data leak it into training: the test score is better
    than what the deployed model will reach, and statistics from a test batch are not the ones the
    model was trained with.

    Example:
    ```python
    X = StandardScaler().fit_transform(X)
    X_train, X_test, y_train, y_test = train_test_split(X, y)
    ```

    Use instead:
    ```python
    X_train, X_test, y_train, y_test = train_test_split(X, y)
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    ```

    References:
    - https://scikit-learn.org/stable/common_pitfalls.html#data-leakage
    """
    flagged: set[int] = set()
    fits = [f for f in preprocessor_fits(facts, index) if f.leaf in _STATS_PREPROCESSORS]
    for fit in fits:
        data = data_arg(fit.call)
        if data is None:
            continue
        if is_eval_data(facts, data, fit.call.scope, fit.call.stmt):
            flagged.add(fit.call.span.line)
            yield Finding(
                fit.call.span,
                f"`{fit.leaf}` statistics are computed on evaluation data `{data.text}`: fit on the training split only",
            )
            continue
        sites = _helper_sites(facts, index, fit)
        if sites:
            flagged.add(fit.call.span.line)
            yield Finding(
                fit.call.span,
                f"`{fit.leaf}` in `{fit.call.scope}` is fitted on evaluation data too (line {sites[0].span.line}): fit on the training split only",
            )
    norm_stats = _normalising_stats(facts)
    for _cid, (call, data) in sorted(norm_stats.items()):
        if call.span.line in flagged:
            continue
        if any(is_eval_name(n) for n in data.names):
            flagged.add(call.span.line)
            yield Finding(
                call.span,
                f"normalisation statistic `{call.callee or call.method}` is computed on evaluation data `{data.text}`: use the training statistics",
            )
    # statistics computed on the full data before it is split
    for split, inputs in _split_inputs(facts, index):
        names: set[str] = set()
        for v in inputs:
            names |= _root_names(facts, v)
        lin = Lineage()
        for v in inputs:
            lin = lin | lineage(facts, v, split.scope, split.stmt, index)
        candidates: list[tuple[Call, Value, str]] = [
            (f.call, data_arg(f.call) or Value("other", ""), f.leaf) for f in fits
        ]
        candidates += [(c, d, c.callee or c.method) for c, d in norm_stats.values()]
        for call, data, what in sorted(candidates, key=lambda c: c[0].id):
            if split.span.line in flagged:
                break  # one finding per split
            if call.span.line in flagged or call.stmt >= split.stmt:
                continue
            if call.scope != split.scope and call.scope != "":
                continue
            if call.id in lin.calls or (
                names & _root_names(facts, data) and not any(is_eval_name(n) for n in data.names)
            ):
                flagged.add(call.span.line)
                flagged.add(split.span.line)
                yield Finding(
                    call.span,
                    f"`{what}` statistics are computed on the full data before it is split (line {split.span.line}): the test split leaks into them; split first, then fit on the training part",
                    related=(
                        Related(facts.path, split.span.line, split.span.column, "data split here"),
                    ),
                )


# --- PRE005 ---------------------------------------------------------------------------------------


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
    for other in index.files:
        for c in other.calls:
            if c.qualname not in _SAVE_QUALS:
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
    ],
)
def hand_rebuilt_preprocessor(facts: FileFacts, index: ProjectIndex) -> Iterator[Finding]:
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
        if not inference_reason(facts, scope, stmt, withs, index):
            continue
        why = _rebuilt_from(facts, index, value, scope, stmt)
        if why:
            lines.add(span.line)
            yield Finding(
                span,
                f"the fitted transform is rebuilt by hand from {why}: load the fitted preprocessor and call `transform` instead",
            )


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
        re.search(r"\b\w*(mean|std|scale|sigma|mu|var|min|max|stats?)\w*\b", t, re.I)
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
        if call.qualname not in _SAVE_QUALS:
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
                    c.qualname in _SAVE_QUALS and any(x.value.name == obj for x in c.args)
                    for c in facts.calls
                )
                if not whole:
                    yield call, obj


# --- PRE006 ---------------------------------------------------------------------------------------


@rule(
    "PRE006",
    "data-dependent-encoding-at-inference",
    severity="error",
    positives=[
        """
import joblib
import pandas as pd

def predict(path):
    model = joblib.load("model.joblib")
    df = pd.read_csv(path)
    X = pd.get_dummies(df, columns=["city"])  # expect: PRE006
    return model.predict(X)
""",
        """
import joblib
import pandas as pd
from sklearn.preprocessing import LabelEncoder

model = joblib.load("model.joblib")
new = pd.read_csv("new.csv")
new["city"] = LabelEncoder().fit_transform(new["city"])  # expect: PRE002, PRE006
new["kind"] = new["kind"].astype("category").cat.codes  # expect: PRE006
print(model.predict(new))
""",
    ],
    negatives=[
        """
import joblib
import pandas as pd

def predict(path):
    model = joblib.load("model.joblib")
    cols = joblib.load("columns.joblib")
    X = pd.get_dummies(pd.read_csv(path)).reindex(columns=cols, fill_value=0)
    return model.predict(X)
""",
        """
import pandas as pd

df = pd.read_csv("eda.csv")
colors = df["state"].astype("category").cat.codes
dummies = pd.get_dummies(df["kind"])
""",
    ],
)
def data_dependent_encoding_at_inference(
    facts: FileFacts, index: ProjectIndex
) -> Iterator[Finding]:
    """What it does:
    Flags categorical encoding whose output depends on the data it sees, applied at inference:
    `pd.get_dummies(new_df)` without re-aligning to the training columns, `LabelEncoder().fit` on new
    data, a `OneHotEncoder()` without `handle_unknown` used on new data, `astype("category").cat.codes`,
    `pd.factorize`.

    Why is this bad?:
    The columns or codes come from the categories present in the batch: a missing category drops a
    column, a new one adds a column, and codes shift. The model then reads the wrong features.

    Example:
    ```python
    X = pd.get_dummies(new_df)
    model.predict(X)
    ```

    Use instead:
    ```python
    X = pd.get_dummies(new_df).reindex(columns=train_columns, fill_value=0)
    # or: encoder = joblib.load("encoder.joblib"); encoder.transform(new_df)  (OneHotEncoder(handle_unknown="ignore"))
    ```

    References:
    - https://scikit-learn.org/stable/modules/preprocessing.html#encoding-categorical-features
    """
    for call in facts.calls:
        qual = call.qualname
        message = ""
        if qual == "pandas.get_dummies":
            if _aligned(facts, call):
                continue
            message = "`pd.get_dummies` on inference data makes columns from the categories in this batch: reindex to the training columns (or use a saved OneHotEncoder)"
        elif qual == "pandas.factorize" or (
            qual == "pandas.Categorical"
            and not call.has_kwarg("categories")
            and _stmt_text_has(facts, call, ".codes")
        ):
            message = "codes computed from the categories in this batch differ from the training codes: use the saved encoder or fixed categories"
        elif (
            call.method == "astype"
            and _first_arg_const(call) == "category"
            and _stmt_text_has(facts, call, "cat.codes")
        ):
            message = '`astype("category").cat.codes` numbers the categories present in this batch: the codes differ from training; use the saved encoder or fixed categories'
        if not message:
            continue
        if in_inference_path(facts, call, index):
            yield Finding(call.span, message)
    for fit in preprocessor_fits(facts, index):
        if fit.leaf not in _CATEGORICAL_ENCODERS:
            continue
        data = data_arg(fit.call)
        if (
            data is None
            or fit.leaf in _TARGET_ENCODERS
            and _is_target_data(data)
            and not is_inference_function(facts, fit.call.scope, index)
        ):
            continue
        if in_inference_path(facts, fit.call, index):
            yield Finding(
                fit.call.span,
                f"`{fit.leaf}` is fitted on inference data: its categories (columns, codes) come from this batch, not from training",
            )
    # a OneHotEncoder without handle_unknown, loaded or built, transforming new data
    for call in facts.calls:
        if call.method != "transform" or not call.receiver:
            continue
        if not in_inference_path(facts, call, index):
            continue
        data = data_arg(call)
        if data is None or is_eval_data(facts, data, call.scope, call.stmt):
            continue
        if _strict_onehot(facts, index, call):
            yield Finding(
                call.span,
                'this OneHotEncoder was built without `handle_unknown="ignore"`: a category unseen in training makes `transform` fail on new data',
            )


def _aligned(facts: FileFacts, call: Call) -> bool:
    """get_dummies followed by reindex/align to fixed columns, or with fixed categories set before."""
    if call.parent >= 0 and facts.call_by_id[call.parent].method in (
        "reindex",
        "align",
        "reindex_like",
    ):
        return True
    targets = {t for a in facts.assigns if a.stmt == call.stmt for t in a.targets}
    for other in facts.calls:
        if other.scope != call.scope:
            continue
        if (
            other.stmt >= call.stmt
            and other.method in ("reindex", "align", "reindex_like")
            and (
                other.receiver in targets
                or any(_reads(a.value, t) for a in other.args for t in targets)
            )
        ):
            return True
        if other.qualname in (
            "pandas.Categorical",
            "pandas.CategoricalDtype",
            "pandas.api.types.CategoricalDtype",
        ) and other.has_kwarg("categories"):
            return True
        if other.method == "set_categories":
            return True
    for a in facts.assigns:
        if (
            a.scope == call.scope
            and a.stmt > call.stmt
            and a.loops
            and any(t[:-2] in targets for t in a.targets if t.endswith("[]"))
        ):
            return True
    return False


def _first_arg_const(call: Call) -> object:
    first = call.arg(0)
    return first.value.const if first is not None else None


def _stmt_text_has(facts: FileFacts, call: Call, needle: str) -> bool:
    return any(a.stmt == call.stmt and needle in a.value.text for a in facts.assigns) or any(
        c.stmt == call.stmt and any(needle in arg.value.text for arg in c.args) for c in facts.calls
    )


def _strict_onehot(facts: FileFacts, index: ProjectIndex, call: Call) -> bool:
    b = binding_at(facts, call.receiver, call.scope, call.stmt, index)
    if b is not None and b.kind == "preprocessor" and b.cls.endswith("OneHotEncoder"):
        ctor = facts.call_by_id[b.call]
        while ctor.receiver_call >= 0:
            ctor = facts.call_by_id[ctor.receiver_call]
        return _strict_ctor(ctor)
    for load in _load_events_for(facts, index, call.receiver, call.scope, call.stmt):
        for save in index.partners(load, "save"):
            owner = index.file(save.file)
            if owner is None:
                continue
            sb = binding_at(
                owner,
                _obj_root(save.obj),
                owner.call_by_id[save.call].scope,
                owner.call_by_id[save.call].stmt,
                index,
            )
            if sb is not None and sb.kind == "preprocessor" and sb.cls.endswith("OneHotEncoder"):
                ctor = owner.call_by_id[sb.call]
                while ctor.receiver_call >= 0:
                    ctor = owner.call_by_id[ctor.receiver_call]
                return _strict_ctor(ctor)
    return False


def _strict_ctor(ctor: Call) -> bool:
    if any(a.star == "**" for a in ctor.args):
        return False
    value = ctor.kwarg_const("handle_unknown", "error")
    return ctor.arg(keyword="handle_unknown") is None or value == "error"


# --- PRE007 ---------------------------------------------------------------------------------------

_TORCH_RANDOM = re.compile(
    r"^(Random\w*|ColorJitter|RandAugment|AutoAugment|TrivialAugmentWide|AugMix|GaussianBlur|ElasticTransform)$"
)
_IDG_AUGMENT = (
    "rotation_range",
    "width_shift_range",
    "height_shift_range",
    "shear_range",
    "zoom_range",
    "horizontal_flip",
    "vertical_flip",
    "brightness_range",
    "channel_shift_range",
)


def _augmentation(facts: FileFacts, call: Call) -> str:
    """'direct' for a call that augments by itself (tf.image.random_*), 'object' for a constructor of one, else ''."""
    qual = call.qualname
    leaf = qual.rsplit(".", 1)[-1]
    if qual.startswith(("tensorflow.image.random_", "tensorflow.image.stateless_random_")):
        return "direct"
    if qual.startswith("keras.layers.") and leaf in fw.KERAS_RANDOM_AUGMENT_LAYERS:
        return "object"
    if (
        qual.startswith("torchvision.transforms")
        and _TORCH_RANDOM.match(leaf)
        and leaf != "GaussianBlur"
    ):
        return "object"
    if qual.endswith("ImageDataGenerator"):
        for kw in _IDG_AUGMENT:
            v = call.kwarg_const(kw, None)
            if call.arg(keyword=kw) is not None and v not in (0, 0.0, False, None):
                return "object"
            if call.arg(keyword=kw) is not None and v is None:
                return "object"
    return ""


def _outermost(facts: FileFacts, call: Call) -> Call:
    c = call
    while c.parent >= 0:
        parent = facts.call_by_id[c.parent]
        if parent.receiver_call == c.id:
            break  # `RandomFlip()(x)` or `aug.flow(...)`: the object is used here
        c = parent
    return c


def _is_model_composite(facts: FileFacts, composite: Call) -> bool:
    """A Sequential that holds other than preprocessing layers: augmentation layers inside a model are inactive at inference."""
    if not fw.is_keras_model_constructor(composite.qualname):
        return False
    for a in composite.args:
        for cid in a.value.calls:
            inner = facts.call_by_id[cid]
            leaf = inner.qualname.rsplit(".", 1)[-1]
            if (
                inner.qualname.startswith("keras.layers.")
                and leaf not in fw.KERAS_RANDOM_AUGMENT_LAYERS
                and leaf not in fw.KERAS_PREPROCESSING_LAYERS
            ):
                return True
            if not inner.qualname and inner.callee:
                return True
    return False


@rule(
    "PRE007",
    "augmentation-at-inference",
    severity="warning",
    positives=[
        """
import torch
from PIL import Image
from torchvision import transforms

tf = transforms.Compose([
    transforms.RandomResizedCrop(224),  # expect: PRE007
    transforms.ToTensor(),
])

@torch.no_grad()
def predict(model, path):
    model.eval()
    return model(tf(Image.open(path)).unsqueeze(0))
""",
        """
import tensorflow as tf

def predict(model, image):
    image = tf.image.random_flip_left_right(image)  # expect: PRE007
    return model.predict(image[None])
""",
        """
from tensorflow import keras

model = keras.models.load_model("cnn.keras")
gen = keras.preprocessing.image.ImageDataGenerator(rescale=1 / 255, rotation_range=20)  # expect: PRE007
print(model.predict(gen.flow(x_new, shuffle=False)))
""",
    ],
    negatives=[
        """
import torch
from torchvision import transforms

train_tf = transforms.Compose([transforms.RandomHorizontalFlip(), transforms.ToTensor()])
test_tf = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor()])

@torch.no_grad()
def predict(model, img):
    model.eval()
    return model(test_tf(img).unsqueeze(0))
""",
        """
from tensorflow import keras

model = keras.Sequential([keras.layers.RandomFlip("horizontal"), keras.layers.Conv2D(8, 3), keras.layers.Flatten(), keras.layers.Dense(2)])
model.load_weights("w.weights.h5")
print(model.predict(x_new))
""",
    ],
)
def augmentation_at_inference(facts: FileFacts, index: ProjectIndex) -> Iterator[Finding]:
    """What it does:
    Flags a random augmentation (`RandomFlip`, `RandomRotation`, `transforms.RandomResizedCrop`,
    `ImageDataGenerator(rotation_range=...)`, `tf.image.random_*`) that runs in an inference path.

    Why is this bad?:
    Augmentation makes predictions random: the same image gets different answers on every call, and
    the evaluation score is computed on distorted inputs.

    Example:
    ```python
    tf = transforms.Compose([transforms.RandomResizedCrop(224), transforms.ToTensor()])
    with torch.no_grad():
        model(tf(image).unsqueeze(0))
    ```

    Use instead:
    ```python
    tf = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor()])
    ```

    References:
    - https://pytorch.org/vision/stable/transforms.html
    """
    used: set[int] | None = None
    imported = {local for local in facts.imports if _imported_augmentation(facts, index, local)}
    if imported:
        used = _inference_call_ids(facts, index)
        for cid in sorted(used):
            c = facts.call_by_id[cid]
            hit = (
                c.callee
                if c.callee in imported
                else next((n for a in c.args for n in a.value.names if n in imported), "")
            )
            if hit:
                aug = _imported_augmentation(facts, index, hit)
                yield Finding(
                    c.span,
                    f"`{hit}` holds a random augmentation (`{aug}`) and is applied at inference: predictions become random; use a deterministic transform for inference",
                )
    for call in facts.calls:
        kind = _augmentation(facts, call)
        if not kind:
            continue
        if kind == "direct":
            if in_inference_path(facts, call, index) or _scope_used_at_inference(
                facts, index, call.scope
            ):
                yield Finding(
                    call.span,
                    f"`{call.callee}` is a random augmentation and runs at inference: predictions become random",
                )
            continue
        composite = _outermost(facts, call)
        if _is_model_composite(facts, composite):
            continue
        if used is None:
            used = _inference_call_ids(facts, index)
        names = [
            t
            for a in facts.assigns
            if a.value.call == composite.id
            or (a.value.kind in ("list", "tuple") and composite.id in a.value.calls)
            for t in a.targets
        ]
        applied = False
        if (
            composite.parent >= 0
            and facts.call_by_id[composite.parent].receiver_call == composite.id
        ):
            applied = composite.parent in used or in_inference_path(
                facts, facts.call_by_id[composite.parent], index
            )
        for name in names:
            if applied:
                break
            for cid in used:
                c = facts.call_by_id[cid]
                if (
                    c.callee == name
                    or c.receiver == name
                    or any(_reads(a.value, name) for a in c.args)
                ):
                    applied = True
                    break
        if applied:
            leaf = call.qualname.rsplit(".", 1)[-1]
            yield Finding(
                call.span,
                f"`{leaf}` is a random augmentation and is applied at inference: predictions become random; use a deterministic transform for inference",
            )


def _imported_augmentation(facts: FileFacts, index: ProjectIndex, local: str) -> str:
    """The random augmentation behind a name imported from another project module, '' if none."""
    qual = facts.imports.get(local)
    if not qual or "." not in qual:
        return ""
    mod, _, name = qual.rpartition(".")
    owner = index.module(mod)
    if owner is None or owner is facts:
        return ""
    for a in owner.assigns:
        if name not in a.targets or a.op != "=":
            continue
        for cid in a.value.calls:
            inner = owner.call_by_id[cid]
            if _augmentation(owner, inner) == "object" and not _is_model_composite(
                owner, _outermost(owner, inner)
            ):
                return inner.qualname.rsplit(".", 1)[-1]
    return ""


def _inference_call_ids(facts: FileFacts, index: ProjectIndex) -> set[int]:
    out: set[int] = set()
    for call in facts.calls:
        if in_inference_path(facts, call, index):
            out.add(call.id)
    for call in _inference_calls(facts, index):
        out.add(call.id)
        data = data_arg(call)
        if data is not None:
            out |= lineage(facts, data, call.scope, call.stmt, index).calls
    return out


def _scope_used_at_inference(facts: FileFacts, index: ProjectIndex, scope: str) -> bool:
    fn = facts.function_by_qualname.get(scope)
    if fn is None:
        return False
    ids = _inference_call_ids(facts, index)
    for cid in ids:
        c = facts.call_by_id[cid]
        if c.callee == fn.name or any(
            fn.name in a.value.names or re.search(rf"\b{re.escape(fn.name)}\(", a.value.text)
            for a in c.args
        ):
            return True
    return False
