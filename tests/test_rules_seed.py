"""SEED findings beyond where they fire: the fixes they offer."""

from __future__ import annotations

from tests.helpers import lint


def test_split_fix_inserts_random_state_and_is_unsafe() -> None:
    src = "from sklearn.model_selection import train_test_split\nparts = train_test_split(X, y, test_size=0.2)\n"
    [d] = [d for d in lint(src) if d.code == "SEED003"]
    assert d.fix is not None and d.fix.unsafe
    [edit] = d.fix.edits
    line = src.splitlines()[edit.line - 1]
    fixed = line[: edit.column - 1] + edit.replacement + line[edit.end_column - 1 :]
    assert fixed == "parts = train_test_split(X, y, test_size=0.2, random_state=0)"


def test_split_fix_for_random_split_uses_a_generator() -> None:
    src = (
        "import torch\nfrom torch.utils.data import random_split\na, b = random_split(ds, [8, 2])\n"
    )
    [d] = [d for d in lint(src) if d.code == "SEED003"]
    assert d.fix is not None
    assert d.fix.edits[0].replacement == ", generator=torch.Generator().manual_seed(0)"


def test_no_fix_for_multiline_call_or_explicit_none() -> None:
    src = "from sklearn.model_selection import train_test_split\nparts = train_test_split(\n    X, y,\n)\nq = train_test_split(X, random_state=None)\n"
    found = [d for d in lint(src) if d.code == "SEED003"]
    assert len(found) == 2 and all(d.fix is None for d in found)
