"""Dependency files read by their own parsers: what is an entry, what is pinned, which files govern."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from preplint.facts.deps import (
    dependency_entries,
    governing,
    includes,
    own_frameworks,
    with_includes,
)
from preplint.facts.project import ProjectIndex
from tests.helpers import lint

TORCH_TRAIN = 'import torch\ntorch.save(model.state_dict(), "m.pt")\n'
BOTH_TRAIN = (
    "import torch\nimport tensorflow as tf\n"
    'torch.save(net.state_dict(), "n.pt")\n'
    'model = tf.keras.Sequential()\nmodel.save("m.keras")\n'
)


def pins(text: str, path: str = "") -> dict[str, bool]:
    return {e.name: e.pinned for e in dependency_entries(text, path)}


def env001(project: dict[str, str]) -> list[tuple[str, int, str]]:
    return [(d.path, d.line, d.message) for d in lint(project) if d.code == "ENV001"]


# --- requirements.txt ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "pinned"),
    [
        ("torch==2.3.1", True),
        ("torch (==2.3.1)", True),
        ("torch===2.3.1", True),
        ("torch==2.3.1+cu121", True),
        ("torch>=2.3.1,<=2.3.1", True),
        ("torch[cuda] == 2.3.1 ; python_version < '3.13'", True),
        ("torch @ https://example.org/whl/torch-2.3.1-cp311-cp311-linux_x86_64.whl", True),
        ("https://example.org/whl/torch-2.3.1-cp311-cp311-linux_x86_64.whl", True),
        ("torch @ git+https://github.com/pytorch/pytorch@v2.3.1", True),
        ("torch==2.3.1 --hash=sha256:0123abcd", True),
        ("torch", False),
        ("torch>=2.0", False),
        ("torch==2.3.*", False),
        ("torch~=2.3.1", False),
        ("torch>=2.3,<2.4", False),
        ("torch==2.3.1,==2.4.0", False),  # admits nothing: no version is pinned
        ("torch @ git+https://github.com/pytorch/pytorch@main", False),
        ("torch @ git+https://github.com/pytorch/pytorch", False),
    ],
)
def test_pinned_means_exactly_one_version(line: str, pinned: bool) -> None:
    assert pins(line + "\n", "requirements.txt") == {"torch": pinned}


def test_requirements_comments_blank_lines_options_and_continuations() -> None:
    text = (
        "# torch==2.3.1 is what we used to run\n"
        "\n"
        "--extra-index-url https://wheels.example.invalid/cu121\n"
        "-e ./vendored/keras\n"
        "numpy==1.26.4  # not a framework\n"
        "scikit-learn==1.5.1 \\\n"
        "    --hash=sha256:abc\n"
        "tensorflow>=2.16  # the loose one\n"
        "xgboost==2.0.3#not-a-comment-without-a-space\n"
        "${TORCH_SPEC}\n"
    )
    entries = dependency_entries(text, "requirements.txt")
    assert [(e.name, e.line, e.pinned) for e in entries] == [
        ("scikit-learn", 6, True),
        ("tensorflow", 8, False),
    ]
    assert entries[1].text == "tensorflow>=2.16"


def test_markers_are_kept_and_each_platform_pin_counts() -> None:
    text = 'torch==2.3.1; sys_platform == "linux"\ntorch==2.2.2; sys_platform == "darwin"\n'
    entries = dependency_entries(text, "requirements.txt")
    assert [e.pinned for e in entries] == [True, True]
    assert entries[0].marker == 'sys_platform == "linux"'


def test_distribution_names_are_normalised_and_related_packages_are_not_the_framework() -> None:
    text = "Tensorflow_CPU==2.16.1\ntf.keras==2.16.0\ntorchvision==0.18.1\npytorch-lightning==2.2\n"
    entries = dependency_entries(text, "requirements.txt")
    assert [(e.framework, e.name) for e in entries] == [
        ("tensorflow", "tensorflow-cpu"),
        ("tensorflow", "tf-keras"),
    ]


# --- pyproject.toml, Pipfile --------------------------------------------------------------


def test_one_line_dependency_array_gives_every_entry() -> None:
    text = '[project]\nname = "demo"\ndependencies = ["torch==2.3.1", "tensorflow==2.15.0"]\n'
    entries = dependency_entries(text, "pyproject.toml")
    assert [(e.name, e.line, e.pinned) for e in entries] == [
        ("torch", 3, True),
        ("tensorflow", 3, True),
    ]


def test_metadata_strings_are_not_dependencies() -> None:
    text = (
        '[project]\nname = "keras"\ndescription = "torch helpers"\nkeywords = ["torch", "keras"]\n'
        'authors = [{name = "Keras fans"}]\ndependencies = ["numpy"]\n'
        '[project.urls]\ntorch = "https://pytorch.org"\n'
    )
    assert dependency_entries(text, "pyproject.toml") == []
    assert own_frameworks(text, "pyproject.toml") == {"tensorflow"}
    assert own_frameworks('[project]\nname = "demo"\nkeywords = ["keras"]\n') == set()


def test_optional_dependencies_groups_and_commented_lines() -> None:
    text = (
        "[project]\n"
        'name = "demo"\n'
        "dependencies = [\n"
        '    # "torch==2.3.1",\n'
        '    "numpy>=1.26",\n'
        "]\n"
        "[project.optional-dependencies]\n"
        'gpu = ["torch>=2.1"]\n'
        "[dependency-groups]\n"
        'dev = ["scikit-learn==1.5.1", {include-group = "gpu"}]\n'
    )
    entries = dependency_entries(text, "pyproject.toml")
    assert [(e.name, e.line, e.pinned) for e in entries] == [
        ("torch", 8, False),
        ("scikit-learn", 10, True),
    ]


@pytest.mark.parametrize(
    ("value", "pinned", "spec"),
    [
        ('"2.1.0"', True, "==2.1.0"),
        ('"==2.1.0"', True, "==2.1.0"),
        ('{version = "2.1.0", source = "pytorch"}', True, "==2.1.0"),
        (
            '[{version = "2.1.0", markers = "sys_platform == \'linux\'"}, {version = "2.1.0"}]',
            True,
            None,
        ),
        ('{git = "https://github.com/pytorch/pytorch", tag = "v2.1.0"}', True, ""),
        ('{url = "https://example.org/torch-2.1.0-py3-none-any.whl"}', True, ""),
        ('"^2.1"', False, ">=2.1,<3"),
        ('"~2.1"', False, ">=2.1,<2.2"),
        ('"^0.4.2"', False, ">=0.4.2,<0.5"),
        ('"2.1.*"', False, "==2.1.*"),
        ('"*"', False, ""),
        ('">=2,<3"', False, ">=2,<3"),
        ('">= 2.0, < 3.0"', False, ">=2.0,<3.0"),
        ('"== 2.1.0"', True, "==2.1.0"),
        ('"2.1.0 || 2.2.0"', False, None),
        ('{git = "https://github.com/pytorch/pytorch", branch = "main"}', False, ""),
        (
            '[{version = "2.1.0", markers = "sys_platform == \'linux\'"}, {version = "^2.1"}]',
            False,
            None,
        ),
    ],
)
def test_poetry_constraints(value: str, pinned: bool, spec: str | None) -> None:
    text = f'[tool.poetry]\nname = "demo"\n\n[tool.poetry.dependencies]\npython = "^3.11"\ntorch = {value}\n'
    (entry,) = dependency_entries(text, "pyproject.toml")
    assert (entry.name, entry.line, entry.pinned) == ("torch", 6, pinned)
    if spec is not None:
        assert entry.spec == spec


def test_poetry_groups_and_dev_dependencies() -> None:
    text = (
        '[tool.poetry.dependencies]\npython = "^3.11"\n'
        '[tool.poetry.group.train.dependencies]\ntorch = "2.3.1"\n'
        '[tool.poetry.dev-dependencies]\nscikit-learn = "^1.5"\n'
    )
    assert pins(text, "pyproject.toml") == {"torch": True, "scikit-learn": False}


def test_pipfile() -> None:
    text = '[packages]\ntorch = "==2.3.1"\n\n[dev-packages]\nscikit-learn = "*"\nxgboost = {version = ">=2"}\n'
    entries = dependency_entries(text, "Pipfile")
    assert [(e.name, e.line, e.pinned) for e in entries] == [
        ("torch", 2, True),
        ("scikit-learn", 5, False),
        ("xgboost", 6, False),
    ]


def test_invalid_toml_has_no_entries_and_does_not_raise() -> None:
    assert dependency_entries('[project]\ndependencies = ["torch==2.3.1"\n', "pyproject.toml") == []


# --- setup.cfg, environment.yml, setup.py --------------------------------------------------


def test_setup_cfg_install_requires_and_extras() -> None:
    text = (
        "[metadata]\nname = demo\nkeywords = torch, keras\n\n"
        "[options]\ninstall_requires =\n    numpy==1.26.4\n    # torch==2.3.1\n"
        "    scikit-learn>=1.3  # loose\n\n"
        "[options.extras_require]\ngpu =\n    torch==2.3.1\n"
    )
    entries = dependency_entries(text, "setup.cfg")
    assert [(e.name, e.line, e.pinned, e.text) for e in entries] == [
        ("scikit-learn", 9, False, "scikit-learn>=1.3"),
        ("torch", 13, True, "torch==2.3.1"),
    ]


def test_environment_yml_conda_and_pip_sections() -> None:
    text = (
        "name: torch-env\n"
        "channels: [pytorch, conda-forge]\n"
        "dependencies:\n"
        "  - python=3.11\n"
        "  - pytorch=2.3.1=py3.11_cuda12.1_cudnn8_0\n"
        "  - conda-forge::scikit-learn==1.5.1\n"
        "  - tensorflow=2.15\n"
        "  # - xgboost=2.0.3\n"
        "  - lightgbm 4.3.0\n"
        "  - pip\n"
        "  - pip:\n"
        "    - transformers>=4.40  # loose\n"
        "    - catboost==1.2.5\n"
    )
    entries = dependency_entries(text, "environment.yml")
    assert [(e.name, e.line, e.pinned) for e in entries] == [
        ("pytorch", 5, True),
        ("scikit-learn", 6, True),
        ("tensorflow", 7, False),  # conda's `=2.15` admits every 2.15 patch release
        ("lightgbm", 9, True),
        ("transformers", 12, False),
        ("catboost", 13, True),
    ]
    assert entries[2].spec == "==2.15.*"


def test_setup_py_reads_setup_arguments_not_other_strings() -> None:
    text = (
        "from setuptools import setup\n"
        'REQUIRED = ["numpy", "torch==2.3.1"]\n'
        'KEYWORDS = ["keras", "tensorflow"]\n'
        "setup(\n"
        '    name="demo",\n'
        "    keywords=KEYWORDS,\n"
        '    extras_require={"xgboost": ["lightgbm>=4"]},\n'
        "    install_requires=REQUIRED,\n"
        ")\n"
    )
    entries = dependency_entries(text, "setup.py")
    assert [(e.name, e.line, e.pinned) for e in entries] == [
        ("torch", 2, True),
        ("lightgbm", 7, False),
    ]


def test_format_is_recognised_without_a_path() -> None:
    assert pins("torch==2.3.1\n") == {"torch": True}
    assert pins('[project]\ndependencies = ["torch>=2"]\n') == {"torch": False}
    assert pins("[options]\ninstall_requires =\n    torch==2.3.1\n") == {"torch": True}
    assert pins("dependencies:\n  - pytorch=2.3.1\n") == {"pytorch": True}
    assert pins('from setuptools import setup\nsetup(install_requires=["torch>=2"])\n') == {
        "torch": False
    }


# --- includes ------------------------------------------------------------------------------


def test_includes_are_joined_to_the_including_folder() -> None:
    text = "-r base.txt\n--requirement=../shared/common.txt\n-c constraints.txt\n-r https://example.org/r.txt\n# -r old.txt\n"
    assert includes("app/requirements.txt", text) == (
        "app/base.txt",
        "shared/common.txt",
        "app/constraints.txt",
    )
    assert includes("environment.yml", "dependencies:\n  - pip:\n    - -r requirements.txt\n") == (
        "requirements.txt",
    )
    assert includes("pyproject.toml", '[project]\ndependencies = ["-r x.txt"]\n') == ()


def test_with_includes_is_transitive_and_cycle_safe() -> None:
    disk = {
        "requirements.txt": "-r base.txt\n",
        "base.txt": "-c constraints.txt\n-r requirements.txt\n-r missing.txt\n",
        "constraints.txt": "-r base.txt\ntorch==2.3.1\n",
    }
    read: list[str] = []

    def reader(ref: str) -> tuple[str, str] | None:
        read.append(ref)
        return (ref, disk[ref]) if ref in disk else None

    out = with_includes({"requirements.txt": disk["requirements.txt"]}, reader)
    assert out == disk
    assert sorted(read) == ["base.txt", "constraints.txt", "missing.txt"]


def test_governing_lists_included_files_after_the_files_that_govern() -> None:
    files = {
        "requirements.txt": "-r requirements/base.txt\n",
        "requirements/base.txt": "-c ../constraints.txt\n",
        "constraints.txt": "torch==2.3.1\n",
        "sub/requirements.txt": "numpy\n",
        "other/notes.txt": "torch\n",
    }
    index = ProjectIndex([], files)
    assert governing(index, "train.py") == (
        "requirements.txt",
        "requirements/base.txt",
        "constraints.txt",
    )
    assert governing(index, "sub/train.py")[0] == "sub/requirements.txt"
    assert "other/notes.txt" not in governing(index, "other/train.py")


# --- ENV001 end to end ---------------------------------------------------------------------


def test_env001_parenthesised_pin_is_a_pin() -> None:
    assert env001({"train.py": TORCH_TRAIN, "requirements.txt": "torch (==2.3.1)\n"}) == []
    found = env001({"train.py": TORCH_TRAIN, "requirements.txt": "torch (>=2.3)\n"})
    assert [(p, line) for p, line, _ in found] == [("requirements.txt", 1)]


def test_env001_one_line_array_names_nothing_missing() -> None:
    pyproject = '[project]\nname = "demo"\ndependencies = ["torch==2.3.1", "tensorflow==2.15.0"]\n'
    assert env001({"train.py": BOTH_TRAIN, "pyproject.toml": pyproject}) == []
    loose = pyproject.replace("tensorflow==2.15.0", "tensorflow>=2.15")
    ((path, line, message),) = env001({"train.py": BOTH_TRAIN, "pyproject.toml": loose})
    assert (path, line) == ("pyproject.toml", 3)
    assert "`tensorflow`" in message and "`torch`" not in message


def test_env001_keywords_are_not_a_dependency() -> None:
    pyproject = '[project]\nname = "demo"\nkeywords = ["torch"]\ndependencies = ["numpy==1.26.4"]\n'
    ((path, line, message),) = env001({"train.py": TORCH_TRAIN, "pyproject.toml": pyproject})
    assert (path, line) == ("pyproject.toml", 1) and "missing" in message


def test_env001_commented_out_framework_is_not_named() -> None:
    requirements = "numpy==1.26.4\n# torch>=2.0\n"
    ((path, line, message),) = env001({"train.py": TORCH_TRAIN, "requirements.txt": requirements})
    assert (path, line) == ("requirements.txt", 1)
    assert "missing" in message and "torch>=2.0" not in message


def test_env001_follows_constraints_and_included_files() -> None:
    project = {
        "train.py": TORCH_TRAIN,
        "requirements.txt": "torch\n-c constraints.txt\n",
        "constraints.txt": "torch==2.3.1\n",
    }
    assert env001(project) == []
    unpinned = env001({**project, "constraints.txt": "numpy==1.26.4\n"})
    assert [(p, line) for p, line, _ in unpinned] == [("requirements.txt", 1)]
    included = {
        "train.py": TORCH_TRAIN,
        "requirements.txt": "-r base.txt\n",
        "base.txt": "torch>=2\n",
    }
    ((path, line, message),) = env001(included)
    assert (path, line) == ("base.txt", 1) and "torch>=2" in message
    assert env001({**included, "base.txt": "torch==2.3.1\n"}) == []


def test_env001_setup_cfg_and_environment_pip_section() -> None:
    cfg = "[options]\ninstall_requires =\n    torch==2.3.1\n"
    assert env001({"train.py": TORCH_TRAIN, "setup.cfg": cfg}) == []
    yml = "name: x\ndependencies:\n  - python=3.11\n  - pip:\n    - torch==2.3.1\n"
    assert env001({"train.py": TORCH_TRAIN, "environment.yml": yml}) == []
    loose = yml.replace("torch==2.3.1", "torch~=2.3.1")
    assert [
        (p, line) for p, line, _ in env001({"train.py": TORCH_TRAIN, "environment.yml": loose})
    ] == [("environment.yml", 5)]


def test_cli_reads_included_files_from_disk(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "shared").mkdir()
    (tmp_path / "app" / "train.py").write_text(TORCH_TRAIN)
    (tmp_path / "app" / "predict.py").write_text(
        'import torch\nstate = torch.load("m.pt", weights_only=True)\n'
    )
    (tmp_path / "app" / "requirements.txt").write_text("torch\n-c ../shared/constraints.txt\n")
    (tmp_path / "shared" / "constraints.txt").write_text(
        "-c ../app/requirements.txt\ntorch==2.3.1\n"
    )

    def env_lines() -> list[str]:
        done = subprocess.run(
            [sys.executable, "-m", "preplint", "check", "--no-cache", "--select", "ENV", "app"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode in (0, 1), done.stderr
        return [line for line in done.stdout.splitlines() if "ENV001" in line]

    assert env_lines() == []
    (tmp_path / "shared" / "constraints.txt").write_text("torch>=2.0\n")
    (line,) = env_lines()
    assert line.startswith("app/requirements.txt:1:")


def test_own_name_of_a_setup_py_is_the_setup_name() -> None:
    text = (
        "from setuptools import Extension, setup\n"
        'ext = Extension(name="torch._C", sources=[])\n'
        'setup(name="keras", ext_modules=[ext])\n'
    )
    assert own_frameworks(text, "setup.py") == {"tensorflow"}
    assert own_frameworks(text.replace('name="keras"', 'name="demo"'), "setup.py") == set()
    assert own_frameworks("[metadata]\nname = scikit-learn\n", "setup.cfg") == {"scikit-learn"}
