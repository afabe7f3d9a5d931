"""SEED003 (unseeded-split): Flags data splits drawn without a seed: `train_test_split`, `KFold(shuffle=True)`, `ShuffleSplit`, `StratifiedShuffleSplit`, `torch.utils.data.random_split`, `df.sample` without `random_state` (or `generator=`)."""

from __future__ import annotations

from collections.abc import Iterator

from preplint.analysis.context import FileContext
from preplint.analysis.records import SeedCall
from preplint.diagnostics import Edit, Fix
from preplint.facts.model import Call, FileFacts
from preplint.facts.project import ProjectIndex
from preplint.rules import Finding, rule

_SHUFFLING_SPLITTERS = frozenset({"KFold", "StratifiedKFold", "GroupKFold", "StratifiedGroupKFold"})


_ALWAYS_RANDOM_SPLITTERS = frozenset(
    {
        "ShuffleSplit",
        "StratifiedShuffleSplit",
        "GroupShuffleSplit",
        "RepeatedKFold",
        "RepeatedStratifiedKFold",
    }
)


_PANDAS_SAMPLE_KEYWORDS = ("frac", "n", "replace", "weights", "axis", "ignore_index")


def _split_problem(facts: FileFacts, call: Call, index: ProjectIndex) -> str:
    """'' when the call is a seeded (or non-random) split, else the name of the unseeded split."""
    qual = call.qualname
    leaf = qual.rsplit(".", 1)[-1] if qual else ""
    if any(a.star == "**" for a in call.args):
        return ""
    if qual == "torch.utils.data.random_split":
        return "" if call.has_kwarg("generator") or len(call.args) >= 3 else "random_split"
    if qual.startswith(("sklearn.model_selection.", "sklearn.cross_validation.")):
        if leaf == "train_test_split":
            if call.kwarg_const("shuffle", True) is False and call.has_kwarg("shuffle"):
                return ""
        elif leaf in _SHUFFLING_SPLITTERS:
            shuffle = call.arg(keyword="shuffle")
            positional = [a for a in call.args if a.keyword is None]
            if shuffle is None and len(positional) >= 2:
                shuffle = positional[1]
            if shuffle is None or shuffle.value.const is not True:
                return ""
        elif leaf not in _ALWAYS_RANDOM_SPLITTERS:
            return ""
        state = call.arg(keyword="random_state")
        if state is None and leaf in _SHUFFLING_SPLITTERS:
            positional = [a for a in call.args if a.keyword is None]
            state = positional[2] if len(positional) >= 3 else None
        if state is None or (state.value.kind == "const" and state.value.const is None):
            return leaf
        return ""
    if call.method == "sample" and not qual and call.receiver != "random":
        if call.has_kwarg("random_state"):
            state = call.arg(keyword="random_state")
            return (
                "sample"
                if state is not None and state.value.kind == "const" and state.value.const is None
                else ""
            )
        positional = [a for a in call.args if a.keyword is None]
        if len(positional) >= 6:
            return ""
        if any(call.has_kwarg(k) for k in _PANDAS_SAMPLE_KEYWORDS) or _is_dataframe(
            facts, call, index
        ):
            return "sample"
    return ""


def _is_dataframe(facts: FileFacts, call: Call, index: ProjectIndex) -> bool:
    """Whether a method's receiver comes from pandas (read_csv, DataFrame, or a method chain on one)."""
    probe: Call | None = call
    for _ in range(8):
        if probe is None:
            return False
        if probe.receiver_call >= 0:
            probe = facts.call_by_id.get(probe.receiver_call)
            if probe is not None and probe.qualname.startswith("pandas."):
                return True
            continue
        if not probe.receiver:
            return False
        root = probe.receiver.split(".")[0].split("[")[0]
        assign = facts.reaching_assign(root, probe.scope, probe.stmt)
        if assign is None or assign.op != "=" or len(assign.targets) != 1:
            return False
        value = assign.value
        if value.kind == "subscript" and value.operands and value.operands[0].name:
            assign = facts.reaching_assign(value.operands[0].name, assign.scope, assign.stmt)
            if assign is None or assign.value.kind != "call":
                return False
            value = assign.value
        if value.kind != "call":
            return False
        probe = facts.call_by_id.get(value.call)
        if probe is not None and probe.qualname.startswith("pandas."):
            return True
    return False


