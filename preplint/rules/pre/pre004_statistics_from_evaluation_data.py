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
    is_target_data,
)
from preplint.analysis.records import Lineage, PreFit
from preplint.analysis.scopes import name_words
from preplint.diagnostics import Related, Severity
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


_SUMMARY_WORDS = frozenset(
    {
        "score",
        "scores",
        "time",
        "times",
        "duration",
        "elapsed",
        "acc",
        "accuracy",
        "loss",
        "losses",
        "metric",
        "metrics",
        "error",
        "errors",
        "pred",
        "preds",
        "prediction",
        "predictions",
        "residual",
        "residuals",
    }
)


_PLOT_ROOTS = ("matplotlib.", "seaborn.", "plotly.")
_PLOT_METHODS = frozenset(
    {
        "plot",
        "scatter",
        "imshow",
        "hist",
        "bar",
        "barh",
        "fill_between",
        "errorbar",
        "text",
        "annotate",
        "ylim",
        "xlim",
        "set_ylim",
        "set_xlim",
        "axhline",
        "axvline",
        "contour",
        "contourf",
        "pcolormesh",
        "legend",
        "title",
        "set_title",
    }
)


def _is_summary_data(value: Value) -> bool:
    """Targets, scores, timings, errors or predictions: summarised for a report, not model input."""
    if is_target_data(value):
        return True
    return any(set(name_words(n.rsplit(".", 1)[-1])) & _SUMMARY_WORDS for n in value.names)


def _leaves(value: Value) -> Iterator[Value]:
    if value.kind in ("binop", "unary") and value.operands:
        for o in value.operands:
            yield from _leaves(o)
    else:
        yield value


def _is_report_call(facts: FileFacts, call: Call) -> bool:
    """A call (or the call it is an argument of) that prints, formats or plots."""
    seen = 0
    while seen < 8:
        if (
            call.callee in ("print", "str", "format", "round", "display")
            or call.qualname.startswith(_PLOT_ROOTS)
            or call.callee.startswith(("plt.", "sns.", "ax.", "axes.", "fig."))
            or call.method in _PLOT_METHODS
        ):
            return True
        if call.parent < 0:
            return False
        call = facts.call_by_id[call.parent]
        seen += 1
    return False


def _only_reported(facts: FileFacts, targets: tuple[str, ...], scope: str, stmt: int) -> bool:
    """Every later use of `targets` is a print or a plot (and there is at least one)."""
    uses = 0
    for c in facts.calls:
        if c.scope != scope or c.stmt <= stmt:
            continue
        if not any(t in a.value.names for a in c.args for t in targets):
            continue
        if not _is_report_call(facts, c):
            return False
        uses += 1
    for a in facts.assigns:
        if (
            a.scope == scope
            and a.stmt > stmt
            and any(t in a.value.names for t in targets)
            and not (a.value.calls and _is_report_call(facts, facts.call_by_id[a.value.calls[0]]))
        ):
            return False
    return uses > 0


def _normalising_stats(facts: FileFacts) -> dict[int, tuple[Call, Value]]:
    """Statistics that are used to normalise data: `(x - x.mean()) / x.std()`, `mean = X.mean(0); (X - mean) / std`.

    The arithmetic must also hold a data operand (a value that is not itself a statistic or a
    literal), the summarised data must not be targets, scores, timings or errors, and the result
    must not go only to a print or a plot.
    """
    stats = {c.id: (c, v) for c, v in _stats_calls(facts)}
    out: dict[int, tuple[Call, Value]] = {}
    values: list[tuple[Value, str, int, tuple[str, ...], Call | None]] = [
        (a.value, a.scope, a.stmt, a.targets, None) for a in facts.assigns if a.op == "="
    ]
    values += [
        (arg.value, c.scope, c.stmt, (), c)
        for c in facts.calls
        for arg in c.args
        if arg.value.kind == "binop"
    ]

    def stat_derived(name: str, scope: str, stmt: int) -> bool:
        a = reaching(facts, name, scope, stmt)
        return a is not None and any(cid in stats for cid in a.value.calls)

    def data_leaf(leaf: Value, scope: str, stmt: int) -> bool:
        if leaf.kind == "call" and leaf.call in stats:
            return False
        for n in leaf.names:
            root = n.split(".", 1)[0]
            if root in facts.imports or n in facts.constants or n.isupper():
                continue
            if not stat_derived(n, scope, stmt):
                return True
        return False

    for value, scope, stmt, targets, in_call in values:
        if value.kind != "binop" or not ({"-", "/"} & set(value.ops)):
            continue
        if not any(data_leaf(leaf, scope, stmt) for leaf in _leaves(value)):
            continue  # `t1 + (t2 - t1) * 0.7`, `100 - np.mean(err) * 100`: no data is normalised
        if in_call is not None and _is_report_call(facts, in_call):
            continue
        if targets and _only_reported(facts, targets, scope, stmt):
            continue
        found: list[int] = []
        ids = set(value.calls)
        for cid in value.calls:
            if cid in stats and facts.call_by_id[cid].parent not in ids:
                found.append(cid)
        for n in value.names:
            a = reaching(facts, n, scope, stmt)
            if a is None or a.op != "=":
                continue
            inner_ids = set(a.value.calls)
            for cid in a.value.calls:
                if cid in stats and facts.call_by_id[cid].parent not in inner_ids:
                    found.append(cid)
        for cid in found:
            if not _is_summary_data(stats[cid][1]):
                out[cid] = stats[cid]
    return out


