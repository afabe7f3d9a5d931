"""The preview tier: rules and rule parts below the field precision bar run only when asked."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from preplint import rules as registry
from preplint.cli import main
from preplint.config import Config, ConfigError, load_config
from preplint.docs import rule_markdown, rules_table
from preplint.engine import lint_sources

UNSAFE_LOAD = "import torch\nstate = torch.load('model.pt')\n"


@pytest.fixture
def safe001_in_preview(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    rule = registry.get_rule("SAFE001")
    assert rule is not None
    monkeypatch.setitem(registry._REGISTRY, "SAFE001", dataclasses.replace(rule, preview=True))
    yield


@pytest.fixture
def safe001_part_in_preview(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    rule = registry.get_rule("SAFE001")
    assert rule is not None
    check = rule.check

    def partly_preview(facts, index):  # type: ignore[no-untyped-def]
        return [dataclasses.replace(f, preview=True) for f in check(facts, index)]

    monkeypatch.setitem(
        registry._REGISTRY, "SAFE001", dataclasses.replace(rule, check=partly_preview)
    )
    yield


def codes(config: Config | None = None) -> list[str]:
    return [d.code for d in lint_sources({"load.py": UNSAFE_LOAD}, config).diagnostics]


def test_a_default_rule_fires_without_preview() -> None:
    assert codes() == ["SAFE001"]
    assert not lint_sources({"load.py": UNSAFE_LOAD}).diagnostics[0].preview


@pytest.mark.usefixtures("safe001_in_preview")
def test_a_preview_rule_runs_only_with_preview() -> None:
    assert codes() == []
    assert codes(Config(preview=True)) == ["SAFE001"]
    (found,) = lint_sources({"load.py": UNSAFE_LOAD}, Config(preview=True)).diagnostics
    assert found.preview
    assert found.to_json()["preview"] is True


@pytest.mark.usefixtures("safe001_part_in_preview")
def test_a_preview_part_of_a_default_rule_is_hidden_without_preview() -> None:
    assert codes() == []
    assert codes(Config(preview=True)) == ["SAFE001"]


def test_preview_is_absent_from_json_of_default_findings() -> None:
    (found,) = lint_sources({"load.py": UNSAFE_LOAD}).diagnostics
    assert "preview" not in found.to_json()


@pytest.mark.usefixtures("safe001_in_preview")
def test_cli_preview_flag_and_config_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "load.py").write_text(UNSAFE_LOAD)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    quiet = runner.invoke(main, ["check", "--no-cache", "--format", "json", "load.py"])
    assert quiet.exit_code == 0, quiet.output
    assert json.loads(quiet.stdout)["diagnostics"] == []
    loud = runner.invoke(main, ["check", "--no-cache", "--format", "json", "--preview", "load.py"])
    assert loud.exit_code == 1, loud.output
    assert [d["code"] for d in json.loads(loud.stdout)["diagnostics"]] == ["SAFE001"]
    (tmp_path / "pyproject.toml").write_text("[tool.preplint]\npreview = true\n")
    configured = runner.invoke(main, ["check", "--no-cache", "--format", "json", "load.py"])
    assert [d["code"] for d in json.loads(configured.stdout)["diagnostics"]] == ["SAFE001"]


def test_preview_config_value_must_be_a_boolean(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text('[tool.preplint]\npreview = "yes"\n')
    with pytest.raises(ConfigError, match="preview"):
        load_config(path)
    path.write_text("[tool.preplint]\npreview = true\n")
    assert load_config(path).preview


@pytest.mark.usefixtures("safe001_in_preview")
def test_docs_mark_a_preview_rule() -> None:
    rule = registry.get_rule("SAFE001")
    assert rule is not None
    assert "Preview:** yes" in rule_markdown(rule)
    assert "Preview: yes" in rule.markdown
    assert "warning (preview)" in rules_table()
    listing = CliRunner().invoke(main, ["rule"])
    assert "SAFE001 | torch-load-unsafe | warning (preview)" in listing.output
