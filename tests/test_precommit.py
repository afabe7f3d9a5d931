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


def _readme_local_hook() -> str:
    """The `repo: local` snippet of the README's pre-commit section, as written there."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## pre-commit", 1)[1].split("\n## ", 1)[0]
    blocks = [b.split("```", 1)[0] for b in section.split("```yaml\n")[1:]]
    (local,) = [b for b in blocks if "repo: local" in b]
    return local


def test_readme_names_no_remote_tag_that_does_not_exist() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## pre-commit", 1)[1].split("\n## ", 1)[0]
    tags = subprocess.run(
        ["git", "tag", "--list"], cwd=REPO, capture_output=True, text=True
    ).stdout.split()
    for line in section.splitlines():
        if line.strip().startswith("rev:"):
            assert line.split(":", 1)[1].strip() in tags, line


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
@pytest.mark.skipif(shutil.which("preplint") is None, reason="needs preplint installed")
def test_readme_local_hook_works_as_written(tmp_path: Path) -> None:
    pytest.importorskip("pre_commit")
    import os

    project = tmp_path / "project"
    project.mkdir()
    _git(project, "init", "-q")
    (project / ".pre-commit-config.yaml").write_text(_readme_local_hook(), encoding="utf-8")
    (project / "pyproject.toml").write_text('[tool.preplint]\nexclude = ["legacy"]\n')
    (project / "good.py").write_text(
        'import torch\nstate = torch.load("m.pt", weights_only=True)\n'
    )
    (project / "bad.py").write_text('import torch\nstate = torch.load("m.pt")\n')
    (project / "legacy").mkdir()
    (project / "legacy" / "old.py").write_text('import torch\nstate = torch.load("m.pt")\n')
    _git(project, "add", ".")
    env = dict(os.environ)
    env.update(PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"), HOME=str(tmp_path))

    def run_hook(*files: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pre_commit", "run", "preplint", "--files", *files],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )

    good = run_hook("good.py", "legacy/old.py")  # excluded even though pre-commit names it
    assert good.returncode == 0, good.stdout + good.stderr
    assert "Passed" in good.stdout and "legacy/old.py" not in good.stdout
    bad = run_hook("bad.py")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "bad.py:2:9: SAFE001" in bad.stdout
