"""Reading, without importing, how a project builds the module whose state_dict it saves."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from preplint.config import config_from_table
from preplint.confirm.probes import not_an_artifact
from preplint.confirm.project import find_recipes
from preplint.confirm.registration import find_class_module
from preplint.confirm.verdicts import version_evidence
from preplint.errors import ConfigError

MODEL = """
from torch import nn

class Net(nn.Module):
    def __init__(self, n_in, hidden=8, p=0.5):
        super().__init__()
"""


def project(tmp_path: Path, train: str, **extra: str) -> Path:
    (tmp_path / "model.py").write_text(MODEL)
    (tmp_path / "train.py").write_text(train)
    for name, text in extra.items():
        (tmp_path / name).write_text(text)
    return tmp_path


def recipes(folder: Path, artifact: str = "artifacts/net.pt") -> list[dict]:
    return [r.to_json() for r in find_recipes(artifact, folder / artifact, [folder])]


def test_literal_arguments_at_the_save_site(tmp_path: Path) -> None:
    folder = project(
        tmp_path,
        "import torch\nfrom model import Net\nPATH = 'artifacts/net.pt'\n"
        "def main():\n    model = Net(4, hidden=16).to('cpu')\n"
        "    torch.save(model.state_dict(), PATH)\n",
    )
    [found] = recipes(folder)
    assert (found["module"], found["class"], found["site"]) == ("model", "Net", "train.py:5")
    assert found["args"] == [4] and found["kwargs"] == {"hidden": 16}
    assert found["unknown"] == [] and found["root"] == str(folder.absolute())


def test_star_kwargs_from_a_constant_dict_and_an_imported_constant(tmp_path: Path) -> None:
    folder = project(
        tmp_path,
        "import torch\nimport model as m\nfrom settings import CFG, OUT\n"
        "net = m.Net(**CFG, p=0.1)\ntorch.save({'state_dict': net.state_dict()}, OUT)\n",
        **{"settings.py": "CFG = {'n_in': 3, 'hidden': 5}\nOUT = 'artifacts/net.pt'\n"},
    )
    [found] = recipes(folder)
    assert found["kwargs"] == {"n_in": 3, "hidden": 5, "p": 0.1}
    assert found["module"] == "model" and found["class"] == "Net"


def test_non_literal_arguments_are_named_and_configs_next_to_the_weights_listed(
    tmp_path: Path,
) -> None:
    folder = project(
        tmp_path,
        "import torch, sys\nfrom model import Net\n"
        "def main(cfg, width):\n    model = Net(cfg['n'], hidden=width, **cfg)\n"
        "    torch.save(model.state_dict(), 'artifacts/net.pt')\n",
    )
    (folder / "artifacts").mkdir()
    (folder / "artifacts" / "net.json").write_text("{}")
    [found] = recipes(folder)
    assert [u["text"] for u in found["unknown"]] == ["cfg['n']", "width", "**cfg"]
    assert [u["kind"] for u in found["unknown"]] == ["positional", "keyword", "star"]
    assert found["config_files"] == [str(folder / "artifacts" / "net.json")]


def test_save_sites_come_before_load_sites_and_known_arguments_first(tmp_path: Path) -> None:
    folder = project(
        tmp_path,
        "import torch\nfrom model import Net\nmodel = Net(2)\n"
        "torch.save(model.state_dict(), 'out/net.pt')\n",
        **{
            "predict.py": "import json, torch\nfrom model import Net\n"
            "model = Net(**json.load(open('c.json')))\n"
            "model.load_state_dict(torch.load('out/net.pt', weights_only=True))\n"
        },
    )
    found = recipes(folder, "out/net.pt")
    assert [r["site"] for r in found] == ["train.py:3", "predict.py:3"]
    assert found[1]["unknown"] == [{"kind": "star", "text": "**json.load(open('c.json'))"}]


def test_no_recipe_for_another_path_a_whole_model_or_a_library_class(tmp_path: Path) -> None:
    folder = project(
        tmp_path,
        "import torch, torchvision\nfrom model import Net\n"
        "a = Net(1)\ntorch.save(a.state_dict(), 'artifacts/other.pt')\n"
        "b = Net(1)\ntorch.save(b, 'artifacts/net.pt')\n"
        "c = torchvision.models.resnet18()\ntorch.save(c.state_dict(), 'artifacts/net.pt')\n",
    )
    assert recipes(folder) == []


def test_class_defined_in_the_saving_script(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text(
        MODEL + "\nnet = Net(7)\nimport torch\ntorch.save(net.state_dict(), 'w.pt')\n"
    )
    [found] = recipes(tmp_path, "w.pt")
    assert (found["module"], found["class"], found["args"]) == ("train", "Net", [7])


def test_class_module_for_keras_custom_objects(tmp_path: Path) -> None:
    (tmp_path / "layers.py").write_text("class Cross:\n    pass\n")
    (tmp_path / "other.py").write_text("# class Cross is in layers\n")
    assert find_class_module("Cross", "__main__", [str(tmp_path)]) == "layers"
    assert find_class_module("Cross", None, [str(tmp_path)]) == "layers"
    assert find_class_module("Cross", "layers", [str(tmp_path)]) == "layers"
    assert find_class_module("Cross", "pkg.missing", [str(tmp_path)]) is None
    assert find_class_module("Other", None, [str(tmp_path)]) is None


def test_import_project_config_key(tmp_path: Path) -> None:
    where = tmp_path / "pyproject.toml"
    assert config_from_table({"import-project": True}, where).import_project is True
    assert config_from_table({}, where).import_project is False
    with pytest.raises(ConfigError, match="import-project: expected true or false"):
        config_from_table({"import-project": "yes"}, where)


def test_version_evidence_reads_well_without_the_framework() -> None:
    text = version_evidence({"framework": "torch", "installed": None, "saved": "2.1.0"})
    assert text.endswith("torch is not installed here")
    assert "installed torch not installed" not in text
    text = version_evidence({"framework": "torch", "installed": "2.13.0", "saved": "2.1.0"})
    assert text.endswith("installed torch 2.13.0")


def test_a_script_or_a_plain_folder_is_not_an_artifact(tmp_path: Path) -> None:
    script = tmp_path / "x.py"
    script.write_text("print(1)\n")
    assert "not a model artifact" in (not_an_artifact(script) or "")
    assert "saved_model.pb" in (not_an_artifact(tmp_path) or "")
    pickled = tmp_path / "m.pkl"
    pickled.write_bytes(b"\x80\x04N.")
    assert not_an_artifact(pickled) is None
    for target in (script, tmp_path):
        proc = subprocess.run(
            [sys.executable, "-m", "preplint", "confirm", str(target)],
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 2, proc.stdout
        assert "not a model artifact" in proc.stderr
        assert proc.stdout == ""
