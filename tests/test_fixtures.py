"""preplint on its own fixtures/: the output must equal the committed expected.json.

Regenerate with `PREPLINT_REGEN=1 python -m pytest tests/test_fixtures.py` and review the diff.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from click.testing import CliRunner

from preplint.cli import main

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
EXPECTED = FIXTURES / "expected.json"
MARK = re.compile(r"#\s*expect:\s*([A-Z0-9 ,]+)")


def _lint_fixtures() -> dict[str, object]:
    old = Path.cwd()
    os.chdir(ROOT)
    try:
        result = CliRunner().invoke(main, ["check", "--no-cache", "--format", "json", "fixtures"])
    finally:
        os.chdir(old)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def test_fixtures_output_matches_committed_expectation() -> None:
    document = _lint_fixtures()
    if os.environ.get("PREPLINT_REGEN"):
        EXPECTED.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    assert document == json.loads(EXPECTED.read_text(encoding="utf-8"))


def test_clean_twins_are_silent() -> None:
    document = _lint_fixtures()
    noisy = [d for d in document["diagnostics"] if d["path"].startswith("fixtures/clean/")]  # type: ignore[index]
    assert noisy == []


def test_every_marked_mistake_is_found() -> None:
    document = _lint_fixtures()
    found = {(d["path"], d["line"], d["code"]) for d in document["diagnostics"]}  # type: ignore[index]
    wanted = set()
    for path in sorted(FIXTURES.rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            match = MARK.search(line)
            if match:
                for code in match.group(1).split(","):
                    wanted.add((path.relative_to(ROOT).as_posix(), number, code.strip()))
    assert sorted(wanted - found) == []
    assert sorted(found - wanted) == []
