"""What the renderers are handed: rule descriptions, source lines, notebook file lines, probe notes.

Renderers (`preplint.report`) only turn data into text: they import no rules, run no
confirmation code and read no files. The command line gathers their input here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from preplint import diagnostics
from preplint.diagnostics import Diagnostic
from preplint.report.sarif import LEVELS
from preplint.rules import Rule

if TYPE_CHECKING:
    from preplint.confirm import ConfirmOptions

DOCS_URL = diagnostics.DOCS_URL

# (path, cell or None) → the lines of that file or cell as written
SourceLines = dict[tuple[str, int | None], tuple[str, ...]]
# path → (cell, line in cell) → line of the .ipynb file
NotebookLines = dict[str, dict[tuple[int, int], int]]


def sarif_rules(rules: Iterable[Rule]) -> list[dict[str, Any]]:
    """SARIF `reportingDescriptor`s of the rules, in their order."""
    return [_descriptor(rule) for rule in rules]


def _descriptor(rule: Rule) -> dict[str, Any]:
    from preplint.docs import rule_markdown

    what, why = rule.section("What it does"), rule.section("Why is this bad?")
    full = " ".join(" ".join(part.split()) for part in (what, why) if part)
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary or rule.name},
        "fullDescription": {"text": full or rule.summary or rule.name},
        "help": {"text": rule.docs.strip() or rule.name, "markdown": rule_markdown(rule)},
        "helpUri": DOCS_URL.format(code=rule.code),
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {"tags": [rule.family.upper()] if rule.family else []},
    }


def source_lines(diagnostics: Iterable[Diagnostic]) -> SourceLines:
    """The lines findings point into: whole files, or notebook cells as written."""
    out: SourceLines = {}
    paths = sorted({d.path for d in diagnostics})
    for path in paths:
        if path.endswith(".ipynb"):
            out.update(_cell_lines(path))
            continue
        try:
            text = Path(path).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        out[(path, None)] = tuple(text.splitlines())
    return out


def _cell_lines(path: str) -> SourceLines:
    from preplint.notebook import NotebookError, cell_list, cell_text, load_notebook, split_lines

    try:
        document = load_notebook(Path(path).read_bytes())
        return {
            (path, number): tuple(split_lines(cell_text(cell)))
            for number, cell in enumerate(cell_list(document), start=1)
            if isinstance(cell, dict)
        }
    except (OSError, NotebookError):
        return {}


def notebook_lines(diagnostics: Iterable[Diagnostic]) -> NotebookLines:
    """For each notebook findings point into: where each cell line sits in the `.ipynb` file."""
    from preplint.notebook import NotebookError, raw_lines

    paths: set[str] = set()
    for d in diagnostics:
        if d.cell is not None:
            paths.add(d.path)
        paths.update(r.path for r in d.related if r.cell is not None)
    out: NotebookLines = {}
    for path in sorted(paths):
        try:
            out[path] = raw_lines(Path(path).read_bytes())
        except (OSError, NotebookError):
            out[path] = {}
    return out


def no_probe_reasons(
    diagnostics: Sequence[Diagnostic], options: ConfirmOptions | None
) -> list[str | None]:
    """Per finding, why --confirm ran no probe for it (None: it has no probe, or one ran)."""
    from preplint.confirm import no_artifact_reason

    return [no_artifact_reason(d, options) for d in diagnostics]
