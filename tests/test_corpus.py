"""Precision and recall on the labelled corpus (tests/corpus), per rule and overall."""

from __future__ import annotations

import pytest

from preplint.rules import all_rules
from tests.corpus_score import Score, score


@pytest.fixture(scope="module")
def result() -> Score:
    return score()


def test_overall_precision_and_recall(result: Score) -> None:
    assert result.precision() >= 0.95, result.false_alarms
    assert result.recall() >= 0.9, result.misses


@pytest.mark.parametrize("code", [r.code for r in all_rules()])
def test_each_rule_is_labelled_and_found(result: Score, code: str) -> None:
    assert result.tp[code] + result.fn[code] >= 3, (
        f"fewer than 3 labelled {code} cases in the corpus"
    )
    assert result.recall(code) >= 0.75, [m for m in result.misses if m.endswith(code)]
    assert result.precision(code) >= 0.75, [f for f in result.false_alarms if f.endswith(code)]