_SEARCH_CV = frozenset(
    {
        "sklearn.model_selection.GridSearchCV",
        "sklearn.model_selection.RandomizedSearchCV",
        "sklearn.model_selection.HalvingGridSearchCV",
        "sklearn.model_selection.HalvingRandomSearchCV",
    }
)


def _receiver_qualname(facts: FileFacts, call: Call) -> str:
    """The qualname of the constructor a method is called on: `GridSearchCV(...).fit`, `search.fit`."""
    if call.receiver_call >= 0:
        return facts.call_by_id[call.receiver_call].qualname
    if call.receiver:
        a = reaching(facts, call.receiver, call.scope, call.stmt)
        if a is not None and a.value.kind == "call" and len(a.targets) == 1:
            return facts.call_by_id[a.value.call].qualname
    return ""


def _transform_calls(facts: FileFacts, fits: list[PreFit]) -> dict[int, set[int]]:
    """Per fit call: the ids of later `transform` calls on the same fitted object."""
    out: dict[int, set[int]] = {}
    for f in fits:
        if not f.obj:
            continue
        bound = reaching(facts, f.obj, f.call.scope, f.call.stmt + 1)
        out[f.call.id] = {
            c.id
            for c in facts.calls
            if c.receiver == f.obj
            and c.method == "transform"
            and c.scope == f.call.scope
            and c.stmt >= f.call.stmt
            # the same fitted object: not a later `scaler = StandardScaler()` of other data
            and reaching(facts, f.obj, c.scope, c.stmt) is bound
        }
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
            call.method == "fit" and call.args and _receiver_qualname(facts, call) in _SEARCH_CV
        ) or (
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
        # a slice of data that is not already an evaluation split (`X_test[mask]` is a selection)
        if (
            parts
            and all(p.kind == "subscript" and ":" in p.text for p in parts)
            and not any(is_eval_name(p.names[0]) for p in parts if p.names)
        ):
            anchor = Call(-1, "", "", "", "", -1, (), a.scope, a.loops, (), a.stmt, a.span)
            out.append(
                (anchor, [Value("name", p.names[0], names=(p.names[0],)) for p in parts if p.names])
            )
    return out


def _synthetic_draw(facts: FileFacts, value: Value, scope: str, stmt: int) -> bool:
    """The data is an iid draw of `sklearn.datasets.make_*`: a leak there changes little."""
    frontier = [(value, scope, stmt)]
    steps = 0
    while frontier and steps < 8:
        steps += 1
        v, sc, st = frontier.pop()
        if any(facts.call_by_id[c].qualname.startswith("sklearn.datasets.make_") for c in v.calls):
            return True
        for n in v.names:
            a = reaching(facts, n.split(".", 1)[0], sc, st)
            if a is not None:
                frontier.append((a.value, a.scope, a.stmt))
    return False


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
        # pre004_scaled_before_grid_search: the folds of the search see the scaler's statistics
        """
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

scaler = StandardScaler()
X_fit = scaler.fit_transform(X_train)  # expect: PRE004
search = GridSearchCV(SVC(), {"C": [1, 10]}, cv=5)
search.fit(X_fit, y_train)
""",
        # pre004_fit_then_transform_then_split: `fit` on an expression, the transformed copy is split
        """
import pandas as pd
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

df = pd.read_csv("rows.csv")
scaler = StandardScaler()
scaler.fit(df.drop("label", axis=1))  # expect: PRE004
scaled = scaler.transform(df.drop("label", axis=1))
X_tr, X_te, y_tr, y_te = train_test_split(scaled, df["label"], test_size=0.3)
""",
        # pre004_stats_before_validation_split
        """
import numpy as np
from tensorflow import keras

feats = np.load("feats.npy")
mu = feats.mean(axis=0)  # expect: PRE004
sigma = feats.std(axis=0)
feats = (feats - mu) / sigma
net = keras.Sequential([keras.layers.Dense(1)])
net.compile(loss="mse")
net.fit(feats, target, validation_split=0.2, epochs=5)
""",
        # pre004_search_on_rebound_scaler: the search sees the second scaler's output
        """
from sklearn.model_selection import RandomizedSearchCV
from sklearn.preprocessing import StandardScaler

scaler = StandardScaler()
img_train_s = scaler.fit_transform(img_train)
net.fit(img_train_s, img_labels)
scaler = StandardScaler()
X_train_s = scaler.fit_transform(X_train)  # expect: PRE004
search = RandomizedSearchCV(reg, dists, n_iter=10, cv=3)
search.fit(X_train_s, y_train)
""",
    ],
    negatives=[
        # pre004_neg_search_on_raw_data: the scaled copy is only plotted; the search gets raw data
        """
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import StandardScaler

sc = StandardScaler()
X_train_std = sc.fit_transform(X_train)
plot_regions(X_train_std, y_train)
grid = GridSearchCV(pipe, params, cv=10)
grid.fit(X_train, y_train)
""",
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
        # pre004_neg_train_valid_is_training_data
        """
from sklearn.decomposition import PCA

X_train_valid = data[idx]
X_train = X_train_valid[train_idx]
X_small = PCA(0.99).fit_transform(X_train)
""",
        # pre004_neg_selection_after_split: a boolean mask on the test split is not a split
        """
from sklearn.model_selection import train_test_split

X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
lo = X_train.min(axis=0)
hi = X_train.max(axis=0)
X_train = (X_train - lo) / (hi - lo)
X_test = (X_test - lo) / (hi - lo)
X_test_pos = X_test[y_test == 1]
""",
        # pre004_neg_plotted_signal: scaled only for a plot
        """
import matplotlib.pyplot as plt
import numpy as np

wave = np.load("wave.npy")
shown = wave / np.max(wave)
plt.plot(shown)
wave_train, wave_val = wave[:800], wave[800:]
""",
        # pre004_neg_reductions_for_reports: scores, plot positions, R^2, baselines, timings
        """
import matplotlib.pyplot as plt
import numpy as np

tr_scores, test_scores = validation_curve(est, X, y, param_name="C", param_range=grid)
test_mean = np.mean(test_scores, axis=1)
test_std = np.std(test_scores, axis=1)
plt.fill_between(grid, test_mean + test_std, test_mean - test_std)
lo_x = np.min(X_test)
hi_x = np.max(X_test)
plt.text(lo_x + (hi_x - lo_x) * 0.7, 0, "score")
ss_tot = np.sum(np.square(y_test - np.mean(y_test)))
baseline = max(y_test.mean(), 1 - y_test.mean())
print("acc", 100 - np.mean(np.abs(pred_test - Y_test)) * 100)
gain = (runs.test_epoch_time.mean() - fast.test_epoch_time.mean()) / runs.test_epoch_time.mean()
""",
        # pre004_neg_split_of_reassigned_data: the scaled copy is never split
        """
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

X = df[["rooms"]].values
sc = StandardScaler()
X_std = sc.fit_transform(X)
LinearRegression().fit(X_std, y)
X = df.iloc[:, :-1].values
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
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
    applied = _transform_calls(facts, fits)
    for split, inputs in _split_inputs(facts, index):
        cv = split.qualname in _SPLIT_EXTRA or (
            split.method == "fit" and _receiver_qualname(facts, split) in _SEARCH_CV
        )
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
            shared = {
                n
                for n in names & _root_names(facts, data)
                # the same binding: `X` reassigned between the fit and the split is other data
                if reaching(facts, n, split.scope, split.stmt)
                is reaching(facts, n, call.scope, call.stmt)
            }
            if (
                call.id in lin.calls
                or applied.get(call.id, set()) & lin.calls
                # a scaler fitted on the same raw data that is cross-validated leaks nothing
                # unless its output is what the folds see (the lineage above)
                or (not cv and shared and not any(is_eval_name(n) for n in data.names))
            ):
                flagged.add(call.span.line)
                flagged.add(split.span.line)
                how = "cross-validation splits it" if cv else "it is split"
                synthetic = _synthetic_draw(facts, data, call.scope, call.stmt)
                yield Finding(
                    call.span,
                    f"`{what}` statistics are computed on the full data before {how} (line {split.span.line}): the held-out part leaks into them; split first, then fit on the training part"
                    + (" (put the scaler in a Pipeline)" if cv else "")
                    + (
                        "; the data is a synthetic iid draw, so the leak changes little"
                        if synthetic
                        else ""
                    ),
                    severity=Severity.INFO if synthetic else None,
                    related=(
                        Related(facts.path, split.span.line, split.span.column, "data split here"),
                    ),
                )
