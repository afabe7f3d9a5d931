"""Custom Keras objects: the project classes and functions a saved Keras model needs at load time."""

from __future__ import annotations

from typing import TYPE_CHECKING

from preplint.analysis.context import memos, on_behalf
from preplint.analysis.records import CustomObject
from preplint.facts import frameworks as fw
from preplint.facts.model import Call, ClassDef, FileFacts, Function

if TYPE_CHECKING:
    from preplint.facts.project import ProjectIndex

# Keras base-class namespaces → what a subclass is, for serialisation purposes.
_BASE_KINDS: tuple[tuple[str, str], ...] = (
    ("keras.models.", "model"),
    ("keras.layers.", "layer"),
    ("keras.losses.", "loss"),
    ("keras.metrics.", "metric"),
    ("keras.initializers.", "initializer"),
    ("keras.regularizers.", "regularizer"),
    ("keras.constraints.", "constraint"),
    ("keras.optimizers.schedules.", "schedule"),
    ("keras.optimizers.", "optimizer"),
)
# Keyword arguments of Keras calls that take a function by name (activation=my_fn, loss=my_loss).
_FUNCTION_KEYWORDS = {
    "activation": "activation",
    "recurrent_activation": "activation",
    "kernel_initializer": "initializer",
    "bias_initializer": "initializer",
    "embeddings_initializer": "initializer",
    "kernel_regularizer": "regularizer",
    "bias_regularizer": "regularizer",
    "activity_regularizer": "regularizer",
    "kernel_constraint": "constraint",
    "bias_constraint": "constraint",
    "loss": "loss",
    "metrics": "metric",
    "weighted_metrics": "metric",
}
_COMPILE_POSITIONS = {1: "loss", 2: "metric"}  # model.compile(optimizer, loss, metrics)
_KERAS_LAMBDA = "keras.layers.Lambda"
_GLOBAL_REGISTRY = frozenset(
    {
        "keras.utils.get_custom_objects",
        "keras.saving.get_custom_objects",
        "keras.utils.generic_utils.get_custom_objects",
    }
)


def is_registered(decorators: tuple[str, ...]) -> bool:
    return any(
        d in fw.REGISTER_SERIALIZABLE or d.endswith("register_keras_serializable")
        for d in decorators
    )


def keras_class_kind(facts: FileFacts, name: str, index: ProjectIndex | None) -> str | None:
    """'model', 'layer', 'loss', 'metric', ... for a project class deriving from a Keras base, else None."""
    found = resolve_class(facts, name, index)
    if found is None:
        return None
    return _class_kind(found[0], found[1], index, 0)


def _class_kind(
    owner: FileFacts, cls: ClassDef, index: ProjectIndex | None, depth: int
) -> str | None:
    if depth > 8:
        return None
    for base in cls.bases:
        for prefix, kind in _BASE_KINDS:
            if base.startswith(prefix):
                return kind
        if base in ("keras.Model", "keras.Sequential"):
            return "model"
        if base == "keras.Layer":
            return "layer"
        parent = resolve_class(owner, base, index)
        if parent is not None and parent[1] is not cls:
            inherited = _class_kind(parent[0], parent[1], index, depth + 1)
            if inherited is not None:
                return inherited
    return None


def resolve_class(
    facts: FileFacts, name: str, index: ProjectIndex | None
) -> tuple[FileFacts, ClassDef] | None:
    """The project class a (dotted) name refers to: local, `from m import C`, or `import m; m.C`."""
    if not name:
        return None
    if name in facts.class_by_name:
        return facts, facts.class_by_name[name]
    if index is None:
        return None
    root, _, rest = name.partition(".")
    if rest and "." not in rest:
        qual = facts.imports.get(root, "")
        owner = index.module(qual, facts.path) if qual else None
        if owner is not None and owner is not facts and rest in owner.class_by_name:
            return owner, owner.class_by_name[rest]
        return None
    if not rest:
        return index.class_for(facts, name)
    return None


