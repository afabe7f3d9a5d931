"""PRE002 (preprocessor-refit-at-inference): Flags a preprocessor that is fitted in an inference path (after a model is loaded, in a `predict`/`evaluate`/`serve` function, under `torch.no_grad()`) or on evaluation data (`scaler.fit_transform(X_test)`, a shared helper that fits and is also called on test data)."""

from __future__ import annotations

from collections.abc import Iterator

from preplint.analysis.context import FileContext
from preplint.analysis.inference import inference_reason
from preplint.analysis.lineage import data_arg
from preplint.analysis.preprocessing import helper_sites, is_eval_data
from preplint.diagnostics import Related
from preplint.rules import Finding, rule


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
        # pre002_tokenizer_refit_in_predict
        """
from tensorflow import keras
from tensorflow.keras.preprocessing.text import Tokenizer

def predict(texts):
    model = keras.models.load_model("sentiment.keras")
    tok = Tokenizer(num_words=20000)
    tok.fit_on_texts(texts)  # expect: PRE002
    seqs = keras.utils.pad_sequences(tok.texts_to_sequences(texts), maxlen=200)
    return model.predict(seqs)
""",
        # pre002_no_grad_refit
        {
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
        # pre002_class_keeps_loaded_model
        """
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
        # pre002_class_loads_weights_into_self
        """
import torch
from sklearn.preprocessing import MinMaxScaler

class Runner:
    def restore(self, ckpt):
        self.net.load_state_dict(torch.load(ckpt, weights_only=True))

    def inputs(self, table):
        return MinMaxScaler().fit_transform(table)  # expect: PRE002
""",
    ],
    negatives=[
        # pre002_neg_train_valid_is_training_data: `X_train_valid` holds training rows
        """
from sklearn.decomposition import PCA

X_train_valid = data[idx]
X_train = X_train_valid[train_idx]
X_small = PCA(0.99).fit_transform(X_train)
""",
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
        # pre002_neg_test_methods_are_separate_scenarios
        {
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
        # pre002_neg_pytest_class_reload_in_another_test
        {
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
        # pre002_neg_sibling_method_loads_into_a_local
        """
import joblib
from sklearn.preprocessing import StandardScaler

class Report:
    def compare(self, old_path, frame):
        old = joblib.load(old_path)
        return old.predict(frame)

    def standardised(self, frame):
        return StandardScaler().fit_transform(frame)
""",
        # pre002_neg_training_helper
        """
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
    ],
)
def preprocessor_refit_at_inference(ctx: FileContext) -> Iterator[Finding]:
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
    facts, index = ctx.facts, ctx.index
    for fit in ctx.preprocessor_fits:
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
        sites = helper_sites(facts, index, fit)
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
