"""Bad input and bugs: a clear message, the run goes on, and the exit status says what happened."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import pytest

from preplint import engine
from preplint.pipeline import extraction, rules_phase
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


# --- links and unreadable paths: one line each, the run goes on -----------------------------------


def _tree_with_bad_links(root: Path) -> None:
    write(root, {"good.py": BAD, "sub/inner.py": BAD})
    (root / "self.py").symlink_to("self.py")
    (root / "a.py").symlink_to("b.py")
    (root / "b.py").symlink_to("a.py")
    (root / "dangling.py").symlink_to("missing.py")
    (root / "loopdir").symlink_to("loopdir")
    (root / "sub" / "up").symlink_to("..")


def test_link_loops_and_dangling_links_are_one_line_each(tmp_path: Path) -> None:
    _tree_with_bad_links(tmp_path)
    code, out, err = run(["check", "--no-cache", "."], tmp_path)
    assert code == 1
    assert "good.py:2:9: SAFE001" in out and "sub/inner.py:2:9: SAFE001" in out
    lines = err.splitlines()
    for name, why in [
        ("self.py", "symlink loop"),
        ("a.py", "symlink loop"),
        ("b.py", "symlink loop"),
        ("loopdir", "symlink loop"),
        ("dangling.py", "dangling symlink to missing.py"),
        ("sub/up", "symlink to a folder already linted"),
    ]:
        assert sum(1 for line in lines if line.startswith(f"preplint: warning: {name}: {why}")) == 1
    assert "Traceback" not in err and len(lines) == 6


def test_a_looping_link_named_on_the_command_line(tmp_path: Path) -> None:
    _tree_with_bad_links(tmp_path)
    code, out, err = run(["check", "--no-cache", "self.py", "good.py"], tmp_path)
    assert code in (1, 2)  # findings, or a named path that could not be linted
    assert "good.py:2:9: SAFE001" in out
    assert sum(1 for line in err.splitlines() if "self.py" in line) == 1
    assert "Traceback" not in err


def test_link_loop_with_a_config_and_the_cache(tmp_path: Path) -> None:
    _tree_with_bad_links(tmp_path)
    write(tmp_path, {"pyproject.toml": '[tool.preplint]\nexclude = ["build"]\n'})
    for _ in range(2):  # cold and warm cache
        code, out, err = run(["check", "."], tmp_path)
        assert code == 1 and "sub/inner.py:2:9: SAFE001" in out
        assert "self.py: symlink loop" in err


def test_a_clean_tree_has_no_warnings(tmp_path: Path) -> None:
    write(tmp_path, {"good.py": GOOD, "sub/inner.py": GOOD})
    (tmp_path / "alias.py").symlink_to("good.py")
    code, _, err = run(["check", "--no-cache", "."], tmp_path)
    assert code == 0 and err == ""


def test_unreadable_folder_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    write(tmp_path, {"good.py": BAD, "locked/x.py": BAD})
    real_scandir = os.scandir

    def scandir(path: object = ".") -> object:
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "scandir", scandir)
    code, out, err = run(["check", "--no-cache", "."], tmp_path)
    assert code == 1 and "good.py:2:9: SAFE001" in out and "locked/x.py" not in out
    assert "preplint: warning: locked: cannot read folder: Permission denied, skipped" in err


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads anything")
def test_really_unreadable_file_and_folder(tmp_path: Path) -> None:
    write(tmp_path, {"good.py": BAD, "locked/x.py": BAD, "secret.py": BAD})
    (tmp_path / "locked").chmod(0)
    (tmp_path / "secret.py").chmod(0)
    try:
        code, out, err = run(["check", "--no-cache", "."], tmp_path)
    finally:
        (tmp_path / "locked").chmod(0o755)
        (tmp_path / "secret.py").chmod(0o644)
    assert code == 1 and "good.py:2:9: SAFE001" in out
    assert "secret.py:1:1: SYNTAX cannot read file" in out
    assert "locked: cannot read folder" in err


# --- files that would crash the native parser; a dying worker ------------------------------------

DEEP = {
    "unary.py": "x = " + "-" * 10_000 + "1\n",
    "attributes.py": "x = a" + ".b" * 50_000 + "\n",
    "parentheses.py": "x = " + "(" * 1_000 + "1" + ")" * 1_000 + "\n",
    "brackets.py": "x = " + "[" * 1_000 + "1" + "]" * 1_000 + "\n",
    "calls.py": "x = " + "f(" * 3_000 + ")" * 3_000 + "\n",
}


@pytest.mark.parametrize("name", sorted(DEEP))
def test_nesting_that_crashes_the_native_parser_is_a_syntax_finding(
    tmp_path: Path, name: str
) -> None:
    import subprocess
    import sys

    write(tmp_path, {name: "import torch\n" + DEEP[name]})
    result = subprocess.run(
        [sys.executable, "-m", "preplint", "check", "--no-cache", "-j1", name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr[-500:]
    assert f"{name}:" in result.stdout and "SYNTAX cannot parse:" in result.stdout
    assert "nested" in result.stdout and "Python refuses it too" in result.stdout


def test_ordinary_nesting_is_not_flagged() -> None:
    assert extraction.nesting_problem("x = " + "-" * 200 + "1\ny = ((((a))))\n") is None
    assert extraction.nesting_problem("def f(:\n") is None  # other syntax errors are libcst's
    assert extraction.nesting_problem("type X = int\n") is None


def _crash_folder(root: Path) -> None:
    files: dict[str, str | bytes] = {f"script_{n}.py": BAD for n in range(9)}
    files["deep.py"] = "import torch\n" + DEEP["calls.py"]  # segfaults libcst in about 1 s
    write(root, files)


def test_a_worker_killed_by_the_parser_costs_only_its_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from preplint.config import Config

    _crash_folder(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(extraction, "_DEPTH_GUARD", False)  # let libcst meet the file: it segfaults
    report = engine.lint_project(["."], Config(root=tmp_path), jobs=2)
    found = {(d.path, d.code) for d in report.diagnostics}
    assert {(f"script_{n}.py", "SAFE001") for n in range(9)} <= found
    [crash] = [d for d in report.diagnostics if d.path == "deep.py"]
    assert crash.code == "INTERNAL" and "parser process died" in crash.message
    assert "SIGSEGV" in crash.message


def test_with_the_guard_the_pool_reports_the_deep_file_as_syntax(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from preplint.config import Config

    _crash_folder(tmp_path)
    monkeypatch.chdir(tmp_path)
    report = engine.lint_project(["."], Config(root=tmp_path), jobs=2)
    assert {(d.path, d.code) for d in report.diagnostics} == {
        *((f"script_{n}.py", "SAFE001") for n in range(9)),
        ("deep.py", "SYNTAX"),
    }


def test_a_rules_worker_that_dies_does_not_lose_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import signal

    from preplint.config import Config

    write(
        tmp_path, {f"script_{n:02}.py": BAD for n in range(rules_phase._RULES_POOL_MIN_FILES + 2)}
    )
    original = rules_phase._rules_job

    def dying(position: int) -> object:
        if position == 0:
            os.kill(os.getpid(), signal.SIGKILL)  # as the out-of-memory killer would
        return original(position)

    # Pickled by name into the forked workers, which see this module attribute too.
    dying.__module__, dying.__qualname__ = original.__module__, original.__qualname__
    monkeypatch.setattr(rules_phase, "_rules_job", dying)
    monkeypatch.chdir(tmp_path)
    report = engine.lint_project(["."], Config(root=tmp_path), jobs=2)
    assert sorted((d.path, d.code) for d in report.diagnostics) == [
        (f"script_{n:02}.py", "SAFE001") for n in range(rules_phase._RULES_POOL_MIN_FILES + 2)
    ]


def test_a_file_that_killed_its_worker_is_not_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from preplint.cache import FactsCache
    from preplint.config import Config

    _crash_folder(tmp_path)
    monkeypatch.chdir(tmp_path)
    cache = FactsCache(tmp_path / "cache")
    monkeypatch.setattr(extraction, "_DEPTH_GUARD", False)
    first = engine.lint_project(["."], Config(root=tmp_path), jobs=2, cache=cache)
    assert ("deep.py", "INTERNAL") in {(d.path, d.code) for d in first.diagnostics}
    monkeypatch.setattr(extraction, "_DEPTH_GUARD", True)
    second = engine.lint_project(["."], Config(root=tmp_path), jobs=2, cache=cache)
    assert ("deep.py", "SYNTAX") in {(d.path, d.code) for d in second.diagnostics}
    assert len(second.diagnostics) == 10


def test_a_large_tree_does_not_deadlock_the_extraction_pool(tmp_path: Path) -> None:
    """Workers record the file they start; with thousands of long paths that record must not
    fill a pipe nobody reads until the pool ends (it did: every worker blocked, the run hung)."""
    import subprocess
    import sys

    folder = tmp_path / ("d" * 100)
    folder.mkdir()
    for number in range(1500):
        (folder / f"{'m' * 120}_{number}.py").write_text(f"x = {number}\n")
    proc = subprocess.run(
        [sys.executable, "-m", "preplint", "check", "--no-cache", "--jobs", "2", str(folder)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "(1500 files)" in proc.stdout
