"""Dependency files: which govern a script, and the ML framework entries in them.

Every format is read with its own parser (tomllib, configparser, PyYAML, ast) and every
requirement with `packaging`; text is searched only to find the line an entry sits on.

"Pinned to one version" means the requirement admits exactly one release:

- `==2.3.1`, `===2.3.1`, `==2.3.1+cu121`, `>=2.3.1,<=2.3.1`; not `==2.3.*` (it admits every
  2.3 release), `~=2.3.1`, `>=2.3` or a bare name;
- a direct URL to a wheel or source archive (one file, one version), or a VCS URL with a
  revision other than a branch name (`git+https://...@v2.3.1`);
- Poetry: a bare version (`torch = "2.1.0"`) or `==`; not `^`, `~`, `*` or `2.1.*`;
- conda: `pytorch=2.3.1`, `pytorch==2.3.1`, `pytorch 2.3.1` or with a build string; the
  conda `=` is a prefix match, so `tensorflow=2.15` (every 2.15 patch) is not a pin.
"""

from __future__ import annotations

import ast
import configparser
import functools
import os
import posixpath
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from preplint.facts.project import ProjectIndex

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

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
_FRAMEWORK_OF = {name: fw for fw, names in _DISTRIBUTIONS.items() for name in names}

# A VCS revision that moves: not a pin.
_BRANCHES = frozenset({"main", "master", "develop", "dev", "head", "trunk", "nightly"})
# Per-requirement options pip allows after a requirement (`--hash=...`, `--config-settings`).
_TRAILING_OPTION = re.compile(r"\s+--?[A-Za-z]")
_MAX_INCLUDED_FILES = 256


@dataclass(frozen=True)
class Entry:
    framework: str  # the framework it installs: "tensorflow" for keras, tf-keras, tensorflow-cpu
    name: str  # the distribution, normalised: "tf-keras"
    line: int
    text: str  # the requirement as written: "torch>=2.1", `torch = "^2.1"`
    spec: str  # the version part as PEP 440 specifiers where it converts: ">=2.16,<3"
    pinned: bool
    marker: str = ""  # an environment marker: 'sys_platform == "linux"'


def framework_of(name: str) -> str:
    return _FRAMEWORK_OF.get(canonicalize_name(name), "")


# --- the formats ---------------------------------------------------------------------------


def _kind(text: str, path: str) -> str:
    """The format of a dependency file: from its name, or from its content when unnamed."""
    if path:
        base = posixpath.basename(path.replace("\\", "/"))
        if base == "pyproject.toml" or base == "Pipfile" or base.endswith(".toml"):
            return "toml"
        if base == "setup.cfg" or base.endswith(".cfg"):
            return "cfg"
        if base.endswith((".yml", ".yaml")):
            return "yaml"
        if base.endswith(".py"):
            return "python"
        return "requirements"
    if _toml(text) is not None:
        return "toml"
    lines = [line.strip() for line in text.splitlines()]
    if any(line.startswith("[") and line.endswith("]") for line in lines):
        return "cfg"
    if any(line.startswith("dependencies:") for line in lines):
        return "yaml"
    if "setup(" in text and _python(text) is not None:
        return "python"
    return "requirements"


@functools.lru_cache(maxsize=64)
def _toml(text: str) -> dict[str, Any] | None:
    try:
        document = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, UnicodeError, ValueError):
        return None
    return document or None


@functools.lru_cache(maxsize=16)
def _python(text: str) -> ast.Module | None:
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def dependency_entries(text: str, path: str = "") -> list[Entry]:
    """The ML framework entries of a dependency file, with whether each is pinned to one version.

    `path` names the file (its format follows from the name); without it the format is
    recognised from the content. Includes (`-r`, `-c`) are not followed here: `governing`
    lists the files they name.
    """
    return list(_entries(text, _kind(text, path)))


