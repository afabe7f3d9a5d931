"""The pre-commit hook, run through the real pre-commit tool on a temporary repository."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_hook_fails_on_a_bad_file_and_passes_on_a_good_one(tmp_path: Path) -> None:
    pytest.importorskip("pre_commit")
    project = tmp_path / "project"
    project.mkdir()
    _git(project, "init", "-q")
    (project / "good.py").write_text(
        'import torch\nstate = torch.load("m.pt", weights_only=True)\n'
    )
    (project / "bad.py").write_text('import torch\nstate = torch.load("m.pt")\n')
    _git(project, "add", ".")
    env = {
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
    }
    import os

    env["PATH"] = os.environ.get("PATH", env["PATH"])

    def try_repo(*files: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "pre_commit",
                "try-repo",
                str(REPO),
                "preplint",
                "--files",
                *files,
            ],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )

    good = try_repo("good.py")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "Passed" in good.stdout
    bad = try_repo("bad.py")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "bad.py:2:9: SAFE001" in bad.stdout