def resolve_function(
    facts: FileFacts, name: str, index: ProjectIndex | None
) -> tuple[FileFacts, Function] | None:
    """The project function (module level) a name refers to."""
    if not name:
        return None
    fn = facts.function_by_qualname.get(name)
    if fn is not None and not fn.cls:
        return facts, fn
    if index is None:
        return None
    found = index.function_for(facts, name)
    if found is not None and not found[1].cls:
        return found
    return None


def registers_globally(facts: FileFacts) -> bool:
    """`keras.utils.get_custom_objects().update(...)` (or item assignment) somewhere in the file."""
    return any(c.qualname in _GLOBAL_REGISTRY for c in facts.calls)


def _in_scope(call: Call, scope: str | None) -> bool:
    return scope is None or _in_scope_name(call.scope, scope)


def _in_scope_name(name: str, scope: str) -> bool:
    return name == scope or name.startswith(scope + ".")


@on_behalf
def custom_objects_used(
    facts: FileFacts, index: ProjectIndex | None, scope: str | None = None, depth: int = 0
) -> tuple[CustomObject, ...]:
    """Custom objects a Keras model built in this file (or in `scope`) refers to, following project helpers.

    Counted: instances of project Keras subclasses (layers, models, losses, metrics, ...), `Lambda`
    layers, and project functions passed as `activation=`, `loss=`, `metrics=`, initialisers ...
    Builders called from here (`build_model()` imported from model.py) are followed three levels deep.
    """
    memo = memos(facts, index).custom_objects
    cached = memo.get(scope)
    if cached is not None:
        return cached
    memo[scope] = ()  # recursion guard
    result = _collect(facts, index, scope, depth, None)
    memo[scope] = result
    return result


def custom_objects_in_statements(
    facts: FileFacts, index: ProjectIndex | None, scope: str, stmts: frozenset[int]
) -> tuple[CustomObject, ...]:
    """Custom objects the calls of the given statements (of `scope` itself) refer to, following
    project builders: what one `Sequential([...])`, `model.add(...)` or `model.compile(...)` uses."""
    return _collect(facts, index, scope, 0, stmts)


def _collect(
    facts: FileFacts,
    index: ProjectIndex | None,
    scope: str | None,
    depth: int,
    stmts: frozenset[int] | None,
) -> tuple[CustomObject, ...]:
    out: dict[tuple[str, str], CustomObject] = {}

    def add(obj: CustomObject) -> None:
        out.setdefault(
            (obj.file, obj.name if obj.kind != "lambda" else f"{obj.name}@{obj.span.line}"), obj
        )

    def add_function(name: str, kind: str) -> None:
        found = resolve_function(facts, name, index)
        if found is None:
            return
        owner, fn = found
        add(CustomObject(fn.name, kind, owner.path, fn.span, is_registered(fn.decorators)))

    # Calls inside a Keras subclass's own methods build its parts from code at load time: not serialised.
    keras_classes = {c.name for c in facts.classes if _class_kind(facts, c, index, 0) is not None}
    for call in facts.calls:
        if stmts is not None and (call.stmt not in stmts or call.scope != scope):
            continue
        if not _in_scope(call, scope) or call.scope.split(".", 1)[0] in keras_classes:
            continue
        qual = call.qualname
        if qual == _KERAS_LAMBDA:
            fn_arg = call.arg(0, "function")
            anonymous = fn_arg is not None and fn_arg.value.kind == "lambda"
            if fn_arg is not None and fn_arg.value.kind in ("name", "attr"):
                found = resolve_function(facts, fn_arg.value.text, index)
                if found is None and fn_arg.value.text not in facts.function_by_qualname:
                    continue  # Lambda(tf.nn.relu): a framework function, nothing custom to find
            add(CustomObject("Lambda", "lambda", facts.path, call.span, False, anonymous))
            continue
        keras_call = qual.startswith("keras.") or call.method == "compile"
        if keras_call:
            for position, arg in enumerate(
                a for a in call.args if a.keyword is None and not a.star
            ):
                kind = _COMPILE_POSITIONS.get(position) if call.method == "compile" else None
                if kind is not None:
                    for name in arg.value.names:
                        add_function(name, kind)
            for arg in call.args:
                fn_kind = _FUNCTION_KEYWORDS.get(arg.keyword or "")
                if fn_kind is not None:
                    for name in arg.value.names:
                        add_function(name, fn_kind)
        if qual and not _project_name(facts, call.callee, index):
            continue
        callee = call.callee
        if not callee:
            continue
        cls = resolve_class(facts, callee, index)
        if cls is not None:
            kind = _class_kind(cls[0], cls[1], index, 0)
            if kind is not None:
                add(
                    CustomObject(
                        cls[1].name,
                        kind,
                        cls[0].path,
                        cls[1].span,
                        is_registered(cls[1].decorators),
                    )
                )
            continue
        if depth < 3 and index is not None:
            fn_found = resolve_function(facts, callee, index)
            if fn_found is not None:
                owner, fn = fn_found
                # A whole-file scan already saw this file's own functions.
                if owner is not facts or (
                    scope is not None and not _in_scope_name(fn.qualname, scope)
                ):
                    for obj in custom_objects_used(owner, index, fn.qualname, depth + 1):
                        add(obj)
    return tuple(out.values())