@functools.lru_cache(maxsize=256)
def _entries(text: str, kind: str) -> tuple[Entry, ...]:
    readers: dict[str, Callable[[str], Iterator[Entry]]] = {
        "toml": _toml_entries,
        "cfg": _cfg_entries,
        "yaml": _yaml_entries,
        "python": _setup_py_entries,
        "requirements": _requirements_entries,
    }
    try:
        return tuple(readers[kind](text))
    except RecursionError:  # a pathological file: no entries rather than a dead run
        return ()


def _entry(requirement: str, line: int, text: str | None = None) -> Entry | None:
    """An Entry for one PEP 508 requirement (or a bare URL/path to a wheel), or None."""
    requirement = requirement.strip()
    try:
        parsed = Requirement(requirement)
    except InvalidRequirement:
        return _file_entry(requirement, line)
    framework = framework_of(parsed.name)
    if not framework:
        return None
    spec = str(parsed.specifier)
    pinned = _url_pins(parsed.url) if parsed.url else _admits_one(parsed.specifier)
    return Entry(
        framework,
        canonicalize_name(parsed.name),
        line,
        text if text is not None else requirement,
        spec,
        pinned,
        str(parsed.marker) if parsed.marker is not None else "",
    )


def _file_entry(requirement: str, line: int) -> Entry | None:
    """`https://.../torch-2.3.1-cp311-...whl` or `./dist/torch-2.3.1.tar.gz`: one file."""
    location = requirement.split(";", 1)[0].strip()
    if not location or " " in location:
        return None
    filename = location.split("#", 1)[0].split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    try:
        if filename.endswith(".whl"):
            name, version, _, _ = parse_wheel_filename(filename)
        else:
            name, version = parse_sdist_filename(filename)
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return None
    framework = framework_of(name)
    if not framework:
        return None
    return Entry(framework, canonicalize_name(name), line, requirement, f"=={version}", True)


def _url_pins(url: str) -> bool:
    """A direct reference pins when it names one file, or a VCS revision that is no branch."""
    scheme = url.split(":", 1)[0]
    if "+" in scheme:  # git+https://host/repo@rev#egg=...
        tail = url.split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1]
        if "@" not in tail:
            return False
        return tail.rsplit("@", 1)[1].lower() not in _BRANCHES
    return True


def _admits_one(specifier: SpecifierSet) -> bool:
    """The specifier set admits exactly one version."""
    exact: list[str] = []
    lower: set[str] = set()
    upper: set[str] = set()
    for spec in specifier:
        if spec.operator == "===" or (spec.operator == "==" and not spec.version.endswith(".*")):
            exact.append(spec.version)
        elif spec.operator == ">=":
            lower.add(spec.version)
        elif spec.operator == "<=":
            upper.add(spec.version)
    candidates = exact or sorted(lower & upper)
    for candidate in candidates:
        try:
            if specifier.contains(candidate, prereleases=True):
                return True
        except (InvalidVersion, TypeError):
            return True  # `===foo`: an arbitrary string, one version by definition
    return False


# --- requirements.txt ----------------------------------------------------------------------


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """pip's reading of a requirements file: `\\` continuations joined, comments removed."""
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if not pending:
            start = number
        line = re.sub(r"(^|\s)#.*$", "", raw)  # pip: a comment starts at a `#` after a space
        if line.endswith("\\") and not raw.rstrip().startswith("#"):
            pending.append(line[:-1])
            continue
        pending.append(line)
        joined = " ".join(part.strip() for part in pending).strip()
        pending = []
        if joined:
            yield start, joined
    if pending:
        joined = " ".join(part.strip() for part in pending).strip()
        if joined:
            yield start, joined


def _requirement_line(line: str) -> str:
    """A requirement line without pip's per-requirement options (`--hash=...`)."""
    return _TRAILING_OPTION.split(line, maxsplit=1)[0].strip()


def _requirements_entries(text: str) -> Iterator[Entry]:
    for number, line in _logical_lines(text):
        if line.startswith("-"):
            continue  # an option: -r/-c are followed by `governing`; -e, --index-url... name no pin
        entry = _entry(_requirement_line(line), number)
        if entry is not None:
            yield entry


