"""Score preplint on the labelled corpus in tests/corpus: per (file, code) precision and recall.

Run `python -m tests.corpus_score` for the table; tests/test_corpus.py asserts the targets.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from preplint.engine import lint_sources
from preplint.pipeline.dependencies import is_dependency_file

CORPUS = Path(__file__).resolve().parent / "corpus"
LABEL = re.compile(r"#\s*expect:\s*([A-Z0-9 ,]+)")


@dataclass
class Score:
    tp: Counter[str] = field(default_factory=Counter)
    fp: Counter[str] = field(default_factory=Counter)
    fn: Counter[str] = field(default_factory=Counter)
    misses: list[str] = field(default_factory=list)
    false_alarms: list[str] = field(default_factory=list)

    def precision(self, code: str | None = None) -> float:
        tp = self.tp[code] if code else sum(self.tp.values())
        fp = self.fp[code] if code else sum(self.fp.values())
        return tp / (tp + fp) if tp + fp else 1.0

    def recall(self, code: str | None = None) -> float:
        tp = self.tp[code] if code else sum(self.tp.values())
        fn = self.fn[code] if code else sum(self.fn.values())
        return tp / (tp + fn) if tp + fn else 1.0


def _labels(text: str) -> set[str]:
    codes: set[str] = set()
    for match in LABEL.finditer(text):
        codes.update(c.strip() for c in match.group(1).split(",") if c.strip())
    return codes


def cases() -> list[dict[str, str]]:
    """Each case as {relative path: text}: one per single file, one per project folder."""
    out: list[dict[str, str]] = []
    for path in sorted((CORPUS / "single").glob("*.py")):
        out.append({f"single/{path.name}": path.read_text(encoding="utf-8")})
    for folder in sorted(p for p in (CORPUS / "projects").iterdir() if p.is_dir()):
        files = {}
        for path in sorted(folder.rglob("*")):
            if path.is_file() and (path.suffix == ".py" or is_dependency_file(path.name)):
                files[f"projects/{folder.name}/{path.relative_to(folder).as_posix()}"] = (
                    path.read_text(encoding="utf-8")
                )
        out.append(files)
    return out


def score(select: set[str] | None = None) -> Score:
    result = Score()
    for case in cases():
        report = lint_sources(case)
        found: dict[str, set[str]] = {}
        for d in report.diagnostics:
            found.setdefault(d.path, set()).add(d.code)
        for path, text in case.items():
            wanted = _labels(text)
            got = found.get(path, set())
            for code in wanted | got:
                if select is not None and code not in select:
                    continue
                if code in wanted and code in got:
                    result.tp[code] += 1
                elif code in got:
                    result.fp[code] += 1
                    result.false_alarms.append(f"{path}: {code}")
                else:
                    result.fn[code] += 1
                    result.misses.append(f"{path}: {code}")
    return result


def main() -> None:
    result = score()
    codes = sorted(set(result.tp) | set(result.fp) | set(result.fn))
    print(f"{'code':10} {'TP':>4} {'FP':>4} {'FN':>4} {'prec':>6} {'recall':>6}")
    for code in codes:
        print(
            f"{code:10} {result.tp[code]:4} {result.fp[code]:4} {result.fn[code]:4} {result.precision(code):6.2f} {result.recall(code):6.2f}"
        )
    print(
        f"{'all':10} {sum(result.tp.values()):4} {sum(result.fp.values()):4} {sum(result.fn.values()):4} {result.precision():6.2f} {result.recall():6.2f}"
    )
    if "-v" in sys.argv:
        print("\nmissed:", *result.misses, sep="\n  ")
        print("\nfalse alarms:", *result.false_alarms, sep="\n  ")


if __name__ == "__main__":
    main()
