"""The command line as users and CI meet it: exit codes, config, suppression, bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from preplint.cli import main

BAD = """\
import torch
state = torch.load("model.pt")
"""
GOOD = """\
import torch
state = torch.load("model.pt", weights_only=True)
"""


def run(args: list[str], cwd: Path) -> tuple[int, str, str]:
    old = Path.cwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(main, args, catch_exceptions=False)
    finally:
        os.chdir(old)
    return result.exit_code, result.stdout, result.stderr


def write(root: Path, files: dict[str, str | bytes]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")


def test_exit_status_reflects_findings(tmp_path: Path) -> None:
    write(tmp_path, {"bad.py": BAD, "good.py": GOOD})
    assert run(["check", "--no-cache", "good.py"], tmp_path)[0] == 0
    code, out, _ = run(["check", "--no-cache", "bad.py"], tmp_path)
    assert code == 1
    assert "bad.py:2:9: SAFE001" in out


def test_missing_path_is_usage_error(tmp_path: Path) -> None:
    code, out, err = run(["check", "--no-cache", "nope.py"], tmp_path)
    assert code == 2
    assert "nope.py" in err and "Traceback" not in err + out


def test_json_document_matches_the_interface(tmp_path: Path) -> None:
    write(tmp_path, {"src/bad.py": BAD})
    code, out, _ = run(["check", "--no-cache", "--format", "json", "src"], tmp_path)
    assert code == 1
    doc = json.loads(out)
    assert doc["tool"] == "preplint" and isinstance(doc["version"], str)
    (d,) = doc["diagnostics"]
    assert list(d) == [
        "code",
        "name",
        "severity",
        "message",
        "path",
        "line",
        "column",
        "end_line",
        "end_column",
        "related",
        "fix",
        "confirmation",
        "url",
    ]
    assert (d["code"], d["name"], d["severity"], d["path"]) == (
        "SAFE001",
        "torch-load-unsafe",
        "warning",
        "src/bad.py",
    )
    assert (d["line"], d["column"], d["end_line"], d["end_column"]) == (2, 9, 2, 31)
    assert d["confirmation"] is None
    assert d["fix"]["edits"][0]["replacement"] == ", weights_only=True"
    assert d["fix"]["applicability"] == "safe"
    assert doc["summary"] == {"files": 1, "diagnostics": 1, "by_severity": {"warning": 1}}


def test_json_is_byte_identical_across_runs_and_jobs(tmp_path: Path) -> None:
    files = {f"pkg/m{i}.py": BAD if i % 2 else GOOD for i in range(20)}
    files["pkg/broken.py"] = "def (:\n"
    write(tmp_path, files)
    outputs = set()
    for jobs in ("1", "2", "2"):
        code, out, _ = run(
            ["check", "--no-cache", "--format", "json", "--jobs", jobs, "pkg"], tmp_path
        )
        assert code == 1
        outputs.add(out)
    assert len(outputs) == 1


def test_select_ignore_and_prefixes(tmp_path: Path) -> None:
    write(tmp_path, {"bad.py": BAD})
    assert run(["check", "--no-cache", "--ignore", "SAFE", "bad.py"], tmp_path)[0] == 0
    assert run(["check", "--no-cache", "--select", "SAFE001", "bad.py"], tmp_path)[0] == 1
    assert run(["check", "--no-cache", "--select", "MODE", "bad.py"], tmp_path)[0] == 0
    code, _, err = run(["check", "--no-cache", "--select", "XYZ123", "bad.py"], tmp_path)
    assert code == 2 and "XYZ123" in err


def test_suppression_comments(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "same_line.py": 'import torch\nstate = torch.load("m.pt")  # preplint: ignore[SAFE001]\n',
            "line_above.py": 'import torch\n# preplint: ignore[SAFE001]\nstate = torch.load("m.pt")\n',
            "bare.py": 'import torch\nstate = torch.load("m.pt")  # preplint: ignore\n',
            "whole_file.py": '# preplint: ignore-file[SAFE]\nimport torch\nstate = torch.load("m.pt")\n',
            "other_code.py": 'import torch\nstate = torch.load("m.pt")  # preplint: ignore[MODE001]\n',
            "code_above.py": 'import torch\nx = 1  # preplint: ignore\nstate = torch.load("m.pt")\n',
        },
    )
    code, out, _ = run(["check", "--no-cache", "."], tmp_path)
    flagged = sorted({line.split(":", 1)[0] for line in out.splitlines() if "SAFE001" in line})
    assert flagged == ["code_above.py", "other_code.py"]


def test_config_in_pyproject(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": '[tool.preplint]\nexclude = ["scratch"]\nper-file-ignores = {"tests/*" = ["SAFE"]}\nfail-on = "error"\n',
            "scratch/bad.py": BAD,
            "tests/bad.py": BAD,
            "src/bad.py": BAD,
        },
    )
    code, out, _ = run(["check", "--no-cache", "."], tmp_path)
    assert "src/bad.py" in out and "scratch" not in out and "tests/bad.py" not in out
    assert code == 0  # SAFE001 is a warning and fail-on is "error"


@pytest.mark.parametrize(
    ("table", "needle"),
    [("colour = 1", "colour"), ('select = ["NOPE9"]', "NOPE9"), ('fail-on = "fatal"', "fail-on")],
)
def test_bad_config_is_a_clear_error(tmp_path: Path, table: str, needle: str) -> None:
    write(tmp_path, {"pyproject.toml": f"[tool.preplint]\n{table}\n", "a.py": GOOD})
    code, out, err = run(["check", "--no-cache", "a.py"], tmp_path)
    assert code == 2
    assert needle in err and "pyproject.toml" in err and "Traceback" not in err


def test_bad_input_never_crashes_the_run(tmp_path: Path) -> None:
    deep = "import torch\nx = " + "(" * 1000 + "1" + ")" * 1000 + "\n"
    write(
        tmp_path,
        {
            "py2.py": 'import torch\nprint "hello"\n',
            "latin1.py": b"import torch\nname = '\xe9t\xe9'\n",
            "nul.py": b"import torch\x00\n",
            "empty.py": "",
            "deep.py": deep,
            "bad.py": BAD,
            "nb.ipynb": "{not json",
        },
    )
    (tmp_path / "loop").mkdir()
    (tmp_path / "loop" / "self").symlink_to(tmp_path / "loop")
    code, out, err = run(["check", "--no-cache", "--format", "json", "."], tmp_path)
    doc = json.loads(out)
    by_path = {d["path"]: d["code"] for d in doc["diagnostics"]}
    assert by_path["py2.py"] == "SYNTAX"
    assert by_path["latin1.py"] == "SYNTAX"
    assert by_path["nul.py"] == "SYNTAX"
    assert by_path["nb.ipynb"] == "SYNTAX"
    assert by_path["bad.py"] == "SAFE001"
    assert "empty.py" not in by_path
    assert "INTERNAL" not in by_path.values()
    assert "Traceback" not in err
    assert code == 1


def test_folder_without_python_files(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "notes.txt").write_text("nothing here")
    code, out, _ = run(["check", "--no-cache", "docs"], tmp_path)
    assert code == 0 and "0 files" in out


def test_rule_command(tmp_path: Path) -> None:
    code, out, _ = run(["rule", "SAFE001"], tmp_path)
    assert (
        code == 0
        and out.startswith("# SAFE001 (torch-load-unsafe)")
        and "## Why is this bad?" in out
    )
    code, out, _ = run(["rule"], tmp_path)
    assert code == 0 and "| SAFE001 | torch-load-unsafe |" in out
    assert run(["rule", "NOPE1"], tmp_path)[0] == 2


def test_static_path_imports_no_framework(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "train.py": "import torch\nimport tensorflow as tf\nimport sklearn\nmodel = torch.load('m.pt')\n"
        },
    )
    probe = textwrap.dedent(
        """
        import sys
        from preplint.cli import main
        try:
            main(["check", "--no-cache", "train.py"])
        except SystemExit:
            pass
        heavy = sorted(m for m in ("tensorflow", "torch", "keras", "sklearn", "jax", "numpy") if m in sys.modules)
        print("HEAVY=" + ",".join(heavy), file=sys.stderr)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert "HEAVY=\n" in result.stderr or result.stderr.rstrip().endswith("HEAVY=")