_INCLUDE = re.compile(
    r"^(?:-r|-c|--requirement|--constraint)(?:\s*=\s*|\s+|(?=[^\s-]))(?P<ref>\S+)"
)


def _include_refs(lines: Iterator[tuple[int, str]]) -> Iterator[str]:
    for _, line in lines:
        match = _INCLUDE.match(line)
        if match is None:
            continue
        ref = match.group("ref").strip("\"'")
        if "://" in ref:
            continue  # a remote file is never fetched
        yield ref


def includes(path: str, text: str) -> tuple[str, ...]:
    """The files a dependency file includes (`-r base.txt`, `-c constraints.txt`, also in an
    environment.yml pip section), as paths joined to the including file's folder."""
    return _includes(path, text)


@functools.lru_cache(maxsize=256)
def _includes(path: str, text: str) -> tuple[str, ...]:
    kind = _kind(text, path)
    if kind == "requirements":
        refs = list(_include_refs(_logical_lines(text)))
    elif kind == "yaml":
        refs = list(_include_refs((n, s) for n, s, pip in _yaml_items(text) if pip))
    else:
        return ()
    folder = posixpath.dirname(path.replace("\\", "/"))
    out: list[str] = []
    for ref in refs:
        joined = posixpath.normpath(posixpath.join(folder, ref.replace("\\", "/")))
        if joined not in out and joined != posixpath.normpath(path):
            out.append(joined)
    return tuple(out)


def _lookup(ref: str, files: Mapping[str, str]) -> str | None:
    """The key of `files` an include path names (display paths are relative or absolute)."""
    if ref in files:
        return ref
    absolute = os.path.abspath(ref).replace("\\", "/")
    return absolute if absolute in files else None


def with_includes(
    files: Mapping[str, str], read: Callable[[str], tuple[str, str] | None]
) -> dict[str, str]:
    """`files` ({path: text}) and every file they include, transitively and cycle-safe.

    `read(path)` returns (key, text) for an included file, or None when it cannot be read.
    """
    out = dict(files)
    queue = list(out)
    while queue and len(out) < len(files) + _MAX_INCLUDED_FILES:
        path = queue.pop(0)
        for ref in includes(path, out[path]):
            if _lookup(ref, out) is not None:
                continue
            found = read(ref)
            if found is None or found[0] in out:
                continue
            out[found[0]] = found[1]
            queue.append(found[0])
    return dict(sorted(out.items()))


# --- pyproject.toml, Pipfile ---------------------------------------------------------------


def _table(document: Mapping[str, Any], *keys: str) -> Any:
    node: Any = document
    for key in keys:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node


def _toml_entries(text: str) -> Iterator[Entry]:
    document = _toml(text)
    if document is None:
        return
    finder = _LineFinder(text)
    # PEP 621 and tools that keep PEP 508 lists.
    lists: list[tuple[tuple[str, ...], Any]] = [
        (("project",), _table(document, "project", "dependencies"))
    ]
    for group in (
        "project.optional-dependencies",
        "dependency-groups",
        "tool.pdm.dev-dependencies",
    ):
        keys = tuple(group.split("."))
        table = _table(document, *keys)
        if isinstance(table, Mapping):
            lists += [(keys, value) for value in table.values()]
    lists.append((("tool", "uv"), _table(document, "tool", "uv", "dev-dependencies")))
    for header, values in lists:
        if not isinstance(values, list):
            continue
        for value in values:
            if not isinstance(value, str):
                continue  # {include-group = "..."}
            entry = _entry(value, finder.string(value, header))
            if entry is not None:
                yield entry
    # Poetry and Pipfile: tables of name = constraint.
    tables: list[tuple[tuple[str, ...], Any]] = [
        (("tool", "poetry", "dependencies"), _table(document, "tool", "poetry", "dependencies")),
        (
            ("tool", "poetry", "dev-dependencies"),
            _table(document, "tool", "poetry", "dev-dependencies"),
        ),
        (("packages",), document.get("packages")),
        (("dev-packages",), document.get("dev-packages")),
    ]
    groups = _table(document, "tool", "poetry", "group")
    if isinstance(groups, Mapping):
        for name, group in groups.items():
            tables.append(
                (("tool", "poetry", "group", name, "dependencies"), _table(group, "dependencies"))
            )
    pipfile = "packages" in document or "dev-packages" in document
    for header, table in tables:
        if not isinstance(table, Mapping):
            continue
        for name, value in table.items():
            framework = framework_of(name)
            if not framework:
                continue
            line = finder.key(name, header)
            spec, pinned = _table_constraint(value, pipfile)
            yield Entry(framework, canonicalize_name(name), line, finder.text(line), spec, pinned)


