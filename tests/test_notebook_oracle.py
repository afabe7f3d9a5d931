"""IPython as the oracle: cells become the Python IPython makes of them, line for line.

The data set is real notebooks from public repositories (tests/data/notebooks/MANIFEST),
outputs stripped. A property test places magics where notebooks put them.
"""

from __future__ import annotations

import ast
import json
import re
import warnings
from pathlib import Path

import libcst as cst
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from IPython.core.inputtransformer2 import TransformerManager

from preplint.notebook import (
    PYTHON_CELL_MAGICS,
    CodeCell,
    cell_list,
    cell_text,
    load_notebook,
    map_line,
    read_notebook,
    source_line,
    split_lines,
    transform_cell,
)

DATA = Path(__file__).parent / "data" / "notebooks"
NOTEBOOKS = sorted(DATA.glob("*.ipynb"))
IPYTHON = TransformerManager()


def ipython(text: str) -> str | None:
    """The Python IPython runs for a cell, or None when it cannot make Python of it."""
    try:
        python = IPYTHON.transform_cell(text)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(python, "<cell>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError):  # IPython's own errors included (IndentationError, ...)
        return None
    return python


def written_lines(python: str) -> list[str]:
    return [line for line in python.splitlines() if line.strip()]


def cell_magic_body(python: str) -> tuple[str, str] | None:
    """(name, body) when IPython made the cell one `run_cell_magic` call."""
    tree = ast.parse(python)
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Expr):
        return None
    call = tree.body[0].value
    if not (
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and call.func.attr == "run_cell_magic"
    ):
        return None
    name, _, body = (ast.literal_eval(arg) for arg in call.args)
    return name, body


def check_cell(text: str, ours: CodeCell) -> bool:
    """Asserts our cell agrees with IPython's; True when IPython runs the cell."""
    theirs = ipython(text)
    if theirs is None:
        return False
    assert ours.problem is None, (text, ours.problem)
    # A Python-bodied cell magic runs its body as a cell of its own, which may start with
    # another cell magic (`%%time` over `%%capture`): follow them down to the Python that runs.
    while theirs.startswith("get_ipython().run_cell_magic"):
        magic = cell_magic_body(theirs)
        if magic is None:
            break
        name, body = magic
        body_python = ipython(body) if name in PYTHON_CELL_MAGICS else None
        if body_python is None:  # another language, or not Python: skipped
            assert not any(line.strip() for line in ours.python), text
            return True
        theirs = body_python
    assert written_lines("\n".join(ours.python)) == written_lines(theirs), text
    # The line map: a line IPython did not rewrite is the written line less what it removed.
    assert len(ours.python) == len(ours.lines) == len(ours.shift)
    for number, (line, python, shift) in enumerate(
        zip(ours.lines, ours.python, ours.shift, strict=True), start=1
    ):
        if number in ours.rewritten:
            continue
        if not line.strip():
            assert not python.strip()
        else:
            assert line[shift:] == python, (text, number)
    return True


def test_the_data_set_is_real_varied_small_and_listed() -> None:
    manifest = {}
    for row in (DATA / "MANIFEST").read_text(encoding="utf-8").splitlines():
        if row and not row.startswith("#"):
            name, repo, commit, path = row.split("\t")
            assert re.fullmatch(r"[\w.-]+/[\w.-]+", repo) and re.fullmatch(r"[0-9a-f]{40}", commit)
            assert path.endswith(".ipynb")
            manifest[name] = (repo, path)
    assert sorted(manifest) == [path.name for path in NOTEBOOKS]
    assert len(NOTEBOOKS) >= 100
    assert len({repo for repo, _ in manifest.values()}) >= 3
    assert sum(path.stat().st_size for path in NOTEBOOKS) < 5_000_000
    text = "".join(path.read_text(encoding="utf-8") for path in NOTEBOOKS)
    for form in ('"%matplotlib', '"!pip', '"%%time', '"%timeit', "?\\n", "= !", "%%capture"):
        assert form in text, form
    for path in NOTEBOOKS:
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            assert not cell.get("outputs")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.stem[:60] for path in NOTEBOOKS])
def test_every_cell_ipython_runs_is_python_here_and_maps_back(path: Path) -> None:
    data = path.read_bytes()
    document = load_notebook(data)
    broken: list[int] = []
    for number, cell in enumerate(cell_list(document), start=1):
        if cell.get("cell_type") != "code":
            continue
        text = cell_text(cell)
        ours = transform_cell(split_lines(text), number)
        if not check_cell(text, ours) and ours.problem is not None:
            broken.append(number)
    read = read_notebook(data)
    # Only cells IPython itself cannot run are left out, and reported.
    assert [cell.number for cell in read.broken] == broken
    cst.parse_module(read.source)
    python = read.source.splitlines()
    cells = {
        cell.number: cell
        for cell in (
            transform_cell(split_lines(cell_text(c)), n)
            for n, c in enumerate(cell_list(document), start=1)
            if c.get("cell_type") == "code"
        )
    }
    for line in range(1, len(read.cell_map) + 1):
        cell, in_cell = map_line(read.cell_map, line)
        assert cell is not None and source_line(read.cell_map, cell, in_cell) == line
        expected = cells[cell].python[in_cell - 1] if cells[cell].problem is None else ""
        assert python[line - 1] == expected


# --- magics where notebooks put them -------------------------------------------------------------

MAGICS = [
    "%pip install torch",
    "!ls -la data/",
    "files = !ls",
    "x = %env HOME",
    "%time y = f(1)",
    "len?",
    "np.linalg??",
    "%load_ext autoreload",
    "!echo a \\\n  b",
    "!!ls",
    "%%time",
]
STATEMENTS = ["x = 1", "y = f(x)", "print(x)", "z = [1,\n     2]", "s = '''\n%not\n'''", "pass"]
HEADERS = ["if x:", "for i in range(3):", "with open('f') as fh:", "def g():", "while False:"]


@st.composite
def block(draw: st.DrawFn, depth: int = 0) -> list[str]:
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(
            st.sampled_from(
                ["statement", "magic", "block"] if depth < 2 else ["statement", "magic"]
            )
        )
        if kind == "statement":
            lines.extend(draw(st.sampled_from(STATEMENTS)).split("\n"))
        elif kind == "magic":
            lines.extend(draw(st.sampled_from(MAGICS)).split("\n"))
        else:
            lines.append(draw(st.sampled_from(HEADERS)))
            lines.extend("    " + line for line in draw(block(depth + 1)))
    return lines


@settings(max_examples=300, deadline=None)
@given(
    block(),
    st.sampled_from(["", "  ", "    ", "\t"]),
    st.booleans(),
    st.sampled_from([None, "%matplotlib inline", "!nvidia-smi", "model?"]),
)
def test_magics_anywhere_agree_with_ipython(
    lines: list[str], indent: str, leading_blank: bool, last: str | None
) -> None:
    lines = [indent + line for line in lines] + ([indent + last] if last else [])
    text = ("\n" if leading_blank else "") + "\n".join(lines) + "\n"
    ours = transform_cell(split_lines(text))
    if not check_cell(text, ours):
        # IPython cannot run it: neither can we, and we say where.
        assert ours.problem is not None
        assert 1 <= ours.problem.line <= len(ours.lines)
