"""Extraction: its layers import one way and stay readable; each layer answers its question."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import libcst as cst
import pytest

from preplint.engine import extract_source
from preplint.facts.extract import module_name_for
from preplint.facts.imports import ImportTable
from preplint.facts.literals import Literals
from preplint.facts.model import FileFacts

FACTS = Path(__file__).resolve().parents[1] / "preplint" / "facts"
# Bottom first: a layer may import the ones before it, never one after it.
LAYERS = ("nodes", "imports", "literals", "values", "expressions", "statements", "extract")
MAX_LINES = 800


def layer_problems(sources: dict[str, str]) -> list[str]:
    """Upward imports between the extraction layers, and layers over MAX_LINES lines."""
    problems: list[str] = []
    for rank, layer in enumerate(LAYERS):
        text = sources[layer]
        if len(text.splitlines()) > MAX_LINES:
            problems.append(f"{layer}: over {MAX_LINES} lines")
        for node in ast.walk(ast.parse(text)):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            imported = {
                parts[2]
                for parts in (name.split(".") for name in names)
                if parts[:2] == ["preplint", "facts"] and len(parts) > 2 and parts[2] in LAYERS
            }
            problems += [
                f"{layer} imports {m}" for m in sorted(imported) if LAYERS.index(m) >= rank
            ]
    return problems


def _real_sources() -> dict[str, str]:
    return {layer: (FACTS / f"{layer}.py").read_text(encoding="utf-8") for layer in LAYERS}


def _facts(source: str, path: str = "pkg/train.py") -> FileFacts:
    facts = extract_source(textwrap.dedent(source), path).facts
    assert facts is not None
    return facts


def test_extraction_layers_import_downward_and_stay_readable() -> None:
    assert layer_problems(_real_sources()) == []


def test_layer_check_catches_an_upward_import_and_a_long_module() -> None:
    sources = _real_sources()
    sources["imports"] += "\nfrom preplint.facts.values import ValueDescriber\n"
    sources["nodes"] += "\n" * MAX_LINES
    sources["literals"] += "\ndef later():\n    import preplint.facts.literals\n"
    assert layer_problems(sources) == [
        f"nodes: over {MAX_LINES} lines",
        "imports imports values",
        "literals imports literals",
    ]


def test_import_table_qualifies_imported_names_only() -> None:
    table = ImportTable("pkg.train")
    for line in (
        "import numpy as np",
        "import tensorflow.keras",
        "from tensorflow.keras import layers",
        "from . import config",
        "from .data import load",
    ):
        statement = cst.parse_statement(line)
        assert isinstance(statement, cst.SimpleStatementLine)
        small = statement.body[0]
        if isinstance(small, cst.Import):
            table.add_import(small)
        else:
            assert isinstance(small, cst.ImportFrom)
            table.add_import_from(small)
    assert table.qualify("np.float32") == "numpy.float32"
    assert table.qualify("layers.Dense") == "keras.layers.Dense"
    assert table.qualify("load") == "data.load"
    assert table.relative == {"config", "data"}
    assert table.names["config"] == "pkg.config"
    assert not table.tf_keras
    assert table.qualify("pd.read_csv") == ""
    assert table.qualify("") == ""


def test_literals_follow_constants_and_path_joins() -> None:
    imports = ImportTable("train")
    statement = cst.parse_statement("import os")
    assert isinstance(statement, cst.SimpleStatementLine)
    assert isinstance(statement.body[0], cst.Import)
    imports.add_import(statement.body[0])
    literals = Literals(imports)
    literals.remember(cst.Name("ROOT"), cst.parse_expression('"out/"'))
    literals.remember(cst.Name("TEMPLATE"), cst.parse_expression('"ckpt-{epoch}.pt"'))
    literals.remember(cst.Name("UNKNOWN"), cst.parse_expression("f(x)"))

    def const(text: str) -> object:
        return literals.const(cst.parse_expression(text))

    assert const('os.path.join(ROOT, "model.h5")') == "out/model.h5"
    assert const('Path(run_dir) / "weights.pt"') == "*/weights.pt"
    assert const("TEMPLATE.format(epoch=3)") == "ckpt-*.pt"
    assert const("-3") == -3
    assert literals.constants == {"ROOT": "out/", "TEMPLATE": "ckpt-{epoch}.pt"}
    assert const("os.path.join(a, b)") is None
    assert const('posix.join("a", "b")') is None  # not imported: not a known join
    assert const("UNKNOWN") is None
    assert const("-True") is None


def test_values_summarise_expressions_with_source_text() -> None:
    facts = _facts(
        """\
        import numpy as np
        batch = np.asarray(x[i]) / 255.0
        apply(lambda: hidden)
        """
    )
    value = facts.assigns[0].value
    assert value.kind == "binop"
    assert value.text == "np.asarray(x[i]) / 255.0"
    assert value.ops == ("/",)
    assert value.names == ("x", "i")  # the callee is not data
    assert [o.kind for o in value.operands] == ["call", "const"]
    assert value.operands[1].const == 255.0
    lambda_arg = facts.calls[-1].args[0].value
    assert lambda_arg.kind == "lambda"
    assert lambda_arg.names == ()


def test_calls_know_their_parent_scope_and_condition() -> None:
    facts = _facts(
        """\
        import torch

        def train(model, loader):
            for x in loader:
                if check(x):
                    model(torch.tensor(x)).backward()

        if __name__ == "__main__":
            train(net, data)
        """
    )
    by_callee = {c.callee or c.method: c for c in facts.calls}
    tensor, model = by_callee["torch.tensor"], by_callee["model"]
    assert tensor.qualname == "torch.tensor"
    assert tensor.parent == model.id
    assert by_callee["backward"].receiver_call == model.id
    assert by_callee["backward"].parent == -1
    assert model.scope == "train" and model.loops == (0,)
    assert by_callee["check"].in_condition
    assert model.in_condition  # the body of an `if` runs on a condition too
    assert not by_callee["train"].in_condition  # the main guard is not a condition
    assert facts.main_guard
    assert facts.last_import_line == 1
    assert [f.qualname for f in facts.functions] == ["train"]


def test_a_plain_if_is_not_a_main_guard() -> None:
    facts = _facts('if __name__ == "worker":\n    run()\n')
    assert not facts.main_guard
    assert facts.calls[0].in_condition
    assert facts.last_import_line == 0


@pytest.mark.parametrize(
    ("path", "name"),
    [("src/pkg/train.py", "src.pkg.train"), ("pkg/__init__.py", "pkg"), ("../a.py", "a")],
)
def test_module_name_for(path: str, name: str) -> None:
    assert module_name_for(path) == name
