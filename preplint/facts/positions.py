"""Spans for the few nodes facts keep, from one plain code-generation pass.

libcst's PositionProvider records a range for every node; preplint needs ranges for
calls, assignments and definitions only, so it tracks line and column while
generating code and records just the nodes it was asked about.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
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


class _SpanState(CodegenState):
    def __init__(self, module: cst.Module, wanted: dict[int, Any]) -> None:
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
        if id(node) not in self.wanted:
            return _NULL
        return self._record(node)

    @contextmanager
    def _record(self, node: cst.CSTNode) -> Iterator[None]:
        line, column = self.line, self.column
        yield
        if id(node) not in self.found:
            self.found[id(node)] = Span(line, column + 1, self.line, self.column + 1)


def spans_for(module: cst.Module, nodes: dict[int, Any]) -> dict[int, Span]:
    """1-based spans (end column exclusive) of the nodes whose `id()` is a key of `nodes`."""
    state = _SpanState(module, nodes)
    module._codegen(state)
    return state.found