@rule(
    "SEED003",
    "unseeded-split",
    severity="warning",
    fixable=True,
    positives=[
        """
from sklearn.model_selection import train_test_split, KFold
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2)  # expect: SEED003
folds = KFold(n_splits=5, shuffle=True)  # expect: SEED003
""",
        """
import pandas as pd
import torch
from torch.utils.data import random_split
df = pd.read_csv("data.csv")
test = df.sample(frac=0.2)
train_ds, val_ds = random_split(dataset, [800, 200])  # expect: SEED003
""",
        # splits
        """
import pandas as pd
from sklearn.model_selection import train_test_split, ShuffleSplit, StratifiedKFold, RepeatedKFold, GroupKFold
from sklearn import model_selection as ms

SEED = 1
df = pd.read_csv("d.csv")
a = train_test_split(df, test_size=0.1, random_state=None)  # expect: SEED003
b = ms.train_test_split(df, test_size=0.1)  # expect: SEED003
c = ShuffleSplit(n_splits=3)  # expect: SEED003
d = StratifiedKFold(5, shuffle=True)  # expect: SEED003
e = StratifiedKFold(5, shuffle=True, random_state=SEED)
f = RepeatedKFold(n_splits=5)  # expect: SEED003
g = GroupKFold(n_splits=5)
h = df.dropna().sample(frac=1.0)
i = df.sample(n=100, random_state=SEED)
shuffled = df.sample(frac=1).reset_index(drop=True)
""",
        # tf_data_shuffle_then_take_skip
        """
import tensorflow as tf
ds = tf.data.Dataset.from_tensor_slices((x, y))
ds = ds.shuffle(1000)  # expect: SEED003
val_ds = ds.take(200).batch(32)
train_ds = ds.skip(200).batch(32)
model.fit(train_ds, validation_data=val_ds, epochs=5)
""",
        # split_inside_a_function_with_a_later_seed
        """
import numpy as np
from sklearn.model_selection import train_test_split

def split(X, y):
    return train_test_split(X, y, test_size=0.25)  # expect: SEED003

np.random.seed(0)
parts = split(X, y)
""",
    ],
    negatives=[
        # global_numpy_seed_covers_sklearn_split
        """
import numpy as np
from sklearn.model_selection import train_test_split
np.random.seed(1)
X_tr, X_te, y_tr, y_te = train_test_split(X, y, train_size=0.8)
""",
        # global_torch_seed_covers_random_split
        """
import torch
from torch.utils.data import random_split
torch.manual_seed(0)
train_part, valid_part = random_split(full, [900, 100])
""",
        # monte_carlo_repetitions_redraw_on_purpose
        """
from sklearn.model_selection import train_test_split
scores = []
for rep in range(20):
    a, b, c, d = train_test_split(X, y, test_size=0.3)
    scores.append(clf.fit(a, c).score(b, d))
print(sum(scores) / len(scores))
""",
        # repeated_experiment_loop
        """
from sklearn.model_selection import train_test_split
for _ in range(5):
    a, b, c, d = train_test_split(X, y, test_size=0.3)
    print(tune(a, c, b, d))
""",
        # dataframe_sample_for_display_or_subsets
        """
import pandas as pd
df = pd.read_csv("rows.csv")
df.sample(5)
small = df.sample(frac=0.05)
small.plot.scatter(x="a", y="b")
for pct in range(10, 101, 10):
    part = df.sample(frac=pct / 100)
    model.fit(part[["a"]], part["b"])
""",
        # tf_data_shuffle_fixed_order_or_display
        """
import tensorflow as tf
ds = tf.data.Dataset.from_tensor_slices((x, y))
ds = ds.shuffle(1000, reshuffle_each_iteration=False)
val_ds = ds.take(200)
train_ds = ds.skip(200)
shown = ds.shuffle(100)
for item in shown.take(5):
    print(item)
""",
        """
from sklearn.model_selection import train_test_split, KFold, StratifiedShuffleSplit
SEED = 7
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=SEED)
folds = KFold(n_splits=5)
sss = StratifiedShuffleSplit(n_splits=3, random_state=0)
ordered = train_test_split(X, y, shuffle=False)
""",
        """
import random
import torch
from torch.utils.data import random_split
picked = random.sample(items, 3)
train_ds, val_ds = random_split(dataset, [0.8, 0.2], generator=torch.Generator().manual_seed(0))
""",
    ],
)
def unseeded_split(ctx: FileContext) -> Iterator[Finding]:
    """What it does:
    Flags data splits drawn without a seed: `train_test_split`, `KFold(shuffle=True)`,
    `ShuffleSplit`, `StratifiedShuffleSplit`, `torch.utils.data.random_split`, `df.sample` without
    `random_state` (or `generator=`). `random_state=None` written out is still unseeded. Also a
    `tf.data` dataset shuffled without `reshuffle_each_iteration=False` and then cut into train
    and validation parts with `take`/`skip`. Not reported: a split whose global generator is
    seeded earlier on its path (`np.random.seed` for sklearn splitters, `torch.manual_seed` for
    `random_split`), and a split re-drawn inside a loop that collects one result per repetition
    (Monte-Carlo cross-validation).

    Preview:
    `df.sample(...)` without `random_state`. On public notebooks it was a display (`df.sample(5)`),
    a plotting subset or a learning-curve training subset every time it was read. To leave
    preview it needs to follow the sampled rows (or `df.drop(sample.index)`) into a fit or
    evaluation call as train or test data.

    Why is this bad?:
    The test set changes on every run: scores move for no reason, and once a run has seen
    another run's test rows (a saved model, a tuned threshold) the evaluation leaks.

    Example:
    ```python
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2)
    ```

    Use instead:
    ```python
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0)
    ```

    References:
    - https://scikit-learn.org/stable/common_pitfalls.html#controlling-randomness
    """
    facts, index = ctx.facts, ctx.index
    for call in facts.calls:
        what = _split_problem(facts, call, index)
        if not what:
            continue
        if _globally_seeded(ctx.seed_calls, call, what) or _repeated_split(facts, call):
            continue
        explicit_none = call.has_kwarg("random_state")
        fix = None if explicit_none else _seed_fix(facts, call, what)
        hint = (
            "`generator=torch.Generator().manual_seed(0)`"
            if what == "random_split"
            else "`random_state=`"
        )
        message = f"`{call.callee or what}` splits randomly without a seed; the test set changes on every run (pass {hint})"
        # `df.sample(...)` is a split only when the rows drawn feed a model as train or test
        # data; read by hand on public code it was a display or a plot every time.
        yield Finding(call.span, message, fix=fix, preview=what == "sample")
    yield from _reshuffled_take_skip(facts)


