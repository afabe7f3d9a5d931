"""The rule registry: one file per rule under `rules/<family>/`, its docs and examples beside it."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from preplint.analysis.context import FileContext, file_context
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
    preview: bool = False  # from a part of the rule still in preview (shown only with --preview)


RuleFn = Callable[[FileContext], Iterable[Finding]]  # what a rule file defines
CheckFn = Callable[["FileFacts", "ProjectIndex"], Iterable[Finding]]  # what the engine calls


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
    # the confirmation probe that can confirm a finding (names in confirm/probes.py)
    probe: str | None = None
    module: str = ""  # the module that defines it: preplint.rules.<family>.<code>_<name>
    # The whole rule is in preview: below 0.90 precision on public code, off unless --preview.
    preview: bool = False

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
    def source(self) -> str:
        """The rule's file, relative to the repository root."""
        return self.module.replace(".", "/") + ".py"

    @property
    def markdown(self) -> str:
        tier = " Preview: yes (off unless `--preview` or `preview = true`)." if self.preview else ""
        return f"# {self.code} ({self.name})\n\nSeverity: {self.severity.label}. Fix available: {'yes' if self.fixable else 'no'}.{tier}\n\n{self.docs.strip()}\n"


_REGISTRY: dict[str, Rule] = {}
FAMILIES = ("pre", "load", "mode", "dtype", "seed", "safe", "env")


def _docs_from_docstring(doc: str) -> str:
    """Turn a docstring with 'What it does:' style headings into markdown sections."""
    text = inspect.cleandoc(doc)
    headings = (
        "What it does",
        "Why is this bad?",
        "Example",
        "Use instead",
        "Preview",
        "References",
    )
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
    probe: str | None = None,
    preview: bool = False,
) -> Callable[[RuleFn], RuleFn]:
    """Register `check` as rule `code`; its docstring becomes `preplint rule CODE`.

    `positives` fire exactly on their `# expect: CODE` lines; `negatives` stay quiet. The
    generic example test checks every rule of the family on them, not only this one.
    """

    def register(check: RuleFn) -> RuleFn:
        if code in _REGISTRY:
            raise RuntimeError(f"rule {code} registered twice")
        _REGISTRY[code] = Rule(
            code=code,
            name=name,
            severity=Severity.parse(severity),
            check=_on_facts(check),
            docs=_docs_from_docstring(check.__doc__ or ""),
            positives=tuple(positives),
            negatives=tuple(negatives),
            fixable=fixable,
            family=check.__module__.split(".")[2],
            probe=probe,
            module=check.__module__,
            preview=preview,
        )
        return check

    return register


def _on_facts(check: RuleFn) -> CheckFn:
    """The rule as the engine calls it: over one file's facts and the run's index."""

    def run(facts: FileFacts, index: ProjectIndex) -> Iterable[Finding]:
        return check(file_context(facts, index))

    return run


_loaded = False


def all_rules() -> tuple[Rule, ...]:
    """Every registered rule, sorted by code."""
    global _loaded
    if not _loaded:
        for family in FAMILIES:
            package = importlib.import_module(f"preplint.rules.{family}")
            for module in pkgutil.iter_modules(package.__path__):
                importlib.import_module(f"{package.__name__}.{module.name}")
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
