"""Text output like ruff's: one `path:line:col: CODE message` line per finding, then a summary."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from preplint.diagnostics import Diagnostic, Report

# (path, cell or None) → the lines of that file, or of that notebook cell, as written
SourceLines = Mapping[tuple[str, int | None], Sequence[str]]


def location(d: Diagnostic) -> str:
    if d.cell is not None:
        return f"{d.path}:cell {d.cell}:{d.line}:{d.column}"
    return f"{d.path}:{d.line}:{d.column}"


def _source_line(d: Diagnostic, sources: SourceLines) -> str | None:
    lines = sources.get((d.path, d.cell), ())
    return lines[d.line - 1] if 0 < d.line <= len(lines) else None


def render_text(
    report: Report,
    *,
    show_source: bool = False,
    statistics: bool = False,
    quiet: bool = False,
    confirm: bool = False,
    sources: SourceLines | None = None,
    no_probe: Sequence[str | None] = (),
    unsafe_fixes: bool = False,
) -> str:
    """`sources` feed --show-source; `no_probe[i]` says why no probe ran for finding i.

    `[*]` marks a fix that `--fix` applies (with `unsafe_fixes`, also the unsafe ones); the
    summary counts those and, apart, the fixes that need `--unsafe-fixes`.
    """

    def applies(d: Diagnostic) -> bool:
        return d.fix is not None and (unsafe_fixes or not d.fix.unsafe)

    out: list[str] = []
    if statistics:
        names = {d.code: d.name for d in report.diagnostics}
        fixable = {d.code for d in report.diagnostics if applies(d)}
        for code, count in sorted(report.by_code().items(), key=lambda kv: (-kv[1], kv[0])):
            mark = "[*]" if code in fixable else "   "
            out.append(f"{count:>5}\t{code}\t{mark} {names[code]}")
        return "\n".join(out) + ("\n" if out else "")
    for number, d in enumerate(report.diagnostics):
        fix_mark = " [*]" if applies(d) else ""
        out.append(f"{location(d)}: {d.code}{fix_mark} {d.message}")
        if show_source:
            line = _source_line(d, sources or {})
            if line is not None:
                width = max(
                    1,
                    (d.end_column - d.column) if d.end_line == d.line else len(line) - d.column + 1,
                )
                out.append(f"    {line}")
                out.append("    " + " " * (d.column - 1) + "^" * width)
        for r in d.related:
            where = (
                f"{r.path}:cell {r.cell}:{r.line}:{r.column}"
                if r.cell is not None
                else f"{r.path}:{r.line}:{r.column}"
            )
            out.append(f"    {where}: {r.message}")
        if confirm:
            if d.confirmation is not None:
                c = d.confirmation
                out.append(f"    confirm [{c.probe}]: {c.status.upper()}: {c.evidence}")
            else:
                reason = no_probe[number] if number < len(no_probe) else None
                if reason:
                    out.append(f"    confirm: no probe ran ({reason})")
    if not quiet:
        if report.diagnostics:
            counts = report.by_severity()
            detail = ", ".join(f"{n} {sev}{'s' if n != 1 else ''}" for sev, n in counts.items())
            fixable_count = sum(1 for d in report.diagnostics if applies(d))
            hidden = sum(1 for d in report.diagnostics if d.fix is not None and not applies(d))
            out.append(
                f"Found {len(report.diagnostics)} finding{'s' if len(report.diagnostics) != 1 else ''} ({detail}) in {report.files} file{'s' if report.files != 1 else ''}."
            )
            more = (
                f"{hidden} more fix{'es' if hidden != 1 else ''} with `--unsafe-fixes`"
                if hidden
                else ""
            )
            if fixable_count:
                flag = "--fix --unsafe-fixes" if unsafe_fixes else "--fix"
                extra = f" ({more})" if more else ""
                out.append(f"[*] {fixable_count} fixable with `preplint check {flag}`{extra}.")
            elif more:
                out.append(f"No fix is safe to apply; {more}.")
        else:
            out.append(
                f"All checks passed ({report.files} file{'s' if report.files != 1 else ''})."
            )
    return "\n".join(out) + ("\n" if out else "")
