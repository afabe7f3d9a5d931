"""SEED003 (unseeded-split): Flags data splits drawn without a seed: `train_test_split`, `KFold(shuffle=True)`, `ShuffleSplit`, `StratifiedShuffleSplit`, `torch.utils.data.random_split`, `df.sample` without `random_state` (or `generator=`)."""

from __future__ import annotations

from collections.abc import Iterator

from preplint.analysis.context import FileContext
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
test = df.sample(frac=0.2)  # expect: SEED003
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
h = df.dropna().sample(frac=1.0)  # expect: SEED003
i = df.sample(n=100, random_state=SEED)
shuffled = df.sample(frac=1).reset_index(drop=True)  # expect: SEED003
""",
    ],
    negatives=[
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
    `random_state` (or `generator=`). `random_state=None` written out is still unseeded.

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
        explicit_none = call.has_kwarg("random_state")
        fix = None if explicit_none else _seed_fix(facts, call, what)
        hint = (
            "`generator=torch.Generator().manual_seed(0)`"
            if what == "random_split"
            else "`random_state=`"
        )
        message = f"`{call.callee or what}` splits randomly without a seed; the test set changes on every run (pass {hint})"
        yield Finding(call.span, message, fix=fix)


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
