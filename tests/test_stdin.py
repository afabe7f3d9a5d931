"""`check --stdin-filename PATH -` and explicitly named paths preplint cannot lint."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
PREDICTS = sorted(p.relative_to(FIXTURES).as_posix() for p in FIXTURES.rglob("predict.py"))

BAD = """\
import torch
state = torch.load("model.pt")
"""
GOOD = """\
import torch
state = torch.load("model.pt", weights_only=True)
"""


def preplint(
    args: list[str], cwd: Path, stdin: bytes | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PREPLINT_")}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "preplint", *args],
        cwd=cwd,
        input=stdin if stdin is not None else b"",
        capture_output=True,
        env=environment,
        timeout=120,
    )


def write(root: Path, files: dict[str, str]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(content), encoding="utf-8")


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
    }


@pytest.mark.parametrize("predict", PREDICTS)
def test_stdin_output_is_the_saved_files_output(predict: str) -> None:
    on_disk = preplint(["check", "--no-cache", "--format", "json", predict], FIXTURES)
    data = (FIXTURES / predict).read_bytes()
    buffer = preplint(
        ["check", "--format", "json", "--stdin-filename", predict, "-"], FIXTURES, stdin=data
    )
    assert buffer.returncode == on_disk.returncode, buffer.stderr
    assert buffer.stdout == on_disk.stdout
    assert buffer.stderr == on_disk.stderr == b""


def test_stdin_links_partners_from_disk() -> None:
    # From the repository root, with a path that names the fixture: train.py beside it counts.
    data = (FIXTURES / "keras_project" / "predict.py").read_bytes()
    result = preplint(
        ["check", "--format", "json", "--stdin-filename", "fixtures/keras_project/predict.py", "-"],
        ROOT,
        stdin=data,
    )
    doc = json.loads(result.stdout)
    related = {r["path"] for d in doc["diagnostics"] for r in d["related"]}
    assert "fixtures/keras_project/train.py" in related
    assert {d["path"] for d in doc["diagnostics"]} == {"fixtures/keras_project/predict.py"}


def test_stdin_lints_the_buffer_not_the_file(tmp_path: Path) -> None:
    write(tmp_path, {"script.py": BAD})
    args = ["check", "--no-cache", "--format", "json", "--stdin-filename", "script.py", "-"]
    clean = preplint(args, tmp_path, stdin=GOOD.encode())
    assert clean.returncode == 0 and json.loads(clean.stdout)["diagnostics"] == []
    dirty = preplint(args, tmp_path, stdin=BAD.encode())
    assert dirty.returncode == 1
    assert [d["path"] for d in json.loads(dirty.stdout)["diagnostics"]] == ["script.py"]


def test_stdin_for_a_file_not_yet_on_disk(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "keras_project", tmp_path / "proj")
    (tmp_path / "proj" / "predict.py").rename(tmp_path / "proj" / "other.py")
    data = (FIXTURES / "keras_project" / "predict.py").read_bytes()
    result = preplint(
        ["check", "--format", "json", "--stdin-filename", "proj/new_predict.py", "-"],
        tmp_path,
        stdin=data,
    )
    doc = json.loads(result.stdout)
    assert result.returncode == 1
    assert {d["path"] for d in doc["diagnostics"]} == {"proj/new_predict.py"}
    assert "proj/train.py" in {r["path"] for d in doc["diagnostics"] for r in d["related"]}


def test_stdin_writes_nothing(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    shutil.copytree(FIXTURES / "keras_project", project)
    write(project, {"pyproject.toml": "[tool.preplint]\nignore = []\n"})
    before = snapshot(tmp_path)
    data = (project / "predict.py").read_bytes()
    result = preplint(["check", "--stdin-filename", "predict.py", "-"], project, stdin=data)
    assert result.returncode == 1
    assert snapshot(tmp_path) == before
    # The same run on the file fills the cache beside pyproject.toml: the check above can fail.
    preplint(["check", "predict.py"], project)
    assert (project / ".preplint_cache").is_dir()


def test_stdin_takes_config_from_around_its_path(tmp_path: Path) -> None:
    write(tmp_path, {"proj/pyproject.toml": '[tool.preplint]\nignore = ["SAFE"]\n'})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    args = ["check", "--no-cache", "--format", "json", "--stdin-filename"]
    inside = preplint([*args, "../proj/script.py", "-"], elsewhere, stdin=BAD.encode())
    outside = preplint([*args, "script.py", "-"], elsewhere, stdin=BAD.encode())
    assert inside.returncode == 0, inside.stderr
    assert json.loads(inside.stdout)["diagnostics"] == []
    assert outside.returncode == 1
    assert json.loads(outside.stdout)["diagnostics"][0]["code"].startswith("SAFE")


def test_stdin_notebook(tmp_path: Path) -> None:
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": ["# title"]},
        {"cell_type": "code", "metadata": {}, "outputs": [], "source": BAD.splitlines(True)},
    ]
    document = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "nb.ipynb").write_text(json.dumps(document), encoding="utf-8")
    on_disk = preplint(["check", "--no-cache", "--format", "json", "nb.ipynb"], tmp_path)
    buffer = preplint(
        ["check", "--format", "json", "--stdin-filename", "nb.ipynb", "-"],
        tmp_path,
        stdin=(tmp_path / "nb.ipynb").read_bytes(),
    )
    assert on_disk.returncode == 1
    assert buffer.stdout == on_disk.stdout
    assert "cell" in json.loads(buffer.stdout)["diagnostics"][0]


def test_stdin_filename_without_paths_reads_stdin(tmp_path: Path) -> None:
    result = preplint(
        ["check", "--no-cache", "--stdin-filename", "buffer.py"], tmp_path, stdin=BAD.encode()
    )
    assert result.returncode == 1
    assert b"buffer.py:2" in result.stdout


def test_dash_without_a_filename_lints_stdin(tmp_path: Path) -> None:
    result = preplint(["check", "--no-cache", "-"], tmp_path, stdin=BAD.encode())
    assert result.returncode == 1
    assert b"stdin.py:2" in result.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["check", "-", "other.py"], b"cannot be mixed"),
        (["check", "--stdin-filename", "a.py", "other.py"], b"needs `-`"),
        (["check", "--fix", "--stdin-filename", "a.py", "-"], b"not on stdin"),
        (["check", "--stdin-filename", "notes.txt", "-"], b"not a Python file"),
    ],
)
def test_stdin_usage_errors(tmp_path: Path, args: list[str], needle: bytes) -> None:
    write(tmp_path, {"other.py": BAD})
    result = preplint(args, tmp_path, stdin=BAD.encode())
    assert result.returncode == 2
    assert needle in result.stderr
    assert result.stdout == b""


# --- paths that cannot be linted ----------------------------------------------------------------


def _make_unlintable(tmp_path: Path, kind: str) -> str:
    if kind == "txt":
        write(tmp_path, {"notes.txt": BAD})
        return "notes.txt"
    if kind == "pyw":
        write(tmp_path, {"x.pyw": BAD})
        return "x.pyw"
    if kind == "dangling":
        (tmp_path / "gone.py").symlink_to(tmp_path / "missing.py")
        return "gone.py"
    if kind == "fifo":
        os.mkfifo(tmp_path / "pipe.py")
        return "pipe.py"
    if kind == "device":
        return "/dev/null"
    assert kind == "stdin"
    return "/dev/stdin"


@pytest.mark.parametrize("kind", ["txt", "pyw", "dangling", "fifo", "device", "stdin"])
def test_unlintable_path_named_explicitly_is_an_error(tmp_path: Path, kind: str) -> None:
    name = _make_unlintable(tmp_path, kind)
    result = preplint(["check", "--no-cache", name], tmp_path, stdin=BAD.encode())
    assert result.returncode == 2
    assert result.stderr.startswith(f"preplint: error: {name}: ".encode())
    assert b"All checks passed" not in result.stdout


def test_unlintable_path_beside_good_ones_still_lints_them(tmp_path: Path) -> None:
    write(tmp_path, {"bad.py": BAD, "notes.txt": "hello\n"})
    result = preplint(["check", "--no-cache", "--format", "json", "bad.py", "notes.txt"], tmp_path)
    assert result.returncode == 2
    assert b"notes.txt" in result.stderr
    doc = json.loads(result.stdout)
    assert [d["path"] for d in doc["diagnostics"]] == ["bad.py"]


@pytest.mark.parametrize("name", ["script.py", "script", "linked.py"])
def test_lintable_files_named_explicitly_still_pass(tmp_path: Path, name: str) -> None:
    write(tmp_path, {"script.py": GOOD, "script": GOOD})
    (tmp_path / "linked.py").symlink_to(tmp_path / "script.py")
    result = preplint(["check", "--no-cache", name], tmp_path)
    assert result.returncode == 0, result.stderr
    assert b"All checks passed" in result.stdout


def test_unlintable_files_inside_a_folder_are_skipped_quietly(tmp_path: Path) -> None:
    write(tmp_path, {"src/a.py": GOOD, "src/notes.txt": "x\n"})
    (tmp_path / "src" / "gone.txt").symlink_to(tmp_path / "missing")
    result = preplint(["check", "--no-cache", "src"], tmp_path)
    assert result.returncode == 0
    assert result.stderr == b""
