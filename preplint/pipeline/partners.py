"""Partner search: files beside the linted ones that they import or share an artifact path with."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from preplint.cache import Reads
from preplint.config import Config
from preplint.facts import frameworks as fw
from preplint.facts.project import ProjectIndex
from preplint.pipeline.extraction import extract_all
from preplint.pipeline.parsed import Parsed
from preplint.pipeline.paths import display_path

# Partner search is for the few files a pre-commit hook or an editor passes; a long explicit
# list is a selection the user made, linted as given.
PARTNER_SEARCH_MAX_FILES = 64

_PARTNER_SCAN_LIMIT = 500


def _imported_neighbours(item: Parsed, reads: Reads | None = None) -> set[Path]:
    """Sibling modules a file imports (`from config import MODEL_PATH`, `from .layers import X`).

    In a package (a folder with `__init__.py`) only relative imports can name a sibling;
    a script's folder is first on `sys.path`, so there `import config` does, but a
    third-party name (`import numpy`) is taken as the package, not a same-named file.
    """
    if item.facts is None:
        return set()
    is_file = reads.is_file if reads is not None else Path.is_file
    folder = Path(item.path).parent
    modules = set(item.facts.relative_imports)
    if not is_file(folder / "__init__.py"):
        for qual in item.facts.imports.values():
            for module in (qual, qual.rpartition(".")[0]):
                if module and module.split(".", 1)[0] not in _KNOWN_PACKAGES:
                    modules.add(module)
    found: set[Path] = set()
    for module in modules:
        rel = module.replace(".", "/")
        for candidate in (folder / f"{rel}.py", folder / rel / "__init__.py"):
            if is_file(candidate):
                found.add(candidate)
    return found


_KNOWN_PACKAGES = (
    frozenset(sys.stdlib_module_names)
    | fw.ML_MODULE_ROOTS
    | {
        "numpy",
        "pandas",
        "scipy",
        "matplotlib",
        "PIL",
        "cv2",
        "yaml",
        "tqdm",
        "requests",
    }
)


def _artifact_neighbours(
    items: Sequence[Parsed], index: ProjectIndex, reads: Reads | None = None
) -> set[Path]:
    """Scripts beside a file (or one folder up) that name an artifact the file saves or loads,
    or that import the same sibling module (a shared `config.py` holding the paths)."""
    from preplint.analysis.artifacts import artifact_events
    from preplint.facts.paths import basename

    found: set[Path] = set()
    for item in items:
        if item.facts is None:
            continue
        imported = _imported_neighbours(item, reads)
        needles = {f"import {p.stem}".encode() for p in imported if p.stem != "__init__"}
        needles |= {f"from {p.stem} import".encode() for p in imported if p.stem != "__init__"}
        for event in artifact_events(item.facts, index):
            name = basename(event.path)
            if name and "*" not in name:
                needles.add(name.encode())
        if not needles:
            continue
        folder = Path(item.path).parent
        for near in {folder, folder.parent}:
            try:
                siblings = sorted(p for p in near.iterdir() if p.suffix == ".py" and p.is_file())
            except OSError:
                continue
            for sibling in siblings[:_PARTNER_SCAN_LIMIT]:
                if reads is not None:
                    data = reads.data(sibling)
                else:
                    try:
                        data = sibling.read_bytes()
                    except OSError:
                        data = None
                if data is not None and any(n in data for n in needles):
                    found.add(sibling)
    return found


def _extract_new(
    files: set[Path],
    config: Config,
    seen: set[str],
    jobs: int,
    cache: object | None,
    reads: Reads | None = None,
) -> list[Parsed]:
    chosen: dict[str, Path] = {}
    for file in files:
        shown = display_path(file)
        if shown not in seen and not config.excluded(file):
            chosen.setdefault(shown, file)
    if reads is not None:
        for file in chosen.values():
            reads.data(file)  # also those that will not parse: fixing one changes the result
    parsed = extract_all([(f, s) for s, f in sorted(chosen.items())], jobs=jobs, cache=cache)
    # Quietly drop partners that do not parse: they are not what the user asked about.
    return [p for p in parsed if p.facts is not None]


def find_partners(
    targets: Sequence[Parsed],
    config: Config,
    jobs: int,
    cache: object | None,
    reads: Reads | None = None,
) -> list[Parsed]:
    """Files beside the targets that they import or share an artifact path with.

    Only the neighbourhood is read (sibling modules, scripts in the same folder or one up), so
    `preplint check one_file.py` stays about as fast as parsing that file; a folder linted as a
    whole links everything inside it anyway.
    """
    seen = {p.path for p in targets}
    found: list[Parsed] = []
    imported = _extract_new(
        set().union(*(_imported_neighbours(p, reads) for p in targets)),
        config,
        seen,
        jobs,
        cache,
        reads,
    )
    found += imported
    seen |= {p.path for p in imported}
    index = ProjectIndex([p.facts for p in (*targets, *found) if p.facts is not None])
    sharing = _extract_new(
        _artifact_neighbours(targets, index, reads), config, seen, jobs, cache, reads
    )
    found += sharing
    seen |= {p.path for p in sharing}
    # What the other side imports: train.py's custom layers module, its config.
    found += _extract_new(
        set().union(*(_imported_neighbours(p, reads) for p in sharing)),
        config,
        seen,
        jobs,
        cache,
        reads,
    )
    return found


def neighbourhood_listing(files: Sequence[Path]) -> list[str]:
    """The .py files a partner search may read: a new one there changes the run's key."""
    folders = {f.parent for f in files} | {f.parent.parent for f in files}
    listing: list[str] = []
    for folder in sorted(folders):
        try:
            listing.extend(sorted(str(p) for p in folder.iterdir() if p.suffix == ".py"))
        except OSError:
            continue
    return listing
