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