def _table_constraint(value: Any, pipfile: bool) -> tuple[str, bool]:
    """A Poetry or Pipfile constraint → (PEP 440 specifiers, pinned)."""
    if isinstance(value, list):  # Poetry: several constraints under markers
        parts = [_table_constraint(v, pipfile) for v in value]
        return (" || ".join(s for s, _ in parts), bool(parts) and all(p for _, p in parts))
    if isinstance(value, Mapping):
        if "version" in value:
            return _table_constraint(value["version"], pipfile)
        if "url" in value or "file" in value:
            return "", True
        if "git" in value:
            revision = value.get("rev") or value.get("tag") or value.get("ref")
            return "", isinstance(revision, str) and revision.lower() not in _BRANCHES
        return "", False
    if not isinstance(value, str):
        return "", False
    spec = value.strip() if pipfile else _poetry_to_pep440(value)
    if spec in ("", "*"):
        return "", False
    try:
        return spec, _admits_one(SpecifierSet(spec))
    except InvalidSpecifier:
        return spec, False


def _poetry_to_pep440(constraint: str) -> str:
    """Poetry's version syntax (`2.1.0`, `^2.1`, `~2.1`, `>=2,<3`) in PEP 440 terms."""
    if "||" in constraint:
        return constraint  # a union: never one version
    out: list[str] = []
    constraint = re.sub(r"(?<=[<>=!~^])\s+", "", constraint.strip())  # `>= 2.0` → `>=2.0`
    for part in re.split(r"[,\s]+", constraint):
        if not part or part == "*":
            continue
        if part[0].isdigit():
            out.append(f"=={part}")
        elif part.startswith("^"):
            out.append(_caret(part[1:].strip()))
        elif part.startswith("~") and not part.startswith("~="):
            out.append(_tilde(part[1:].strip()))
        else:
            out.append(part)
    return ",".join(out)


def _release(text: str) -> list[int] | None:
    try:
        return list(Version(text).release)
    except InvalidVersion:
        return None


def _caret(version: str) -> str:
    release = _release(version)
    if release is None:
        return f"^{version}"
    bump = next((i for i, n in enumerate(release) if n != 0), len(release) - 1)
    upper = [*release[:bump], release[bump] + 1]
    return f">={version},<{'.'.join(map(str, upper))}"


def _tilde(version: str) -> str:
    release = _release(version)
    if release is None:
        return f"~{version}"
    keep = 1 if len(release) == 1 else 2
    upper = [*release[: keep - 1], release[keep - 1] + 1]
    return f">={version},<{'.'.join(map(str, upper))}"


