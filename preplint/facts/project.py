"""The project index: every file of a run, linked by imported names and artifact paths.

The index knows each file by a small summary (path, module name, content digest, the names it
calls and the classes it defines) and hands out a file's full facts only when analysis asks for
them, loading them on demand. Every question is asked on behalf of a file (the *asker*: the file
whose analysis needs the answer), and the index records what each asker used: the files whose
facts it read, the answers of name lookups, and the project-wide answers it read (see
`preplint.analysis.context`). A file's findings can change only when something its askers used
changes: that is what lets a re-run after an edit redo only the files the edit can reach.
"""

from __future__ import annotations

import sys
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from preplint.facts.model import ClassDef, Const, FileFacts, Function, Value


@dataclass(frozen=True)
class FileSummary:
    """What the index knows of a file without its facts."""

    path: str
    module: str
    digest: str  # of the file's content; "" when unknown (files given as facts only)
    call_leaves: frozenset[str]  # last part of every callee and qualname (`np.save` → `save`)
    class_names: frozenset[str]


def summarize(facts: FileFacts, digest: str = "") -> FileSummary:
    # Interned: the same names recur in thousands of files' summaries.
    intern = sys.intern
    return FileSummary(
        intern(facts.path),
        intern(facts.module),
        digest,
        frozenset(
            intern(name.rsplit(".", 1)[-1])
            for c in facts.calls
            for name in (c.callee, c.qualname)
            if name
        ),
        frozenset(intern(c.name) for c in facts.classes),
    )


def estimated_size(facts: FileFacts) -> int:
    """About how many bytes `facts` take in memory. From the pickled size of 600 files of public
    projects: some 300 bytes per call or assignment and 1.4 KB a file (nine files in ten within
    0.8 and 1.8 times that), and about five times as much once unpickled."""
    return 5 * (300 * (len(facts.calls) + len(facts.assigns)) + 1_400)


# Lookup kinds whose answers are recomputed from summaries alone when a run is validated.
Lookup = tuple[str, ...]


@dataclass
class Uses:
    """What analysis on behalf of one file used: the raw material of its cache key."""

    files: set[str] = field(default_factory=set)  # files whose facts were read
    lookups: dict[Lookup, str | None] = field(default_factory=dict)  # name lookups → answer
    reads: dict[tuple[object, ...], str] = field(default_factory=dict)  # project answers → digest
    everything: bool = False  # looked at every file: any change anywhere counts

    def merge(self, other: Uses) -> None:
        self.files |= other.files
        self.lookups.update(other.lookups)
        self.reads.update(other.reads)
        self.everything = self.everything or other.everything


def asker_path(asker: FileFacts | str | None) -> str:
    if asker is None:
        return ""
    return asker if isinstance(asker, str) else asker.path


