"""PRE004 (statistics-from-evaluation-data): Flags normalisation statistics (a scaler fit, `mean`/`std`/`min`/`max` used to normalise) computed on test/validation data, or on the full data set before it is split."""

from __future__ import annotations

from collections.abc import Iterator

from preplint.analysis.context import FileContext
from preplint.analysis.lineage import data_arg, lineage, reaching
from preplint.analysis.models import TRAIN_METHODS
from preplint.analysis.preprocessing import (
    helper_sites,
    is_eval_data,
    is_eval_name,
)
from preplint.analysis.records import Lineage
from preplint.diagnostics import Related
from preplint.facts import frameworks as fw
from preplint.facts.model import Call, FileFacts, Value
from preplint.facts.project import ProjectIndex
from preplint.rules import Finding, rule

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


_SPLIT_EXTRA = frozenset(
    {
        "sklearn.model_selection.cross_val_score",
        "sklearn.model_selection.cross_validate",
        "sklearn.model_selection.cross_val_predict",
    }
)


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
        # pre004_minmax_before_split
        """
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import MinMaxScaler

X = df[FEATURES].values
X = MinMaxScaler().fit_transform(X)  # expect: PRE004
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0)
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
        # pre004_neg_loss_val_is_a_value
        """
import torch
from torch import nn

class MaskedHead(nn.Module):
    def forward(self, x_hat, target, mask):
        loss = nn.MSELoss(reduction="none")
        loss_val = loss(x_hat, target)
        return (loss_val.mean(dim=-1) * mask).sum() / (mask.sum() + 1e-10)
""",
        # pre004_neg_fill_na_with_mean
        """
from sklearn.model_selection import train_test_split

df = df.fillna(df.mean())
train, test = train_test_split(df, test_size=0.2, random_state=0)
""",
        # pre004_neg_metric_mean_on_test
        """
import numpy as np

preds = model.predict(X_test)
mae = np.abs(preds - y_test).mean()
print((preds == y_test).mean(), mae)
""",
    ],
)
def statistics_from_evaluation_data(ctx: FileContext) -> Iterator[Finding]:
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
    facts, index = ctx.facts, ctx.index
    flagged: set[int] = set()
    fits = [f for f in ctx.preprocessor_fits if f.leaf in fw.STATISTICS_PREPROCESSORS]
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
        sites = helper_sites(facts, index, fit)
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