class _LineFinder:
    """Where a value parsed by tomllib or configparser sits in the text (they give no lines)."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.used: set[tuple[int, int]] = set()
        self.headers: dict[str, int] = {}
        for number, raw in enumerate(self.lines, start=1):
            line = raw.strip()
            if line.startswith("[") and "]" in line:
                name = line.strip("[]").split("]", 1)[0]
                key = re.sub(r"[\s\"']", "", name).lower()
                self.headers.setdefault(key, number)

    def header(self, keys: tuple[str, ...]) -> int:
        """The line of the nearest table header: `[tool.poetry.dependencies]`, else `[tool.poetry]`."""
        for size in range(len(keys), 0, -1):
            line = self.headers.get(".".join(keys[:size]).lower())
            if line is not None:
                return line
        return 1

    def _find(self, start: int, hit: Callable[[str], Iterator[int]]) -> int | None:
        """The first line from `start` with an occurrence (a column `hit` yields) not yet taken."""
        for number in range(start, len(self.lines) + 1):
            raw = self.lines[number - 1]
            if raw.lstrip().startswith(("#", ";")):
                continue
            for column in hit(raw):
                if (number, column) not in self.used:
                    self.used.add((number, column))
                    return number
        return None

    def string(self, value: str, keys: tuple[str, ...]) -> int:
        start = self.header(keys)
        quoted = (f'"{value}"', f"'{value}'")

        def hit(raw: str) -> Iterator[int]:
            for needle in quoted:
                column = raw.find(needle)
                while column >= 0:
                    yield column
                    column = raw.find(needle, column + 1)

        found = self._find(start, hit)
        return found if found is not None else start

    def key(self, name: str, keys: tuple[str, ...]) -> int:
        start = self.header(keys)
        pattern = re.compile(rf"""^\s*["']?{re.escape(name)}["']?\s*=""", re.I)
        found = self._find(start, lambda raw: iter((0,) if pattern.match(raw) else ()))
        return found if found is not None else start

    def item(self, value: str, start: int) -> int:
        found = self._find(start, lambda raw: iter((0,) if raw.strip().startswith(value) else ()))
        return found if found is not None else start

    def text(self, line: int) -> str:
        raw = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        return re.sub(r"\s+#.*$", "", raw).strip()


# --- setup.cfg -----------------------------------------------------------------------------


def _cfg_entries(text: str) -> Iterator[Entry]:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text)
    except configparser.Error:
        return
    finder = _LineFinder(text)
    values: list[tuple[str, str]] = []
    if parser.has_option("options", "install_requires"):
        values.append(("options", parser.get("options", "install_requires")))
    if parser.has_section("options.extras_require"):
        values += [("options.extras_require", v) for _, v in parser.items("options.extras_require")]
    for section, value in values:
        start = finder.header((section,))
        for number, line in _logical_lines(value):
            del number
            requirement = _requirement_line(line)
            if not requirement or requirement.startswith("-"):
                continue
            entry = _entry(requirement, 0)
            if entry is not None:
                yield _at(entry, finder.item(requirement, start))


def _at(entry: Entry, line: int) -> Entry:
    return Entry(
        entry.framework, entry.name, line, entry.text, entry.spec, entry.pinned, entry.marker
    )


# --- environment.yml -----------------------------------------------------------------------