def test_cache_gives_the_same_report(tmp_path: Path) -> None:
    write(tmp_path, {"a.py": BAD, "b.py": GOOD, "c.py": "def (:\n"})
    cache = str(tmp_path / "cache")
    first = run(["check", "--format", "json", "--cache-dir", cache, "."], tmp_path)
    second = run(["check", "--format", "json", "--cache-dir", cache, "."], tmp_path)
    assert first == second
    # A corrupt entry is ignored, never trusted.
    for entry in (tmp_path / "cache").rglob("*.json"):
        entry.write_text('{"$": "Exploit"}')
    assert run(["check", "--format", "json", "--cache-dir", cache, "."], tmp_path) == first


def test_fix_adds_custom_objects_and_the_import_the_saver_uses(tmp_path: Path) -> None:
    import shutil

    project = tmp_path / "keras_project"
    shutil.copytree(Path(__file__).resolve().parents[1] / "fixtures" / "keras_project", project)
    before = (project / "predict.py").read_text()
    code, out, _ = run(["check", "--no-cache", "--fix", "--select", "LOAD001", "."], project)
    after = (project / "predict.py").read_text()
    assert code == 0, out
    assert "from layers import FeatureCross\n" in after
    assert 'custom_objects={"FeatureCross": FeatureCross}' in after
    import libcst

    libcst.parse_module(after)
    # Only the import line and the load line changed.
    changed = [line for line in after.splitlines() if line not in before.splitlines()]
    assert len(changed) == 2
    assert run(["check", "--no-cache", "--fix", "--select", "LOAD001", "."], project)[0] == 0
    assert (project / "predict.py").read_text() == after


