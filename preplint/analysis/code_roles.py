"""Test code and framework source: code whose models never ship to users."""

from __future__ import annotations

import re

from preplint.analysis.scopes import enclosing_class, enclosing_functions
from preplint.facts import frameworks as fw
from preplint.facts.model import FileFacts


def is_pytest_function(facts: FileFacts, scope: str) -> bool:
    """A `test_*` function (or a function inside one) in a pytest-style test file, or a
    `test_*` method of a `unittest.TestCase` subclass in any file."""
    tests = [fn for fn in enclosing_functions(facts, scope) if fn.name.startswith("test_")]
    if not tests:
        return False
    base = facts.path.replace("\\", "/").rsplit("/", 1)[-1]
    if base.startswith("test_") or base.endswith("_test.py") or base == "conftest.py":
        return True
    return any(fn.cls and _is_testcase(facts, fn.cls) for fn in tests)


def _is_testcase(facts: FileFacts, cls: str) -> bool:
    found = facts.class_by_name.get(cls)
    return found is not None and any(b.rsplit(".", 1)[-1].endswith("TestCase") for b in found.bases)


_TEST_FOLDERS = frozenset({"test", "tests", "testing", "test_utils"})


_TEST_FRAMEWORKS = ("pytest", "unittest", "absl.testing", "hypothesis", "parameterized")


def is_framework_source(facts: FileFacts) -> bool:
    """A file of a framework itself (`keras/src/saving/...`, `torch/nn/...`): rules written for
    the framework's users do not judge how it handles its own internals and guards."""
    parts = facts.path.replace("\\", "/").split("/")[:-1]
    return any(p in fw.FRAMEWORK_PACKAGES and i + 1 < len(parts) for i, p in enumerate(parts))


def is_test_module(facts: FileFacts) -> bool:
    """A test file: `conftest.py`, or named `test_*.py` / `*_test.py` and either kept in a test
    folder or importing a test framework or a package's test utilities. The name alone is not
    enough: `train_test.py` is as likely a script that trains and then tests a model."""
    parts = facts.path.replace("\\", "/").split("/")
    base = parts[-1]
    if base == "conftest.py":
        return True
    if not (base.startswith("test_") or base.endswith("_test.py")):
        return False
    if _TEST_FOLDERS & set(parts[:-1]):
        return True
    for qual in facts.imports.values():
        if qual.startswith(_TEST_FRAMEWORKS) or _TEST_FOLDERS & set(qual.split(".")):
            return True
    return False


def is_test_code(facts: FileFacts, scope: str) -> bool:
    """Code that checks a model rather than produces one: anything in a test module, a pytest
    `test_*` function, or any method of a `TestCase` subclass (its helpers too, e.g. a base
    class's `run_layer_test`). A class is not a test class merely for having a `test_epoch`
    method: training scripts name their evaluation that way."""
    if is_test_module(facts) or is_pytest_function(facts, scope):
        return True
    cls = enclosing_class(facts, scope)
    seen: set[str] = set()
    while cls and cls not in seen and len(seen) < 6:
        seen.add(cls)
        found = facts.class_by_name.get(cls)
        if found is None:
            return False
        if any(b.rsplit(".", 1)[-1].endswith("TestCase") for b in found.bases):
            return True
        local = [b for b in found.bases if b in facts.class_by_name]
        cls = local[0] if local else ""
    return False


_TEST_CLASS_NAME = re.compile(r"^Test(?:[A-Z0-9_]|$)|Tests?$|TestCase$")


def is_test_class(facts: FileFacts, cls: str) -> bool:
    """A unittest/pytest test class (`TestCase` subclass, `Test*`/`*Test` name, `test_*` methods)."""
    if _TEST_CLASS_NAME.search(cls) or _is_testcase(facts, cls):
        return True
    found = facts.class_by_name.get(cls)
    return found is not None and any(m.startswith("test_") for m in found.methods)
