"""PRE001 (fitted-preprocessor-not-persisted): Flags a preprocessor (scaler, encoder, vectoriser, tokenizer, adapted Keras layer) that is fitted on training data in a script that saves a model, when the fitted object itself is never saved."""

from __future__ import annotations

import re
from collections.abc import Iterator

from preplint.analysis.artifacts import CHECKPOINT_APIS, artifact_events, partners
from preplint.analysis.context import FileContext
from preplint.analysis.inference import in_inference_path
from preplint.analysis.lineage import data_arg, lineage, reaching
from preplint.analysis.models import TRANSFORM_METHODS
from preplint.analysis.preprocessing import (
    SAVE_QUALS,
    TARGET_ENCODERS,
    _reads,
    is_eval_data,
    is_target_data,
    obj_root,
)
from preplint.analysis.records import ArtifactEvent, PreFit
from preplint.analysis.training import training_calls
from preplint.diagnostics import Related, Severity
from preplint.facts import frameworks as fw
from preplint.facts.model import FileFacts
from preplint.facts.project import ProjectIndex
from preplint.rules import Finding, rule

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


def model_saves(facts: FileFacts, index: ProjectIndex) -> list[ArtifactEvent]:
    """Save events of a model (not of a preprocessor or plain arrays) in this file."""
    trained = {c.receiver for c in training_calls(facts, index) if c.receiver}
    out: list[ArtifactEvent] = []
    for e in artifact_events(facts, index):
        if e.action != "save":
            continue
        root = obj_root(e.obj)
        if (
            e.api in ("keras-save", "keras-save-weights", "jit-save", *CHECKPOINT_APIS)
            or e.api in ("torch-save", "pickle-dump")
            and (
                (e.obj_kind in fw.MODEL_KINDS and e.obj_kind != "unpickled")
                or root in trained
                or ".state_dict" in e.obj
            )
        ):
            out.append(e)
    return out


def _applied_calls(facts: FileFacts, fit: PreFit) -> set[int]:
    """The fit call and the later calls that apply the fitted object (`sc.transform(x)`, `vec(x)`)."""
    out = {fit.call.id}
    if fit.obj:
        bound = reaching(facts, fit.obj, fit.call.scope, fit.call.stmt + 1)
        for c in facts.calls:
            if c.stmt < fit.call.stmt:
                continue
            if c.scope == fit.call.scope and reaching(facts, fit.obj, c.scope, c.stmt) is not bound:
                continue  # the name holds another object by then
            if (c.receiver == fit.obj and c.method in TRANSFORM_METHODS) or c.callee == fit.obj:
                out.add(c.id)
    return out


def _fed_save(
    ctx: FileContext, fit: PreFit, saves: list[ArtifactEvent]
) -> tuple[ArtifactEvent | None, bool]:
    """The save of a model given the fitted object's output, and whether any model is given it.

    A model call (`fit`, `predict`, `model(x)`) is fed when its data went through the fit or
    through a later `transform` of the same object. Its model is paired with a save of the same
    name (the same binding when the save and the model call share a scope).
    """
    facts, index = ctx.facts, ctx.index
    applied = _applied_calls(facts, fit)
    fed = False
    feeds = sorted(ctx.model_feeds, key=lambda f: f.stage != "train")
    for feed in feeds:
        lin = lineage(facts, feed.data, feed.scope, feed.stmt, index)
        if not (lin.calls & applied) and not (fit.obj and fit.obj in feed.data.names):
            continue
        fed = True
        model = feed.model
        if not model:  # `clf = LogisticRegression().fit(X, y)`
            for a in facts.assigns:
                if a.stmt == feed.stmt and feed.call in a.value.calls and len(a.targets) == 1:
                    model = a.targets[0]
        for save in saves:
            root = obj_root(save.obj)
            if root != model:
                continue
            call = facts.call_by_id[save.call]
            if call.scope == feed.scope and reaching(
                facts, root, call.scope, call.stmt
            ) is not reaching(facts, root, feed.scope, feed.stmt + 1):
                continue  # the name was rebound to another model between the call and the save
            return save, True
    # a saved model of unknown kind called on the data: `self.net(Xs)` before `torch.save(self.net...)`
    for save in saves:
        root = obj_root(save.obj)
        for c in facts.calls:
            if c.callee != root or c.stmt > save_stmt(facts, save):
                continue
            data = data_arg(c)
            if data is None:
                continue
            lin = lineage(facts, data, c.scope, c.stmt, index)
            if lin.calls & applied or (fit.obj and fit.obj in data.names):
                return save, True
    return None, fed


