"""The project index: facts of every file, linked by imported names and artifact paths."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from preplint.facts.model import ClassDef, Const, FileFacts, Function, Value


class ProjectIndex:
    def __init__(
        self, files: Iterable[FileFacts], dependency_files: dict[str, str] | None = None
    ) -> None:
        self.files: tuple[FileFacts, ...] = tuple(files)
        # requirements*.txt, pyproject.toml, setup.cfg, environment.yml: display path → text
        self.dependency_files: dict[str, str] = dict(dependency_files or {})
        self._by_module: dict[str, list[FileFacts]] = {}
        for f in self.files:
            parts = f.module.split(".")
            for i in range(len(parts)):
                self._by_module.setdefault(".".join(parts[i:]), []).append(f)
        # Every analysis answer of this run: a preplint.analysis.context.ProjectContext, made
        # on first use (facts know nothing of analysis, so the slot is typed loosely here).
        self.analysis: object = None

    # --- names across modules --------------------------------------------------------------

    def module(self, dotted: str, near: str = "") -> FileFacts | None:
        """The file for a module name, matching by suffix ('src.config' or 'config').

        When several folders hold a module of that name (two projects linted together), the one
        closest to `near` (the importing file's path) wins.
        """
        found = self._by_module.get(dotted)
        if found and near and len(found) > 1:
            return max(found, key=lambda f: (shared_folders(f.path, near), -len(f.path)))
        if found:
            return found[0]
        # `from pkg import config` then `config.X`
        return None

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

    def file(self, path: str) -> FileFacts | None:
        for f in self.files:
            if f.path == path:
                return f
        return None


def shared_folders(a: str, b: str) -> int:
    """How many leading folders two paths share."""
    fa, fb = a.replace("\\", "/").split("/")[:-1], b.replace("\\", "/").split("/")[:-1]
    n = 0
    for x, y in zip(fa, fb, strict=False):
        if x != y:
            break
        n += 1
    return n
