"""Keras custom classes: whether their config round-trips (LOAD002's analysis)."""

from __future__ import annotations

import re

from preplint.analysis.artifacts import project_events
from preplint.analysis.custom import (
    custom_classes_defined,
    custom_objects_used,
    resolve_class,
    resolve_function,
)
from preplint.analysis.records import ArtifactEvent
from preplint.analysis.saving import _artifact, keras_saves, saved_model_objects
from preplint.facts.deps import dependency_entries, governing
from preplint.facts.model import Call, ClassDef, FileFacts, Function, Value
from preplint.facts.paths import basename, suffix
from preplint.facts.project import ProjectIndex, shared_folders

BASE_LAYER_ARGS = frozenset(
    {
        "name",
        "dtype",
        "trainable",
        "dynamic",
        "autocast",
        "input_shape",
        "input_dim",
        "batch_input_shape",
    }
)


# Serialising a nested layer/model to a dict: `cls(**config)` then passes the dict to `__init__`.
# (activations, initializers ... serialise to what their `keras.*.get` in `__init__` accepts.)
SERIALIZERS = frozenset(
    {
        "keras.saving.serialize_keras_object",
        "keras.utils.serialize_keras_object",
        "keras.layers.serialize",
    }
)


def missing_config_message(
    facts: FileFacts, index: ProjectIndex, cls: ClassDef, kind: str, own_args: list[str]
) -> str | None:
    """Why a class without `get_config` does not round-trip, or None when it does (or may)."""
    unknown_base, inherits, covered = ancestry(facts, cls, index)
    if unknown_base:
        return None  # a base we cannot see may well define get_config
    uncovered = [p for p in own_args if p not in covered]
    # Handed up to `Layer.__init__`, whose (Keras 3) `get_config` returns it.
    if (
        inherits
        and "activity_regularizer" in uncovered
        and "activity_regularizer" in super_init_args(facts, init_of(facts, cls))
    ):
        uncovered.remove("activity_regularizer")
    if not uncovered:
        return None
    args = ", ".join(f"`{p}`" for p in uncovered[:4])
    if inherits:
        return (
            f"Keras {kind} `{cls.name}` takes {args} in `__init__`, which the `get_config` it "
            "inherits does not return: the saved model cannot be rebuilt at load time; "
            "override `get_config` and add those arguments"
        )
    init = init_of(facts, cls)
    if kind == "layer" and init is not None and not keras2(facts, index):
        if init.positional_only > 1:
            return (
                f"Keras layer `{cls.name}` has no `get_config` and its `__init__` takes "
                "positional-only arguments, which Keras 3 cannot record for the default "
                f"`get_config`: return {args} from `get_config`"
            )
        evidence = auto_config_evidence(facts, cls, init, uncovered, index)
        objects = [(p, why) for p, (state, why) in evidence.items() if state == "object"]
        if objects:
            param, why = objects[0]
            return (
                f"Keras layer `{cls.name}` has no `get_config` and its `__init__` argument "
                f"`{param}` {why}: Keras 3 records `__init__` arguments by itself only when all "
                "are plain str/int/float/bool/None values, so the model cannot be saved and "
                "rebuilt; implement `get_config` (and `from_config` for nested Keras objects)"
            )
        unknown = [p for p in uncovered if evidence.get(p, ("unknown", ""))[0] != "basic"]
        if not unknown:
            return None  # Keras 3 records the plain arguments itself
        args = ", ".join(f"`{p}`" for p in unknown[:4])
    return (
        f"Keras {kind} `{cls.name}` takes {args} in `__init__` but has no `get_config`: "
        "the saved model cannot be rebuilt at load time; return those arguments from `get_config`"
    )


def only_weights_saved(index: ProjectIndex) -> bool:
    """The project saves Keras weights but never a whole model: configs are never read."""
    saves = project_events(index, "keras-saves")
    return bool(saves) and all(e.api == "keras-save-weights" for e in saves)


def serialises_nested(facts: FileFacts, cls_name: str) -> bool:
    """`get_config` serialises a nested Keras object and `__init__` does not deserialise it."""
    config, init = f"{cls_name}.get_config", f"{cls_name}.__init__"
    if not any(c.scope == config and c.qualname in SERIALIZERS for c in facts.calls):
        return False
    return not any(
        c.scope == init and c.qualname.startswith("keras.") and "deserialize" in c.qualname
        for c in facts.calls
    )


