"""Autofixes: every fixable rule's examples come out parseable, quiet, stable, and minimally changed."""

from __future__ import annotations

import difflib
import json
import os
import stat
from pathlib import Path
from typing import Any

import libcst as cst
import pytest

from preplint.config import Config
from preplint.diagnostics import Diagnostic, Edit, Fix, Severity
from preplint.engine import lint_paths, lint_sources
from preplint.fix import apply_fixes, write_fixes
from preplint.rules import Rule, all_rules
from tests.helpers import as_project

FIXABLE = [rule for rule in all_rules() if rule.fixable]
CASES = [(rule, n) for rule in FIXABLE for n in range(len(rule.positives))]


def write_project(root: Path, sources: dict[str, str]) -> None:
    for relative, text in sources.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text, encoding="utf-8")


def fixes_of(rule: Rule, diagnostics: tuple[Diagnostic, ...]) -> list[Diagnostic]:
    return [d for d in diagnostics if d.code == rule.code and d.fix is not None]


def unexplained_changes(before: str, after: str, edited: set[int]) -> list[str]:
    """Changed lines of `before` that no applied edit touched (inserted lines may sit on either side)."""
    matcher = difflib.SequenceMatcher(a=before.splitlines(), b=after.splitlines(), autojunk=False)
    out: list[str] = []
    for tag, a_start, a_end, b_start, b_end in matcher.get_opcodes():
        if tag in ("replace", "delete"):
            out.extend(f"line {n}" for n in range(a_start + 1, a_end + 1) if n not in edited)
        elif tag == "insert" and not {a_start, a_start + 1} & edited:
            out.append(f"lines inserted after line {a_start}: {after.splitlines()[b_start:b_end]}")
    return out


def edited_lines(diagnostics: tuple[Diagnostic, ...], path: str) -> set[int]:
    lines: set[int] = set()
    for d in diagnostics:
        if d.path == path and d.fix is not None:
            for edit in d.fix.edits:
                lines.update(range(edit.line, edit.end_line + 1))
    return lines


@pytest.mark.parametrize("rule", FIXABLE, ids=lambda r: r.code)
def test_fixable_rule_offers_a_fix_on_some_positive_example(rule: Rule) -> None:
    assert any(
        fixes_of(rule, lint_sources(as_project(example)).diagnostics) for example in rule.positives
    ), f"{rule.code} is marked fixable but none of its positive examples gets a fix"