def test_single_file_run_still_links_its_training_script(tmp_path: Path) -> None:
    import shutil

    project = tmp_path / "keras_project"
    shutil.copytree(Path(__file__).resolve().parents[1] / "fixtures" / "keras_project", project)
    code, out, _ = run(["check", "--no-cache", "predict.py"], project)
    assert code == 1
    codes = {line.split()[1] for line in out.splitlines() if line.startswith("predict.py:")}
    assert codes == {"LOAD001", "PRE003", "DTYPE001"}
    assert "train.py:34:5: model saved here" in out
    # Only the file asked about is reported, even though train.py has findings of its own.
    assert not [line for line in out.splitlines() if line.startswith("train.py:")]


def test_warm_cache_sees_an_edited_file(tmp_path: Path) -> None:
    write(tmp_path, {"pkg/a.py": GOOD, "pkg/b.py": GOOD})
    cache = str(tmp_path / "cache")
    assert run(["check", "--cache-dir", cache, "pkg"], tmp_path)[0] == 0
    assert run(["check", "--cache-dir", cache, "pkg"], tmp_path)[0] == 0
    (tmp_path / "pkg" / "b.py").write_text(BAD)
    code, out, _ = run(["check", "--cache-dir", cache, "pkg"], tmp_path)
    assert code == 1 and "pkg/b.py:2:9: SAFE001" in out
    (tmp_path / "pkg" / "b.py").write_text(GOOD)
    assert run(["check", "--cache-dir", cache, "pkg"], tmp_path)[0] == 0