def class_artifact(facts: FileFacts, cls_name: str, index: ProjectIndex) -> str | None:
    """A saved model that uses the class: where `--confirm` can try to load it."""
    for event in keras_saves(index):
        owner = index.file(event.file)
        if owner is None or _artifact(event.path) is None:
            continue
        used = custom_objects_used(owner, index) + custom_classes_defined(owner, index)
        if any(o.name == cls_name and o.file == facts.path for o in used):
            return event.path
    return None


# What a class inherits: the Keras bases that are the framework itself (their `get_config` returns
# only name/dtype/trainable), and bases that change nothing about serialisation.
FRAMEWORK_BASES = frozenset(
    {"Layer", "Model", "Sequential", "Functional", "Operation", "KerasSaveable", "Trainer"}
)


NEUTRAL_BASES = frozenset({"object", "abc.ABC", "ABC", "typing.Generic", "Generic"})


BASIC_CALLS = frozenset({"int", "float", "str", "bool", "len", "round", "abs"})


BASIC_ANNOTATION = re.compile(
    r"^(?:\s|[\[\],|.]|int|float|str|bool|None|Optional|Union|tuple|Tuple|list|List|dict|Dict"
    r"|Sequence|Mapping|Literal|typing|\.\.\.|'[^']*'|\"[^\"]*\")+$"
)


OBJECT_ANNOTATION = re.compile(
    r"Layer|Model|Callable|Tensor|ndarray|Array|Module|Sequential|Initializer|Regularizer"
    r"|Constraint|Optimizer|Loss|Metric|Activation|Function|Any\b"
)


# Keras configuration getters that return a string (`keras.config.image_data_format()`).
KERAS_STR_CALLS = frozenset({"image_data_format", "floatx", "standardize_data_format"})


ARRAY_CALLS = frozenset(
    {"array", "asarray", "constant", "convert_to_tensor", "tensor", "zeros", "ones", "full"}
)


OBJECT_ROOTS = frozenset({"keras", "tensorflow", "numpy", "torch", "jax", "tf_keras"})


# Calls on an argument that only a layer/model answers.
LAYER_METHODS = frozenset(
    {
        "build",
        "call",
        "compute_output_shape",
        "compute_output_spec",
        "get_weights",
        "set_weights",
        "predict",
        "count_params",
        "summary",
    }
)


# Keras calls that take layers as their first argument.
LAYER_CONTAINERS = frozenset(
    {
        "keras.models.Sequential",
        "keras.models.Model",
        "keras.layers.TimeDistributed",
        "keras.layers.Bidirectional",
        "keras.layers.RNN",
    }
)


VERSION_CLAUSE = re.compile(r"(==|~=|<=|<|>=|>|!=)\s*v?(\d+)(?:\.(\d+))?")


def keras2(facts: FileFacts, index: ProjectIndex) -> bool:
    """The file evidently runs Keras 2: it imports tf_keras (or a Keras-2-only module), asks for
    legacy Keras, or a dependency file governing it pins keras<3 / tensorflow<2.16 / tf-keras."""
    if facts.tf_keras or any(q.startswith("keras.engine") for q in facts.imports.values()):
        return True
    if any("TF_USE_LEGACY_KERAS" in a.keys for a in facts.assigns):
        return True
    for path in governing(index, facts.path):
        for entry in dependency_entries(index.dependency_files[path]):
            if entry.framework != "tensorflow":
                continue
            if entry.name == "tf-keras":
                return True
            limit = (3, 0) if entry.name == "keras" else (2, 16)
            for op, major, minor in VERSION_CLAUSE.findall(entry.spec):
                version = (int(major), int(minor or 0))
                if op in ("==", "~=", "<=") and version < limit:
                    return True
                if op == "<" and version <= limit:
                    return True
    return False


def init_of(facts: FileFacts, cls: ClassDef) -> Function | None:
    for fn in facts.functions:
        if (
            fn.name == "__init__"
            and fn.cls.rsplit(".", 1)[-1] == cls.name
            and cls.stmt_start <= fn.stmt_start <= cls.stmt_end
        ):
            return fn
    return None


def keras_source_class(
    facts: FileFacts, base: str, index: ProjectIndex
) -> tuple[FileFacts, ClassDef] | None:
    """Linting Keras itself: `keras.src.layers.pooling.base_pooling.BasePooling` is canonicalised to
    `keras.layers.BasePooling`; find the project class of that name in a `keras` package."""
    name = base.rsplit(".", 1)[-1]
    found = [
        (owner, c)
        for owner in index.files_defining_class(name, "keras")
        for c in owner.classes
        if c.name == name
    ]
    if not found:
        return None
    return max(found, key=lambda fc: shared_folders(fc[0].path, facts.path))


