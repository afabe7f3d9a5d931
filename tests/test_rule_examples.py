"""Every rule's own examples, run through the whole engine: the one home of rule examples.

An example's `# expect: CODE` markers state every finding of the rule's family (and of any
code it marks): a positive fires on its marked lines, a negative never for its own rule.
"""

from __future__ import annotations

import pytest

from preplint.rules import Example, Rule, all_rules
from tests.helpers import as_project, expected_lines, lint

RULES = all_rules()


def _cases(kind: str) -> list[tuple[Rule, int]]:
    return [(r, i) for r in RULES for i in range(len(getattr(r, kind)))]


# Besides its own family, whose findings an example's markers must state.
ALSO_CHECKED = {"load": ("SAFE002",)}


def _checked_codes(rule: Rule, sources: dict[str, str]) -> list[str]:
    """The family's codes, the codes an example marks, and those its family also answers for."""
    family = [r.code for r in RULES if r.family == rule.family]
    marked = [r.code for r in RULES if expected_lines(sources, r.code)]
    return sorted({*family, *marked, *ALSO_CHECKED.get(rule.family, ())})


def _assert_markers_state_every_finding(rule: Rule, example: Example) -> None:
    sources = as_project(example)
    found = lint(example)
    assert not [d for d in found if d.code in ("INTERNAL", "SYNTAX")], found
    for code in _checked_codes(rule, sources):
        got = {(d.path, d.line) for d in found if d.code == code}
        assert got == expected_lines(sources, code), code


@pytest.mark.parametrize(
    ("rule", "n"), _cases("positives"), ids=lambda v: v.code if isinstance(v, Rule) else str(v)
)
def test_positive_example_fires_exactly_on_marked_lines(rule: Rule, n: int) -> None:
    example = rule.positives[n]
    assert expected_lines(as_project(example), rule.code), (
        f"{rule.code} positive #{n} has no `# expect: {rule.code}` marker"
    )
    _assert_markers_state_every_finding(rule, example)


@pytest.mark.parametrize(
    ("rule", "n"), _cases("negatives"), ids=lambda v: v.code if isinstance(v, Rule) else str(v)
)
def test_negative_example_is_quiet(rule: Rule, n: int) -> None:
    example = rule.negatives[n]
    assert not expected_lines(as_project(example), rule.code), (
        f"{rule.code} negative #{n} marks its own code"
    )
    assert [d for d in lint(example) if d.code == rule.code] == []
    _assert_markers_state_every_finding(rule, example)


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