def test_a_generated_file_of_50000_lines_is_linted(tmp_path: Path) -> None:
    lines = ["import numpy as np", "import torch"]
    for i in range(24999):
        lines.append(f"x{i} = np.zeros(({i % 7 + 1}, 3))")
        lines.append(f"y{i} = torch.tensor(x{i}).sum()")
    (tmp_path / "generated.py").write_text("\n".join(lines) + "\n")
    assert len(lines) == 50000
    code, out, err = run(["check", "--no-cache", "--format", "json", "generated.py"], tmp_path)
    doc = json.loads(out)
    assert code == 0 and doc["summary"]["files"] == 1
    assert not [d for d in doc["diagnostics"] if d["code"] in ("INTERNAL", "SYNTAX")]
    assert "Traceback" not in err


def test_warm_single_file_run_notices_an_edited_partner(tmp_path: Path) -> None:
    import shutil

    project = tmp_path / "keras_project"
    shutil.copytree(Path(__file__).resolve().parents[1] / "fixtures" / "keras_project", project)
    cache = str(tmp_path / "cache")
    first = run(["check", "--cache-dir", cache, "predict.py"], project)
    assert "PRE003" in first[1]
    assert run(["check", "--cache-dir", cache, "predict.py"], project) == first
    train = project / "train.py"
    # Training now saves its scaler-free model somewhere else: predict.py loses its partner.
    train.write_text(
        train.read_text().replace("model.save(MODEL_PATH)", 'model.save("elsewhere.keras")')
    )
    second = run(["check", "--cache-dir", cache, "predict.py"], project)
    assert "PRE003" not in second[1]


# --- syntax of every file ------------------------------------------------------------------------


def test_a_file_without_ml_imports_is_still_checked_for_syntax(tmp_path: Path) -> None:
    write(tmp_path, {"util.py": "def f(:\n    pass\n", "ok.py": "x = 1\n"})
    code, out, _ = run(["check", "--no-cache", "."], tmp_path)
    assert code == 1
    assert "util.py:1:7: SYNTAX" in out
    assert "ok.py" not in out


def test_syntax_is_reported_where_python_reports_it(tmp_path: Path) -> None:
    write(tmp_path, {"a.py": "import torch\nx = (1,\n", "b.py": "x = (1,\n"})
    code, out, _ = run(["check", "--no-cache", "."], tmp_path)
    assert code == 1
    # Python: "'(' was never closed" at line 2, column 5 (libcst would say line 3).
    assert "a.py:2:5: SYNTAX cannot parse: '(' was never closed" in out
    assert "b.py:1:5: SYNTAX cannot parse: '(' was never closed" in out


@pytest.mark.parametrize(
    ("data", "where", "offset"),
    [
        (b"a = 1\nb = 2\nc = '\xff'\n", "3:6", 17),
        (b"a = 1\n# \xff\n", "2:3", 8),
        (b"a = 1\nb = '\x00'\n", "2:6", 11),
    ],
)
def test_undecodable_bytes_are_reported_with_their_offset(
    tmp_path: Path, data: bytes, where: str, offset: int
) -> None:
    for name, prefix in (("plain.py", b""), ("ml.py", b"import torch\n")):
        (tmp_path / name).write_bytes(prefix + data)
    code, out, _ = run(["check", "--no-cache", "plain.py"], tmp_path)
    assert code == 1
    assert f"plain.py:{where}: SYNTAX" in out and f"byte offset {offset}" in out
    code, out, _ = run(["check", "--no-cache", "ml.py"], tmp_path)
    line, column = where.split(":")
    assert f"ml.py:{int(line) + 1}:{column}: SYNTAX" in out
    assert f"byte offset {offset + len(b'import torch') + 1}" in out


def test_newer_grammar_libcst_reads_is_not_a_syntax_error(tmp_path: Path) -> None:
    # A file the running Python may not compile but libcst parses is not reported.
    write(tmp_path, {"ok.py": "match x:\n    case 1:\n        pass\n"})
    code, out, _ = run(["check", "--no-cache", "ok.py"], tmp_path)
    assert code == 0, out


# --- suppression problems ------------------------------------------------------------------------


