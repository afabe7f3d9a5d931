"""One analysis context per file of a run: the facts, the project index and every memo of analysis."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from preplint.analysis.records import Contribution

if TYPE_CHECKING:
    from preplint.analysis.records import (
        ArrayInfo,
        ArtifactEvent,
        Binding,
        CustomObject,
        ModelFeed,
        ModuleState,
        PreFit,
        SeedCall,
        TrainInput,
    )
    from preplint.facts.model import Call, FileFacts
    from preplint.facts.project import ProjectIndex


class FileMemos:
    """Every answer of analysis about one file, typed, kept for as long as the run's index lives.

    A new index starts with new memos, so nothing needs wiping. A slot that is None (or
    missing from a table) has not been computed yet.
    """

    def __init__(self) -> None:
        # training paths
        self.training_calls: tuple[Call, ...] | None = None
        self.trains: dict[str, bool] = {}  # function qualname → trains (False while computing)
        # module modes
        self.module_states: dict[tuple[str, str, int, int], ModuleState] = {}
        self.derived_states: dict[tuple[object, ...], ModuleState] = {}
        self.calls_mentioning: dict[tuple[str, str], list[Call]] | None = None
        self.module_like_classes: dict[str, bool] = {}
        # arrays
        self.arrays: dict[tuple[object, str, int], ArrayInfo] = {}
        # models
        self.model_feeds: tuple[ModelFeed, ...] | None = None
        self.model_loads: tuple[Call, ...] | None = None
        self.model_holding_classes: frozenset[str] | None = None
        # objects and artifacts
        self.bindings: tuple[Binding, ...] | None = None
        self.artifact_events: tuple[ArtifactEvent, ...] | None = None
        self.custom_objects: dict[str | None, tuple[CustomObject, ...]] = {}
        self.instantiations: tuple[frozenset[str], frozenset[str]] | None = None
        # preprocessing
        self.preprocessor_fits: tuple[PreFit, ...] | None = None
        self.train_inputs: tuple[TrainInput, ...] | None = None
        # randomness
        self.seed_calls: list[SeedCall] | None = None
        self.seed_helper_families: dict[tuple[str, int], frozenset[str]] = {}


class FileContext:
    """What a rule asks about one file: its facts, the project, and the analysis answers.

    The properties are computed on first use and kept for the run.
    """

    def __init__(self, facts: FileFacts, index: ProjectIndex, memos: FileMemos) -> None:
        self.facts = facts
        self.index = index
        self.memos = memos

    # The views import their modules when first asked: every analysis module imports this one.

    @property
    def training_calls(self) -> tuple[Call, ...]:
        """Calls that train: fit calls, backward passes, and project functions that train."""
        from preplint.analysis.training import training_calls

        return training_calls(self.facts, self.index)

    @property
    def training_scopes(self) -> frozenset[str]:
        """Scopes (function qualnames, '' for module level) holding a training call."""
        from preplint.analysis.training import training_scopes

        return training_scopes(self.facts, self.index)

    @property
    def bindings(self) -> tuple[Binding, ...]:
        """Every assignment of an ML object (model, preprocessor, optimizer ...), in order."""
        from preplint.analysis.objects import bindings

        return bindings(self.facts, self.index)

    @property
    def artifact_events(self) -> tuple[ArtifactEvent, ...]:
        """This file's saves and loads, with resolved artifact paths."""
        from preplint.analysis.artifacts import artifact_events

        return artifact_events(self.facts, self.index)

    @property
    def project_events(self) -> tuple[ArtifactEvent, ...]:
        """Every save and load of the run."""
        from preplint.analysis.artifacts import project_events

        return project_events(self.index)

    @property
    def model_feeds(self) -> tuple[ModelFeed, ...]:
        """Every call that gives data to a model, marked train or infer."""
        from preplint.analysis.models import model_feeds

        return model_feeds(self.facts, self.index)

    @property
    def preprocessor_fits(self) -> tuple[PreFit, ...]:
        """Fits of preprocessors built in this file (stateless ones excluded)."""
        from preplint.analysis.preprocessing import preprocessor_fits

        return preprocessor_fits(self.facts, self.index)

    @property
    def seed_calls(self) -> list[SeedCall]:
        """Calls that seed global RNGs, directly or through project helpers."""
        from preplint.analysis.randomness import seed_calls

        return seed_calls(self.facts, self.index)

    @property
    def is_framework_source(self) -> bool:
        """The file is part of a framework's own source (`keras/src/...`)."""
        from preplint.analysis.code_roles import is_framework_source

        return is_framework_source(self.facts)


