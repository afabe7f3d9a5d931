"""Bad input and bugs: a clear message, the run goes on, and the exit status says what happened."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from preplint import engine
from preplint.rules import all_rules
from tests.test_cli import BAD, GOOD, run, write

# --- timeouts and limits ----------------------------------------------------------------------


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "0", "-1", "NaN", "abc"])
def test_non_finite_or_non_positive_confirm_timeout_is_usage_error(
    tmp_path: Path, value: str
) -> None:
    write(tmp_path, {"good.py": GOOD})
    code, out, err = run(["check", "--no-cache", "--confirm-timeout", value, "good.py"], tmp_path)
    assert code == 2
    assert "--confirm-timeout" in err and "Traceback" not in out + err


@pytest.mark.parametrize("value", ["nan", "inf", "0"])
def test_non_finite_confirm_command_timeout_is_usage_error(tmp_path: Path, value: str) -> None:
    (tmp_path / "model.pt").write_bytes(b"not a model")
    code, out, err = run(["confirm", "--timeout", value, "model.pt"], tmp_path)
    assert code == 2
    assert "--timeout" in err and "Traceback" not in out + err


def test_finite_positive_timeout_is_accepted(tmp_path: Path) -> None:
    write(tmp_path, {"good.py": GOOD})
    assert run(["check", "--no-cache", "--confirm-timeout", "2.5", "good.py"], tmp_path)[0] == 0


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "0", "-3"])
def test_non_finite_config_timeout_is_config_error(tmp_path: Path, value: str) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": f"[tool.preplint]\nconfirm-timeout = {value}\n",
            "good.py": GOOD,
        },
    )
    code, out, err = run(["check", "--no-cache", "good.py"], tmp_path)
    assert code == 2
    assert "confirm-timeout" in err and "Traceback" not in out + err


def test_finite_config_timeout_is_accepted(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": "[tool.preplint]\nconfirm-timeout = 7.5\n", "good.py": GOOD})
    assert run(["check", "--no-cache", "good.py"], tmp_path)[0] == 0


# --- internal errors: exit 2, the file named on stderr -------------------------------------------


def _raising(code: str) -> list[object]:
    def boom(facts: object, index: object) -> list[object]:
        raise ZeroDivisionError("forced failure")

    return [dataclasses.replace(r, check=boom) if r.code == code else r for r in all_rules()]


def test_rule_that_raises_is_named_on_stderr_and_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, {"bad.py": BAD, "other.py": BAD})
    monkeypatch.setattr(engine, "all_rules", lambda: _raising("SAFE001"))
    code, out, err = run(
        ["check", "--no-cache", "--format", "json", "bad.py", "other.py"], tmp_path
    )
    assert code == 2
    assert "bad.py" in err and "other.py" in err and "SAFE001" in err
    assert "ZeroDivisionError" in err and "Traceback" not in err
    found = json.loads(out)["diagnostics"]
    assert {d["code"] for d in found} == {"INTERNAL"}


def test_other_rules_still_report_when_one_raises(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, {"bad.py": BAD})
    monkeypatch.setattr(engine, "all_rules", lambda: _raising("MODE001"))
    code, out, err = run(["check", "--no-cache", "bad.py"], tmp_path)
    assert code == 2
    assert "SAFE001" in out and "MODE001" in err


def test_a_crash_outside_any_rule_exits_2_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, {"bad.py": BAD})

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("forced engine failure")

    monkeypatch.setattr(engine, "lint_project", broken)
    code, out, err = run(["check", "--no-cache", "bad.py"], tmp_path)
    assert code == 2
    assert "internal error" in err and "forced engine failure" in err
    assert "Traceback" not in err


def test_no_internal_error_no_stderr_line(tmp_path: Path) -> None:
    write(tmp_path, {"bad.py": BAD})
    code, _, err = run(["check", "--no-cache", "bad.py"], tmp_path)
    assert code == 1 and "internal error" not in err