@functools.lru_cache(maxsize=32)
def _yaml_items(text: str) -> tuple[tuple[int, str, bool], ...]:
    """(line, item, from the pip section) for each string under `dependencies:`."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        root = yaml.compose(text, Loader=loader)
    except (yaml.YAMLError, RecursionError, ValueError):
        return ()
    if not isinstance(root, yaml.MappingNode):
        return ()
    out: list[tuple[int, str, bool]] = []
    for key, value in root.value:
        if getattr(key, "value", None) != "dependencies" or not isinstance(
            value, yaml.SequenceNode
        ):
            continue
        for item in value.value:
            if isinstance(item, yaml.ScalarNode):
                out.append((item.start_mark.line + 1, str(item.value), False))
            elif isinstance(item, yaml.MappingNode):
                for sub_key, sub_value in item.value:
                    if getattr(sub_key, "value", None) != "pip":
                        continue
                    if isinstance(sub_value, yaml.SequenceNode):
                        out += [
                            (pip.start_mark.line + 1, str(pip.value), True)
                            for pip in sub_value.value
                            if isinstance(pip, yaml.ScalarNode)
                        ]
    return tuple(out)


def _yaml_entries(text: str) -> Iterator[Entry]:
    for line, item, pip in _yaml_items(text):
        if pip:
            requirement = _requirement_line(item)
            entry = None if requirement.startswith("-") else _entry(requirement, line)
        else:
            entry = _conda_entry(item, line)
        if entry is not None:
            yield entry


_CONDA_SPEC = re.compile(r"^(?P<name>[A-Za-z0-9_.\-]+)\s*(?P<version>.*)$")


def _conda_entry(item: str, line: int) -> Entry | None:
    """A conda match spec: `pytorch=2.3.1`, `pytorch==2.3.1=py3.11_0`, `conda-forge::pytorch 2.3.1`."""
    spec = item.split("#", 1)[0].strip()
    spec = spec.rsplit("::", 1)[-1]
    match = _CONDA_SPEC.match(spec)
    if match is None:
        return None
    name = match.group("name")
    framework = framework_of(name)
    if not framework:
        return None
    version = match.group("version").strip()
    pep440, pinned = _conda_version(version)
    return Entry(framework, canonicalize_name(name), line, item.strip(), pep440, pinned)


def _conda_version(version: str) -> tuple[str, bool]:
    if not version:
        return "", False
    if version.startswith("=="):
        exact = re.split(r"[=\s]", version[2:].strip(), maxsplit=1)[0]
        return f"=={exact}", _release(exact) is not None
    if version.startswith("=") or version[0].isdigit():
        # `=2.3.1`, `=2.3.1=build`, `2.3.1 build`: a prefix match on the version.
        prefix = re.split(r"[=\s]", version.lstrip("="), maxsplit=1)[0].rstrip("*").rstrip(".")
        release = _release(prefix) if "*" not in prefix else None
        if release is None:
            return version, False
        return f"=={prefix}.*", len(release) >= 3
    spec = version.replace(" ", "")
    if "|" in spec:
        return spec, False
    try:
        return spec, _admits_one(SpecifierSet(spec))
    except InvalidSpecifier:
        return spec, False


# --- setup.py ------------------------------------------------------------------------------

_SETUP_KEYWORDS = ("install_requires", "extras_require", "requires")


def _setup_py_entries(text: str) -> Iterator[Entry]:
    """Requirements in `setup(install_requires=..., extras_require=...)`, and in module-level
    lists they name or whose name says they hold requirements (`REQUIRED = [...]`)."""
    module = _python(text)
    if module is None:
        return
    assigned: dict[str, ast.expr] = {}
    for statement in module.body:
        if isinstance(statement, ast.Assign):
            for target in statement.targets:
                if isinstance(target, ast.Name):
                    assigned[target.id] = statement.value
        elif (
            isinstance(statement, ast.AnnAssign)
            and isinstance(statement.target, ast.Name)
            and statement.value is not None
        ):
            assigned[statement.target.id] = statement.value
    sources: list[ast.expr] = [
        value
        for name, value in assigned.items()
        if re.search(r"require|dependenc|deps\b", name, re.I)
    ]
    for node in ast.walk(module):
        if not isinstance(node, ast.Call):
            continue
        if not _calls_setup(node):
            continue
        for keyword in node.keywords:
            if keyword.arg in _SETUP_KEYWORDS:
                sources.append(keyword.value)
            elif keyword.arg is None and isinstance(keyword.value, ast.Name):
                kwargs = assigned.get(keyword.value.id)
                if isinstance(kwargs, ast.Dict):
                    sources += [
                        v
                        for k, v in zip(kwargs.keys, kwargs.values, strict=False)
                        if isinstance(k, ast.Constant) and k.value in _SETUP_KEYWORDS
                    ]
    seen: set[tuple[int, int]] = set()
    for source in sources:
        for constant in _requirement_strings(source, assigned, 0):
            where = (constant.lineno, constant.col_offset)
            if where in seen:
                continue
            seen.add(where)
            entry = _entry(str(constant.value), constant.lineno)
            if entry is not None:
                yield entry


def _calls_setup(node: ast.Call) -> bool:
    func = node.func
    return (func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")) == "setup"


def _requirement_strings(
    node: ast.expr, assigned: Mapping[str, ast.expr], depth: int
) -> Iterator[ast.Constant]:
    if depth > 8:
        return
    if isinstance(node, ast.Name) and node.id in assigned:
        yield from _requirement_strings(assigned[node.id], assigned, depth + 1)
    elif isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        for element in node.elts:
            if isinstance(element, ast.Constant) and isinstance(element.value, str):
                yield element
            else:
                yield from _requirement_strings(element, assigned, depth + 1)
    elif isinstance(node, ast.Dict):  # extras_require: the values hold requirements, keys do not
        for value in node.values:
            yield from _requirement_strings(value, assigned, depth + 1)
    elif isinstance(node, ast.BinOp):  # base + extra
        yield from _requirement_strings(node.left, assigned, depth + 1)
        yield from _requirement_strings(node.right, assigned, depth + 1)


# --- the project's own name ----------------------------------------------------------------


def own_frameworks(text: str, path: str = "") -> set[str]:
    """Frameworks a dependency file's own distribution name is (`name = "keras"`)."""
    names: list[Any] = []
    kind = _kind(text, path)
    if kind == "toml":
        document = _toml(text) or {}
        names += [_table(document, "project", "name"), _table(document, "tool", "poetry", "name")]
    elif kind == "cfg":
        parser = configparser.ConfigParser(interpolation=None, strict=False)
        try:
            parser.read_string(text)
            names.append(parser.get("metadata", "name", fallback=None))
        except configparser.Error:
            pass
    elif kind == "python":
        module = _python(text)
        for node in ast.walk(module) if module is not None else ():
            if isinstance(node, ast.Call) and _calls_setup(node):
                names += [
                    k.value.value
                    for k in node.keywords
                    if k.arg == "name" and isinstance(k.value, ast.Constant)
                ]
    return {framework_of(n) for n in names if isinstance(n, str)} - {""}


