"""PRE003 (preprocessing-skipped-at-inference): Flags a `predict` / `evaluate` / `model(x)` call in an inference path whose input never went through the transform that training applied before `fit` (`scaler.transform`, `(x - mean) / std`, `x / 255.0`, `tokenizer.texts_to_sequences`, an encoder, a project `preprocess()` helper)."""

from __future__ import annotations

from collections.abc import Iterator

from preplint.analysis.artifacts import partners
from preplint.analysis.context import FileContext, memos, on_behalf
from preplint.analysis.lineage import data_arg, lineage, reaching
from preplint.analysis.models import TRAIN_METHODS, binding_at, model_feeds
from preplint.analysis.objects import classify_call
from preplint.analysis.preprocessing import inference_calls, load_events_for, obj_root
from preplint.analysis.records import ArtifactEvent, TrainInput
from preplint.diagnostics import Related
from preplint.facts import frameworks as fw
from preplint.facts.model import Call, FileFacts, Value
from preplint.facts.project import ProjectIndex
from preplint.rules import Finding, rule


@on_behalf
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
            if found is None or found[0] not in fw.MODEL_KINDS or data is None:
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
        if b is not None and (b.kind not in fw.MODEL_KINDS or b.kind == "unpickled"):
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


_SYNTHETIC_PREFIXES = (
    "numpy.linspace",
    "numpy.meshgrid",
    "numpy.arange",
    "numpy.mgrid",
    "numpy.ogrid",
    "numpy.random.",
    "numpy.zeros",
    "numpy.ones",
    "numpy.full",
    "numpy.logspace",
    "torch.linspace",
    "torch.arange",
    "torch.meshgrid",
    "torch.rand",
    "torch.zeros",
    "torch.ones",
)


def _synthetic(facts: FileFacts, value: Value, scope: str, stmt: int) -> bool:
    """Inference data made up in the script (a grid, a linspace, random draws): a plot or a demo,
    built in whatever space the model takes (already scaled, already PCA-projected)."""
    frontier: list[tuple[Value, str, int]] = [(value, scope, stmt)]
    found = False
    steps = 0
    while frontier and steps < 12:
        steps += 1
        v, sc, st = frontier.pop()
        for cid in v.calls:
            qual = facts.call_by_id[cid].qualname
            if qual.startswith(_SYNTHETIC_PREFIXES):
                found = True
            elif qual.startswith(
                ("pandas.read_", "numpy.load", "PIL.", "cv2.", "keras.utils.load")
            ):
                return False
        receivers = [facts.call_by_id[cid].receiver for cid in v.calls]
        for n in (*v.names, *(r for r in receivers if r)):
            if n.split(".", 1)[0] in facts.imports:
                continue
            a = reaching(facts, n, sc, st)
            if a is None and "." in n:
                n = n.split(".", 1)[0]
                a = reaching(facts, n, sc, st)
            if a is None:
                fn = facts.function_by_qualname.get(sc)
                if fn is not None and n in fn.params:
                    return False  # data from a caller
                continue
            frontier.append((a.value, a.scope, a.stmt))
    return found


def _same_model(facts: FileFacts, t: TrainInput, call: Call, root: str) -> bool:
    """The trained model is still the one the inference call uses (the name was not rebound)."""
    if t.file != facts.path or t.call.scope != call.scope or not root:
        return True
    return reaching(facts, root, call.scope, t.call.stmt + 1) is reaching(
        facts, root, call.scope, call.stmt
    )


def _model_root(call: Call) -> str:
    return call.receiver if call.method else call.callee


def _lineage_for_saved(index: ProjectIndex, save: ArtifactEvent) -> list[TrainInput]:
    owner = index.file(save.file)
    if owner is None:
        return []
    inputs = train_inputs(owner, index)
    root = obj_root(save.obj)
    matched = [t for t in inputs if t.root == root or obj_root(t.root) == root]
    if matched:
        return matched
    if len({t.root for t in inputs}) == 1:
        return list(inputs)
    return []