@pytest.mark.parametrize(
    ("rule", "n"), CASES, ids=lambda v: v.code if isinstance(v, Rule) else str(v)
)
def test_fix_parses_silences_the_rule_is_stable_and_minimal(
    rule: Rule,
    n: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    sources = as_project(rule.positives[n])
    write_project(tmp_path, sources)
    before = lint_sources(sources).diagnostics
    wanted = fixes_of(rule, before)
    if not wanted:
        pytest.skip(f"{rule.code} positive #{n} has no fixable finding")

    outcome = apply_fixes(wanted, unsafe=True)
    assert outcome.failed == {}
    assert {id(d) for d in outcome.fixed} == {id(d) for d in wanted}
    for path, text in outcome.new_sources.items():
        cst.parse_module(text)
        assert unexplained_changes(sources[path], text, edited_lines(outcome.fixed, path)) == [], (
            outcome.diffs[path]
        )
    write_fixes(outcome)

    fixed_sources = {path: (tmp_path / path).read_text(encoding="utf-8") for path in sources}
    after = lint_sources(fixed_sources).diagnostics
    assert fixes_of(rule, after) == []
    remaining = [d for d in after if d.code == rule.code]
    assert len(remaining) == len([d for d in before if d.code == rule.code]) - len(wanted)
    assert apply_fixes(after, unsafe=True).new_sources == {}


def diagnostic(path: Path, *edits: Edit, unsafe: bool = False, code: str = "TEST001") -> Diagnostic:
    return Diagnostic(
        code,
        "test",
        Severity.WARNING,
        "m",
        str(path),
        edits[0].line,
        edits[0].column,
        edits[0].end_line,
        edits[0].end_column,
        fix=Fix("fix", edits, unsafe=unsafe),
    )


def test_overlapping_fixes_keep_the_first_and_skip_the_rest(tmp_path: Path) -> None:
    file = tmp_path / "a.py"
    file.write_text("x = load(path)\ny = 2\n", encoding="utf-8")
    first = diagnostic(file, Edit(1, 5, 1, 9, "read"))
    overlapping = diagnostic(file, Edit(1, 7, 1, 15, "zzz"))
    insertion = diagnostic(file, Edit(2, 6, 2, 6, "0"))
    outcome = apply_fixes([overlapping, first, insertion])
    assert outcome.new_sources[str(file)] == "x = read(path)\ny = 20\n"
    assert outcome.fixed == (first, insertion)
    assert outcome.skipped == (overlapping,)


def test_two_insertions_at_one_point_are_a_conflict_but_a_repeated_fix_is_not(
    tmp_path: Path,
) -> None:
    file = tmp_path / "a.py"
    file.write_text("f()\n", encoding="utf-8")
    one, same, other = (diagnostic(file, Edit(1, 3, 1, 3, text)) for text in ("a", "a", "b"))
    outcome = apply_fixes([one, same, other])
    assert outcome.new_sources[str(file)] == "f(a)\n"
    assert outcome.fixed == (one, same)
    assert outcome.skipped == (other,)


def test_unsafe_fixes_need_the_flag(tmp_path: Path) -> None:
    file = tmp_path / "a.py"
    file.write_text("x = 1\n", encoding="utf-8")
    risky = diagnostic(file, Edit(1, 5, 1, 6, "2"), unsafe=True)
    assert apply_fixes([risky]).new_sources == {}
    assert apply_fixes([risky]).skipped == (risky,)
    assert apply_fixes([risky], unsafe=True).new_sources == {str(file): "x = 2\n"}


def test_a_fix_that_breaks_the_syntax_leaves_the_file_untouched(tmp_path: Path) -> None:
    file = tmp_path / "a.py"
    file.write_text("x = f(1)\n", encoding="utf-8")
    breaking = diagnostic(file, Edit(1, 7, 1, 7, "("))
    outcome = apply_fixes([breaking])
    assert outcome.new_sources == {} and outcome.fixed == ()
    assert "would not parse" in outcome.failed[str(file)]
    write_fixes(outcome)
    assert file.read_text(encoding="utf-8") == "x = f(1)\n"


def test_edits_outside_the_file_are_skipped(tmp_path: Path) -> None:
    file = tmp_path / "a.py"
    file.write_text("x = 1\n", encoding="utf-8")
    stale = diagnostic(file, Edit(1, 20, 1, 20, "y"))
    assert apply_fixes([stale]).skipped == (stale,)


def test_newlines_encoding_bom_and_mode_are_kept(tmp_path: Path) -> None:
    crlf = tmp_path / "crlf.py"
    crlf.write_bytes(b"import torch\r\nm = torch.load(p)\r\n")
    latin = tmp_path / "latin.py"
    latin.write_bytes("# -*- coding: latin-1 -*-\nname = 'caf\xe9'\n".encode("latin-1"))
    bom = tmp_path / "bom.py"
    bom.write_bytes(b"\xef\xbb\xbfx = 1\n")
    os.chmod(crlf, 0o755)
    outcome = apply_fixes(
        [
            diagnostic(
                crlf, Edit(2, 17, 2, 17, ", weights_only=True"), Edit(2, 18, 2, 18, "\n# done")
            ),
            diagnostic(latin, Edit(2, 13, 2, 13, "!")),
            diagnostic(bom, Edit(1, 5, 1, 6, "2")),
        ]
    )
    assert outcome.failed == {}
    write_fixes(outcome)
    assert (
        crlf.read_bytes() == b"import torch\r\nm = torch.load(p, weights_only=True)\r\n# done\r\n"
    )
    assert stat.S_IMODE(crlf.stat().st_mode) == 0o755
    assert latin.read_bytes() == "# -*- coding: latin-1 -*-\nname = 'caf\xe9!'\n".encode("latin-1")
    assert bom.read_bytes() == b"\xef\xbb\xbfx = 2\n"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".preplint-tmp")]


