"""A long file is parsed in parts (top-level statements, about PART_SIZE characters each), each
part's tree let go before the next is parsed; the facts must be those of a parse of the whole.

libcst's tree takes some 800 bytes per byte of source: a 450 KB test module alone took 420 MB.
"""

from __future__ import annotations

import gc

import libcst as cst
import pytest

import preplint.facts.extract  # noqa: F401 - imported first: its empty module counts once
import preplint.pipeline.extraction as extraction
from preplint.pipeline.extraction import extract_source

# Every construct whose facts could depend on what a part sees of the others: imports and
# constants used later, decorators, comments and blank lines between statements, a comment
# indented under a finished block, two statements on one line, a string holding code at
# column 0, a main guard, values whose text is sliced from the source, nested calls.
SOURCE = '''"""Module docstring."""
# a header comment
import numpy as np
import torch
from torch import nn

DATA = "data/train.csv"
SCALE = 255.0


@torch.no_grad()
def evaluate(model, loader):
    model.eval()
    total = 0
    for x, y in loader:
        total += (model(x).argmax(1) == y).sum().item()
        # an indented comment after the last statement of the loop
    return total
    # and one under the function


# a comment between two definitions
class Net(nn.Module):
    def __init__(self, hidden=32):
        super().__init__()
        self.fc = nn.Linear(4, hidden)
        self.drop = nn.Dropout(0.5)

    def forward(self, x):
        return self.drop(self.fc(x))

a = 1; b = np.float32(2)
HELP = """
def not_code():
    pass
"""


def train(path=DATA):
    x = torch.tensor(np.loadtxt(path, delimiter=",") / SCALE, dtype=torch.float32)
    model = Net()
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(3):
        opt.zero_grad()
        model(x).sum().backward()
        opt.step()
    torch.save(model.state_dict(), "model.pt")
    return (
        model,
        x[:, 0] * SCALE + b,
    )


if __name__ == "__main__":
    model, _ = train()
    print(evaluate(model, [(torch.zeros(1, 4), torch.zeros(1))]))
# a footer comment
'''


def _facts(source: str, part_size: int, monkeypatch: pytest.MonkeyPatch) -> object:
    monkeypatch.setattr(extraction, "PART_SIZE", part_size)
    return extract_source(source, "train.py")


def _parses(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts libcst parses (their source lengths)."""
    seen: list[int] = []
    real = cst.parse_module

    def counting(source: str, *args: object, **kwargs: object) -> cst.Module:
        seen.append(len(source))
        return real(source, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(cst, "parse_module", counting)
    return seen


@pytest.mark.parametrize("part_size", [0, 200, 600])
def test_parts_give_the_facts_of_the_whole(monkeypatch: pytest.MonkeyPatch, part_size: int) -> None:
    # Guards: spans off by the lines of the parts before, a module constant or import of an
    # earlier part unknown to a later one, a node id reused by a later part taken for an
    # earlier part's node, texts sliced from the wrong place.
    whole = _facts(SOURCE, 10**9, monkeypatch)
    parses = _parses(monkeypatch)
    parted = _facts(SOURCE, part_size, monkeypatch)
    assert len(parses) >= 2, "the file was not cut"
    assert sum(parses) == len(SOURCE)  # each character in one part, no whole parse
    assert parted == whole


def test_each_part_is_let_go_before_the_next_is_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    # Guards: the point of the parts: a walk, a span pass or a loop variable that keeps an
    # earlier part's tree alive, so that memory grows with the file as in a whole parse.
    alive: list[int] = []
    real = extraction._parts

    def watching(source: str, cuts: list[int]):  # type: ignore[no-untyped-def]
        for first, module in real(source, cuts):
            gc.collect()
            alive.append(sum(isinstance(o, cst.Module) for o in gc.get_objects()))
            yield first, module
            del module

    monkeypatch.setattr(extraction, "_parts", watching)
    before = sum(isinstance(o, cst.Module) for o in gc.get_objects())
    monkeypatch.setattr(extraction, "PART_SIZE", 0)
    assert extract_source(SOURCE, "train.py").facts is not None
    assert len(alive) > 2
    assert max(alive) == before + 1  # only the part just parsed


def test_short_files_and_carriage_returns_are_parsed_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Guards: cutting by '\n' offsets a file whose lines end in '\r\n' (Python counts those
    # lines differently from the offsets), or cutting files too short to matter.
    parses = _parses(monkeypatch)
    monkeypatch.setattr(extraction, "PART_SIZE", 0)
    crlf = SOURCE.replace("\n", "\r\n")
    extract_source(crlf, "train.py")
    assert parses == [len(crlf)]
    parses.clear()
    monkeypatch.setattr(extraction, "PART_SIZE", len(SOURCE))
    extract_source(SOURCE, "train.py")
    assert parses == [len(SOURCE)]


@pytest.mark.parametrize(
    "broken",
    [
        SOURCE + "\ndef f(:\n    pass\n",  # CPython refuses it: parsed whole, libcst's message
        SOURCE + "\nx = (1,\n",
    ],
)
def test_a_broken_long_file_reports_what_a_whole_parse_reports(
    monkeypatch: pytest.MonkeyPatch, broken: str
) -> None:
    whole = _facts(broken, 10**9, monkeypatch)
    parted = _facts(broken, 0, monkeypatch)
    assert parted == whole
    assert whole.problem is not None and whole.problem.code == "SYNTAX"  # type: ignore[attr-defined]


def test_a_part_libcst_refuses_is_parsed_again_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    # Guards: a part refused halfway (after earlier parts were walked) that loses the file or
    # reports facts of half of it.
    whole = _facts(SOURCE, 10**9, monkeypatch)
    real = cst.parse_module
    calls: list[int] = []

    def refuse_the_third(source: str, *args: object, **kwargs: object) -> cst.Module:
        calls.append(len(source))
        if len(calls) == 3:
            raise cst.ParserSyntaxError("refused", lines=[""], raw_line=1, raw_column=0)
        return real(source, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(cst, "parse_module", refuse_the_third)
    assert _facts(SOURCE, 0, monkeypatch) == whole
    assert calls[-1] == len(SOURCE)  # the whole file, last