class ProjectIndex:
    def __init__(
        self,
        files: Iterable[FileFacts] = (),
        dependency_files: dict[str, str] | None = None,
        *,
        summaries: Sequence[FileSummary] = (),
        load: Callable[[str], FileFacts | None] | None = None,
        weigh: Callable[[FileFacts], int] | None = None,
        spill: Callable[[FileFacts], bool] | None = None,
    ) -> None:
        """`files`: facts at hand; `summaries`: the run's files in order, whose facts (unless
        given in `files`) `load(path)` reads when they are first needed. Without summaries the
        run is `files`, in order. `weigh(facts)`: what a file's loaded facts count against
        `keep_loaded` (1 each without it); `spill(facts)`: called before facts are let go, so
        that `load` can read them again (facts held since extraction were never written);
        facts it cannot write (False) are kept."""
        loaded = list(files)
        # Loaded facts, least recently used first (`settle` lets the oldest go).
        self._facts: OrderedDict[str, FileFacts] = OrderedDict((f.path, f) for f in loaded)
        # Facts let go but still referenced (by a memo that kept a reference): reused, never
        # loaded twice, so a file's facts are one object for the whole run (`owner is facts`).
        self._alive: weakref.WeakValueDictionary[str, FileFacts] = weakref.WeakValueDictionary()
        self._weigh = weigh
        self._spill = spill
        self._weight = sum(map(self._weight_of, self._facts.values()))  # of the facts in `_facts`
        self.summaries: tuple[FileSummary, ...] = (
            tuple(summaries) if summaries else tuple(summarize(f) for f in loaded)
        )
        self._summary: dict[str, FileSummary] = {s.path: s for s in self.summaries}
        self._load = load
        # requirements*.txt, pyproject.toml, setup.cfg, environment.yml: display path → text
        self.dependency_files: dict[str, str] = dict(dependency_files or {})
        self._by_module: dict[str, list[str]] = {}
        for s in self.summaries:
            parts = s.module.split(".")
            for i in range(len(parts)):
                self._by_module.setdefault(".".join(parts[i:]), []).append(s.path)
        self._calling: dict[str, tuple[str, ...]] | None = None
        # asker path → what it used; "" collects uses nobody claimed (every file depends on them)
        self.uses: dict[str, Uses] = {}
        self.asking: list[str] = []
        # Off when nothing will keep the uses (a run without a cache): saves time and memory.
        self.recording = True
        # How much loaded facts (counted by `weigh`) to hold before `settle` lets the least
        # recently used go (None: all). Set it before the first question.
        self.keep_loaded: int | None = None
        # Every analysis answer of this run: a preplint.analysis.context.ProjectContext, made
        # on first use (facts know nothing of analysis, so the slot is typed loosely here).
        self.analysis: object = None

    # --- recording ---------------------------------------------------------------------------
    #
    # A use is recorded under the file whose analysis is running (the top of `asking`: the file
    # whose rules run, or the file a memoised answer is being computed for) and under the file
    # the question names, when it names one. Either way a file's cache key reaches it.

    def used(self, asker: FileFacts | str | None) -> Uses:
        path = asker_path(asker)
        found = self.uses.get(path)
        if found is None:
            found = self.uses[path] = Uses()
        return found

    def _recipients(self, asker: FileFacts | str | None) -> list[Uses]:
        if not self.recording:
            return []
        top = self.asking[-1] if self.asking else ""
        named = asker_path(asker)
        out = [self.used(top)]
        if named and named != top:
            out.append(self.used(named))
        return out

    def note_file(self, path: str, asker: FileFacts | str | None = None) -> None:
        for u in self._recipients(asker):
            u.files.add(path)

    def note_lookup(
        self, lookup: Lookup, answer: str | None, asker: FileFacts | str | None = None
    ) -> None:
        for u in self._recipients(asker):
            u.lookups[lookup] = answer

    def note_read(self, key: tuple[object, ...], value_digest: str) -> None:
        for u in self._recipients(None):
            u.reads[key] = value_digest

    def note_everything(self, asker: FileFacts | str | None = None) -> None:
        for u in self._recipients(asker):
            u.everything = True

    def settle(self, keep: int | None = None) -> None:
        """Between two files' analyses: while more facts are loaded than `keep_loaded` (or
        `keep`), let the least recently used go, with their files' analysis answers (project-wide
        answers stay). The next question about them loads them again."""
        cap = self.keep_loaded if keep is None else keep
        if cap is None or self._load is None:
            return
        forget = getattr(self.analysis, "forget_file", None)
        kept: list[tuple[str, FileFacts]] = []  # could not be written: held over the budget
        while self._facts and self._weight > cap:
            path, facts = self._facts.popitem(last=False)
            if self._spill is not None and not self._spill(facts):
                kept.append((path, facts))
                continue
            self._weight -= self._weight_of(facts)
            if forget is not None:
                forget(facts)
        for path, facts in reversed(kept):
            self._facts[path] = facts
            self._facts.move_to_end(path, last=False)

    @property
    def all_loaded(self) -> bool:
        """Every file's facts are held (nothing was let go, or all were loaded again)."""
        return len(self._facts) == len(self.summaries)

    @property
    def partly_loaded(self) -> bool:
        """Some file's facts wait to be loaded, under a budget that let them go."""
        return self.keep_loaded is not None and not self.all_loaded

    def _weight_of(self, facts: FileFacts) -> int:
        return self._weigh(facts) if self._weigh is not None else 1

    def _hold(self, path: str, facts: FileFacts) -> None:
        self._facts[path] = facts
        self._weight += self._weight_of(facts)

    def push(self, path: str) -> None:
        self.asking.append(path)

    def pop(self) -> None:
        self.asking.pop()

    def take_uses(self) -> dict[str, Uses]:
        """What was recorded since the last call (a forked worker sends it back)."""
        taken, self.uses = self.uses, {}
        return taken

    def merge_uses(self, uses: dict[str, Uses]) -> None:
        for path, u in uses.items():
            self.used(path).merge(u)

    # --- files -------------------------------------------------------------------------------

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(s.path for s in self.summaries)

    def summary(self, path: str) -> FileSummary | None:
        return self._summary.get(path)

    def loaded(self, path: str) -> FileFacts | None:
        """A file's facts, loading them if needed; nothing recorded (the caller records)."""
        found = self._facts.get(path)
        if found is not None:
            if self.keep_loaded is not None:
                self._facts.move_to_end(path)
            return found
        if path in self._summary and self._load is not None:
            found = self._alive.get(path)
            if found is None:
                found = self._load(path)
            if found is not None:
                self._hold(path, found)
                self._alive[path] = found
        return found

    def file(self, path: str, asker: FileFacts | str | None = None) -> FileFacts | None:
        """The facts of the file at `path` (a display path), read for `asker`."""
        found = self.loaded(path)
        self.note_lookup(("file", path), path if found is not None else None, asker)
        if found is not None:
            self.note_file(path, asker)
        return found

    def hold(self, facts: FileFacts) -> None:
        """Count `facts` among the loaded facts again if the index let them go while they were
        still in use (see `settle`)."""
        path = facts.path
        if path not in self._facts and self._alive.get(path) is facts:
            self._hold(path, facts)

    @property
    def files(self) -> tuple[FileFacts, ...]:
        """Every file's facts. Whoever reads this depends on every file: prefer the keyed
        questions below (`files_calling`, `files_in_folder`)."""
        self.note_everything()
        return self._all()

    def every_file(self, asker: FileFacts | str | None) -> tuple[FileFacts, ...]:
        """Every file's facts, for `asker`, which then depends on every file of the run."""
        self.note_everything(asker)
        return self._all()

    def _all(self) -> tuple[FileFacts, ...]:
        out = []
        for s in self.summaries:
            f = self.loaded(s.path)
            if f is not None:
                out.append(f)
        return tuple(out)

    def file_count(self, asker: FileFacts | str | None) -> int:
        self.note_lookup(("count",), str(len(self.summaries)), asker)
        return len(self.summaries)

    def _handed(self, paths: Iterable[str], asker: FileFacts | str | None) -> list[FileFacts]:
        out = []
        for path in paths:
            f = self.loaded(path)
            if f is not None:
                self.note_file(path, asker)
                out.append(f)
        return out

    def calling_paths(self, name: str) -> tuple[str, ...]:
        if self._calling is None:
            table: dict[str, list[str]] = {}
            for s in self.summaries:
                for leaf in s.call_leaves:
                    table.setdefault(leaf, []).append(s.path)
            self._calling = {k: tuple(v) for k, v in table.items()}
        return self._calling.get(name, ())

    def files_calling(self, name: str, asker: FileFacts | str | None = None) -> list[FileFacts]:
        """Files with a call whose callee ends in `name` (`Trainer(...)`, `x.Trainer(...)`)."""
        paths = self.calling_paths(name)
        self.note_lookup(("calling", name), "\0".join(paths), asker)
        return self._handed(paths, asker)

    def files_calling_any(
        self, names: Iterable[str], asker: FileFacts | str | None = None
    ) -> list[FileFacts]:
        """`files_calling` for several names, each file once, in the run's file order."""
        wanted: set[str] = set()
        for name in sorted(set(names)):
            paths = self.calling_paths(name)
            self.note_lookup(("calling", name), "\0".join(paths), asker)
            wanted.update(paths)
        return self._handed([s.path for s in self.summaries if s.path in wanted], asker)

    def folder_paths(self, folder: str) -> tuple[str, ...]:
        return tuple(s.path for s in self.summaries if s.path.rpartition("/")[0] == folder)

    def files_in_folder(self, folder: str, asker: FileFacts | str | None) -> list[FileFacts]:
        """The files directly inside `folder` (a display path, "" for the current folder)."""
        paths = self.folder_paths(folder)
        self.note_lookup(("folder", folder), "\0".join(paths), asker)
        return self._handed(paths, asker)

    def class_files_under_paths(self, folder: str) -> tuple[str, ...]:
        prefix = folder + "/" if folder else ""
        return tuple(s.path for s in self.summaries if s.class_names and s.path.startswith(prefix))

    def class_files_under(
        self, folder: str, asker: FileFacts | str | None = None
    ) -> list[FileFacts]:
        """Files defining a class, in `folder` or below ("": every such file)."""
        paths = self.class_files_under_paths(folder)
        self.note_lookup(("class-files-under", folder), "\0".join(paths), asker)
        return self._handed(paths, asker)

    def class_paths(self, name: str, module_part: str) -> tuple[str, ...]:
        return tuple(
            s.path
            for s in self.summaries
            if name in s.class_names and module_part in s.module.split(".")
        )

    def files_defining_class(
        self, name: str, module_part: str, asker: FileFacts | str | None = None
    ) -> list[FileFacts]:
        """Files defining a class `name` in a module with `module_part` in its dotted name."""
        paths = self.class_paths(name, module_part)
        self.note_lookup(("classes", name, module_part), "\0".join(paths), asker)
        return self._handed(paths, asker)

    def answer(self, lookup: Lookup) -> str | None:
        """A recorded lookup asked again of this index (validating a cached result)."""
        kind = lookup[0]
        if kind == "module" and len(lookup) == 3:
            return self.module_path(lookup[1], lookup[2])
        if kind == "file" and len(lookup) == 2:
            return lookup[1] if lookup[1] in self._summary else None
        if kind == "count":
            return str(len(self.summaries))
        if kind == "calling" and len(lookup) == 2:
            return "\0".join(self.calling_paths(lookup[1]))
        if kind == "folder" and len(lookup) == 2:
            return "\0".join(self.folder_paths(lookup[1]))
        if kind == "class-files-under" and len(lookup) == 2:
            return "\0".join(self.class_files_under_paths(lookup[1]))
        if kind == "classes" and len(lookup) == 3:
            return "\0".join(self.class_paths(lookup[1], lookup[2]))
        return "\0?"  # a lookup this version does not know: never equal to a recorded answer

    # --- names across modules --------------------------------------------------------------

    def module_path(self, dotted: str, near: str = "") -> str | None:
        found = self._by_module.get(dotted)
        if not found:
            return None
        if near and len(found) > 1:
            return max(found, key=lambda p: (shared_folders(p, near), -len(p)))
        return found[0]

    def module(
        self, dotted: str, near: str = "", asker: FileFacts | str | None = None
    ) -> FileFacts | None:
        """The file for a module name, matching by suffix ('src.config' or 'config').

        When several folders hold a module of that name (two projects linted together), the one
        closest to `near` (the importing file's path) wins. `asker` defaults to `near`.
        """
        path = self.module_path(dotted, near)
        who = asker if asker is not None else near
        self.note_lookup(("module", dotted, near), path, who)
        if path is None:
            return None
        found = self.loaded(path)
        if found is not None:
            self.note_file(path, who)
        return found

    def _imported(self, facts: FileFacts, local: str) -> tuple[FileFacts, str] | None:
        qual = facts.imports.get(local)
        if qual is None:
            return None
        mod, _, name = qual.rpartition(".")
        owner = self.module(mod, facts.path) if mod else None
        if owner is None or owner is facts:
            return None
        return owner, name

    def constant(self, facts: FileFacts, dotted: str, depth: int = 0) -> Const:
        """The value of a module constant, following imports (`from config import MODEL_PATH`)."""
        if depth > 5:
            return None
        if dotted in facts.constants:
            return facts.constants[dotted]
        root, _, rest = dotted.partition(".")
        if rest:
            # `config.MODEL_PATH` with `import config` / `from src import config`
            qual = facts.imports.get(root)
            owner = self.module(qual, facts.path) if qual else None
            if owner is not None and owner is not facts:
                return self.constant(owner, rest, depth + 1)
            return None
        found = self._imported(facts, dotted)
        if found is not None:
            owner, name = found
            return self.constant(owner, name, depth + 1)
        return None

    def resolve_path(
        self, facts: FileFacts, value: Value, scope: str, stmt: int, depth: int = 0
    ) -> str:
        """A path expression's string, through local assignments and imported constants."""
        if isinstance(value.const, str) and value.const not in ("*", ""):
            return value.const
        if depth > 4:
            return ""
        if value.kind in ("name", "attr"):
            assign = facts.reaching_assign(value.text, scope, stmt)
            if assign is not None and assign.op == "=":
                return self.resolve_path(facts, assign.value, assign.scope, assign.stmt, depth + 1)
            const = self.constant(facts, value.text)
            if isinstance(const, str):
                return const
        if value.kind in ("fstring", "binop", "call") and value.names:
            # f"{MODEL_DIR}/x.keras" or os.path.join(MODEL_DIR, "x.keras") with imported or local names
            text = value.const if isinstance(value.const, str) else ""
            if text and "*" in text:
                return text
        return ""

    def class_for(self, facts: FileFacts, local: str) -> tuple[FileFacts, ClassDef] | None:
        if local in facts.class_by_name:
            return facts, facts.class_by_name[local]
        found = self._imported(
            facts, local.split(".")[-1] if "." not in local else local.split(".")[0]
        )
        if found is not None:
            owner, name = found
            name = local.split(".")[-1] if "." in local else name
            cls = owner.class_by_name.get(name)
            if cls is not None:
                return owner, cls
        return None

    def function_for(self, facts: FileFacts, local: str) -> tuple[FileFacts, Function] | None:
        if local in facts.function_by_qualname:
            return facts, facts.function_by_qualname[local]
        root, _, rest = local.partition(".")
        if rest:
            qual = facts.imports.get(root)
            owner = self.module(qual, facts.path) if qual else None
            if owner is not None and rest in owner.function_by_qualname:
                return owner, owner.function_by_qualname[rest]
            return None
        found = self._imported(facts, local)
        if found is not None:
            owner, name = found
            fn = owner.function_by_qualname.get(name)
            if fn is not None:
                return owner, fn
        return None

    def all_classes(self) -> Iterator[tuple[FileFacts, ClassDef]]:
        for f in self.files:
            for c in f.classes:
                yield f, c


def shared_folders(a: str, b: str) -> int:
    """How many leading folders two paths share."""
    fa, fb = a.replace("\\", "/").split("/")[:-1], b.replace("\\", "/").split("/")[:-1]
    n = 0
    for x, y in zip(fa, fb, strict=False):
        if x != y:
            break
        n += 1
    return n
