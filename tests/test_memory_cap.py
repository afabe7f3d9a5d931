"""PREPLINT_KEEP_LOADED: a run over many files that holds only a few files' facts at once.

Facts wait on disk (`FactsStore`) and the index lets them go between two files' analyses,
with every per-file analysis answer; the output must be the one a run holding everything gives.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import preplint.pipeline.store as store_module
from tests.test_cli import run

ROOT = Path(__file__).resolve().parent.parent


def _tree(tmp_path: Path) -> Path:
    for name in ("fixtures", "tests/corpus"):
        shutil.copytree(ROOT / name, tmp_path / name)
    return tmp_path


def _check(tmp_path: Path) -> tuple[int, str]:
    code, out, err = run(["check", "--no-cache", "--format", "json", "."], tmp_path)
    assert "Traceback" not in err
    return code, out


@pytest.mark.parametrize("keep", ["1", "3", "40"])
def test_capped_run_gives_the_output_of_a_full_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, keep: str
) -> None:
    # Guards: letting facts go while a memoised answer still points at them (an `is` test
    # between a reloaded file and the old one), or a project-wide answer lost with them.
    tree = _tree(tmp_path)
    monkeypatch.delenv("PREPLINT_KEEP_LOADED", raising=False)
    expected = _check(tree)
    assert expected[0] == 1 and '"code"' in expected[1]
    monkeypatch.setenv("PREPLINT_KEEP_LOADED", keep)
    assert _check(tree) == expected


def test_capped_run_lets_facts_go_and_loads_them_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Guards: a cap that is never applied (every file loaded once and kept).
    tree = _tree(tmp_path)
    loads: list[str] = []
    real = store_module.FactsStore.load

    def counting(self: store_module.FactsStore, path: str) -> object:
        loads.append(path)
        return real(self, path)

    monkeypatch.setattr(store_module.FactsStore, "load", counting)
    monkeypatch.setenv("PREPLINT_KEEP_LOADED", "1")
    _check(tree)
    capped = len(loads)
    stored = len(set(loads))
    assert stored > 50
    assert capped > stored  # files were let go and read back
    # Without the cap nothing goes through the store at all.
    loads.clear()
    monkeypatch.delenv("PREPLINT_KEEP_LOADED")
    _check(tree)
    assert loads == []


def test_a_bad_cap_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree = _tree(tmp_path)
    expected = _check(tree)
    monkeypatch.setenv("PREPLINT_KEEP_LOADED", "many")
    assert _check(tree) == expected


def test_the_store_folder_is_removed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree = _tree(tmp_path)
    made: list[Path] = []
    real = store_module.FactsStore.__init__

    def remember(self: store_module.FactsStore) -> None:
        real(self)
        made.append(self.folder)

    monkeypatch.setattr(store_module.FactsStore, "__init__", remember)
    monkeypatch.setenv("PREPLINT_KEEP_LOADED", "5")
    _check(tree)
    assert made and not any(folder.exists() for folder in made)
