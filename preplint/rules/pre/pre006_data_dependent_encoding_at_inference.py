"""PRE006 (data-dependent-encoding-at-inference): Flags categorical encoding whose output depends on the data it sees, applied at inference: `pd.get_dummies(new_df)` without re-aligning to the training columns, `LabelEncoder().fit` on new data, a `OneHotEncoder()` without `handle_unknown` used on new data, `astype("category").cat.codes`, `pd.factorize`."""

from __future__ import annotations

from collections.abc import Iterator

from preplint.analysis.artifacts import partners
from preplint.analysis.context import FileContext
from preplint.analysis.inference import in_inference_path, is_inference_function
from preplint.analysis.lineage import data_arg
from preplint.analysis.models import binding_at
from preplint.analysis.preprocessing import (
    TARGET_ENCODERS,
    _reads,
    is_eval_data,
    is_target_data,
    load_events_for,
    obj_root,
)
from preplint.facts.model import Call, FileFacts
from preplint.facts.project import ProjectIndex
from preplint.rules import Finding, rule

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
        # pre006_onehot_loaded_without_handle_unknown
        {
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
        # pre006_get_dummies_in_serve_method
        """
import joblib
import pandas as pd

class Service:
    def __init__(self):
        self.model = joblib.load("m.joblib")

    def serve(self, records):
        frame = pd.get_dummies(pd.DataFrame(records))  # expect: PRE006
        return self.model.predict(frame)
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
        # pre006_neg_onehot_ignore
        {
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
        # pre006_neg_get_dummies_in_training
        """
import joblib
import pandas as pd
from sklearn.linear_model import LogisticRegression

X = pd.get_dummies(df.drop(columns="y"))
joblib.dump(LogisticRegression().fit(X, df["y"]), "m.joblib")
joblib.dump(list(X.columns), "columns.joblib")
""",
    ],
)
def data_dependent_encoding_at_inference(ctx: FileContext) -> Iterator[Finding]:
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
    facts, index = ctx.facts, ctx.index
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
    for fit in ctx.preprocessor_fits:
        if fit.leaf not in _CATEGORICAL_ENCODERS:
            continue
        data = data_arg(fit.call)
        if (
            data is None
            or fit.leaf in TARGET_ENCODERS
            and is_target_data(data)
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
    for load in load_events_for(facts, index, call.receiver, call.scope, call.stmt):
        for save in partners(index, load, "save"):
            owner = index.file(save.file)
            if owner is None:
                continue
            sb = binding_at(
                owner,
                obj_root(save.obj),
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