def _globally_seeded(seeds: list[SeedCall], call: Call, what: str) -> bool:
    """A split with no seed of its own draws from the global generator: `random_split` from
    torch's (seeded by `torch.manual_seed`), sklearn splitters and `df.sample` from NumPy's
    (seeded by `np.random.seed`). A seed of that generator earlier on the split's path fixes it."""
    wanted = "torch" if what == "random_split" else "numpy"
    for seed in seeds:
        if wanted not in seed.families or seed.call.id >= call.id:
            continue
        if (
            not seed.call.scope
            or call.scope == seed.call.scope
            or (call.scope.startswith(seed.call.scope + "."))
        ):
            return True
    return False


def _repeated_split(facts: FileFacts, call: Call) -> bool:
    """A split re-drawn inside a loop that repeats an experiment (`for _ in range(n)`) or
    collects a result each time (`scores.append(...)`): Monte-Carlo cross-validation, where a
    new split per repetition is the point."""
    if not call.loops:
        return False
    loop = facts.loop_by_id.get(call.loops[-1])
    if loop is None or loop.kind != "for":
        return False
    if any(
        a.op == "for" and a.targets == ("_",) and a.stmt == loop.stmt_start
        for a in facts.assigns_by_target.get("_", ())
    ):
        return True  # `for _ in range(5):` repeats the experiment, a new split each time
    return any(
        c.method == "append"
        and c.scope == loop.scope
        and loop.stmt_start < c.stmt <= loop.stmt_end
        and c.stmt > call.stmt
        for c in facts.calls
    )


def _reshuffled_take_skip(facts: FileFacts) -> Iterator[Finding]:
    """`ds = ds.shuffle(n)` then `ds.take(k)` / `ds.skip(k)` as train and validation sets: a
    `tf.data` shuffle re-draws its order on every pass unless `reshuffle_each_iteration=False`,
    so the two halves swap rows from one epoch to the next."""
    if not (facts.uses("tensorflow") or facts.uses("keras")):
        return
    shuffled: dict[tuple[str, str], Call] = {}
    for assign in facts.assigns:
        if assign.op != "=" or len(assign.targets) != 1 or assign.value.kind != "call":
            continue
        call = facts.call_by_id.get(assign.value.call)
        if call is None or call.method != "shuffle" or call.qualname:
            continue
        if (
            call.has_kwarg("reshuffle_each_iteration")
            or len([a for a in call.args if a.keyword is None]) >= 3
        ):
            continue
        shuffled[(assign.targets[0], assign.scope)] = call
    for (name, scope), shuffle in shuffled.items():
        halves = {
            c.method
            for c in facts.calls
            if c.receiver == name
            and c.method in ("take", "skip")
            and c.scope == scope
            and c.id > shuffle.id
            and (reaching := facts.reaching_assign(name, c.scope, c.stmt)) is not None
            and reaching.value.call == shuffle.id
        }
        if halves == {"take", "skip"}:
            yield Finding(
                shuffle.span,
                f"`{shuffle.callee}` reshuffles on every epoch and is then split with `take`/`skip`; "
                "train and validation rows swap between epochs (pass `reshuffle_each_iteration=False`)",
            )


def _seed_fix(facts: FileFacts, call: Call, what: str) -> Fix | None:
    span = call.span
    if span.line != span.end_line:
        return None  # a trailing comma may sit before the parenthesis
    if what == "random_split":
        torch_name = next((local for local, qual in facts.imports.items() if qual == "torch"), "")
        if not torch_name:
            return None
        keyword = f"generator={torch_name}.Generator().manual_seed(0)"
    else:
        keyword = "random_state=0"
    text = f", {keyword}" if call.args else keyword
    edit = Edit(span.end_line, span.end_column - 1, span.end_line, span.end_column - 1, text)
    return Fix(f"Pass `{keyword}` (changes which rows land in each split)", (edit,), unsafe=True)
