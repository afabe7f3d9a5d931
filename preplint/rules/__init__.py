"""The rule registry: each rule is a function over facts with its docs and examples beside it."""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from preplint.diagnostics import Fix, Related, Severity, Span

if TYPE_CHECKING:
    from preplint.facts.model import FileFacts
    from preplint.facts.project import ProjectIndex

Example = str | dict[str, str]  # one snippet, or {relative path: source} for a project


@dataclass(frozen=True)
class Finding:
    """What a rule yields; the engine adds the rule's code, name, severity and the path."""

    span: Span
    message: str
    related: tuple[Related, ...] = ()
    fix: Fix | None = None
    artifact: str | None = None
    severity: Severity | None = None  # overrides the rule's default when set
    path: str | None = (
        None  # another file of the project (a dependency file) when the finding is about it
    )


CheckFn = Callable[["FileFacts", "ProjectIndex"], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity
    check: CheckFn
    docs: str  # markdown: What it does / Why is this bad? / Example / Use instead / References
    positives: tuple[Example, ...] = ()
    negatives: tuple[Example, ...] = ()
    fixable: bool = False
    family: str = field(default="")

    @property
    def summary(self) -> str:
        """The first sentence of 'What it does'."""
        section = self.section("What it does")
        first = re.split(r"(?<=[.!?])\s", " ".join(section.split()), maxsplit=1)[0]
        return first

    def section(self, title: str) -> str:
        match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", self.docs, re.S | re.M)
        return match.group(1).strip() if match else ""

    @property
    def markdown(self) -> str:
        return f"# {self.code} ({self.name})\n\nSeverity: {self.severity.label}. Fix available: {'yes' if self.fixable else 'no'}.\n\n{self.docs.strip()}\n"


_REGISTRY: dict[str, Rule] = {}
FAMILIES = ("pre", "load", "mode", "dtype", "seed", "safe", "env")


def _docs_from_docstring(doc: str) -> str:
    """Turn a docstring with 'What it does:' style headings into markdown sections."""
    text = inspect.cleandoc(doc)
    headings = ("What it does", "Why is this bad?", "Example", "Use instead", "References")
    out: list[str] = []
    for line in text.splitlines():
        stripped = line.rstrip()
        if stripped.rstrip(":") in headings and stripped.endswith(":"):
            out.append(f"## {stripped.rstrip(':')}")
        else:
            out.append(line)
    return "\n".join(out)


def rule(
    code: str,
    name: str,
    *,
    severity: str,
    positives: Iterable[Example] = (),
    negatives: Iterable[Example] = (),
    fixable: bool = False,
) -> Callable[[CheckFn], CheckFn]:
    """Register `check` as rule `code`; its docstring becomes `preplint rule CODE`."""

    def register(check: CheckFn) -> CheckFn:
        if code in _REGISTRY:
            raise RuntimeError(f"rule {code} registered twice")
        _REGISTRY[code] = Rule(
            code=code,
            name=name,
            severity=Severity.parse(severity),
            check=check,
            docs=_docs_from_docstring(check.__doc__ or ""),
            positives=tuple(positives),
            negatives=tuple(negatives),
            fixable=fixable,
            family=check.__module__.rsplit(".", 1)[-1],
        )
        return check

    return register


_loaded = False


def all_rules() -> tuple[Rule, ...]:
    """Every registered rule, sorted by code."""
    global _loaded
    if not _loaded:
        for family in FAMILIES:
            try:
                importlib.import_module(f"preplint.rules.{family}")
            except ModuleNotFoundError as exc:
                if exc.name != f"preplint.rules.{family}":
                    raise
        _loaded = True
    return tuple(_REGISTRY[c] for c in sorted(_REGISTRY, key=_code_key))


def _code_key(code: str) -> tuple[int, str]:
    family = re.match(r"[A-Z]+", code)
    order = (
        FAMILIES.index(family.group(0).lower())
        if family and family.group(0).lower() in FAMILIES
        else 99
    )
    return (order, code)


def get_rule(code: str) -> Rule | None:
    all_rules()
    return _REGISTRY.get(code.upper())


def iter_codes() -> Iterator[str]:
    return (r.code for r in all_rules())