def super_init_args(facts: FileFacts, init: Function | None) -> set[str]:
    """Parameters an `__init__` hands on to `super().__init__(...)`."""
    if init is None:
        return set()
    out: set[str] = set()
    for call in facts.calls:
        if call.scope == init.qualname and call.method == "__init__" and not call.callee:
            for arg in call.args:
                out.update(n for n in arg.value.names if n in init.params)
    return out


def ancestry(
    facts: FileFacts, cls: ClassDef, index: ProjectIndex, depth: int = 0
) -> tuple[bool, bool, set[str]]:
    """(some base is unknown, some ancestor defines `get_config`, the arguments it covers).

    Keras's own `Layer`/`Model` do not count: their `get_config` knows nothing of a subclass's
    arguments. A project ancestor with `get_config` covers the arguments its `__init__` takes; a
    built-in Keras layer (`Dense`, `Wrapper`...) covers those the subclass hands to its `__init__`.
    """
    unknown, inherits = False, False
    covered: set[str] = set()
    if depth > 8:
        return True, inherits, covered
    for base in cls.bases:
        leaf = base.rsplit(".", 1)[-1]
        if base in NEUTRAL_BASES or base.startswith("typing."):
            continue
        if base.startswith("keras.") and leaf in FRAMEWORK_BASES:
            continue
        parent = resolve_class(facts, base, index)
        if parent is None and base.startswith("keras."):
            parent = keras_source_class(facts, base, index)
        if parent is not None and parent[1] is not cls:
            owner, pcls = parent
            p_unknown, p_inherits, p_covered = ancestry(owner, pcls, index, depth + 1)
            unknown |= p_unknown
            if "get_config" in pcls.methods:
                inherits = True
                covered |= set(pcls.init_params) | p_covered
                if "__init__" not in pcls.methods:
                    covered |= inherited_init_params(owner, pcls, index, depth + 1)
            elif p_inherits:
                inherits = True
                covered |= p_covered
            continue
        if base.startswith("keras."):
            if base.startswith("keras.layers."):  # Dense, Conv2D, Wrapper...: own get_config
                inherits = True
                covered |= super_init_args(facts, init_of(facts, cls))
            continue
        unknown = True
    return unknown, inherits, covered


def inherited_init_params(
    facts: FileFacts, cls: ClassDef, index: ProjectIndex, depth: int
) -> set[str]:
    """The `__init__` parameters a class without its own `__init__` takes from its project bases."""
    if depth > 8:
        return set()
    for base in cls.bases:
        parent = resolve_class(facts, base, index)
        if (
            parent is None
            and base.startswith("keras.")
            and base.rsplit(".", 1)[-1] not in FRAMEWORK_BASES
        ):
            parent = keras_source_class(facts, base, index)
        if parent is not None and parent[1] is not cls:
            if "__init__" in parent[1].methods:
                return set(parent[1].init_params)
            return inherited_init_params(parent[0], parent[1], index, depth + 1)
    return set()


def value_evidence(
    facts: FileFacts, index: ProjectIndex, value: Value, scope: str, stmt: int, depth: int = 0
) -> tuple[str, str]:
    """('basic' | 'object' | 'unknown', what the value is): whether Keras 3 can record it."""
    text = value.text
    if value.kind == "lambda" or re.search(r"\blambda\b", text):
        return "object", "a `lambda`"
    if value.kind in ("const", "unary", "tuple", "list", "dict", "fstring", "binop"):
        items = [value_evidence(facts, index, v, scope, stmt, depth + 1) for v in value.items]
        for found in items:
            if found[0] == "object":
                return found
        names = [n for n in value.names if n not in ("True", "False", "None")]
        if not value.calls and "(" not in text and all(n in facts.constants for n in names):
            return "basic", ""
        if items and all(found[0] == "basic" for found in items):
            return "basic", ""
        return "unknown", ""
    if value.kind in ("name", "attr"):
        if value.const is not None or value.text in facts.constants:
            return "basic", ""
        if index.constant(facts, text) is not None:
            return "basic", ""
        if resolve_function(facts, text, index) is not None:
            return "object", f"the function `{text}`"
        if resolve_class(facts, text, index) is not None:
            return "object", f"the class `{text}`"
        qual = facts.resolve(text)
        if qual and qual.split(".", 1)[0] in OBJECT_ROOTS:
            return "object", f"`{text}`"
        if value.kind == "name" and depth < 4:
            assign = facts.reaching_assign(text, scope, stmt)
            if assign is not None and assign.op == "=" and len(assign.targets) == 1:
                found = value_evidence(
                    facts, index, assign.value, assign.scope, assign.stmt, depth + 1
                )
                if found[0] == "object":
                    return "object", f"`{text}` ({found[1]})"
                return found
            if assign is None:
                through = passed_through(facts, index, text, scope, depth)
                if through is not None:
                    return through
        return "unknown", ""
    if value.kind == "call":
        callee = text.split("(", 1)[0].strip()
        if callee in BASIC_CALLS or callee.rsplit(".", 1)[-1] in KERAS_STR_CALLS:
            return "basic", ""
        leaf = callee.rsplit(".", 1)[-1]
        qual = facts.resolve(callee)
        if leaf[:1].isupper() or resolve_class(facts, callee, index):
            return "object", f"a `{leaf}` instance"
        if qual and qual.split(".", 1)[0] in OBJECT_ROOTS and leaf in ARRAY_CALLS:
            return "object", f"an array (`{callee}(...)`)"
    return "unknown", ""