def test_suppression_problems_are_reported(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "typo.py": 'import torch\nstate = torch.load("m.pt")  # preplint: ignore[SAFE0001]\n',
            "late.py": "x = 1\n# preplint: ignore-file[SAFE]\n",
            "malformed.py": "x = 1  # preplint: ignore[SAFE001\n",
            "fine.py": 'import torch\nstate = torch.load("m.pt")  # preplint: ignore[SAFE001]\n',
        },
    )
    code, out, _ = run(["check", "--no-cache", "."], tmp_path)
    assert code == 1
    assert "typo.py:2:48: SUPPRESSION unknown code `SAFE0001`" in out
    assert "typo.py:2:9: SAFE001" in out  # the typo silences nothing
    assert "late.py:2:1: SUPPRESSION `ignore-file` counts only" in out
    assert "malformed.py:1:8: SUPPRESSION" in out
    assert "fine.py" not in out


def test_suppression_findings_are_warnings_that_cannot_be_silenced(tmp_path: Path) -> None:
    write(
        tmp_path,
        {"a.py": "# preplint: ignore-file\nx = 1  # preplint: ignore[NOPE1]\n"},
    )
    code, out, _ = run(["check", "--no-cache", "--format", "json", "a.py"], tmp_path)
    found = json.loads(out)["diagnostics"]
    assert [(d["code"], d["severity"], d["line"]) for d in found] == [("SUPPRESSION", "warning", 2)]
    assert code == 1
    assert run(["check", "--no-cache", "--fail-on", "error", "a.py"], tmp_path)[0] == 0


def _notebook(*cells: tuple[str, str]) -> str:
    return json.dumps(
        {
            "cells": [
                {
                    "cell_type": kind,
                    "metadata": {},
                    "source": source,
                    **({"outputs": [], "execution_count": None} if kind == "code" else {}),
                }
                for kind, source in cells
            ],
            "metadata": {},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
    )


def test_suppression_problems_in_notebooks_point_at_the_cell(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "plain.ipynb": _notebook(
                ("markdown", "# Title"), ("code", "x = 1\ny = 2  # preplint: ignore[NOPE1]")
            ),
            "ml.ipynb": _notebook(
                ("code", "import torch"),
                ("markdown", "text"),
                ("code", 'm = torch.load("m.pt")  # preplint: ignore[SAFE0001]'),
            ),
        },
    )
    code, out, _ = run(["check", "--no-cache", "."], tmp_path)
    assert code == 1
    assert "plain.ipynb:cell 2:2:27: SUPPRESSION unknown code `NOPE1`" in out
    assert "ml.ipynb:cell 3:1:44: SUPPRESSION unknown code `SAFE0001`" in out


# --- fixes: what --fix applies ---------------------------------------------------------------------

SAFE_AND_UNSAFE = """\
from sklearn.model_selection import train_test_split
import torch
X = [1, 2, 3, 4]
a, b = train_test_split(X)
m = torch.load("m.pt")
"""


def test_fix_summary_counts_only_what_fix_applies(tmp_path: Path) -> None:
    write(tmp_path, {"s.py": SAFE_AND_UNSAFE})
    _, out, _ = run(["check", "--no-cache", "s.py"], tmp_path)
    assert "s.py:5:5: SAFE001 [*]" in out
    assert "s.py:4:8: SEED003 `train_test_split`" in out  # unsafe: no [*]
    assert "[*] 1 fixable with `preplint check --fix` (1 more fix with `--unsafe-fixes`)." in out
    _, out, _ = run(["check", "--no-cache", "--unsafe-fixes", "s.py"], tmp_path)
    assert "[*] 2 fixable with `preplint check --fix --unsafe-fixes`." in out