# --- which files govern a script -----------------------------------------------------------


def _folder(path: str) -> str:
    return posixpath.dirname(path.replace("\\", "/"))


def _scope(dep_path: str) -> str:
    """The folder a dependency file speaks for: its own, or for a `requirements/` folder the
    folder that holds it."""
    folder = _folder(dep_path)
    return _folder(folder) if posixpath.basename(folder) == "requirements" else folder


def _governs(dep_path: str, script: str) -> bool:
    """Whether the folder a dependency file speaks for contains the script."""
    folder = _scope(dep_path)
    return not folder or _folder(script) == folder or _folder(script).startswith(folder + "/")


_DECLARATIONS = (
    "pyproject.toml",
    "setup.cfg",
    "setup.py",
    "environment.yml",
    "environment.yaml",
    "Pipfile",
)


def _declares(path: str) -> bool:
    """A file that declares dependencies by its name; others count only when included."""
    name = posixpath.basename(path.replace("\\", "/"))
    if name in _DECLARATIONS:
        return True
    if not name.endswith((".txt", ".in")):
        return False
    return name.startswith("requirements") or posixpath.basename(_folder(path)) == "requirements"


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
    return (-len(_scope(path)), rank, path)  # nearest folder first


def governing(index: ProjectIndex, script: str) -> tuple[str, ...]:
    """The dependency files that govern a script, nearest first, then the files they include."""
    files = index.dependency_files
    direct = sorted((p for p in files if _declares(p) and _governs(p, script)), key=_file_order)
    out = list(direct)
    position = 0
    while position < len(out):
        path = out[position]
        position += 1
        for ref in includes(path, files[path]):
            key = _lookup(ref, files)
            if key is not None and key not in out:
                out.append(key)
    return tuple(out)