class ProjectContext:
    """The run's registry of file contexts, and the answers that belong to the whole project.

    Project-wide answers are built from each file's `Contribution` (its artifact events, the
    project functions its calls run, the classes it builds). A file's contribution depends on
    its own facts and the names it looks up; reading a project-wide answer is recorded, with a
    digest of the answer, under the file that asked (see `read`).
    """

    def __init__(self, index: ProjectIndex) -> None:
        self.index = index
        self._files: dict[int, FileContext] = {}
        # path → the file's share of the project-wide answers, computed or handed in
        self.contributions: dict[str, Contribution] = {}
        # every save and load of the run, in file order
        self.events: tuple[ArtifactEvent, ...] | None = None
        # (defining file path, function qualname) → (calling file, call id) of every call of it
        self.call_sites: dict[tuple[str, str], list[tuple[str, int]]] | None = None
        # class names instantiated inside Keras subclasses, and anywhere else
        self.instantiations: tuple[frozenset[str], frozenset[str]] | None = None
        # class's file → (class name, calling file, callee's last part, call id) of its builds
        self.constructions: dict[str, list[tuple[str, str, str, int]]] | None = None

    def file(self, facts: FileFacts) -> FileContext:
        found = self._files.get(id(facts))
        if found is None:
            # Facts handed on by a memo after the index let them go are held again, so that
            # their context goes when they go.
            self.index.hold(facts)
            # The context keeps `facts` alive, so its id is not reused during the run.
            found = self._files[id(facts)] = FileContext(facts, self.index, FileMemos())
            given = self.contributions.get(facts.path)
            if given is not None and given.events is not None:
                found.memos.artifact_events = given.events
        return found

    def read(self, key: tuple[object, ...], value: object) -> None:
        """Record that the file being analysed read the project-wide answer `key`."""
        if self.index.recording:
            self.index.note_read(key, digest(value))

    def forget_file(self, facts: FileFacts) -> None:
        """Drop a file's context (the index let its facts go; see `ProjectIndex.settle`)."""
        self._files.pop(id(facts), None)


def digest(value: object) -> str:
    """A stable digest of an analysis answer (dataclasses, tuples, sets, strings, numbers):
    the same in every process (sets are sorted: their order follows the hash seed)."""
    return hashlib.sha1(repr(_stable(value)).encode("utf-8", "surrogateescape")).hexdigest()[:20]


def _stable(value: object) -> object:
    if isinstance(value, (frozenset, set)):
        return ("set", sorted((_stable(v) for v in value), key=repr))
    if isinstance(value, (tuple, list)):
        return tuple(_stable(v) for v in value)
    return value


def project_context(index: ProjectIndex) -> ProjectContext:
    """The index's registry of contexts, made on first use."""
    found = index.analysis
    if not isinstance(found, ProjectContext):
        found = index.analysis = ProjectContext(index)
    return found


def file_context(facts: FileFacts, index: ProjectIndex) -> FileContext:
    """The context of `facts` in the run of `index`."""
    return project_context(index).file(facts)


def memos(facts: FileFacts, index: ProjectIndex | None) -> FileMemos:
    """The memos of `facts` in this run; without an index, memos that live for one call."""
    if index is None:
        return FileMemos()
    return project_context(index).file(facts).memos


_P = ParamSpec("_P")
_R = TypeVar("_R")


def on_behalf(fn: Callable[_P, _R]) -> Callable[_P, _R]:
    """Mark a memoised analysis of its first argument (a file's facts): what it uses while
    computing is recorded under that file, so every later reader of the memo depends on it."""

    @functools.wraps(fn)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        index = kwargs.get("index")
        if not isinstance(index, _ProjectIndex):
            index = None
            for a in args[1:]:
                if isinstance(a, _ProjectIndex):
                    index = a
                    break
        if index is None:
            return fn(*args, **kwargs)
        facts: Any = args[0]
        index.asking.append(facts.path)
        try:
            return fn(*args, **kwargs)
        finally:
            index.asking.pop()

    return wrapper


from preplint.facts.project import ProjectIndex as _ProjectIndex  # noqa: E402