def test_after_fix_the_summary_offers_only_the_unsafe_fixes(tmp_path: Path) -> None:
    write(tmp_path, {"s.py": SAFE_AND_UNSAFE})
    code, out, err = run(["check", "--no-cache", "--fix", "--show-fixes", "s.py"], tmp_path)
    assert "Fixed 1 finding." in err
    assert "fixable with `preplint check --fix`" not in out
    assert "No fix is safe to apply; 1 more fix with `--unsafe-fixes`." in out
    assert "Fixed:\n    s.py:5:5: SAFE001 Pass `weights_only=True`" in out
    assert "Fixable only with `--unsafe-fixes`:\n    s.py:4:8: SEED003" in out
    assert "weights_only=True" in (tmp_path / "s.py").read_text()
    _, out, _ = run(["check", "--no-cache", "--fix", "s.py"], tmp_path)
    assert "[*]" not in out


def test_show_fixes_without_fix_lists_what_fix_would_do(tmp_path: Path) -> None:
    write(tmp_path, {"s.py": SAFE_AND_UNSAFE})
    _, out, _ = run(["check", "--no-cache", "--show-fixes", "s.py"], tmp_path)
    assert "Fixable with `preplint check --fix`:\n    s.py:5:5: SAFE001" in out
    assert "Fixable only with `--unsafe-fixes`:\n    s.py:4:8: SEED003" in out
    assert (tmp_path / "s.py").read_text() == SAFE_AND_UNSAFE
    write(tmp_path, {"g.py": GOOD})
    _, out, _ = run(["check", "--no-cache", "--show-fixes", "g.py"], tmp_path)
    assert "No fixes available." in out


def test_json_and_sarif_fixes_carry_applicability_and_docs_url(tmp_path: Path) -> None:
    write(tmp_path, {"s.py": SAFE_AND_UNSAFE, "broken.py": "x = (\n"})
    _, out, _ = run(["check", "--no-cache", "--format", "json", "."], tmp_path)
    found = {d["code"]: d for d in json.loads(out)["diagnostics"]}
    assert found["SAFE001"]["fix"]["applicability"] == "safe"
    assert found["SEED003"]["fix"]["applicability"] == "unsafe"
    assert found["SAFE001"]["url"].endswith("/docs/rules/SAFE001.md")
    assert "url" not in found["SYNTAX"]
    _, out, _ = run(["check", "--no-cache", "--format", "sarif", "s.py"], tmp_path)
    results = json.loads(out)["runs"][0]["results"]
    applicability = {
        r["ruleId"]: r["fixes"][0]["properties"]["applicability"] for r in results if "fixes" in r
    }
    assert applicability == {"SAFE001": "safe", "SEED003": "unsafe"}


# --- output options ------------------------------------------------------------------------------


def test_output_file(tmp_path: Path) -> None:
    write(tmp_path, {"bad.py": BAD})
    code, out, _ = run(
        ["check", "--no-cache", "--format", "json", "--output-file", "out.json", "bad.py"],
        tmp_path,
    )
    assert code == 1 and out == ""
    document = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert document["diagnostics"][0]["code"] == "SAFE001"
    code, _, err = run(["check", "--no-cache", "-o", "missing/dir/out.txt", "bad.py"], tmp_path)
    assert code == 2 and "cannot write" in err


@pytest.mark.parametrize(
    "args",
    [
        ["--statistics", "--format", "json"],
        ["--diff", "--format", "json"],
        ["--diff", "--format", "sarif"],
    ],
)
def test_text_only_options_with_another_format_are_usage_errors(
    tmp_path: Path, args: list[str]
) -> None:
    write(tmp_path, {"bad.py": BAD})
    code, out, err = run(["check", "--no-cache", *args, "bad.py"], tmp_path)
    assert code == 2 and out == ""
    assert "--format text" in err


def test_statistics_and_diff_in_text(tmp_path: Path) -> None:
    write(tmp_path, {"bad.py": BAD})
    code, out, _ = run(["check", "--no-cache", "--statistics", "bad.py"], tmp_path)
    assert code == 1 and "SAFE001" in out and "torch-load-unsafe" in out
    code, out, _ = run(["check", "--no-cache", "--diff", "bad.py"], tmp_path)
    assert code == 1 and out.startswith("---") and "weights_only=True" in out


def test_version_flags(tmp_path: Path) -> None:
    from preplint import __version__

    for flag in ("-V", "--version"):
        code, out, _ = run([flag], tmp_path)
        assert code == 0 and __version__ in out