def _construction_sites(
    facts: FileFacts, cls: ClassDef, init: Function, index: ProjectIndex
) -> list[tuple[FileFacts, Call]]:
    """Calls of the class, in its file (within the function that defines it, for a local class)
    and in the project files that import it."""
    from preplint.analysis.project_wide import constructions

    enclosing = init.cls.rpartition(".")[0]
    out: list[tuple[FileFacts, Call]] = []
    if not cls.name[:1].isupper():
        return out
    for name, path, leaf, call_id in constructions(index, facts.path):
        if name != cls.name or leaf != cls.name:
            continue
        owner = facts if path == facts.path else index.file(path)
        if owner is None:
            continue
        call = owner.call_by_id[call_id]
        if owner is facts:
            if call.callee != cls.name:
                continue
            if enclosing and not (
                call.scope == enclosing or call.scope.startswith(enclosing + ".")
            ):
                continue
        else:
            if enclosing:
                continue
            found = resolve_class(owner, call.callee, index)
            if found is None or found[0] is not facts or found[1].name != cls.name:
                continue
        out.append((owner, call))
    return out


def _where(facts: FileFacts, owner: FileFacts, call: Call) -> str:
    if owner is facts:
        return f"on line {call.span.line}"
    return f"in {basename(owner.path)}:{call.span.line}"


def usage_evidence(facts: FileFacts, init: Function, param: str) -> str:
    """How the class itself uses an argument as a layer or a callable, or ''."""
    cls_scope = init.cls
    holders = {param}
    for a in facts.assigns:
        if (
            a.scope == init.qualname
            and a.op == "="
            and a.value.kind == "name"
            and a.value.text == param
        ):
            holders.update(t for t in a.targets if t.startswith("self."))
    loop_vars = {
        t
        for a in facts.assigns
        if a.op in ("for", "comp")
        and a.scope.startswith(cls_scope + ".")
        and any(n in holders for n in a.value.names)
        for t in a.targets
    }
    for call in facts.calls:
        if not call.scope.startswith(cls_scope + "."):
            continue
        own = call.callee in holders and (call.callee != param or call.scope == init.qualname)
        if own:
            return "is called in the class"
        if call.callee in loop_vars:
            return "is iterated and its items are called"
        if call.receiver in holders and call.method in LAYER_METHODS:
            return f"is used as a layer (`.{call.method}()`)"
        if call.qualname in LAYER_CONTAINERS:
            first = call.arg(0, "layer")
            given = (first.value, *first.value.items) if first is not None else ()
            if any(v.kind in ("name", "attr") and v.text in holders for v in given):
                return f"is passed to `{call.callee}`"
    return ""


def auto_config_evidence(
    facts: FileFacts, cls: ClassDef, init: Function, args: list[str], index: ProjectIndex
) -> dict[str, tuple[str, str]]:
    """Per argument: ('basic' | 'object' | 'unknown', why). Keras 3 records `__init__` arguments
    for the default `get_config` only when every value is a str/int/float/bool/None (or lists,
    tuples, dicts of them); a layer, a callable, an array or any other object turns it off."""
    sites = _construction_sites(facts, cls, init, index)
    out = {param: param_evidence(facts, init, param, index, sites, 0) for param in args}
    # Values that `**kwargs` passes to the base (`dtype=`, `activity_regularizer=`) count too.
    for owner, call in sites:
        for arg in call.args:
            if arg.keyword and arg.keyword not in init.params and arg.keyword not in out:
                found = value_evidence(owner, index, arg.value, call.scope, call.stmt)
                if found[0] == "object":
                    out[arg.keyword] = (
                        "object",
                        f"is given {found[1]} {_where(facts, owner, call)}",
                    )
    return out


