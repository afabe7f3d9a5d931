"""The committed rule docs match the registry; regenerate them with `python -m preplint.docs`."""

from __future__ import annotations

from pathlib import Path

import pytest

from preplint.docs import (
    TABLE_END,
    TABLE_START,
    expected_pages,
    rule_markdown,
    rules_table,
    stale_pages,
    with_table,
    write_docs,
)
from preplint.rules import Rule, all_rules

ROOT = Path(__file__).resolve().parents[1]
STALE = "the rule docs are stale: run `python -m preplint.docs` and commit the result"


@pytest.mark.parametrize("relative", sorted(expected_pages()), ids=str)
def test_committed_rule_page_is_current(relative: Path) -> None:
    committed = ROOT / relative
    assert committed.is_file(), f"{relative} is missing; {STALE}"
    assert committed.read_text(encoding="utf-8") == expected_pages()[relative], (
        f"{relative} differs; {STALE}"
    )


def test_no_page_for_a_rule_that_is_gone() -> None:
    assert stale_pages(ROOT) == [], STALE


def test_readme_table_is_current() -> None:
    readme = ROOT / "README.md"
    if not readme.is_file() or TABLE_START not in readme.read_text(encoding="utf-8"):
        pytest.skip("README.md has no rules-table markers")
    text = readme.read_text(encoding="utf-8")
    assert with_table(text) == text, f"README.md rules table differs; {STALE}"


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.code)
def test_page_has_title_severity_and_docs(rule: Rule) -> None:
    page = rule_markdown(rule)
    assert page.startswith(f"# {rule.code}: {rule.name}\n")
    assert f"**Severity:** {rule.severity.label}" in page
    assert "## What it does" in page and "## Why is this bad?" in page


def test_table_links_every_rule_and_escapes_pipes() -> None:
    table = rules_table()
    for rule in all_rules():
        assert f"[{rule.code}](docs/rules/{rule.code}.md)" in table
    rows = table.splitlines()
    assert len(rows) == len(all_rules()) + 2
    assert all(row.count(" | ") - row.count("\\|") >= 4 for row in rows[2:])


def test_write_docs_fills_the_readme_markers_and_removes_stale_pages(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text(
        f"# x\n\n{TABLE_START}\nold\n{TABLE_END}\n\nafter\n", encoding="utf-8"
    )
    (tmp_path / "docs" / "rules").mkdir(parents=True)
    (tmp_path / "docs" / "rules" / "GONE999.md").write_text("old rule", encoding="utf-8")
    (tmp_path / "docs" / "rules" / "notes.md").write_text("hand-written", encoding="utf-8")
    written = write_docs(tmp_path)
    readme = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert readme == f"# x\n\n{TABLE_START}\n{rules_table()}{TABLE_END}\n\nafter\n"
    assert not (tmp_path / "docs" / "rules" / "GONE999.md").exists()
    assert (tmp_path / "docs" / "rules" / "notes.md").exists()
    assert {p.relative_to(tmp_path) for p in written} == {*expected_pages(), Path("README.md")}
    assert write_docs(tmp_path) == [
        tmp_path / p for p in expected_pages()
    ]  # a second run changes nothing


def test_readme_without_markers_is_left_alone() -> None:
    assert with_table("# plain\n") == "# plain\n"


def test_readme_sample_output_is_current() -> None:
    """The README shows what `preplint check` prints on the bundled fixtures, verbatim."""
    import subprocess
    import sys

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("<!-- sample-output:start -->")
    end = readme.index("<!-- sample-output:end -->")
    block = readme[start:end]
    command = "preplint check fixtures/keras_project fixtures/torch_project"
    shown = block.split(f"$ {command}\n", 1)[1].rsplit("```", 1)[0]
    proc = subprocess.run(
        [sys.executable, "-m", "preplint", *command.split()[1:], "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1, proc.stderr
    assert shown == proc.stdout, "README sample output is stale: paste the command's output"
