"""Diagnostics the pipeline reports itself, not a rule: SYNTAX, INTERNAL, SUPPRESSION."""

from __future__ import annotations

from preplint.diagnostics import Diagnostic, Severity, Span

_FIRST_LINE = Span(1, 1, 1, 1)


def special(code: str, path: str, message: str, span: Span = _FIRST_LINE) -> Diagnostic:
    severity = Severity.ERROR
    return Diagnostic(
        code,
        code.lower(),
        severity,
        message,
        path,
        span.line,
        span.column,
        span.end_line,
        span.end_column,
    )
