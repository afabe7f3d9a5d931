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
        return _Recorder(self, id(node))


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


def spans_for(module: cst.Module, nodes: dict[int, Any]) -> dict[int, Span]:
    """1-based spans (end column exclusive) of the nodes whose `id()` is a key of `nodes`."""
    state = _SpanState(module, nodes)
    module._codegen(state)
    return state.found
