"""Notebooks: code cells joined into Python, IPython syntax blanked, findings mapped back to cells."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import libcst as cst
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from preplint.config import Config
from preplint.engine import lint_paths
from preplint.notebook import NotebookError, map_line, notebook_source, source_line


def notebook(*cells: tuple[str, str], nbformat: int = 4, language: str | None = "python") -> bytes:
    """A notebook from (cell_type, source) pairs; sources are stored as lists of lines, like Jupyter."""
    items: list[dict[str, Any]] = []
    for kind, source in cells:
        cell: dict[str, Any] = {
            "cell_type": kind,
            "metadata": {},
            "source": source.splitlines(keepends=True),
        }
        if kind == "code":
            cell.update(execution_count=None, outputs=[])
        items.append(cell)
    metadata: dict[str, Any] = {} if language is None else {"language_info": {"name": language}}
    return json.dumps(
        {"cells": items, "metadata": metadata, "nbformat": nbformat, "nbformat_minor": 5}, indent=1
    ).encode()


def lint_notebook(tmp_path: Path, data: bytes, name: str = "nb.ipynb") -> list[Any]:
    path = tmp_path / name
    path.write_bytes(data)
    return list(lint_paths([str(path)], Config(root=tmp_path), jobs=1).diagnostics)


def test_code_cells_are_joined_and_numbered_among_code_cells_only() -> None:
    data = notebook(
        ("code", "import torch\nx = 1"), ("markdown", "# Title\ntext"), ("code", "y = 2\n\nz = 3\n")
    )
    source, cell_map = notebook_source(data)
    assert source == "import torch\nx = 1\ny = 2\n\nz = 3\n"
    assert cell_map == ((1, 1), (1, 2), (2, 1), (2, 2), (2, 3))


def test_ipython_lines_become_blank_lines_and_the_source_parses() -> None:
    cell = "\n".join(
        [
            "%matplotlib inline",
            "!pip install torch",
            "files = !ls data",
            "t = %timeit -o f()",
            "torch.load?",
            "??torch.save",
            "  %time model.fit(x)",
            "!echo one \\",
            "  two",
            "x = 1",
        ]
    )
    source, cell_map = notebook_source(notebook(("code", cell)))
    assert source.splitlines() == [""] * 9 + ["x = 1"]
    assert len(cell_map) == 10
    cst.parse_module(source)


def test_a_cell_magic_blanks_its_whole_cell() -> None:
    source, cell_map = notebook_source(
        notebook(("code", "\n%%bash\necho hi\nls"), ("code", "x = 1"))
    )
    assert source == "\n\n\n\nx = 1\n"
    assert cell_map[-1] == (2, 1)


def test_python_that_looks_like_ipython_is_kept() -> None:
    cell = "ok = (a\n      != b)\nrest = (a\n        % 2)\nnot_help = '?'\n"
    source, _ = notebook_source(notebook(("code", cell)))
    assert source == cell


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"{not json", "invalid JSON"),
        (b"\xff\xfe\x00garbage", "invalid JSON"),
        (b"[1, 2]", "not a Jupyter notebook"),
        (b'{"metadata": {}}', "no 'cells'"),
        (b'{"cells": {}}', "not a list"),
        (b'{"cells": [{"cell_type": "code", "source": 3}]}', "neither text"),
    ],
)
def test_what_is_not_a_notebook_raises_a_clear_error(data: bytes, words: str) -> None:
    with pytest.raises(NotebookError, match=words):
        notebook_source(data)


def test_nbformat_3_worksheets_are_read() -> None:
    document = {
        "nbformat": 3,
        "worksheets": [
            {
                "cells": [
                    {"cell_type": "code", "input": ["a = 1\n", "b = 2"]},
                    {"cell_type": "markdown", "source": "x"},
                ]
            },
            {"cells": [{"cell_type": "code", "input": "c = 3\n"}]},
        ],
    }
    source, cell_map = notebook_source(json.dumps(document).encode())
    assert source == "a = 1\nb = 2\nc = 3\n"
    assert cell_map == ((1, 1), (1, 2), (2, 1))


def test_a_notebook_in_another_language_yields_no_source() -> None:
    assert notebook_source(notebook(("code", "library(ggplot2)"), language="R")) == ("", ())


def test_map_line_and_source_line_are_inverse() -> None:
    _, cell_map = notebook_source(notebook(("code", "a\nb\nc"), ("code", ""), ("code", "d\ne")))
    assert cell_map == ((1, 1), (1, 2), (1, 3), (3, 1), (3, 2))
    for line in range(1, len(cell_map) + 1):
        cell, in_cell = map_line(cell_map, line)
        assert cell is not None
        assert source_line(cell_map, cell, in_cell) == line
    assert map_line(cell_map, 6) == (3, 3)  # an end-of-file position
    assert source_line(cell_map, 3, 3) == 6
    assert map_line((), 4) == (None, 4)


def test_findings_point_at_the_cell_and_the_line_within_it(tmp_path: Path) -> None:
    data = notebook(
        ("markdown", "# Training"),
        ("code", "%matplotlib inline\nimport torch"),
        ("code", "!nvidia-smi\n\nstate = torch.load('model.pt')\n"),
    )
    [diagnostic] = lint_notebook(tmp_path, data)
    assert (diagnostic.code, diagnostic.cell, diagnostic.line, diagnostic.end_line) == (
        "SAFE001",
        2,
        3,
        3,
    )
    assert diagnostic.to_json()["cell"] == 2
    assert diagnostic.fix is not None
    assert {(e.line, e.end_line) for e in diagnostic.fix.edits} == {(3, 3)}


@pytest.mark.parametrize(
    "cell",
    [
        "state = torch.load('model.pt')  # preplint: ignore[SAFE001]\n",
        "x = 1\n# preplint: ignore[SAFE]\nstate = torch.load('model.pt')\n",
    ],
)
def test_suppression_comments_work_inside_cells(tmp_path: Path, cell: str) -> None:
    data = notebook(("code", "import torch\n"), ("code", "!ls\n"), ("code", cell))
    assert lint_notebook(tmp_path, data) == []


def test_a_syntax_error_is_reported_in_its_cell(tmp_path: Path) -> None:
    data = notebook(("code", "import torch\n"), ("code", "x = 1\ndef broken(:\n"))
    [diagnostic] = lint_notebook(tmp_path, data)
    assert (diagnostic.code, diagnostic.cell, diagnostic.line) == ("SYNTAX", 2, 2)


def test_a_broken_notebook_is_a_syntax_finding_not_a_crash(tmp_path: Path) -> None:
    [diagnostic] = lint_notebook(tmp_path, b'{"cells": [', "broken.ipynb")
    assert diagnostic.code == "SYNTAX"
    assert "cannot read notebook: invalid JSON" in diagnostic.message


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
cells = st.fixed_dictionaries(
    {
        "cell_type": st.sampled_from(["code", "markdown", "raw"]),
        "source": st.text() | st.lists(st.text()),
    }
)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=200) | json_values.map(lambda v: json.dumps(v).encode()))
def test_any_input_is_a_notebook_or_a_notebook_error(data: bytes) -> None:
    try:
        source, cell_map = notebook_source(data)
    except NotebookError:
        return
    assert len(cell_map) == source.count("\n")


@settings(max_examples=100, deadline=None)
@given(st.lists(cells, max_size=5))
def test_every_joined_line_maps_to_a_code_cell_and_back(items: list[dict[str, Any]]) -> None:
    source, cell_map = notebook_source(json.dumps({"cells": items}).encode())
    assert len(cell_map) == source.count("\n")
    for line in range(1, len(cell_map) + 1):
        cell, in_cell = map_line(cell_map, line)
        assert cell is not None and 1 <= cell <= sum(1 for c in items if c["cell_type"] == "code")
        assert source_line(cell_map, cell, in_cell) == line
