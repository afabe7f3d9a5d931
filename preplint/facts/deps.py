"""Dependency files: which govern a script, and the ML framework entries in them."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from preplint.facts.project import ProjectIndex

# Framework → distribution names that pin it (any one pinned is enough).
_DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "tensorflow": (
        "tensorflow",
        "tensorflow-cpu",
        "tensorflow-gpu",
        "tensorflow-macos",
        "tensorflow-intel",
        "intel-tensorflow",
        "tf-nightly",
        "keras",
        "tf-keras",
    ),
    "torch": ("torch", "pytorch"),
    "scikit-learn": ("scikit-learn", "sklearn"),
    "xgboost": ("xgboost",),
    "lightgbm": ("lightgbm",),
    "catboost": ("catboost",),
    "transformers": ("transformers",),
}
_ALL_NAMES = sorted({n for names in _DISTRIBUTIONS.values() for n in names}, key=len, reverse=True)
_NAME_PATTERN = "|".join(re.escape(n).replace(r"\-", "[-_.]") for n in _ALL_NAMES)
# A dependency entry: at the start of a line (requirements, setup.cfg, conda `- name`, poetry `name =`)
# or at the start of a quoted string (pyproject/setup.py lists).
_ENTRY = re.compile(
    rf"""(?:^\s*(?:-\s+)?["']?|["'])(?P<name>{_NAME_PATTERN})(?![A-Za-z0-9_.-])\s*(?:\[[^\]]*\])?\s*(?P<spec>[^"',;#]*)(?P<rest>.*)$""",
    re.I,
)
# `name = "keras"`, `description = "..."`: a scalar string under a key that is not a
# dependency (pyproject/setup.cfg metadata, `setup(name="torch-demo")`).
_METADATA_VALUE = re.compile(r"""^\s*(?P<key>[A-Za-z_][\w.-]*)\s*=\s*["']""")
# What may follow a distribution name in a requirement: a version operator, a conda
# version (`pytorch 2.3.1`, `=2.3`), a URL (`@ https://...`), a wildcard or a marker.
_SPEC_START = re.compile(r"[=<>!~^@*\d(;]")
# The project's own distribution name: `name = "keras"` (pyproject, setup.cfg), `name="keras",`.
_PROJECT_NAME = re.compile(r"""^\s*name\s*=\s*["']?(?P<name>[A-Za-z0-9][A-Za-z0-9_.-]*)""", re.M)
_POETRY_VERSION = re.compile(r"""^=\s*(?:\{.*?version\s*=\s*)?["']([^"']*)["']""")


@dataclass(frozen=True)
class Entry:
    framework: str  # the framework it installs: "tensorflow" for keras, tf-keras, tensorflow-cpu
    name: str  # the distribution, normalised: "tf-keras"
    line: int
    text: str
    spec: str  # the version part: ">=2.16,<3"
    pinned: bool


def _is_pinned(spec: str, rest: str) -> bool:
    spec = spec.strip()
    if spec.startswith("@"):
        return True  # a direct URL (a wheel of one version)
    poetry = (
        _POETRY_VERSION.match(spec + rest)
        if spec.startswith("=") and not spec.startswith("==")
        else None
    )
    if poetry is not None:
        version = poetry.group(1).strip()
        return bool(re.fullmatch(r"(?:==?\s*)?\d+(?:\.\d+)+(?:\.\*)?", version))
    if re.match(r"===?\s*\d", spec):
        return True
    if re.match(r"~=\s*\d+\.\d+\.\d+", spec):
        return True
    return bool(re.match(r"=\s*\d+\.\d+", spec))  # conda: `tensorflow=2.15`


def framework_of(name: str) -> str:
    norm = re.sub(r"[-_.]+", "-", name.lower())
    for framework, names in _DISTRIBUTIONS.items():
        if norm in names:
            return framework
    return ""


def own_frameworks(text: str) -> set[str]:
    """Frameworks a dependency file's own distribution name is (`name = "keras"`)."""
    return {framework_of(m.group("name")) for m in _PROJECT_NAME.finditer(text)} - {""}


def dependency_entries(text: str) -> list[Entry]:
    """The ML framework entries of a dependency file, with whether each is pinned to one version."""
    out: list[Entry] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(" #", 1)[0] if not raw.lstrip().startswith("#") else ""
        if not line.strip() or line.lstrip().startswith(("-r", "-c", "--", "-e")):
            continue
        match = _ENTRY.search(line)
        if match is None:
            continue
        key = _METADATA_VALUE.match(line)
        if key is not None and not framework_of(key.group("key")):
            continue
        spec = match.group("spec").strip()
        if spec and not _SPEC_START.match(spec):
            continue  # `"Keras team"`: a quoted word, not a requirement
        if not spec and match.group("rest").lstrip("\"' ").startswith(":"):
            continue  # `"pytorch": "pytorch_lightning"`: a dict key in setup.py
        framework = framework_of(match.group("name"))
        if not framework:
            continue
        out.append(
            Entry(
                framework,
                re.sub(r"[-_.]+", "-", match.group("name").lower()),
                number,
                line.strip(),
                re.split(r"[\"';#]", match.group("spec") + match.group("rest"))[0].strip(),
                _is_pinned(match.group("spec"), match.group("rest")),
            )
        )
    return out


def _folder(path: str) -> str:
    return posixpath.dirname(path.replace("\\", "/"))


def _governs(dep_path: str, script: str) -> bool:
    """Whether a dependency file's folder contains the script."""
    folder = _folder(dep_path)
    return not folder or _folder(script) == folder or _folder(script).startswith(folder + "/")


_KIND_ORDER = (
    "requirements.txt",
    "requirements",
    "pyproject.toml",
    "environment.yml",
    "environment.yaml",
    "setup.cfg",
    "setup.py",
    "Pipfile",
)


def _file_order(path: str) -> tuple[int, int, str]:
    name = posixpath.basename(path)
    rank = len(_KIND_ORDER)
    for i, kind in enumerate(_KIND_ORDER):
        if name == kind or (kind == "requirements" and name.startswith("requirements")):
            rank = i
            break
    return (-len(_folder(path)), rank, path)  # nearest folder first


def governing(index: ProjectIndex, script: str) -> tuple[str, ...]:
    """The dependency files that govern a script, nearest first."""
    deps = [p for p in index.dependency_files if _governs(p, script)]
    return tuple(sorted(deps, key=_file_order))
