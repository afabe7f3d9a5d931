"""The code's shape: imports point one way, analysis memos live per run, modules stay readable."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from preplint.analysis.context import file_context, memos
from preplint.facts.model import FileFacts
from preplint.facts.project import ProjectIndex
from preplint.pipeline.extraction import extract_source

PACKAGE = Path(__file__).resolve().parents[1] / "preplint"
TRAIN = "import torch\nnet = torch.nn.Linear(2, 1)\nopt = torch.optim.SGD(net.parameters())\nnet(x).sum().backward()\nopt.step()\n"


def _imports(path: Path) -> set[str]:
    """Every preplint module a file imports, at any level (lazy and type-checking imports too)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("preplint"):
            out.add(node.module)
            out.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("preplint"))
    return out


def _modules(folder: str) -> list[Path]:
    return sorted((PACKAGE / folder).rglob("*.py"))


def _facts(source: str = TRAIN, path: str = "train.py") -> FileFacts:
    facts = extract_source(source, path).facts
    assert facts is not None
    return facts


@pytest.mark.parametrize("path", _modules("facts"), ids=lambda p: p.name)
def test_facts_import_no_analysis_and_no_rules(path: Path) -> None:
    wrong = {m for m in _imports(path) if m.startswith(("preplint.analysis", "preplint.rules"))}
    assert wrong == set()


@pytest.mark.parametrize("path", _modules("analysis"), ids=lambda p: p.name)
def test_analysis_imports_no_rules_and_stays_readable(path: Path) -> None:
    assert not {m for m in _imports(path) if m.startswith("preplint.rules")}
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 800


def _top_level_imports(path: Path) -> set[str]:
    """Modules imported at module level, `if TYPE_CHECKING:` blocks included (not inside functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = list(tree.body)
    nodes += [n for block in tree.body if isinstance(block, ast.If) for n in block.body]
    return {n.module for n in nodes if isinstance(n, ast.ImportFrom) and n.module}


@pytest.mark.parametrize("leaf", ["context.py", "records.py"])
def test_context_and_records_import_no_other_analysis_module(leaf: str) -> None:
    # Every analysis module imports these two, so they import none back (context's views
    # import what they ask inside the view, when first asked).
    imported = _top_level_imports(PACKAGE / "analysis" / leaf)
    assert {m for m in imported if m.startswith("preplint.analysis")} <= {
        "preplint.analysis.records"
    }
    assert {m for m in imported if m.startswith("preplint.facts")}, "reads facts types"


def test_rules_import_no_other_rule_file() -> None:
    for path in _modules("rules"):
        if path.name == "__init__.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        others = {m for m in modules if m.startswith("preplint.rules.")}
        assert others == set(), path


def test_a_file_has_one_context_per_run_and_a_new_run_starts_fresh() -> None:
    facts = _facts()
    index = ProjectIndex([facts])
    first = file_context(facts, index)
    assert file_context(facts, index) is first
    assert first.training_calls is first.memos.training_calls  # computed once, then kept
    assert first.training_calls, "the backward pass is a training call"
    again = ProjectIndex([facts])
    assert file_context(facts, again) is not first
    assert file_context(facts, again).memos.training_calls is None  # nothing carried over


def test_memos_without_an_index_are_not_kept() -> None:
    facts = _facts()
    assert memos(facts, None) is not memos(facts, None)


def test_facts_carry_no_memo_dict() -> None:
    assert not hasattr(_facts(), "extra")


def test_views_answer_like_the_analysis_functions() -> None:
    from preplint.analysis.artifacts import artifact_events
    from preplint.analysis.training import training_scopes

    facts = _facts(TRAIN + 'torch.save(net.state_dict(), "net.pt")\n')
    index = ProjectIndex([facts])
    ctx = file_context(facts, index)
    assert ctx.training_scopes == training_scopes(facts, index) == frozenset({""})
    assert [e.path for e in ctx.artifact_events] == [e.path for e in artifact_events(facts, index)]
    assert [e.path for e in ctx.project_events] == ["net.pt"]
    quiet = _facts("import torch\nnet = torch.nn.Linear(2, 1)\n", "model.py")
    assert file_context(quiet, ProjectIndex([quiet])).training_calls == ()
