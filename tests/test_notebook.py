"""Notebooks: code cells joined into Python, IPython syntax blanked, findings mapped back to cells."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from preplint.config import Config
from preplint.engine import lint_paths
from preplint.notebook import (
    NotebookError,
    NotebookSource,
    cell_text,
    map_line,
    notebook_source,
    raw_lines,
    read_notebook,
    replace_cells,
    source_line,
)


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


def test_cells_are_numbered_among_all_cells_as_ruff_numbers_them() -> None:
    data = notebook(
        ("code", "import torch\nx = 1"), ("markdown", "# Title\ntext"), ("code", "y = 2\n\nz = 3\n")
    )
    source, cell_map = notebook_source(data)
    assert source == "import torch\nx = 1\ny = 2\n\nz = 3\n"
    assert [entry[:2] for entry in cell_map] == [(1, 1), (1, 2), (3, 1), (3, 2), (3, 3)]


def test_ipython_lines_become_the_calls_ipython_makes_line_for_line() -> None:
    cell = "\n".join(
        [
            "%matplotlib inline",
            "!pip install torch",
            "files = !ls data",
            "t = %timeit -o f()",
            "torch.load?",
            "??torch.save",
            "%time model.fit(x)",
            "!echo one \\",
            "  two",
            "x = 1",
        ]
    )
    source, cell_map = notebook_source(notebook(("code", cell)))
    assert source.splitlines() == [
        "get_ipython().run_line_magic('matplotlib', 'inline')",
        "get_ipython().system('pip install torch')",
        "files = get_ipython().getoutput('ls data')",
        "t = get_ipython().run_line_magic('timeit', '-o f()')",
        "get_ipython().run_line_magic('pinfo', 'torch.load')",
        "get_ipython().run_line_magic('pinfo2', 'torch.save')",
        "get_ipython().run_line_magic('time', 'model.fit(x)')",
        "get_ipython().system('echo one    two')",
        "",
        "x = 1",
    ]
    assert len(cell_map) == 10


@pytest.mark.parametrize(
    "header", ["if ready:", "elif ready:", "else:", "for i in range(3):", "with ctx():", "def f():"]
)
@pytest.mark.parametrize("magic", ["%pip install x", "!ls", "files = !ls", "x = %env", "len?"])
def test_a_magic_that_is_the_only_body_of_a_block_keeps_it_valid(header: str, magic: str) -> None:
    before = "if other:\n    pass\n" if header.startswith(("elif", "else")) else ""
    cell = f"{before}{header}\n    {magic}\ny = 2\n"
    source, _ = notebook_source(notebook(("code", cell)))
    compile(source, "<cell>", "exec")
    assert source.splitlines()[-1] == "y = 2"


def test_uniform_indentation_is_removed_and_columns_point_into_the_cell(tmp_path: Path) -> None:
    cell = "    import torch\n    %time x = 1\n    state = torch.load('m.pt')\n"
    source, cell_map = notebook_source(notebook(("code", cell)))
    assert source.splitlines()[2] == "state = torch.load('m.pt')"
    assert cell_map[2] == (1, 3, 4)
    [found] = lint_notebook(tmp_path, notebook(("markdown", "x"), ("code", cell)))
    assert (found.code, found.cell, found.line, found.column) == ("SAFE001", 2, 3, 13)
    assert cell.splitlines()[found.line - 1][found.column - 1 :].startswith("torch.load")
    assert found.fix is not None
    assert [(e.line, e.column) for e in found.fix.edits] == [(3, 30)]


def test_console_prompts_are_stripped() -> None:
    source, cell_map = notebook_source(notebook(("code", ">>> import torch\n>>> x = 1\n")))
    assert source == "import torch\nx = 1\n"
    assert cell_map[1] == (1, 2, 4)
    # A prompt only counts on the first two lines (as in IPython); later it is Python's `...`.
    kept = "x = 1\ny = 2\n...\n"
    assert notebook_source(notebook(("code", kept)))[0] == kept


@pytest.mark.parametrize("magic", ["%%time", "%%timeit -n 1", "%%capture out", "%%prun", "%%memit"])
def test_python_cell_magics_are_analysed(tmp_path: Path, magic: str) -> None:
    data = notebook(("code", f"{magic}\nimport torch\n%ls\nstate = torch.load('m.pt')\n"))
    [found] = lint_notebook(tmp_path, data)
    assert (found.code, found.cell, found.line) == ("SAFE001", 1, 4)


@pytest.mark.parametrize("magic", ["%%bash", "%%writefile train.py", "%%html", "%%sql"])
def test_other_cell_magics_are_skipped(tmp_path: Path, magic: str) -> None:
    data = notebook(("code", f"{magic}\nimport torch\nstate = torch.load('m.pt')\n"))
    source, _ = notebook_source(data)
    assert source == "\n\n\n"
    assert lint_notebook(tmp_path, data) == []


def test_a_python_cell_magic_whose_body_is_not_python_is_skipped_not_syntax() -> None:
    data = notebook(("code", "%%time\nnot python at all\n"), ("code", "import torch\n"))
    assert read_notebook(data) == NotebookSource(
        "\n\nimport torch\n", ((1, 1, 0), (1, 2, 0), (2, 1, 0))
    )


def test_automagic_runs_in_a_cell_of_one_line_only(tmp_path: Path) -> None:
    one = notebook(("code", "ls ./data/train/\n"), ("code", "import torch\ntorch.load('m.pt')"))
    assert [d.code for d in lint_notebook(tmp_path, one)] == ["SAFE001"]
    # IPython applies automagic to one-line cells only: in a longer cell it is an error.
    two = notebook(("code", "import torch\nls ./data/train/\n"))
    [found] = lint_notebook(tmp_path, two, "two.ipynb")
    assert (found.code, found.cell, found.line) == ("SYNTAX", 1, 2)
    # A name that is not one of IPython's magics is no automagic either.
    three = notebook(("code", "import torch\n"), ("code", "frobnicate ./data/train/\n"))
    assert [d.code for d in lint_notebook(tmp_path, three, "three.ipynb")] == ["SYNTAX"]


def test_python_that_looks_like_ipython_is_kept() -> None:
    cell = (
        "ok = (a\n      != b)\nrest = (a\n        % 2)\nnot_help = '?'\ns = '''\n%not magic\n'''\n"
    )
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
    assert [entry[:2] for entry in cell_map] == [(1, 1), (1, 2), (3, 1)]


def test_a_notebook_in_another_language_yields_no_source() -> None:
    assert notebook_source(notebook(("code", "library(ggplot2)"), language="R")) == ("", ())


def test_map_line_and_source_line_are_inverse() -> None:
    _, cell_map = notebook_source(notebook(("code", "a\nb\nc"), ("code", ""), ("code", "d\ne")))
    assert [entry[:2] for entry in cell_map] == [(1, 1), (1, 2), (1, 3), (3, 1), (3, 2)]
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
        3,
        3,
        3,
    )
    assert diagnostic.to_json()["cell"] == 3
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


def test_a_syntax_error_is_reported_in_its_cell_and_the_rest_is_analysed(tmp_path: Path) -> None:
    data = notebook(
        ("code", "import torch\n"),
        ("markdown", "text"),
        ("code", "x = 1\ndef broken(:\n"),
        ("code", "state = torch.load('m.pt')\n"),
        ("code", "    y = 1\n  z = 2\n"),
    )
    syntax, found = lint_notebook(tmp_path, data)
    assert (syntax.code, syntax.cell, syntax.line, syntax.column) == ("SYNTAX", 3, 2, 12)
    assert "cell 3" in syntax.message and "also cell 5" in syntax.message
    assert (found.code, found.cell, found.line) == ("SAFE001", 4, 1)


def test_findings_are_ordered_by_cell_then_line(tmp_path: Path) -> None:
    cells = [("code", "import torch\n")] + [("markdown", "m")] * 3
    cells += [("code", "\n\n\nb = torch.load('b.pt')\n"), ("code", "\na = torch.load('a.pt')\n")]
    found = lint_notebook(tmp_path, notebook(*cells))
    assert [(d.cell, d.line) for d in found] == [(5, 4), (6, 2)]


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
        assert cell is not None and items[cell - 1]["cell_type"] == "code"
        assert source_line(cell_map, cell, in_cell) == line


ODD_NOTEBOOK = (
    '{\n  "nbformat_minor": 2,\n  "cells": [\n'
    '    {"source": ["# Caf\\u00e9\\n"], "cell_type": "markdown", "metadata": {}},\n'
    '    {\n      "outputs": [],\n      "source": [\n        "import torch\\n",\n'
    '        "%time x = 1\\n",\n        "state = torch.load(\'m.pt\')\\n",\n'
    '        "print( state )"\n      ],\n      "cell_type": "code",\n'
    '      "metadata": {"tags": ["a"]}, "execution_count": 3\n    },\n'
    '    {"cell_type": "code", "source": "  other = torch.load(\'o.pt\')\\n  print(other)",'
    ' "metadata": {}}\n  ],\n  "metadata": {"kernelspec": {"language": "python"}},\n'
    '  "nbformat": 4\n}'
)


def test_fix_changes_only_the_fixed_source_strings_byte_for_byte(tmp_path: Path) -> None:
    from preplint.fix import apply_fixes, write_fixes

    path = tmp_path / "odd.ipynb"
    path.write_bytes(ODD_NOTEBOOK.encode("ascii"))
    report = lint_paths([str(path)], Config(root=tmp_path), jobs=1)
    found = [(d.code, d.cell, d.line, d.column) for d in report.diagnostics]
    assert found == [("SAFE001", 2, 3, 9), ("SAFE001", 3, 1, 11)]
    write_fixes(apply_fixes(report.diagnostics))
    expected = ODD_NOTEBOOK.replace(
        "torch.load('m.pt')", "torch.load('m.pt', weights_only=True)"
    ).replace("torch.load('o.pt')", "torch.load('o.pt', weights_only=True)")
    assert path.read_bytes() == expected.encode("ascii")  # indent, key order, no final newline
    assert lint_paths([str(path)], Config(root=tmp_path), jobs=1).diagnostics == ()


def test_replace_cells_keeps_unchanged_strings_and_separators() -> None:
    raw = '{"cells": [{"source": [\n  "a\\n",\n  "b\\u00e9\\n",\n  "c"\n]}, {"source": []}]}\n'
    data = raw.encode("ascii")
    assert replace_cells(data, {1: "a\nbé\nc"}) == raw  # nothing changed: the same bytes
    inserted = replace_cells(data, {1: "a\nnew é\nbé\nc"})
    assert inserted == raw.replace('"a\\n",\n', '"a\\n",\n  "new \\u00e9\\n",\n')
    assert replace_cells(data, {1: "a\nc"}) == raw.replace('  "b\\u00e9\\n",\n', "")
    assert replace_cells(data, {2: "x = 1\n"}) == raw.replace("[]", '["x = 1\\n"]')
    assert json.loads(replace_cells(data, {1: ""}))["cells"][0]["source"] == []
    with pytest.raises(NotebookError):
        replace_cells(data, {7: "x"})


def test_raw_lines_name_the_file_line_of_each_cell_line() -> None:
    lines = raw_lines(ODD_NOTEBOOK.encode())
    text = ODD_NOTEBOOK.splitlines()
    assert "state = torch.load" in text[lines[(2, 3)] - 1]
    assert "print( state )" in text[lines[(2, 4)] - 1]
    assert "print(other)" in text[lines[(3, 2)] - 1]  # a source stored as one string
    assert lines[(1, 1)] == 4 and (4, 1) not in lines
    with_bom = "\ufeff" + ODD_NOTEBOOK
    assert raw_lines(with_bom.encode()) == lines
    fixed = replace_cells(with_bom.encode(), {3: "x = 1\n"})
    assert fixed.startswith("\ufeff{") and '"source": "x = 1\\n"' in fixed


sources = st.lists(st.text(st.characters(blacklist_categories=["Cs"]), max_size=12), max_size=4)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(["code", "markdown"]), sources, st.booleans()), max_size=4),
    st.sampled_from([None, 0, 1, 2, 4]),
    st.booleans(),
    st.data(),
)
def test_replace_cells_edits_one_source_and_keeps_every_other_byte(
    items: list[tuple[str, list[str], bool]],
    indent: int | None,
    ascii_only: bool,
    data: st.DataObject,
) -> None:
    cells = [
        {"cell_type": kind, "metadata": {}, "source": parts if as_list else "".join(parts)}
        for kind, parts, as_list in items
    ]
    document = {"metadata": {"x": [1, {"y": None}]}, "cells": cells, "nbformat": 4}
    text = json.dumps(document, indent=indent, ensure_ascii=ascii_only)
    raw = text.encode("utf-8")
    unchanged = {n: cell_text(c) for n, c in enumerate(cells, start=1)}
    assert replace_cells(raw, unchanged) == text
    lines = raw_lines(raw)
    for (number, _), file_line in lines.items():
        assert 1 <= file_line <= text.count("\n") + 1 and 1 <= number <= len(cells)
    if not cells:
        return
    number = data.draw(st.integers(1, len(cells)))
    new = data.draw(st.text(st.characters(blacklist_categories=["Cs"]), max_size=20))
    changed = json.loads(replace_cells(raw, {number: new}))
    assert cell_text(changed["cells"][number - 1]) == new
    changed["cells"][number - 1]["source"] = cells[number - 1]["source"]
    assert changed == document