def param_evidence(
    facts: FileFacts,
    init: Function,
    param: str,
    index: ProjectIndex,
    sites: list[tuple[FileFacts, Call]],
    depth: int,
) -> tuple[str, str]:
    """What one `__init__` argument holds: its use in the class, annotation, default, and the
    values the construction sites pass."""
    usage = usage_evidence(facts, init, param)
    if usage:
        return "object", usage
    position = init.params.index(param)
    annotation = init.annotations[position] if len(init.annotations) > position else ""
    default = init.defaults[position] if len(init.defaults) > position else None
    default_kind = (
        value_evidence(facts, index, default, "", init.stmt_start, depth + 1)
        if default is not None
        else None
    )
    if default is not None and default.text == "None":
        default_kind = ("none", "")  # fine when omitted, but no evidence about what is passed
    if (
        annotation
        and OBJECT_ANNOTATION.search(annotation)
        and not BASIC_ANNOTATION.match(annotation)
    ):
        return "object", f"is annotated `{annotation}`"
    if default_kind is not None and default_kind[0] == "object":
        return "object", f"defaults to {default_kind[1]}"
    site_kinds: list[str] = []
    for owner, call in sites:
        arg = call.arg(position - 1, param)
        if arg is None:
            if any(a.star for a in call.args):
                site_kinds.append("unknown")
            elif default_kind is not None:
                site_kinds.append("basic" if default_kind[0] == "none" else default_kind[0])
            continue
        found = value_evidence(owner, index, arg.value, call.scope, call.stmt, depth + 1)
        site_kinds.append(found[0])
        if found[0] == "object":
            return "object", f"is given {found[1]} {_where(facts, owner, call)}"
    if (
        bool(annotation and BASIC_ANNOTATION.match(annotation))
        or (default_kind is not None and default_kind[0] == "basic")
        or bool(site_kinds and all(k == "basic" for k in site_kinds))
    ):
        return "basic", ""
    return "unknown", ""


def passed_through(
    facts: FileFacts, index: ProjectIndex, name: str, scope: str, depth: int
) -> tuple[str, str] | None:
    """A parameter of an enclosing Keras class's `__init__` handed on to a part it builds
    (`self.block = Block(units)`): what the outer class's callers pass for it."""
    fn = facts.function_by_qualname.get(scope)
    if fn is None or fn.name != "__init__" or name not in fn.params or not fn.cls:
        return None
    leaf = fn.cls.rsplit(".", 1)[-1]
    cls = next(
        (
            c
            for c in facts.classes
            if c.name == leaf and c.stmt_start <= fn.stmt_start <= c.stmt_end
        ),
        None,
    )
    if cls is None:
        return None
    sites = _construction_sites(facts, cls, fn, index)
    return param_evidence(facts, fn, name, index, sites, depth + 1)


def _writes_config(index: ProjectIndex, event: ArtifactEvent) -> bool:
    """A whole-model save that stores layer configs: `.keras`/`.h5`, not a SavedModel export
    (`model.export`, `save_format="tf"`, a path with no suffix), which traces the layers instead."""
    owner = index.file(event.file)
    if owner is None:
        return False
    call = owner.call_by_id[event.call]
    if call.method == "export":
        return False
    fmt = call.kwarg_const("save_format")
    if isinstance(fmt, str):
        return fmt.lower() not in ("tf", "savedmodel")
    ext = suffix(event.path)
    return bool(ext) or not event.path or "*" in basename(event.path)


def class_save_reach(facts: FileFacts, cls_name: str, index: ProjectIndex) -> str:
    """How far a custom Keras class gets towards a saved config.

    'saved': a model that holds it directly is saved whole in a format that stores configs
    (`.keras`/`.h5`, a `ModelCheckpoint` writing the whole model); 'unused': the run never builds
    it outside Keras classes' own code (a library module: its users' saves are not visible);
    'unsaved': it is built, but no such save of a model holding it is seen (only trained, only
    exported as a SavedModel, or built inside another custom class that rebuilds it at load)."""
    for event in project_events(index, "keras-full-saves"):
        owner = index.file(event.file)
        if owner is None or not _writes_config(index, event):
            continue
        if any(
            o.name == cls_name and o.file == facts.path
            for o in saved_model_objects(owner, index, event)
        ):
            return "saved"
    if cls_name[:1].isupper():
        from preplint.analysis.project_wide import constructions

        if any(leaf == cls_name for _, _, leaf, _ in constructions(index, facts.path)):
            return "unsaved"
        return "unused"
    for f in index.files_calling(cls_name):
        if any(
            c.callee.rsplit(".", 1)[-1] == cls_name
            and (found := resolve_class(f, c.callee, index)) is not None
            and found[0] is facts
            for c in f.calls
        ):
            return "unsaved"
    return "unused"
