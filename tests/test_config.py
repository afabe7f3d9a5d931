"""Config resolved per file, as ruff resolves it; config files that cannot be read are errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from preplint.config import ConfigTree, Overrides, config_from_table, read_toml
from preplint.errors import ConfigError
from tests.test_cli import BAD, run, write

SPLIT = """\
from sklearn.model_selection import train_test_split
X = [1, 2, 3, 4]
a, b = train_test_split(X)
"""


def _two_projects(root: Path) -> None:
    write(
        root,
        {
            "a/pyproject.toml": '[tool.preplint]\nignore = ["SAFE"]\n',
            "a/x.py": BAD,
            "b/pyproject.toml": '[tool.preplint]\nignore = ["SEED"]\n',
            "b/x.py": BAD,
        },
    )


def test_each_file_uses_the_config_nearest_to_it(tmp_path: Path) -> None:
    _two_projects(tmp_path)
    code, out, err = run(["check", "--no-cache", "a", "b"], tmp_path)
    assert code == 1, err
    assert "b/x.py:2:9: SAFE001" in out
    assert "a/x.py" not in out  # a's config ignores SAFE; b's does not


def test_the_order_of_paths_never_changes_the_result(tmp_path: Path) -> None:
    _two_projects(tmp_path)
    forward = run(["check", "--no-cache", "a/x.py", "b/x.py"], tmp_path)
    backward = run(["check", "--no-cache", "b/x.py", "a/x.py"], tmp_path)
    assert forward == backward
    assert "b/x.py:2:9: SAFE001" in forward[1] and "a/x.py" not in forward[1]


def test_a_nested_config_replaces_its_parents_and_preplint_toml_counts(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": '[tool.preplint]\nignore = ["SAFE"]\n',
            "top.py": BAD,
            "sub/preplint.toml": 'select = ["ALL"]\n',
            "sub/x.py": BAD,
            # A pyproject.toml without [tool.preplint] is passed over: sub/ still governs.
            "sub/inner/pyproject.toml": '[project]\nname = "inner"\n',
            "sub/inner/y.py": BAD,
        },
    )
    code, out, _ = run(["check", "--no-cache", "."], tmp_path)
    assert code == 1
    assert "top.py" not in out
    assert "sub/x.py:2:9: SAFE001" in out
    assert "sub/inner/y.py:2:9: SAFE001" in out


def test_config_option_overrides_every_config_file(tmp_path: Path) -> None:
    _two_projects(tmp_path)
    write(tmp_path, {"all.toml": 'ignore = ["SAFE"]\n'})
    code, out, _ = run(["check", "--no-cache", "--config", "all.toml", "a", "b"], tmp_path)
    assert code == 0, out
    assert "SAFE001" not in out


def test_fail_on_is_the_one_of_each_files_config(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "strict/pyproject.toml": '[tool.preplint]\nfail-on = "warning"\n',
            "strict/x.py": BAD,
            "lax/pyproject.toml": '[tool.preplint]\nfail-on = "error"\n',
            "lax/x.py": BAD,
        },
    )
    assert run(["check", "--no-cache", "lax"], tmp_path)[0] == 0
    assert run(["check", "--no-cache", "lax", "strict"], tmp_path)[0] == 1
    assert run(["check", "--no-cache", "strict", "lax"], tmp_path)[0] == 1


@pytest.mark.parametrize(
    ("content", "where"),
    [
        (b'[tool.preplint]\nignore = ["SAFE"\n', ":2"),  # invalid TOML
        (b'[tool.preplint]\nignore = ["SAFE"]\nignore = ["PRE"]\n', ":3"),  # duplicate key
        (b'[tool.preplint]\n# caf\xe9\nignore = ["SAFE"]\n', ":2:6"),  # bad UTF-8
    ],
)
def test_a_config_file_that_cannot_be_parsed_is_an_error_naming_file_and_line(
    tmp_path: Path, content: bytes, where: str
) -> None:
    write(tmp_path, {"pyproject.toml": content, "x.py": BAD})
    code, out, err = run(["check", "--no-cache", "x.py"], tmp_path)
    assert code == 2, out
    assert f"pyproject.toml{where}" in err
    assert "Traceback" not in err


def test_a_broken_config_file_above_the_nearest_one_is_not_read(tmp_path: Path) -> None:
    # The walk stops at the first config: a broken file further up does not matter.
    write(
        tmp_path,
        {
            "pyproject.toml": b"[tool.preplint\n",
            "proj/preplint.toml": b"",
            "proj/x.py": BAD,
        },
    )
    code, out, err = run(["check", "--no-cache", "proj"], tmp_path)
    assert code == 1, err
    assert "SAFE001" in out


def test_a_broken_pyproject_on_the_way_up_is_reported(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": b"[tool.preplint\n", "sub/x.py": BAD})
    code, _, err = run(["check", "--no-cache", "sub"], tmp_path)
    assert code == 2
    assert "pyproject.toml:1" in err


def test_read_toml_names_line_and_column() -> None:
    with pytest.raises(ConfigError, match=r"bad\.toml:1:5"):
        read_toml_text(b"a = \n", "bad.toml")


def read_toml_text(data: bytes, name: str) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, name)
        path.write_bytes(data)
        read_toml(path)


@pytest.mark.parametrize(
    "args", [["--select", ""], ["--select", " , "], ["--config", "empty.toml"]]
)
def test_an_empty_selection_is_a_usage_error(tmp_path: Path, args: list[str]) -> None:
    write(tmp_path, {"x.py": BAD, "empty.toml": "select = []\n"})
    code, out, err = run(["check", "--no-cache", *args, "x.py"], tmp_path)
    assert code == 2, out
    assert "select" in err and "empty" in err
    assert "All checks passed" not in out


def test_a_selection_with_codes_still_runs(tmp_path: Path) -> None:
    write(tmp_path, {"x.py": BAD})
    code, out, _ = run(["check", "--no-cache", "--select", "SAFE", "x.py"], tmp_path)
    assert code == 1 and "SAFE001" in out


def test_extend_ignore_and_extend_select(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": '[tool.preplint]\nignore = ["PRE"]\nextend-ignore = ["SEED"]\n',
            "x.py": BAD + SPLIT,
        },
    )
    code, out, _ = run(["check", "--no-cache", "x.py"], tmp_path)
    assert "SEED003" not in out and "SAFE001" in out
    write(tmp_path, {"pyproject.toml": '[tool.preplint]\nselect = ["PRE"]\n'})
    _, out, _ = run(["check", "--no-cache", "--extend-select", "SEED", "x.py"], tmp_path)
    assert "SEED003" in out and "SAFE001" not in out


def test_config_keys_are_validated() -> None:
    table = {"extend-ignore": ["SEED"], "extend-exclude": ["gen"], "force-exclude": True}
    config = config_from_table(table, Path("pyproject.toml"))
    assert config.ignore == ("SEED",) and config.exclude == ("gen",) and config.force_exclude
    for bad in ({"force-exclude": "yes"}, {"respect-gitignore": 1}, {"extend-exclude": "gen"}):
        with pytest.raises(ConfigError):
            config_from_table(bad, Path("pyproject.toml"))


def test_cache_goes_to_the_project_root(tmp_path: Path) -> None:
    # No [tool.preplint] anywhere: the project root is the folder with pyproject.toml.
    write(tmp_path, {"pyproject.toml": '[project]\nname = "p"\n', "src/x.py": BAD})
    run(["check", "."], tmp_path / "src")
    assert (tmp_path / ".preplint_cache").is_dir()
    assert not (tmp_path / "src" / ".preplint_cache").exists()


def test_clean_removes_the_cache(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": "[tool.preplint]\n", "x.py": BAD})
    run(["check", "x.py"], tmp_path)
    assert (tmp_path / ".preplint_cache").is_dir()
    code, _, err = run(["clean"], tmp_path)
    assert code == 0, err
    assert not (tmp_path / ".preplint_cache").exists()
    assert run(["clean"], tmp_path)[0] == 0  # nothing left: still fine


def test_clean_refuses_a_folder_preplint_did_not_write(tmp_path: Path) -> None:
    write(tmp_path, {"data/keep.txt": "precious"})
    code, _, err = run(["clean", "--cache-dir", "data"], tmp_path)
    assert code == 2 and "not removed" in err
    assert (tmp_path / "data" / "keep.txt").exists()


def test_config_tree_resolves_folders_once_and_by_place(tmp_path: Path) -> None:
    _two_projects(tmp_path)
    tree = ConfigTree.build([str(tmp_path)], overrides=Overrides(ignore=("PRE",)))
    a = tree.for_path(tmp_path / "a" / "x.py")
    b = tree.for_path(tmp_path / "b" / "x.py")
    assert a.ignore == ("SAFE", "PRE") and b.ignore == ("SEED", "PRE")
    assert tree.selects("SAFE001", str(tmp_path / "b" / "x.py"))
    assert not tree.selects("SAFE001", str(tmp_path / "a" / "x.py"))
    assert tree.selects("SAFE001")  # some config runs it


def test_preplint_toml_may_use_a_tool_table(tmp_path: Path) -> None:
    write(
        tmp_path,
        {"preplint.toml": '[tool.preplint]\nignore = ["SAFE"]\n', "x.py": BAD + SPLIT},
    )
    code, out, _ = run(["check", "--no-cache", "x.py"], tmp_path)
    assert "SAFE001" not in out and "SEED003" in out


def test_preplint_toml_wins_over_pyproject_in_the_same_folder(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "preplint.toml": 'ignore = ["SEED"]\n',
            "pyproject.toml": '[tool.preplint]\nignore = ["SAFE"]\n',
            "x.py": BAD + SPLIT,
        },
    )
    _, out, _ = run(["check", "--no-cache", "x.py"], tmp_path)
    assert "SAFE001" in out and "SEED003" not in out
