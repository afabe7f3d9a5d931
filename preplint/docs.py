"""Rule documentation generated from the registry: docs/rules/CODE.md, their index, the README table."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from preplint.rules import Rule, all_rules

RULES_DIR = Path("docs") / "rules"
TABLE_START = "<!-- rules-table:start -->"
TABLE_END = "<!-- rules-table:end -->"
GENERATED_NOTE = (
    "<!-- Generated from the rule registry by `python -m preplint.docs`; do not edit. -->"
)
# Only files named like a rule code are ours to delete when a rule goes away.
_RULE_PAGE = re.compile(r"[A-Z]+[0-9]+\.md\Z")


def rule_markdown(rule: Rule) -> str:
    """One rule's page: title, severity, whether a fix exists, then its docs sections."""
    fix = "yes (`preplint check --fix`)" if rule.fixable else "no"
    return (
        f"# {rule.code}: {rule.name}\n\n"
        f"{GENERATED_NOTE}\n\n"
        f"- **Severity:** {rule.severity.label}\n"
        f"- **Fix available:** {fix}\n"
        f"- **Family:** {rule.family.upper() or '-'}\n"
        + (
            "- **Preview:** yes: off unless `--preview` or `preview = true`, until it shows "
            "0.90 precision on public code (see bench/FIELD.md)\n"
            if rule.preview
            else ""
        )
        + f"\n{rule.docs.strip()}\n"
    )


def rules_table(link_prefix: str = "docs/rules/") -> str:
    """A markdown table of every rule: code (linked to its page), name, severity, fix, summary."""
    rows = [
        "| Code | Name | Severity | Fix | Summary |",  # a preview rule's severity says so
        "| --- | --- | --- | :-: | --- |",
    ]
    for rule in all_rules():
        summary = _cell(rule.summary)
        fix = "yes" if rule.fixable else ""
        severity = rule.severity.label + (" (preview)" if rule.preview else "")
        rows.append(
            f"| [{rule.code}]({link_prefix}{rule.code}.md) | `{rule.name}` | {severity} | {fix} | {summary} |"
        )
    return "\n".join(rows) + "\n"


def _cell(text: str) -> str:
    """Text fit for one table cell: one line, pipes escaped."""
    return " ".join(text.split()).replace("|", "\\|")


def index_markdown() -> str:
    return f"# Rules\n\n{GENERATED_NOTE}\n\n{rules_table(link_prefix='')}"


def expected_pages() -> dict[Path, str]:
    """Every generated page, by its path relative to the repository root."""
    pages = {RULES_DIR / f"{rule.code}.md": rule_markdown(rule) for rule in all_rules()}
    pages[RULES_DIR / "README.md"] = index_markdown()
    return pages


def with_table(readme: str) -> str:
    """README text with the rules table between its markers; unchanged when it has none."""
    start, end = readme.find(TABLE_START), readme.find(TABLE_END)
    if start < 0 or end < start:
        return readme
    head = readme[: start + len(TABLE_START)]
    return f"{head}\n{rules_table()}{readme[end:]}"


def stale_pages(root: Path) -> list[Path]:
    """Rule pages on disk for codes that are no longer registered."""
    folder = root / RULES_DIR
    if not folder.is_dir():
        return []
    wanted = {path.name for path in expected_pages()}
    return sorted(p for p in folder.iterdir() if _RULE_PAGE.match(p.name) and p.name not in wanted)


def write_docs(root: Path) -> list[Path]:
    """Write every rule page and the index under `root`, drop stale pages, refresh the README table."""
    written: list[Path] = []
    (root / RULES_DIR).mkdir(parents=True, exist_ok=True)
    for relative, text in expected_pages().items():
        target = root / relative
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8", newline="\n")
        written.append(target)
    for stale in stale_pages(root):
        stale.unlink()
    readme = root / "README.md"
    if readme.is_file():
        current = readme.read_text(encoding="utf-8")
        updated = with_table(current)
        if updated != current:
            readme.write_text(updated, encoding="utf-8", newline="\n")
            written.append(readme)
    return written


if __name__ == "__main__":
    # `python -m preplint.docs [ROOT]`: a maintainer's command, run from the repository root.
    write_docs(Path(sys.argv[1]) if len(sys.argv) > 1 else Path.cwd())
