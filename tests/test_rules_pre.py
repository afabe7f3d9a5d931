"""PRE rules on varied realistic cases: each must report exactly on its `# expect:` lines."""

from __future__ import annotations

import pytest

from tests.helpers import as_project, expected_lines, lint

CODES = ("PRE001", "PRE002", "PRE003", "PRE004", "PRE005", "PRE006", "PRE007")

CASES: dict[str, str | dict[str, str]] = {
    "pre003_entry_point_method_gets_raw_rows": {
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
    "pre003_neg_evaluate_iterates_a_loader_it_is_given": {
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
    "pre003_neg_entry_point_called_with_scaled_rows": {
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
    "pre004_neg_loss_val_is_a_value": """
import torch
from torch import nn

class MaskedHead(nn.Module):
    def forward(self, x_hat, target, mask):
        loss = nn.MSELoss(reduction="none")
        loss_val = loss(x_hat, target)
        return (loss_val.mean(dim=-1) * mask).sum() / (mask.sum() + 1e-10)
""",
    # --- PRE001 -------------------------------------------------------------------------------
    "pre001_aliased_scaler_in_main": """
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
    "pre001_fit_then_transform_torch_save": """
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
    "pre001_neg_pickle_with_open": """
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
    "pre001_neg_dict_bundle": """
import joblib
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

sc = StandardScaler()
clf = SVC().fit(sc.fit_transform(X), y)
joblib.dump({"model": clf, "scaler": sc}, "bundle.joblib")
""",
    "pre001_neg_no_model_saved": """
from sklearn.preprocessing import StandardScaler
from sklearn.linear_model import LogisticRegression

sc = StandardScaler()
clf = LogisticRegression().fit(sc.fit_transform(X), y)
print(clf.score(sc.transform(X_te), y_te))
""",
    "pre001_neg_stateless": """
import joblib
from sklearn.preprocessing import Normalizer, FunctionTransformer
from sklearn.svm import SVC
import numpy as np

X1 = Normalizer().fit_transform(X)
X2 = FunctionTransformer(np.log1p).fit_transform(X1)
joblib.dump(SVC().fit(X2, y), "svc.joblib")
""",
    "pre001_neg_keras_textvectorization_in_model": """
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
    "pre001_neg_label_encoder_on_target": """
import joblib
from sklearn.preprocessing import LabelEncoder
from sklearn.tree import DecisionTreeClassifier

le = LabelEncoder()
y_enc = le.fit_transform(y_train)
joblib.dump(DecisionTreeClassifier().fit(X_train, y_enc), "tree.joblib")
""",
    "pre001_neg_scaler_is_float": """
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
    "pre001_neg_tokenizer_to_json": """
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
    # --- PRE002 -------------------------------------------------------------------------------
    "pre002_tokenizer_refit_in_predict": """
from tensorflow import keras
from tensorflow.keras.preprocessing.text import Tokenizer

def predict(texts):
    model = keras.models.load_model("sentiment.keras")
    tok = Tokenizer(num_words=20000)
    tok.fit_on_texts(texts)  # expect: PRE002
    seqs = keras.utils.pad_sequences(tok.texts_to_sequences(texts), maxlen=200)
    return model.predict(seqs)
""",
    "pre002_no_grad_refit": {
        "predict.py": """
import torch
from sklearn.preprocessing import StandardScaler

model = torch.jit.load("model.pt")
model.eval()

def run(batch):
    with torch.no_grad():
        x = StandardScaler().fit_transform(batch)  # expect: PRE002
        return model(torch.tensor(x, dtype=torch.float32))
""",
    },
    "pre002_class_keeps_loaded_model": """
import joblib
from sklearn.preprocessing import RobustScaler

class ScoringService:
    def __init__(self, path):
        self.clf = joblib.load(path)

    def features(self, rows):
        return RobustScaler().fit_transform(rows)  # expect: PRE002

    def score(self, rows):
        return self.clf.predict(self.features(rows))
""",
    "pre002_class_loads_weights_into_self": """
import torch
from sklearn.preprocessing import MinMaxScaler

class Runner:
    def restore(self, ckpt):
        self.net.load_state_dict(torch.load(ckpt, weights_only=True))

    def inputs(self, table):
        return MinMaxScaler().fit_transform(table)  # expect: PRE002
""",
    "pre002_neg_test_methods_are_separate_scenarios": {
        "layers_test.py": """
import unittest
import numpy as np
from tensorflow import keras

class NormalizationCase(unittest.TestCase):
    def test_adapt(self):
        layer = keras.layers.Normalization()
        layer.adapt(np.ones((4, 3)))
        self.assertEqual(layer(np.ones((1, 3))).shape, (1, 3))

    def test_loads_reference_model(self):
        again = keras.models.load_model("reference/m.keras")
        self.assertEqual(len(again.layers), 1)
""",
    },
    "pre002_neg_pytest_class_reload_in_another_test": {
        "test_vocab.py": """
import numpy as np
from tensorflow import keras

class TestVocabulary:
    def test_reload(self, tmp_path):
        restored = keras.models.load_model(tmp_path / "v.keras")
        assert restored is not None

    def test_learns_tokens(self):
        lookup = keras.layers.StringLookup()
        lookup.adapt(np.array(["a", "b", "a"]))
        assert lookup.vocabulary_size() == 3
""",
    },
    "pre002_neg_sibling_method_loads_into_a_local": """
import joblib
from sklearn.preprocessing import StandardScaler

class Report:
    def compare(self, old_path, frame):
        old = joblib.load(old_path)
        return old.predict(frame)

    def standardised(self, frame):
        return StandardScaler().fit_transform(frame)
""",
    "pre002_neg_training_helper": """
import joblib
from sklearn.preprocessing import StandardScaler
from sklearn.linear_model import Ridge

def fit_scaler(frame):
    sc = StandardScaler()
    sc.fit(frame)
    return sc

train = load("train.csv")
sc = fit_scaler(train)
model = Ridge().fit(sc.transform(train), target)
joblib.dump(model, "ridge.joblib")
joblib.dump(sc, "sc.joblib")
""",
    # --- PRE003 -------------------------------------------------------------------------------
    "pre003_cross_file_keras_normalised": {
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
    "pre003_predictor_class_neg": {
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
    "pre003_predict_helper_applies_loaded_scaler_neg": {
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
    "pre003_neg_pipeline_loaded": {
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
    "pre003_torch_tokenized_neg": {
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
    # --- PRE004 -------------------------------------------------------------------------------
    "pre004_minmax_before_split": """
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import MinMaxScaler

X = df[FEATURES].values
X = MinMaxScaler().fit_transform(X)  # expect: PRE004
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0)
""",
    "pre004_neg_fill_na_with_mean": """
from sklearn.model_selection import train_test_split

df = df.fillna(df.mean())
train, test = train_test_split(df, test_size=0.2, random_state=0)
""",
    "pre004_neg_metric_mean_on_test": """
import numpy as np

preds = model.predict(X_test)
mae = np.abs(preds - y_test).mean()
print((preds == y_test).mean(), mae)
""",
    # --- PRE005 -------------------------------------------------------------------------------
    "pre005_neg_consistent_hand_stats": {
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
    "pre005_neg_per_sample_minmax": """
import numpy as np
from tensorflow import keras

def predict(path):
    model = keras.models.load_model("m.keras")
    img = np.load(path)
    img = (img - img.min()) / (img.max() - img.min())
    return model.predict(img[None])
""",
    # --- PRE006 -------------------------------------------------------------------------------
    "pre006_onehot_loaded_without_handle_unknown": {
        "train.py": """
import joblib
from sklearn.preprocessing import OneHotEncoder
from sklearn.linear_model import LogisticRegression

enc = OneHotEncoder()
Xc = enc.fit_transform(df[["city"]])
joblib.dump(LogisticRegression().fit(Xc, y), "lr.joblib")
joblib.dump(enc, "enc.joblib")
""",
        "predict.py": """
import joblib
import pandas as pd

def predict(path):
    model = joblib.load("lr.joblib")
    enc = joblib.load("enc.joblib")
    new = pd.read_csv(path)
    return model.predict(enc.transform(new[["city"]]))  # expect: PRE006
""",
    },
    "pre006_neg_onehot_ignore": {
        "train.py": """
import joblib
from sklearn.preprocessing import OneHotEncoder
from sklearn.linear_model import LogisticRegression

enc = OneHotEncoder(handle_unknown="ignore")
joblib.dump(LogisticRegression().fit(enc.fit_transform(df[["city"]]), y), "lr.joblib")
joblib.dump(enc, "enc.joblib")
""",
        "predict.py": """
import joblib
import pandas as pd

def predict(path):
    model = joblib.load("lr.joblib")
    enc = joblib.load("enc.joblib")
    return model.predict(enc.transform(pd.read_csv(path)[["city"]]))
""",
    },
    "pre006_get_dummies_in_serve_method": """
import joblib
import pandas as pd

class Service:
    def __init__(self):
        self.model = joblib.load("m.joblib")

    def serve(self, records):
        frame = pd.get_dummies(pd.DataFrame(records))  # expect: PRE006
        return self.model.predict(frame)
""",
    "pre006_neg_get_dummies_in_training": """
import joblib
import pandas as pd
from sklearn.linear_model import LogisticRegression

X = pd.get_dummies(df.drop(columns="y"))
joblib.dump(LogisticRegression().fit(X, df["y"]), "m.joblib")
joblib.dump(list(X.columns), "columns.joblib")
""",
    # --- PRE007 -------------------------------------------------------------------------------
    "pre007_keras_augment_in_predict": """
from tensorflow import keras

augment = keras.Sequential([
    keras.layers.RandomFlip("horizontal"),  # expect: PRE007
    keras.layers.RandomRotation(0.1),  # expect: PRE007
])

def predict(model, images):
    return model.predict(augment(images, training=True))
""",
    "pre007_neg_augment_only_in_training": """
from tensorflow import keras

augment = keras.Sequential([keras.layers.RandomFlip("horizontal")])
train_ds = train_ds.map(lambda x, y: (augment(x, training=True), y))
model.fit(train_ds, epochs=5)
model.save("m.keras")
print(model.evaluate(test_ds))
""",
    "pre003_same_file_evaluate_raw_test": """
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
    "pre003_neg_two_models_one_raw": """
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.ensemble import RandomForestClassifier

sc = StandardScaler().fit(X_train)
svm = SVC().fit(sc.transform(X_train), y_train)
rf = RandomForestClassifier().fit(X_train, y_train)
print(svm.score(sc.transform(X_test), y_test), rf.predict(X_test))
""",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_case(name: str) -> None:
    example = CASES[name]
    sources = as_project(example)
    diagnostics = lint(example)
    for code in CODES:
        found = {(d.path, d.line) for d in diagnostics if d.code == code}
        assert found == expected_lines(sources, code), (name, code)


def test_no_internal_errors() -> None:
    for name, example in CASES.items():
        assert not [d for d in lint(example) if d.code in ("INTERNAL", "SYNTAX")], name