def test_a_fix_that_cannot_be_encoded_is_reported(tmp_path: Path) -> None:
    latin = tmp_path / "latin.py"
    latin.write_bytes(b"# -*- coding: latin-1 -*-\nx = ''\n")
    outcome = apply_fixes([diagnostic(latin, Edit(2, 6, 2, 6, "\u2603"))])
    assert "cannot be written as" in outcome.failed[str(latin)]


def test_diff_is_a_unified_diff_of_the_file(tmp_path: Path) -> None:
    file = tmp_path / "a.py"
    file.write_text("x = 1\ny = 2", encoding="utf-8")  # no final newline
    outcome = apply_fixes([diagnostic(file, Edit(2, 5, 2, 6, "3"))])
    assert outcome.diffs[str(file)] == (
        f"--- a/{file}\n+++ b/{file}\n@@ -1,2 +1,2 @@\n x = 1\n-y = 2\n+y = 3\n"
    )


def notebook_bytes(*sources: str) -> bytes:
    cells: list[dict[str, Any]] = [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Title é\n"]}
    ]
    for source in sources:
        lines = source.splitlines(keepends=True)
        cells.append(
            {
                "cell_type": "code",
                "execution_count": 1,
                "metadata": {},
                "outputs": [],
                "source": lines,
            }
        )
    document = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    return (json.dumps(document, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def test_notebook_fixes_go_into_their_cell(tmp_path: Path) -> None:
    notebook = tmp_path / "train.ipynb"
    original = notebook_bytes(
        "%pip install torch\nimport torch", "!ls\nstate = torch.load('m.pt')\nprint(state)"
    )
    notebook.write_bytes(original)
    report = lint_paths([str(notebook)], Config(root=tmp_path), jobs=1)
    [finding] = [d for d in report.diagnostics if d.code == "SAFE001"]
    assert (finding.cell, finding.line) == (3, 2)  # cells count from the markdown title

    outcome = apply_fixes(report.diagnostics)
    assert outcome.fixed == (finding,)
    assert "(cell 3)" in outcome.diffs[str(notebook)]
    write_fixes(outcome)
    expected = notebook_bytes(
        "%pip install torch\nimport torch",
        "!ls\nstate = torch.load('m.pt', weights_only=True)\nprint(state)",
    )
    assert notebook.read_bytes() == expected
    assert lint_paths([str(notebook)], Config(root=tmp_path), jobs=1).diagnostics == ()


def test_notebook_fix_without_a_cell_or_on_a_magic_line_is_skipped(tmp_path: Path) -> None:
    notebook = tmp_path / "nb.ipynb"
    notebook.write_bytes(notebook_bytes("%time x = 1\ny = 2"))
    on_magic = diagnostic(notebook, Edit(1, 1, 1, 1, "z"))
    on_magic = Diagnostic(**{**on_magic.__dict__, "cell": 2})
    no_cell = diagnostic(notebook, Edit(2, 1, 2, 1, "z"))
    outcome = apply_fixes([on_magic, no_cell])
    assert outcome.new_sources == {} and set(outcome.skipped) == {on_magic, no_cell}


# --- one --fix reaches a fixed point ------------------------------------------------------------

REBOUND = """\
import torch
from torchvision import models

model = models.resnet18()
model.load_state_dict(torch.load("m.pt", weights_only=True))
model.eval()
model = models.resnet18()
with torch.no_grad():
    y = model(x)
"""


def _cli(args: list[str], cwd: Path) -> tuple[int, str, str]:
    from tests.test_cli import run

    return run(args, cwd)


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".preplint_cache" not in p.parts
    }


def test_mode001_after_a_rebinding_is_fixed_once(tmp_path: Path) -> None:
    (tmp_path / "p.py").write_text(REBOUND, encoding="utf-8")
    code, out, _ = _cli(["check", "--no-cache", "--fix", "p.py"], tmp_path)
    assert code == 0 and "MODE001" not in out
    text = (tmp_path / "p.py").read_text(encoding="utf-8")
    assert text.count("model.eval()") == 2
    assert "model = models.resnet18()\nmodel.eval()\nwith torch.no_grad():" in text
    code, out, err = _cli(["check", "--no-cache", "--fix", "p.py"], tmp_path)
    assert (tmp_path / "p.py").read_text(encoding="utf-8") == text
    assert code == 0 and "Fixed" not in err


def test_mode001_fix_is_anchored_after_the_rebinding() -> None:
    [finding] = [d for d in lint_sources({"p.py": REBOUND}).diagnostics if d.code == "MODE001"]
    assert finding.fix is not None
    assert [(e.line, e.replacement) for e in finding.fix.edits] == [(8, "model.eval()\n")]


def test_mode001_without_a_rebinding_still_fixes_after_the_load() -> None:
    source = REBOUND.replace("model.eval()\nmodel = models.resnet18()\n", "")
    [finding] = [d for d in lint_sources({"p.py": source}).diagnostics if d.code == "MODE001"]
    assert finding.fix is not None
    assert [(e.line, e.replacement) for e in finding.fix.edits] == [(6, "model.eval()\n")]


# --- MODE001: the eval() goes after the last switch back to training mode --------------------

NET = """\
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Dropout(0.2), nn.Linear(32, 2))

    def forward(self, x):
        return self.body(x)
"""

LOADED = """\
import torch
from net import Net


def score(x):
    model = Net()
    model.load_state_dict(torch.load("net.pt", weights_only=True))
"""

# Each text is the fixed file; the line marked `# <- fix` is the one the fix adds.
RETRAIN_FIXES = {
    "helper-that-calls-train": """\
import torch
from net import Net


def unfreeze(m):
    m.eval()
    m.train()


def score(x):
    model = Net()
    model.load_state_dict(torch.load("net.pt", weights_only=True))
    model.eval()
    unfreeze(model)
    model.eval()  # <- fix
    with torch.no_grad():
        preds = model(x)
    return preds
""",
    "train-in-a-branch": """\
import torch
from net import Net


def score(x, finetuned):
    model = Net()
    model.load_state_dict(torch.load("net.pt", weights_only=True))
    if finetuned:
        model.train()
    with torch.no_grad():
        model.eval()  # <- fix
        preds = model(x)
    return preds
""",
    "train-in-a-loop-the-use-is-outside-of": """\
import torch
from net import Net


def score(batches, parts):
    model = Net()
    model.load_state_dict(torch.load("net.pt", weights_only=True))
    for part in parts:
        model.train()
    out = []
    for x in batches:
        with torch.no_grad():
            model.eval()  # <- fix
            y = model(x)
        out.append(y)
    return out
""",
    "a-chained-train-over-lines": """\
import torch
from net import Net


def score(x, device):
    model = Net()
    model.load_state_dict(torch.load("net.pt", weights_only=True))
    model.eval()
    model.train().to(
        device
    )
    model.eval()  # <- fix
    with torch.no_grad():
        return model(x)
""",
    "train-of-an-attribute-in-another-method": """\
import torch
from net import Net


class Predictor:
    def __init__(self, path):
        self.model = Net()
        self.model.load_state_dict(torch.load(path, weights_only=True))

    def predict(self, x):
        self.model.train()
        self.model.eval()  # <- fix
        with torch.no_grad():
            return self.model(x)
""",
    "wrapped-switch": """\
import torch
from net import Net


def score(x):
    model = Net()
    model.load_state_dict(torch.load("net.pt", weights_only=True))
    print(model.train())
    with torch.no_grad():
        model.eval()  # <- fix
        preds = model(x)
    return preds
""",
    "module-level-train-after-the-load": """\
import torch
from net import Net

model = Net()
model.load_state_dict(torch.load("net.pt", weights_only=True))
model.train()
model.eval()  # <- fix


def predict(x):
    with torch.no_grad():
        return model(x)
""",
}


def _mode001(sources: dict[str, str]) -> list[Diagnostic]:
    return [d for d in lint_sources(sources).diagnostics if d.code == "MODE001"]


@pytest.mark.parametrize("marked", RETRAIN_FIXES.values(), ids=list(RETRAIN_FIXES))
def test_mode001_fix_lands_after_the_last_switch_to_training(
    marked: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = "".join(line for line in marked.splitlines(True) if "# <- fix" not in line)
    expected = marked.replace("  # <- fix", "")
    monkeypatch.chdir(tmp_path)
    sources = {"net.py": NET, "p.py": source}
    write_project(tmp_path, sources)
    [finding] = _mode001(sources)
    assert finding.fix is not None and len(finding.fix.edits) == 1
    outcome = apply_fixes([finding])
    assert outcome.failed == {} and outcome.fixed == (finding,)
    write_fixes(outcome)
    fixed = (tmp_path / "p.py").read_text(encoding="utf-8")
    assert fixed == expected
    cst.parse_module(fixed)
    after = {"net.py": NET, "p.py": fixed}
    assert _mode001(after) == []
    assert apply_fixes(lint_sources(after).diagnostics, unsafe=True).new_sources == {}


def test_mode001_fix_after_a_later_train_is_the_exact_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    source = (
        LOADED
        + "    model.eval()\n    model.train()\n    with torch.no_grad():\n        return model(x)\n"
    )
    (tmp_path / "p.py").write_text(source, encoding="utf-8")
    (tmp_path / "net.py").write_text(NET, encoding="utf-8")
    [finding] = _mode001({"net.py": NET, "p.py": source})
    assert finding.fix is not None
    assert finding.fix.description == (
        "Call `model.eval()` after `model.train()` switches it back to training mode"
    )
    write_fixes(apply_fixes([finding]))
    assert (tmp_path / "p.py").read_text(encoding="utf-8") == LOADED + (
        "    model.eval()\n    model.train()\n    model.eval()\n    with torch.no_grad():\n"
        "        return model(x)\n"
    )


CORRECT_MODES = {
    "eval-after-the-last-train": LOADED
    + "    model.train()\n    model.eval()\n    with torch.no_grad():\n        return model(x)\n",
    "training-and-inference-in-separate-functions": """\
import torch
import torch.nn as nn
from net import Net


def fit(model, loader):
    opt = torch.optim.Adam(model.parameters())
    model.train()
    for x, y in loader:
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()


def predict(model, x):
    model.eval()
    with torch.no_grad():
        return model(x)


def main(loader, x):
    model = Net()
    model.load_state_dict(torch.load("net.pt", weights_only=True))
    fit(model, loader)
    print(predict(model, x))
""",
    "helper-that-ends-in-eval": "def freeze(m):\n    m.train()\n    m.eval()\n\n\n"
    + LOADED
    + "    freeze(model)\n    with torch.no_grad():\n        return model(x)\n",
}


@pytest.mark.parametrize("source", CORRECT_MODES.values(), ids=list(CORRECT_MODES))
def test_mode001_fix_leaves_a_correct_mode_alone(source: str, tmp_path: Path) -> None:
    (tmp_path / "net.py").write_text(NET, encoding="utf-8")
    (tmp_path / "p.py").write_text(source, encoding="utf-8")
    assert _mode001({"net.py": NET, "p.py": source}) == []
    code, out, err = _cli(["check", "--no-cache", "--fix", "--unsafe-fixes", "p.py"], tmp_path)
    assert code == 0 and "MODE001" not in out and "Fixed" not in err
    assert (tmp_path / "p.py").read_text(encoding="utf-8") == source


NO_SINGLE_PLACE = {
    # the switch runs only in a branch and the use is a `return`: no line of its own to precede
    "branch-then-return": LOADED.replace("score(x)", "score(x, finetuned)")
    + "    if finetuned:\n        model.train()\n    with torch.no_grad():\n        return model(x)\n",
    # the switch and the use share a line: nothing can go between them
    "one-line": LOADED
    + "    model.eval()\n    model.train(); preds = model(x)\n    return preds\n",
    # the switch is an argument of another call, and the use is a `return`
    "wrapped-switch-then-return": LOADED
    + "    print(model.train())\n    with torch.no_grad():\n        return model(x)\n",
}


@pytest.mark.parametrize("source", NO_SINGLE_PLACE.values(), ids=list(NO_SINGLE_PLACE))
def test_mode001_offers_no_fix_when_no_place_is_right(source: str, tmp_path: Path) -> None:
    [finding] = _mode001({"net.py": NET, "p.py": source})
    assert finding.fix is None
    (tmp_path / "net.py").write_text(NET, encoding="utf-8")
    (tmp_path / "p.py").write_text(source, encoding="utf-8")
    code, out, _ = _cli(["check", "--no-cache", "--fix", "--unsafe-fixes", "p.py"], tmp_path)
    assert code == 1 and "MODE001" in out
    assert (tmp_path / "p.py").read_text(encoding="utf-8") == source


NOT_A_SWITCH = {
    "train-in-another-function": (
        "import torch\nfrom net import Net\n\nmodel = Net()\n"
        'model.load_state_dict(torch.load("net.pt", weights_only=True))\n\n\n'
        "def finetune_mode(other):\n    other.train()\n\n\n"
        "def predict(x):\n    with torch.no_grad():\n        return model(x)\n",
        6,
        "model.eval()\n",
    ),
    "helper-that-only-reads-the-mode": (
        "def describe(m):\n    print(m.training)\n\n\n"
        + LOADED
        + "    describe(model)\n    with torch.no_grad():\n        return model(x)\n",
        12,
        "    model.eval()\n",
    ),
    "train-of-another-module": (
        LOADED + "    teacher = Net()\n    teacher.train()\n    with torch.no_grad():\n"
        "        return model(x)\n",
        8,
        "    model.eval()\n",
    ),
}


@pytest.mark.parametrize(
    ("source", "line", "replacement"), NOT_A_SWITCH.values(), ids=list(NOT_A_SWITCH)
)
def test_mode001_fix_stays_after_the_load_without_a_switch_on_the_path(
    source: str, line: int, replacement: str
) -> None:
    [finding] = _mode001({"net.py": NET, "p.py": source})
    assert finding.fix is not None
    assert [(e.line, e.replacement) for e in finding.fix.edits] == [(line, replacement)]
    assert source.splitlines()[line - 2].lstrip().startswith("model.load_state_dict(")


def _copy_tree(source: Path, target: Path) -> None:
    import shutil

    shutil.copytree(source, target, symlinks=True, ignore=shutil.ignore_patterns(".preplint_cache"))


@pytest.mark.parametrize("tree", ["fixtures", "tests/corpus"])
def test_second_fix_changes_nothing(tree: str, tmp_path: Path) -> None:
    root = Path(__file__).resolve().parent.parent
    _copy_tree(root / tree, tmp_path / "tree")
    before = _snapshot(tmp_path / "tree")
    args = ["check", "--no-cache", "--fix", "--unsafe-fixes", "--exit-zero", "."]
    assert _cli(args, tmp_path / "tree")[0] == 0
    once = _snapshot(tmp_path / "tree")
    assert once != before  # the trees do have fixable findings
    code, _, err = _cli(args, tmp_path / "tree")
    assert code == 0 and "Fixed" not in err and "did not settle" not in err
    assert _snapshot(tmp_path / "tree") == once


def test_fix_until_stable_stops_on_a_fix_that_never_settles(tmp_path: Path) -> None:
    from preplint.diagnostics import Report
    from preplint.fix import fix_until_stable

    target = tmp_path / "grow.py"
    target.write_text("x = 1\n", encoding="utf-8")
    calls = []

    def lint() -> Report:
        calls.append(1)
        grow = Diagnostic(
            "TEST001", "grow", Severity.WARNING, "grows", str(target), 1, 1, 1, 1,
            fix=Fix("add a line", (Edit(1, 1, 1, 1, "x = 1\n"),)),
        )  # fmt: skip
        return Report(1, (grow,))

    done = fix_until_stable(lint(), lint, rounds=3)
    assert done.unstable == (str(target),)
    assert len(calls) == 1 + 3 and done.fixed == 3
    assert target.read_text(encoding="utf-8") == "x = 1\n" * 4
    cst.parse_module(target.read_text(encoding="utf-8"))


def test_fix_until_stable_stops_on_a_cycle(tmp_path: Path) -> None:
    from preplint.diagnostics import Report
    from preplint.fix import fix_until_stable

    target = tmp_path / "flip.py"
    target.write_text("a = 1\n", encoding="utf-8")

    def lint() -> Report:
        current = target.read_text(encoding="utf-8")
        flipped = "b = 1" if current.startswith("a") else "a = 1"
        flip = Diagnostic(
            "TEST001", "flip", Severity.WARNING, "flips", str(target), 1, 1, 1, 6,
            fix=Fix("flip", (Edit(1, 1, 1, 6, flipped),)),
        )  # fmt: skip
        return Report(1, (flip,))

    done = fix_until_stable(lint(), lint, rounds=10)
    assert done.unstable == (str(target),) and done.fixed == 1
    assert target.read_text(encoding="utf-8") == "b = 1\n"


def test_fix_until_stable_on_a_settled_file_writes_nothing(tmp_path: Path) -> None:
    from preplint.diagnostics import Report
    from preplint.fix import fix_until_stable

    target = tmp_path / "ok.py"
    target.write_text("a = 1\n", encoding="utf-8")
    stamp = target.stat().st_mtime_ns
    done = fix_until_stable(Report(1, ()), lambda: Report(1, ()))
    assert done.fixed == 0 and done.unstable == () and target.stat().st_mtime_ns == stamp


# --- --fix and symlinks -------------------------------------------------------------------------


def test_fix_writes_through_a_symlink(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    real = tmp_path / "real" / "script.py"
    real.write_text("import torch\nstate = torch.load('model.pt')\n", encoding="utf-8")
    real.chmod(0o640)
    link = tmp_path / "link.py"
    link.symlink_to(real)
    code, out, _ = _cli(["check", "--no-cache", "--fix", "link.py"], tmp_path)
    assert code == 0, out
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert "weights_only=True" in real.read_text(encoding="utf-8")
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert sorted(p.name for p in (tmp_path / "real").iterdir()) == ["script.py"]


def test_fix_of_a_plain_file_stays_a_plain_file(tmp_path: Path) -> None:
    plain = tmp_path / "script.py"
    plain.write_text("import torch\nstate = torch.load('model.pt')\n", encoding="utf-8")
    assert _cli(["check", "--no-cache", "--fix", "script.py"], tmp_path)[0] == 0
    assert not plain.is_symlink() and "weights_only=True" in plain.read_text(encoding="utf-8")