@rule(
    "PRE003",
    "preprocessing-skipped-at-inference",
    severity="error",
    probe="embedded-preprocessing",
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
        # pre003_entry_point_method_gets_raw_rows
        {
            "settings.py": """
from pathlib import Path
MODEL_FILE = Path("artifacts") / "clf.keras"
""",
            "train.py": """
import joblib
import numpy as np
import tensorflow as tf
from sklearn.preprocessing import MinMaxScaler as MMS
import settings

tf.keras.utils.set_random_seed(0)
raw = np.loadtxt("train.csv", delimiter=",")
mms = MMS()
X = mms.fit_transform(raw[:, :3])
joblib.dump(mms, "mms.joblib")
model = tf.keras.Sequential([tf.keras.Input(shape=(3,)), tf.keras.layers.Dense(1)])
model.compile("adam", "mse")
model.fit(X, raw[:, 3], epochs=5)
model.save(settings.MODEL_FILE)
""",
            "serve.py": """
import numpy as np
import tensorflow as tf
from settings import MODEL_FILE

class Predictor:
    def __init__(self):
        self.model = tf.keras.models.load_model(MODEL_FILE)

    def predict(self, rows):
        return self.model.predict(np.array(rows))  # expect: PRE003
""",
        },
        # pre003_cross_file_keras_normalised
        {
            "config.py": """
from pathlib import Path
MODEL_DIR = Path("models")
MODEL_PATH = MODEL_DIR / "regressor.keras"
""",
            "train.py": """
import numpy as np
import tensorflow as tf
from config import MODEL_PATH

x = np.load("x.npy")
mean, std = x.mean(axis=0), x.std(axis=0)
x = (x - mean) / std
model = tf.keras.Sequential([tf.keras.layers.Dense(1)])
model.compile(loss="mse")
model.fit(x, y, epochs=3)
model.save(MODEL_PATH)
np.save("models/mean.npy", mean)
np.save("models/std.npy", std)
""",
            "predict.py": """
import sys
import numpy as np
import tensorflow as tf
from config import MODEL_PATH

model = tf.keras.models.load_model(MODEL_PATH)
x_new = np.loadtxt(sys.argv[1], delimiter=",")
print(model.predict(x_new))  # expect: PRE003
""",
        },
        # pre003_same_file_evaluate_raw_test
        """
import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from tensorflow import keras

X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0)
scaler = StandardScaler()
X_train_s = scaler.fit_transform(X_train)  # expect: PRE001
model = keras.Sequential([keras.layers.Dense(1)])
model.compile(loss="mse")
model.fit(X_train_s, y_train, epochs=5)
print(model.evaluate(X_test, y_test))  # expect: PRE003
model.save("m.keras")
""",
    ],
    negatives=[
        # pre003_neg_synthetic_curve: made-up inputs in the same range as the made-up training data
        """
import numpy as np
from sklearn.tree import DecisionTreeRegressor

X = np.random.rand(200, 1) - 0.5
y = X[:, 0] ** 2 + 0.05 * np.random.randn(200)
tree = DecisionTreeRegressor(max_depth=3).fit(X, y)
X_new = np.linspace(-0.5, 0.5, 500).reshape(-1, 1)
y_pred = tree.predict(X_new)
""",
        # pre003_neg_grid_in_pca_space: a plotting grid built in the projected space
        """
import numpy as np
from sklearn.decomposition import PCA
from sklearn.svm import SVC

pca = PCA(n_components=2)
X2 = pca.fit_transform(X_train)
clf = SVC().fit(X2, y_train)
xx, yy = np.meshgrid(np.linspace(-3, 3, 100), np.linspace(-3, 3, 100))
Z = clf.predict(np.c_[xx.ravel(), yy.ravel()])
""",
        # pre003_neg_pretrained_model_rebinds_name: `model` is a pretrained classifier by then
        """
import keras
import keras_hub
import numpy as np

x_train = np.load("x.npy").astype("float32") / 255.0
model = keras.Sequential([keras.layers.Flatten(), keras.layers.Dense(10)])
model.compile(loss="sparse_categorical_crossentropy")
model.fit(x_train, y_train, epochs=1)
model = keras_hub.models.ImageClassifier.from_preset("resnet_50_imagenet")
img = keras.utils.load_img("cat.jpg", target_size=(224, 224))
print(model.predict(np.array(img)[None]))
""",
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
        # pre003_neg_evaluate_iterates_a_loader_it_is_given
        {
            "train.py": """
import torch
import torchvision

torch.manual_seed(0)
tf = torchvision.transforms.Compose([torchvision.transforms.ToTensor(), torchvision.transforms.Normalize((0.5,), (0.5,))])
loader = torch.utils.data.DataLoader(torchvision.datasets.MNIST(".", transform=tf), batch_size=64, shuffle=True)
net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 10))
opt = torch.optim.SGD(net.parameters(), lr=0.1)
for x, y in loader:
    opt.zero_grad()
    torch.nn.functional.cross_entropy(net(x), y).backward()
    opt.step()
torch.save(net, "net.pt")
""",
            "evaluate.py": """
import torch

def evaluate(loader):
    net = torch.load("net.pt", weights_only=False)
    net.eval()
    with torch.no_grad():
        return sum((net(x).argmax(1) == y).sum().item() for x, y in loader)
""",
        },
        # pre003_neg_entry_point_called_with_scaled_rows
        {
            "train.py": """
import joblib
import numpy as np
import tensorflow as tf
from sklearn.preprocessing import StandardScaler

tf.keras.utils.set_random_seed(0)
raw = np.loadtxt("train.csv", delimiter=",")
sc = StandardScaler()
X = sc.fit_transform(raw[:, :3])
joblib.dump(sc, "sc.joblib")
model = tf.keras.Sequential([tf.keras.Input(shape=(3,)), tf.keras.layers.Dense(1)])
model.compile("adam", "mse")
model.fit(X, raw[:, 3], epochs=5)
model.save("clf.keras")
""",
            "serve.py": """
import tensorflow as tf

class Predictor:
    def __init__(self):
        self.model = tf.keras.models.load_model("clf.keras")

    def predict(self, rows):
        return self.model.predict(rows)
""",
            "app.py": """
import joblib
import numpy as np
from serve import Predictor

sc = joblib.load("sc.joblib")
print(Predictor().predict(sc.transform(np.loadtxt("new.csv", delimiter=","))))
""",
        },
        # pre003_predictor_class_neg
        {
            "train.py": """
import joblib
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

sc = StandardScaler()
clf = SVC().fit(sc.fit_transform(X), y)
joblib.dump(clf, "clf.joblib")
joblib.dump(sc, "sc.joblib")
""",
            "serve.py": """
import joblib

class Predictor:
    def __init__(self):
        self.model = joblib.load("clf.joblib")
        self.scaler = joblib.load("sc.joblib")

    def predict(self, rows):
        return self.model.predict(self.scaler.transform(rows))
""",
        },
        # pre003_predict_helper_applies_loaded_scaler_neg
        {
            "train.py": """
import joblib
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

sc = StandardScaler()
clf = SVC().fit(sc.fit_transform(X), y)
joblib.dump(clf, "clf.joblib")
joblib.dump(sc, "sc.joblib")
""",
            "predict.py": """
import joblib
import pandas as pd

SCALER = joblib.load("sc.joblib")

def prepare(df):
    return SCALER.transform(df)

def main(path):
    clf = joblib.load("clf.joblib")
    print(clf.predict(prepare(pd.read_csv(path))))
""",
        },
        # pre003_neg_pipeline_loaded
        {
            "train.py": """
import joblib
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.linear_model import LogisticRegression

pipe = make_pipeline(StandardScaler(), LogisticRegression())
pipe.fit(X, y)
joblib.dump(pipe, "pipe.joblib")
""",
            "predict.py": """
import joblib
import pandas as pd

pipe = joblib.load("pipe.joblib")
print(pipe.predict(pd.read_csv("new.csv")))
""",
        },
        # pre003_torch_tokenized_neg
        {
            "train.py": """
import torch
from model import Net

def encode(texts, vocab):
    return torch.tensor([[vocab.get(w, 0) for w in t.split()] for t in texts])

net = Net()
opt = torch.optim.Adam(net.parameters())
x = encode(texts, vocab)
loss = net(x).sum()
loss.backward()
opt.step()
torch.save(net.state_dict(), "net.pt")
""",
            "predict.py": """
import torch
from model import Net
from train import encode

net = Net()
net.load_state_dict(torch.load("net.pt", weights_only=True))
net.eval()
with torch.no_grad():
    print(net(encode(["hello world"], vocab)))
""",
        },
        # pre003_neg_two_models_one_raw
        """
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.ensemble import RandomForestClassifier

sc = StandardScaler().fit(X_train)
svm = SVC().fit(sc.transform(X_train), y_train)
rf = RandomForestClassifier().fit(X_train, y_train)
print(svm.score(sc.transform(X_test), y_test), rf.predict(X_test))
""",
    ],
)
def preprocessing_skipped_at_inference(ctx: FileContext) -> Iterator[Finding]:
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
    facts, index = ctx.facts, ctx.index
    reported: set[int] = set()
    for call in inference_calls(facts, index):
        data = data_arg(call)
        if data is None or data.kind == "const":
            continue
        seen = lineage(facts, data, call.scope, call.stmt, index)
        if not seen.raw or _synthetic(facts, data, call.scope, call.stmt):
            continue
        root = _model_root(call)
        inputs: list[TrainInput] = []
        artifact = ""
        loads = load_events_for(facts, index, root, call.scope, call.stmt)
        if loads:
            for load in loads:
                for save in partners(index, load, "save"):
                    got = _lineage_for_saved(index, save)
                    if got:
                        artifact = artifact or load.path
                    inputs.extend(got)
        else:
            own = train_inputs(facts, index)
            inputs = [t for t in own if t.root == root and _same_model(facts, t, call, root)]
            if own and root and not inputs and any(t.root == root for t in own):
                continue  # `model` was rebound (a pretrained `from_preset(...)`) after training
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
