"""The README's "See it confirm" output is what the demo artifacts really give, verbatim."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent


def _shown() -> tuple[str, str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("<!-- confirm-output:start -->")
    end = readme.index("<!-- confirm-output:end -->")
    block = readme[start:end].split("```\n", 1)[1].rsplit("```", 1)[0]
    command, output = block.split("\n", 1)
    assert command.startswith("$ preplint check --confirm ")
    return command[2:], output


def test_readme_confirm_output_is_current(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("keras")
    command, shown = _shown()
    fixtures = tmp_path / "fixtures"
    for project in ("torch_project", "keras_project"):
        shutil.copytree(
            ROOT / "fixtures" / project,
            fixtures / project,
            ignore=shutil.ignore_patterns("artifacts", "__pycache__"),
        )
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    demo = subprocess.run(
        [sys.executable, "-m", "preplint.confirm.demo", "fixtures"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
    )
    assert demo.returncode == 0, demo.stderr[-2000:]
    assert "built fixtures/torch_project/artifacts/tabular_net.pt" in demo.stdout
    assert "built fixtures/keras_project/artifacts/house_prices.keras" in demo.stdout
    proc = subprocess.run(
        [sys.executable, "-m", "preplint", *command.split()[1:], "--no-cache"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
    )
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert shown == proc.stdout, "README confirm output is stale: paste the command's output"


def test_demo_refuses_a_folder_without_the_projects(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "preplint.confirm.demo", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "expected the example projects torch_project/ and keras_project/" in proc.stdout
    assert not (tmp_path / "torch_project").exists()
