"""Spans for the few nodes facts keep, from one plain code-generation pass.

libcst's PositionProvider records a range for every node; preplint needs ranges for
calls, assignments and definitions only, so it tracks line and column while
generating code and records just the nodes it was asked about.
"""

from __future__ import annotations

from typing import Any

import libcst as cst
from libcst._nodes.internal import CodegenState

from preplint.diagnostics import Span


class _NullContext:
    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


_NULL = _NullContext()


class Wanted:
    """The nodes whose spans a walk asks for, each under a key of its own: a number that stays
    unique when the nodes are gone (an `id()` is reused once its node is freed, and a file
    parsed in parts frees each part before the next)."""

    __slots__ = ("nodes", "_last")

    def __init__(self) -> None:
        self.nodes: dict[int, tuple[int, cst.CSTNode]] = {}  # id(node) -> (key, node)
        self._last = 0

    def want(self, node: cst.CSTNode) -> int:
        """Ask for `node`'s span; the key (never 0) to read it by once spans are computed."""
        found = self.nodes.get(id(node))
        if found is not None:
            return found[0]
        self._last += 1
        self.nodes[id(node)] = (self._last, node)
        return self._last


class _SpanState(CodegenState):
    def __init__(self, module: cst.Module, wanted: dict[int, tuple[int, cst.CSTNode]]) -> None:
        super().__init__(
            default_indent=module.default_indent, default_newline=module.default_newline
        )
        self.wanted = wanted
        self.line = 1
        self.column = 0
        self.found: dict[int, Span] = {}

    def add_indent_tokens(self) -> None:
        for token in self.indent_tokens:
            self.add_token(token)

    def add_token(self, value: str) -> None:
        # Tokens are not kept: only the position matters here.
        if "\n" in value or "\r" in value:
            self.line += value.count("\n") + value.count("\r") - value.count("\r\n")
            last = max(value.rfind("\n"), value.rfind("\r"))
            self.column = len(value) - last - 1
        else:
            self.column += len(value)

    def pop_trailing_newline(self) -> None:
        return None

    def record_syntactic_position(self, node: cst.CSTNode, **_: Any) -> Any:
        found = self.wanted.get(id(node))
        if found is None:
            return _NULL
        return _Recorder(self, found[0])


class _Recorder:
    """Records one wanted node's span around its code generation (a class, not a
    @contextmanager generator: it runs for every wanted node)."""

    __slots__ = ("state", "key", "line", "column")

    def __init__(self, state: _SpanState, key: int) -> None:
        self.state = state
        self.key = key

    def __enter__(self) -> None:
        self.line, self.column = self.state.line, self.state.column

    def __exit__(self, kind: object, *_: object) -> None:
        state = self.state
        if kind is None and self.key not in state.found:
            state.found[self.key] = Span(self.line, self.column + 1, state.line, state.column + 1)


def line_starts(source: str) -> list[int]:
    """Offset in `source` of the start of each line (lines end at "\\n")."""
    starts = [0]
    find = source.find
    pos = find("\n")
    while pos != -1:
        starts.append(pos + 1)
        pos = find("\n", pos + 1)
    return starts


def spans_for(module: cst.Module, wanted: Wanted, first_line: int = 1) -> dict[int, Span]:
    """1-based spans (end column exclusive) of the `wanted` nodes of `module`, by their keys;
    `first_line`: the line of the file where `module`'s text begins (a file parsed in parts)."""
    state = _SpanState(module, wanted.nodes)
    module._codegen(state)
    if first_line == 1:
        return state.found
    shift = first_line - 1
    return {
        key: Span(s.line + shift, s.column, s.end_line + shift, s.end_column)
        for key, s in state.found.items()
    }