def test_rule_family_lists_its_rules(tmp_path: Path) -> None:
    code, out, _ = run(["rule", "PRE"], tmp_path)
    assert code == 0
    assert "| PRE001 |" in out and "| PRE003 |" in out and "LOAD001" not in out
    code, out, _ = run(["rule", "seed"], tmp_path)
    assert code == 0 and "| SEED003 |" in out and "PRE001" not in out
    code, _, err = run(["rule", "NOPE"], tmp_path)
    assert code == 2 and "unknown rule code or family" in err


def _invoke(args: list[str], cwd: Path, env: dict[str, str | None]) -> str:
    old = Path.cwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(main, args, env=env, catch_exceptions=False)
    finally:
        os.chdir(old)
    return result.stdout


@pytest.mark.parametrize(
    ("args", "env", "coloured"),
    [
        ([], {"NO_COLOR": None, "FORCE_COLOR": None, "CI": None}, False),  # not a terminal
        (["--color", "always"], {"NO_COLOR": "1"}, True),
        (["--color", "never"], {"FORCE_COLOR": "1"}, False),
        ([], {"FORCE_COLOR": "1", "NO_COLOR": None}, True),
        ([], {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),
    ],
)
def test_colour_follows_the_flag_and_the_environment(
    tmp_path: Path, args: list[str], env: dict[str, str | None], coloured: bool
) -> None:
    write(tmp_path, {"bad.py": BAD})
    out = _invoke(["check", "--no-cache", *args, "bad.py"], tmp_path, env)
    assert ("\x1b[" in out) == coloured
    assert "SAFE001" in click_unstyle(out)


def click_unstyle(text: str) -> str:
    import click

    return click.unstyle(text)


def test_colour_auto_is_off_in_ci_even_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from preplint.cli import _colour_on, _progress_on

    class Terminal:
        def isatty(self) -> bool:
            return True

    for name in ("NO_COLOR", "FORCE_COLOR", "CI", "TERM"):
        monkeypatch.delenv(name, raising=False)
    assert _colour_on("auto", Terminal()) and _progress_on(Terminal())  # type: ignore[arg-type]
    monkeypatch.setenv("CI", "true")
    assert not _colour_on("auto", Terminal())
    assert not _progress_on(Terminal())  # type: ignore[arg-type]


def test_progress_appears_after_a_second_and_is_cleared() -> None:
    import io

    from preplint.cli import Progress

    now = [0.0]
    stream = io.StringIO()
    progress = Progress(stream, enabled=True, clock=lambda: now[0])
    progress.update(1, 10)
    assert stream.getvalue() == ""  # a quick run shows nothing
    now[0] = 1.5
    progress.update(4, 10)
    assert stream.getvalue() == "\rpreplint: 4/10 files"
    progress.clear()
    assert stream.getvalue().endswith("\r\x1b[K")
    quiet = io.StringIO()
    off = Progress(quiet, enabled=False, clock=lambda: now[0] + 5)
    off.update(4, 10)
    off.clear()
    assert quiet.getvalue() == ""


def test_nothing_but_findings_in_a_pipe(tmp_path: Path) -> None:
    write(tmp_path, {f"m{i}.py": BAD for i in range(30)})
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "CI")}
    proc = subprocess.run(
        [sys.executable, "-m", "preplint", "check", "--no-cache", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
    )
    assert proc.returncode == 1
    assert "\x1b" not in proc.stdout + proc.stderr and "\r" not in proc.stderr


# --- --add-ignore ----------------------------------------------------------------------------------

ADOPT = '''\
import torch
from sklearn.model_selection import train_test_split

state = torch.load(
    "m.pt",
)
doc = """
torch.load("x")
"""
model = torch.load("y.pt")  # keep
other = torch.load("z.pt")  # preplint: ignore[MODE]
a, b = train_test_split([1, 2, 3], \\
    test_size=0.5)
'''
ADOPTED = '''\
import torch
from sklearn.model_selection import train_test_split

state = torch.load(  # preplint: ignore[SAFE001]
    "m.pt",
)
doc = """
torch.load("x")
"""
model = torch.load("y.pt")  # keep  # preplint: ignore[SAFE001]
other = torch.load("z.pt")  # preplint: ignore[MODE, SAFE001]
a, b = train_test_split([1, 2, 3], \\
    test_size=0.5)  # preplint: ignore[SEED003]
'''


def test_add_ignore_silences_every_finding_and_keeps_the_code(tmp_path: Path) -> None:
    write(tmp_path, {"p.py": ADOPT})
    code, out, err = run(["check", "--no-cache", "--add-ignore", "."], tmp_path)
    assert code == 0, err
    assert "Added 4 ignore comments in 1 file." in err
    assert (tmp_path / "p.py").read_text(encoding="utf-8") == ADOPTED
    code, out, _ = run(["check", "--no-cache", "."], tmp_path)
    assert code == 0 and "All checks passed" in out
    # A second run changes nothing.
    code, _, err = run(["check", "--no-cache", "--add-ignore", "."], tmp_path)
    assert code == 0 and "Added 0 ignore comments" in err
    assert (tmp_path / "p.py").read_text(encoding="utf-8") == ADOPTED


def test_add_ignore_keeps_line_endings_and_encoding(tmp_path: Path) -> None:
    data = (
        '# -*- coding: latin-1 -*-\r\nimport torch\r\nname = "café"\r\nm = torch.load("m.pt")\r\n'
    )
    (tmp_path / "w.py").write_bytes(data.encode("latin-1"))
    code, _, err = run(["check", "--no-cache", "--add-ignore", "w.py"], tmp_path)
    assert code == 0, err
    expected = data.replace('"m.pt")\r\n', '"m.pt")  # preplint: ignore[SAFE001]\r\n')
    assert (tmp_path / "w.py").read_bytes() == expected.encode("latin-1")


def test_add_ignore_leaves_broken_files_and_notebooks_alone(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "broken.py": "import torch\nm = torch.load(\n",
            "nb.ipynb": _notebook(("code", 'import torch\nm = torch.load("m.pt")')),
        },
    )
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    code, _, err = run(["check", "--no-cache", "--add-ignore", "."], tmp_path)
    assert code == 0
    assert "nb.ipynb: no ignore comments added: notebooks are not edited" in err
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_add_ignore_is_refused_with_fix_or_stdin(tmp_path: Path) -> None:
    write(tmp_path, {"bad.py": BAD})
    assert run(["check", "--add-ignore", "--fix", "bad.py"], tmp_path)[0] == 2
    assert run(["check", "--add-ignore", "--stdin-filename", "x.py", "-"], tmp_path)[0] == 2
    assert (tmp_path / "bad.py").read_text() == BAD


def test_output_file_gets_no_colour(tmp_path: Path) -> None:
    write(tmp_path, {"bad.py": BAD})
    out = _invoke(
        ["check", "--no-cache", "--color", "always", "-o", "out.txt", "bad.py"],
        tmp_path,
        {"FORCE_COLOR": "1"},
    )
    assert out == ""
    text = (tmp_path / "out.txt").read_text(encoding="utf-8")
    assert "bad.py:2:9: SAFE001" in text and "\x1b" not in text


def test_add_ignore_reads_only_real_comments(tmp_path: Path) -> None:
    source = 'import torch\ns = "# preplint: ignore[MODE]"; m = torch.load("m.pt")\n'
    write(tmp_path, {"q.py": source})
    code, _, err = run(["check", "--no-cache", "--add-ignore", "q.py"], tmp_path)
    assert code == 0 and "Added 1 ignore comment in 1 file." in err
    assert (tmp_path / "q.py").read_text(encoding="utf-8") == source.replace(
        '"m.pt")\n', '"m.pt")  # preplint: ignore[SAFE001]\n'
    )