def save_stmt(facts: FileFacts, save: ArtifactEvent) -> int:
    return facts.call_by_id[save.call].stmt


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
        if qual in SAVE_QUALS or qual.startswith(
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
        c.scope == qualname and (c.qualname in SAVE_QUALS or c.method in ("save", "dump"))
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


@rule(
    "PRE001",
    "fitted-preprocessor-not-persisted",
    severity="error",
    probe="embedded-preprocessing",
    positives=[
        # An adapted TextVectorization outside the model, whose model is saved only through
        # a ModelCheckpoint callback: the checkpoint is the artifact inference loads.
        """
        import numpy as np
        from tensorflow import keras

        texts = np.array(["good movie", "bad movie"])
        labels = np.array([1, 0])
        vectorize = keras.layers.TextVectorization(max_tokens=1000, output_sequence_length=20)
        vectorize.adapt(texts)  # expect: PRE001
        model = keras.Sequential([keras.layers.Embedding(1000, 16), keras.layers.Dense(1)])
        model.compile(optimizer="adam", loss="binary_crossentropy")
        checkpoint = keras.callbacks.ModelCheckpoint("models/sentiment.keras")
        model.fit(vectorize(texts), labels, epochs=3, callbacks=[checkpoint])
        """,
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
        # pre001_aliased_scaler_in_main
        """
import joblib
import pandas as pd
from sklearn.preprocessing import RobustScaler as RS
from sklearn.ensemble import RandomForestRegressor

def main():
    df = pd.read_csv("train.csv")
    rs = RS()
    X = rs.fit_transform(df.drop(columns=["target"]))  # expect: PRE001
    rf = RandomForestRegressor(random_state=0)
    rf.fit(X, df["target"])
    joblib.dump(rf, "rf.joblib")

if __name__ == "__main__":
    main()
""",
        # pre001_fit_then_transform_torch_save
        """
import torch
from sklearn.preprocessing import StandardScaler

scaler = StandardScaler().fit(X_train)  # expect: PRE001
net = torch.nn.Linear(4, 1)
opt = torch.optim.SGD(net.parameters(), lr=0.1)
xt = torch.tensor(scaler.transform(X_train), dtype=torch.float32)
for _ in range(5):
    opt.zero_grad()
    loss = ((net(xt) - yt) ** 2).mean()
    loss.backward()
    opt.step()
torch.save(net.state_dict(), "net.pt")
""",
    ],
    negatives=[
        # The same, but the adapted layer is the model's first layer: the checkpoint saves it.
        """
        import numpy as np
        from tensorflow import keras

        texts = np.array(["good movie", "bad movie"])
        labels = np.array([1, 0])
        vectorize = keras.layers.TextVectorization(max_tokens=1000, output_sequence_length=20)
        vectorize.adapt(texts)
        model = keras.Sequential([vectorize, keras.layers.Embedding(1000, 16), keras.layers.Dense(1)])
        model.compile(optimizer="adam", loss="binary_crossentropy")
        checkpoint = keras.callbacks.ModelCheckpoint("models/sentiment.keras")
        model.fit(texts, labels, epochs=3, callbacks=[checkpoint])
        """,
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
        # pre001_neg_pickle_with_open
        """
import pickle
from sklearn.preprocessing import MinMaxScaler
from sklearn.linear_model import LinearRegression

mm = MinMaxScaler()
model = LinearRegression().fit(mm.fit_transform(X), y)
with open("model.pkl", "wb") as f:
    pickle.dump(model, f)
with open("scaler.pkl", "wb") as f:
    pickle.dump(mm, f)
""",
        # pre001_neg_dict_bundle
        """
import joblib
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

sc = StandardScaler()
clf = SVC().fit(sc.fit_transform(X), y)
joblib.dump({"model": clf, "scaler": sc}, "bundle.joblib")
""",
        # pre001_neg_no_model_saved
        """
from sklearn.preprocessing import StandardScaler
from sklearn.linear_model import LogisticRegression

sc = StandardScaler()
clf = LogisticRegression().fit(sc.fit_transform(X), y)
print(clf.score(sc.transform(X_te), y_te))
""",
        # pre001_neg_stateless
        """
import joblib
from sklearn.preprocessing import Normalizer, FunctionTransformer
from sklearn.svm import SVC
import numpy as np

X1 = Normalizer().fit_transform(X)
X2 = FunctionTransformer(np.log1p).fit_transform(X1)
joblib.dump(SVC().fit(X2, y), "svc.joblib")
""",
        # pre001_neg_keras_textvectorization_in_model
        """
import tensorflow as tf

vec = tf.keras.layers.TextVectorization(max_tokens=20000, output_sequence_length=200)
vec.adapt(train_texts)
inputs = tf.keras.Input(shape=(1,), dtype=tf.string)
x = vec(inputs)
x = tf.keras.layers.Embedding(20000, 64)(x)
x = tf.keras.layers.GlobalAveragePooling1D()(x)
outputs = tf.keras.layers.Dense(1, activation="sigmoid")(x)
model = tf.keras.Model(inputs, outputs)
model.compile(loss="binary_crossentropy")
model.fit(train_texts, labels)
model.save("text_model.keras")
""",
        # pre001_neg_label_encoder_on_target
        """
import joblib
from sklearn.preprocessing import LabelEncoder
from sklearn.tree import DecisionTreeClassifier

le = LabelEncoder()
y_enc = le.fit_transform(y_train)
joblib.dump(DecisionTreeClassifier().fit(X_train, y_enc), "tree.joblib")
""",
        # pre001_neg_scaler_is_float
        """
import torch

scaler = 255.0
x = torch.tensor(images) / scaler
model = torch.nn.Linear(784, 10)
opt = torch.optim.Adam(model.parameters())
loss = model(x).sum()
loss.backward()
opt.step()
torch.save(model.state_dict(), "m.pt")
""",
        # pre001_neg_tokenizer_to_json
        """
import tensorflow as tf
from tensorflow.keras.preprocessing.text import Tokenizer

tok = Tokenizer(num_words=1000)
tok.fit_on_texts(texts)
model = tf.keras.Sequential([tf.keras.layers.Embedding(1000, 8), tf.keras.layers.Flatten(), tf.keras.layers.Dense(1)])
model.fit(tf.keras.utils.pad_sequences(tok.texts_to_sequences(texts), maxlen=20), y)
model.save("m.keras")
with open("tok.json", "w") as f:
    f.write(tok.to_json())
""",
        # pre001_neg_projection_for_a_plot: the PCA output only reaches a plot
        """
import torch
from sklearn.decomposition import PCA

def project(points):
    pca = PCA(n_components=2)
    return pca.fit_transform(points)

net = Net()
opt = torch.optim.Adam(net.parameters())
for xb, yb in loader:
    opt.zero_grad()
    loss_fn(net(xb), yb).backward()
    opt.step()
torch.save(net.state_dict(), "net.pt")
plot_points(project(outputs), labels)
""",
        # pre001_neg_tokenizer_demo: fitted on two sentences to show the API; the model never sees it
        """
import tensorflow as tf
from tensorflow.keras.preprocessing.text import Tokenizer

demo = Tokenizer()
demo.fit_on_texts(["the cat sat", "the dog ran"])
print(demo.texts_to_sequences(["the cat ran"]))
model = tf.keras.Sequential([tf.keras.layers.Embedding(1000, 16), tf.keras.layers.Dense(1)])
model.compile(loss="mse")
model.fit(encoded_ds, epochs=2)
model.save("sentiment.keras")
""",
        # pre001_neg_other_model_saved: the scaled data trains a model that is rebound before the save
        """
import tensorflow as tf
from sklearn.preprocessing import StandardScaler

scaler = StandardScaler()
X_img = scaler.fit_transform(images)
model = tf.keras.Sequential([tf.keras.layers.Dense(10)])
model.compile(loss="sparse_categorical_crossentropy")
model.fit(X_img, labels, epochs=1)
model = tf.keras.Sequential([tf.keras.layers.Dense(1)])
model.compile(loss="mse")
model.fit(housing_X, housing_y, epochs=1)
model.save("housing.h5")
""",
    ],
)
def fitted_preprocessor_not_persisted(ctx: FileContext) -> Iterator[Finding]:
    """What it does:
    Flags a preprocessor (scaler, encoder, vectoriser, tokenizer, adapted Keras layer) that is fitted
    on training data in a script that saves a model, when the fitted object itself is never saved.

    Why is this bad?:
    The model only works on data transformed with the statistics learned at training time
    (means, scales, vocabularies). If the fitted preprocessor is not saved, the inference script
    cannot apply the same transform: it skips it, or refits it on new data, and predictions are wrong.
    By default it fires only when the fitted object's output (or a later `transform` of it) was
    seen reaching the model that is saved.

    Preview: a fitted preprocessor whose output was not seen reaching the saved model (a PCA for a
    plot, a tokenizer demo, a scaler for another model of the notebook) is reported as info only
    with `--preview`. To leave preview it needs data flow through project helpers, datasets and
    loaders precise enough that the unseen cases are real misses, at 0.90 field precision.

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
    facts, index = ctx.facts, ctx.index
    saves = model_saves(facts, index)
    if not saves:
        return
    done: set[str] = set()
    for fit in ctx.preprocessor_fits:
        key = fit.obj or f"#{fit.ctor}"
        if key in done:
            continue
        data = data_arg(fit.call)
        if data is None:
            continue
        if fit.leaf in TARGET_ENCODERS and is_target_data(data):
            continue
        if in_inference_path(facts, fit.call, index) or is_eval_data(
            facts, data, fit.call.scope, fit.call.stmt
        ):
            continue
        done.add(key)
        if _persisted(facts, index, fit):
            continue
        fed_save, fed = _fed_save(ctx, fit, saves)
        what = f"`{fit.obj}`" if fit.obj else f"this `{fit.leaf}`"
        if fed_save is not None:
            save_call = facts.call_by_id[fed_save.call]
            readers = partners(index, fed_save, "load")
            if readers and all(e.file == facts.path for e in readers):
                # Read back only where it was written (a notebook reloading its checkpoint):
                # the fitted object is still in memory there. Preview until another reader shows.
                yield Finding(
                    fit.call.span,
                    f"{what} ({fit.leaf}) is fitted here but never saved, while the model is saved"
                    f"{f' to `{fed_save.path}`' if fed_save.path else ''} and read back only in "
                    "this file: another script that loads the model cannot apply the same "
                    "transform; save it (joblib.dump) or put it in a saved Pipeline/model",
                    related=(
                        Related(
                            facts.path,
                            save_call.span.line,
                            save_call.span.column,
                            "model saved here",
                        ),
                    ),
                    artifact=fed_save.path or None,
                    severity=Severity.INFO,
                    preview=True,
                )
                continue
            yield Finding(
                fit.call.span,
                f"{what} ({fit.leaf}) is fitted here but never saved, while the model is saved"
                f"{f' to `{fed_save.path}`' if fed_save.path else ''}: inference cannot apply the same transform; "
                "save it (joblib.dump) or put it in a saved Pipeline/model",
                related=(
                    Related(
                        facts.path, save_call.span.line, save_call.span.column, "model saved here"
                    ),
                ),
                artifact=fed_save.path or None,
            )
            continue
        # Preview: the output was not seen reaching the training of the saved model
        save = saves[0]
        save_call = facts.call_by_id[save.call]
        seen = (
            "its output was seen reaching a training call, but not of the saved model"
            if fed
            else "its output was not seen reaching the training of the saved model"
        )
        yield Finding(
            fit.call.span,
            f"{what} ({fit.leaf}) is fitted here but never saved, while a model is saved"
            f"{f' to `{save.path}`' if save.path else ''} ({seen}): if that model needs this transform, "
            "save it (joblib.dump) or put it in a saved Pipeline/model",
            related=(
                Related(facts.path, save_call.span.line, save_call.span.column, "model saved here"),
            ),
            artifact=save.path or None,
            severity=Severity.INFO,
            preview=True,
        )