def _project_name(facts: FileFacts, callee: str, index: ProjectIndex | None) -> bool:
    """Whether a qualified callee points into the project (`from layers import X`), not a library."""
    if index is None or not callee:
        return False
    root = callee.split(".", 1)[0]
    qual = facts.imports.get(root, "")
    mod = qual if "." in callee else qual.rpartition(".")[0]
    return bool(mod) and index.module(mod, facts.path) is not None


@on_behalf
def instantiations_in(
    facts: FileFacts, index: ProjectIndex | None
) -> tuple[frozenset[str], frozenset[str]]:
    """Class names called inside Keras subclasses' own methods, and called anywhere else."""
    memo = memos(facts, index)
    if memo.instantiations is not None:
        return memo.instantiations
    keras_classes = {c.name for c in facts.classes if _class_kind(facts, c, index, 0) is not None}
    inside: set[str] = set()
    outside: set[str] = set()
    for call in facts.calls:
        name = call.callee.rsplit(".", 1)[-1]
        if not name[:1].isupper():
            continue
        (inside if call.scope.split(".", 1)[0] in keras_classes else outside).add(name)
    result = (frozenset(inside), frozenset(outside))
    memo.instantiations = result
    return result


def _project_instantiations(
    facts: FileFacts, index: ProjectIndex | None
) -> tuple[frozenset[str], frozenset[str]]:
    if index is None:
        return instantiations_in(facts, None)
    from preplint.analysis.project_wide import answer

    found: tuple[frozenset[str], frozenset[str]] = answer(index, ("instantiations",))
    return found


def custom_classes_defined(
    facts: FileFacts, index: ProjectIndex | None
) -> tuple[CustomObject, ...]:
    """Keras subclasses defined in this file, except parts that only other custom classes build.

    A layer made in a custom model's `__init__` is rebuilt by that code at load time: it is
    never looked up by name, so it needs no registration of its own.
    """
    inside, outside = _project_instantiations(facts, index)
    out: list[CustomObject] = []
    for cls in facts.classes:
        if cls.name in inside and cls.name not in outside:
            continue
        kind = _class_kind(facts, cls, index, 0)
        if kind is not None:
            out.append(
                CustomObject(cls.name, kind, facts.path, cls.span, is_registered(cls.decorators))
            )
    return tuple(out)


def project_custom_classes(index: ProjectIndex, folder: str = "") -> tuple[CustomObject, ...]:
    """Every Keras subclass defined in `folder` or below ("": anywhere in the project), parts
    built by other custom classes aside."""
    return tuple(
        obj for f in index.class_files_under(folder) for obj in custom_classes_defined(f, index)
    )
