"""Every rule's own positive and negative examples, run through the whole engine."""

from __future__ import annotations

import pytest

from preplint.rules import Rule, all_rules
from tests.helpers import as_project, expected_lines, lint

RULES = all_rules()


def _cases(kind: str) -> list[tuple[Rule, int]]:
    return [(r, i) for r in RULES for i in range(len(getattr(r, kind)))]


@pytest.mark.parametrize(
    ("rule", "n"), _cases("positives"), ids=lambda v: v.code if isinstance(v, Rule) else str(v)
)
def test_positive_example_fires_exactly_on_marked_lines(rule: Rule, n: int) -> None:
    sources = as_project(rule.positives[n])
    found = {(d.path, d.line) for d in lint(rule.positives[n]) if d.code == rule.code}
    wanted = expected_lines(sources, rule.code)
    assert wanted, f"{rule.code} positive #{n} has no `# expect: {rule.code}` marker"
    assert found == wanted


@pytest.mark.parametrize(
    ("rule", "n"), _cases("negatives"), ids=lambda v: v.code if isinstance(v, Rule) else str(v)
)
def test_negative_example_is_quiet(rule: Rule, n: int) -> None:
    found = [d for d in lint(rule.negatives[n]) if d.code == rule.code]
    assert found == []


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_rule_has_docs_and_both_kinds_of_examples(rule: Rule) -> None:
    assert len(rule.positives) >= 2 and len(rule.negatives) >= 2
    for section in ("What it does", "Why is this bad?", "Example", "Use instead"):
        assert rule.section(section), f"{rule.code} docs lack '{section}'"


def test_no_internal_errors_in_examples() -> None:
    for rule in RULES:
        for example in (*rule.positives, *rule.negatives):
            assert not [d for d in lint(example) if d.code in ("INTERNAL", "SYNTAX")], rule.code


def test_declared_probes_are_probes_the_worker_or_the_scanner_runs() -> None:
    from preplint.confirm.probes import PICKLE, WORKER_PROBES, probe_for

    known = WORKER_PROBES | {PICKLE}
    declared = {r.code: r.probe for r in RULES if r.probe is not None}
    assert declared, "no rule declares a confirmation probe"
    for code, probe in declared.items():
        assert probe in known, f"{code} declares unknown probe {probe!r}"
        assert probe_for(code) == probe
    assert probe_for("SEED001") is None and probe_for("NOPE999") is None


def test_each_rule_lives_in_its_own_file_named_for_it() -> None:
    modules = [r.module for r in RULES]
    assert len(set(modules)) == len(modules)
    for r in RULES:
        assert r.module == f"preplint.rules.{r.family}.{r.code.lower()}_{r.name.replace('-', '_')}"
