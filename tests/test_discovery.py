"""Which files a run lints: gitignore-style patterns, .gitignore, force-exclude."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from preplint.config import ConfigTree, config_from_table
from preplint.discovery import discover
from tests.test_cli import BAD, run, write


def _git_init(root: Path) -> None:
    if shutil.which("git") is not None:
        subprocess.run(["git", "init", "-q"], cwd=root, check=True, capture_output=True)
    else:  # pragma: no cover - a .git folder is all preplint looks for
        (root / ".git").mkdir()


def _linted(root: Path, *args: str) -> set[str]:
    code, out, err = run(["check", "--no-cache", "--select", "SAFE", *args], root)
    assert code in (0, 1), err
    return {line.split(":", 1)[0] for line in out.splitlines() if ": SAFE001" in line}


def test_double_star_matches_a_top_level_file(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": '[tool.preplint]\nexclude = ["**/test_*.py"]\n',
            "test_x.py": BAD,
            "pkg/test_y.py": BAD,
            "pkg/model.py": BAD,
        },
    )
    assert _linted(tmp_path, ".") == {"pkg/model.py"}


def test_single_star_does_not_cross_folders(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": '[tool.preplint]\nexclude = ["scripts/*.py"]\n',
            "scripts/a.py": BAD,
            "scripts/sub/a.py": BAD,
        },
    )
    assert _linted(tmp_path, ".") == {"scripts/sub/a.py"}


def test_leading_slash_anchors_to_the_config_folder(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": '[tool.preplint]\nexclude = ["/gen"]\n',
            "gen/a.py": BAD,
            "pkg/gen/a.py": BAD,
        },
    )
    assert _linted(tmp_path, ".") == {"pkg/gen/a.py"}


def test_per_file_ignores_use_the_same_patterns(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": (
                "[tool.preplint.per-file-ignores]\n"
                '"**/test_*.py" = ["SAFE"]\n'
                '"/build/**" = ["SAFE"]\n'
                '"scripts/*.py" = ["SAFE"]\n'
            ),
            "test_x.py": BAD,
            "build/a.py": BAD,
            "pkg/build/a.py": BAD,
            "scripts/a.py": BAD,
            "scripts/sub/a.py": BAD,
        },
    )
    # build/ is excluded from walks by default: name the files.
    named = ["test_x.py", "build/a.py", "pkg/build/a.py", "scripts/a.py", "scripts/sub/a.py"]
    assert _linted(tmp_path, *named) == {"pkg/build/a.py", "scripts/sub/a.py"}


def test_gitignore_is_respected_in_a_git_repository(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            ".gitignore": "checkpoints/\n*_generated.py\n!keep_generated.py\n",
            "checkpoints/run1/train.py": BAD,
            "model_generated.py": BAD,
            "keep_generated.py": BAD,
            "sub/.gitignore": "local.py\n",
            "sub/local.py": BAD,
            "sub/train.py": BAD,
        },
    )
    _git_init(tmp_path)
    assert _linted(tmp_path, ".") == {"keep_generated.py", "sub/train.py"}
    everything = _linted(tmp_path, "--no-respect-gitignore", ".")
    assert "checkpoints/run1/train.py" in everything and "sub/local.py" in everything


def test_respect_gitignore_can_be_turned_off_in_config(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": "[tool.preplint]\nrespect-gitignore = false\n",
            ".gitignore": "gen.py\n",
            "gen.py": BAD,
        },
    )
    _git_init(tmp_path)
    assert _linted(tmp_path, ".") == {"gen.py"}


def test_gitignore_outside_a_git_repository_is_not_read(tmp_path: Path) -> None:
    write(tmp_path, {".gitignore": "gen.py\n", "gen.py": BAD})
    assert _linted(tmp_path, ".") == {"gen.py"}


def test_force_exclude_applies_excludes_to_named_files(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": '[tool.preplint]\nexclude = ["legacy"]\n',
            "legacy/old.py": BAD,
            "new.py": BAD,
            ".gitignore": "scratch.py\n",
            "scratch.py": BAD,
        },
    )
    _git_init(tmp_path)
    files = ["legacy/old.py", "new.py", "scratch.py"]
    # Named files are linted as asked ...
    assert _linted(tmp_path, *files) == {"legacy/old.py", "new.py", "scratch.py"}
    # ... unless force-exclude is on, as the pre-commit hook sets it.
    assert _linted(tmp_path, "--force-exclude", *files) == {"new.py"}
    write(
        tmp_path,
        {"pyproject.toml": '[tool.preplint]\nexclude = ["legacy"]\nforce-exclude = true\n'},
    )
    assert _linted(tmp_path, *files) == {"new.py"}
    assert _linted(tmp_path, "--no-force-exclude", *files) == set(files)


def test_everything_excluded_is_a_clean_run(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": '[tool.preplint]\nexclude = ["*.py"]\n', "a.py": BAD})
    code, out, _ = run(["check", "--no-cache", "--force-exclude", "a.py"], tmp_path)
    assert code == 0 and "0 files" in out


def test_nested_config_excludes_are_relative_to_their_own_folder(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": '[tool.preplint]\nexclude = ["/skip"]\n',
            "skip/a.py": BAD,
            "sub/pyproject.toml": '[tool.preplint]\nexclude = ["/skip"]\n',
            "sub/skip/a.py": BAD,
            "sub/keep/skip/a.py": BAD,
        },
    )
    assert _linted(tmp_path, ".") == {"sub/keep/skip/a.py"}


def test_discover_with_a_plain_config_still_works(tmp_path: Path) -> None:
    write(tmp_path, {"a.py": BAD, "build/b.py": BAD, "x/c.py": BAD})
    config = config_from_table({"exclude": ["x/"]}, tmp_path / "pyproject.toml")
    found = discover([str(tmp_path)], config)
    assert [p.name for p in found] == ["a.py"]
    tree = ConfigTree.build([str(tmp_path)])
    assert sorted(p.name for p in discover([str(tmp_path)], tree)) == ["a.py", "c.py"]


@pytest.mark.parametrize("pattern", ["x", "x/", "/x", "**/x"])
def test_folder_patterns_exclude_what_is_inside(tmp_path: Path, pattern: str) -> None:
    write(tmp_path, {"x/deep/a.py": BAD, "y/a.py": BAD})
    config = config_from_table({"exclude": [pattern]}, tmp_path / "pyproject.toml")
    assert config.excluded(tmp_path / "x" / "deep" / "a.py")
    assert not config.excluded(tmp_path / "y" / "a.py")


def test_git_info_exclude_is_respected(tmp_path: Path) -> None:
    write(tmp_path, {"local_only.py": BAD, "shared.py": BAD})
    _git_init(tmp_path)
    info = tmp_path / ".git" / "info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "exclude").write_text("local_only.py\n", encoding="utf-8")
    assert _linted(tmp_path, ".") == {"shared.py"}
