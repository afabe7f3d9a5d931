"""PRE002 (preprocessor-refit-at-inference): Flags a preprocessor that is fitted in an inference path (after a model is loaded, in a `predict`/`evaluate`/`serve` function, under `torch.no_grad()`) or on evaluation data (`scaler.fit_transform(X_test)`, a shared helper that fits and is also called on test data)."""

from __future__ import annotations

from collections.abc import Iterator

from preplint.analysis.context import FileContext
from preplint.analysis.inference import inference_reason
from preplint.analysis.lineage import data_arg
from preplint.analysis.preprocessing import helper_sites, is_eval_data, preprocessor_fits
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
