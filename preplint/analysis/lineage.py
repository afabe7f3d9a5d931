"""Data lineage: the transforms data went through before it reaches a model."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from preplint.analysis.calls import argument_for, call_sites, resolve_function
from preplint.analysis.inference import is_inference_function
from preplint.analysis.models import TRANSFORM_METHODS, binding_at
from preplint.analysis.records import Lineage
from preplint.analysis.scopes import enclosing_class, name_words
from preplint.facts import frameworks as fw
from preplint.facts.model import Assign, Call, FileFacts, Function, Value

if TYPE_CHECKING:
    from preplint.facts.project import ProjectIndex


_TRANSFORM_WORDS = (
    "preprocess",
    "normaliz",
    "normalis",
    "standardiz",
    "standardis",
    "rescal",
    "minmax",
    "scale",
    "encode",
    "tokeniz",
    "vectoriz",
    "transform",
    "texts_to_",
)


_SOURCE_PREFIXES = (
    "pandas.read_",
    "numpy.load",
    "numpy.genfromtxt",
    "numpy.fromfile",
    "PIL.Image.open",
    "cv2.imread",
    "keras.utils.load_img",
    "keras.preprocessing.image.load_img",
    "keras.utils.image_dataset_from_directory",
    "keras.preprocessing.image_dataset_from_directory",
    "keras.utils.text_dataset_from_directory",
    "keras.utils.timeseries_dataset_from_array",
    "keras.datasets.",
    "sklearn.datasets.",
    "torchvision.io.",
    "tensorflow.io.",
    "json.load",
    "imageio.",
    "skimage.io.",
    "datasets.load_dataset",
    "requests.",
)


_SOURCE_BUILTINS = frozenset({"open", "input", "range", "len"})


_MODEL_OUTPUT_METHODS = frozenset(
    {
        "predict",
        "predict_proba",
        "decision_function",
        "forward",
        "embed",
        "encode_image",
        "encode_text",
        "generate",
    }
)


_LAMBDA_ARITH = re.compile(r":.*(?<![*/])\s*[/\-]\s*[\w(.]")


_BUILTIN_PASS = frozenset(
    {
        "list",
        "tuple",
        "dict",
        "float",
        "int",
        "str",
        "zip",
        "sorted",
        "reversed",
        "enumerate",
        "map",
        "filter",
        "iter",
        "next",
        "bool",
        "set",
        "abs",
        "round",
        "min",
        "max",
        "sum",
        "print",
    }
)


_LINEAGE_DEPTH = 14


_ENTRY_WORDS = frozenset(
    {"predict", "infer", "inference", "serve", "handle", "handler", "classify", "score"}
)


def _raw_entry_point(facts: FileFacts, fn: Function, param: str) -> bool:
    """A serving entry (`predict(rows)`, `serve(payload)`) whose parameter is the records
    themselves: not an `evaluate(loader)` that iterates over data prepared by its caller."""
    if not set(name_words(fn.name)) & _ENTRY_WORDS:
        return False
    return not any(
        a.op == "for" and a.scope == fn.qualname and param in a.value.names for a in facts.assigns
    )


def _method_called_on_instance(fn: Function, index: ProjectIndex | None) -> bool:
    """`Predictor().predict(x)` / `p = Predictor(); p.predict(x)` somewhere in the project."""
    if not fn.cls or index is None:
        return False
    cls = fn.cls.rsplit(".", 1)[-1]
    for f in index.files_calling(cls):
        builds = True
        if builds and any(c.method == fn.name and c.receiver != "self" for c in f.calls):
            return True
    return False


_EMPTY = Lineage()


_OPAQUE = Lineage(opaque=True)


def reaching(facts: FileFacts, name: str, scope: str, stmt: int) -> Assign | None:
    """The last assignment to `name` before `stmt` in `scope`, else (self.x) in its class, else at module level."""
    found = facts.assigns_reaching.get(name, ())
    best: Assign | None = None
    for a in found:
        if a.scope == scope and a.stmt < stmt and (best is None or a.stmt >= best.stmt):
            best = a
    if best is not None or not scope:
        return best
    fn = facts.function_by_qualname.get(scope)
    if fn is not None and name in fn.params:
        return None
    if name.startswith("self.") and fn is not None and fn.cls:
        for a in found:
            if a.scope.startswith(fn.cls + ".") and (best is None or a.scope.endswith(".__init__")):
                best = a
        return best
    for a in found:
        if a.scope == "" and (best is None or a.stmt >= best.stmt):
            best = a
    return best


def lineage(
    facts: FileFacts,
    value: Value,
    scope: str,
    stmt: int,
    index: ProjectIndex,
    follow_params: bool = True,
) -> Lineage:
    """Transforms the data in `value` went through, following assignments, calls and same-file callers."""
    return _Tracer(facts, index, follow_params).value(value, scope, stmt, 0)


def is_transform_callee(name: str) -> bool:
    leaf = name.rsplit(".", 1)[-1].lower()
    return any(w in leaf for w in _TRANSFORM_WORDS)


def data_arg(call: Call) -> Value | None:
    """The input data of a fit/predict/model call: x=/X=, else its first positional argument."""
    for kw in ("x", "X", "inputs", "input_ids", "data"):
        a = call.arg(keyword=kw)
        if a is not None:
            return a.value
    a = call.arg(0)
    return a.value if a is not None else None


class _Tracer:
    def __init__(self, facts: FileFacts, index: ProjectIndex, follow_params: bool = True) -> None:
        self.facts = facts
        self.index = index
        self.follow_params = follow_params
        self.seen: dict[tuple[str, str, int], Lineage] = {}

    def name(self, name: str, scope: str, stmt: int, depth: int) -> Lineage:
        key = (name, scope, stmt)
        if key in self.seen:
            return self.seen[key]
        self.seen[key] = _EMPTY  # cycles add nothing
        result = self._name(name, scope, stmt, depth)
        self.seen[key] = result
        return result

    def _name(self, name: str, scope: str, stmt: int, depth: int) -> Lineage:
        facts = self.facts
        if depth > _LINEAGE_DEPTH:
            return _OPAQUE
        root = name.split(".", 1)[0]
        if root in facts.imports or name in facts.constants or root in ("True", "False", "None"):
            return _EMPTY
        assign = reaching(facts, name, scope, stmt)
        if assign is None and "." in name:
            base = name.rsplit(".", 1)[0]
            if base == "self":
                return _OPAQUE
            return self.name(base, scope, stmt, depth + 1)  # `args.image`, `batch.x`
        if assign is None:
            fn = facts.function_by_qualname.get(scope)
            if fn is not None and name in fn.params:
                return self.param(fn, name, depth)
            outer = scope.rpartition(".")[0]
            if scope and outer in facts.function_by_qualname:
                return self.name(
                    name, outer, facts.function_by_qualname[outer].stmt_end + 1, depth + 1
                )
            comprehension = next(
                (
                    a
                    for a in facts.assigns_by_target.get(name, ())
                    if a.op == "comp" and a.stmt == stmt and a.scope == scope
                ),
                None,
            )
            if comprehension is not None:
                return self.value(comprehension.value, scope, stmt, depth + 1)
            return _EMPTY  # builtins, functions
        result = self.assigned(assign, name, depth)
        # in-place writes between the assignment and the use: X[cols] = scaler.transform(X[cols])
        for other in facts.assigns_reaching.get("~" + name, ()):
            if (
                other.scope == assign.scope
                and assign.stmt <= other.stmt < stmt
                and other is not assign
            ):
                result = result | self.value(other.value, other.scope, other.stmt, depth + 1)
        return result

    def assigned(self, assign: Assign, name: str, depth: int) -> Lineage:
        op = assign.op
        signs = {
            "DivideAssign": "/=",
            "SubtractAssign": "-=",
            "MultiplyAssign": "*=",
            "FloorDivideAssign": "//=",
        }
        if op in signs:
            before = self.name(name, assign.scope, assign.stmt, depth + 1)
            return before | Lineage(frozenset({f"{name} {signs[op]} {assign.value.text}"}))
        if op.endswith("Assign"):
            return self.name(name, assign.scope, assign.stmt, depth + 1)
        return self.value(assign.value, assign.scope, assign.stmt, depth + 1)

    def param(self, fn: Function, name: str, depth: int) -> Lineage:
        if name in ("self", "cls"):
            return _EMPTY
        if not self.follow_params:
            return Lineage(params=frozenset({name}))
        every_site = call_sites(self.facts, fn, self.index)
        sites = [site for owner, site in every_site if owner is self.facts]
        if not sites:
            if (
                not every_site
                and _raw_entry_point(self.facts, fn, name)
                and is_inference_function(self.facts, fn.qualname, self.index)
                and not _method_called_on_instance(fn, self.index)
            ):
                # An entry point nobody in the project calls (`Predictor.predict(rows)`, a
                # `serve(payload)` handler): its input is whatever the outside world sends, raw.
                return Lineage(params=frozenset({name}))
            return Lineage(opaque=True, params=frozenset({name}))
        out = _EMPTY
        for site in sites:
            arg = argument_for(site, fn, name)
            if arg is None:
                if any(a.star for a in site.args):
                    out = out | _OPAQUE
                continue  # the default value
            out = out | self.value(arg, site.scope, site.stmt, depth + 1)
        return out

    def value(self, value: Value, scope: str, stmt: int, depth: int) -> Lineage:
        if depth > _LINEAGE_DEPTH:
            return _OPAQUE
        if value.kind == "const":
            return _EMPTY
        if value.kind == "lambda":
            return self.lambda_text(value.text, depth)
        out = _EMPTY
        if (
            value.kind in ("binop", "other")
            and ("/" in value.ops or "-" in value.ops)
            and (value.names or value.calls)
        ):
            out = Lineage(
                frozenset({value.text})
            )  # `(x - mean) / std`, `[img / 255.0 for img in imgs]`
        call_set = set(value.calls)
        inner_names: set[str] = set()
        for cid in value.calls:
            for a in self.facts.call_by_id[cid].args:
                inner_names.update(a.value.names)
        for cid in value.calls:
            call = self.facts.call_by_id[cid]
            if call.parent not in call_set:
                out = out | self.call(call, depth)
        for n in value.names:
            if n not in inner_names:
                out = out | self.name(n, scope, stmt, depth + 1)
        for item in value.items:
            if item.kind == "binop":
                out = out | self.value(item, scope, stmt, depth + 1)
        return out

    def lambda_text(self, text: str, depth: int) -> Lineage:
        body = text.split(":", 1)[1] if ":" in text else text
        if _LAMBDA_ARITH.search(":" + body):
            return Lineage(frozenset({text}))
        for callee in re.findall(r"([A-Za-z_][\w.]*)\s*\(", body):
            if is_transform_callee(callee):
                return Lineage(frozenset({callee + "()"}))
            found = self.index.function_for(self.facts, callee)
            if found is not None:
                inner = _Tracer(found[0], self.index, False).function(found[1], depth + 1)
                if inner.transforms:
                    return Lineage(frozenset({callee + "()"}))
                if inner.opaque:
                    return _OPAQUE
        return _EMPTY

    def call(self, call: Call, depth: int) -> Lineage:
        facts = self.facts
        here = Lineage(calls=frozenset({call.id}))
        qual = call.qualname
        method = call.method
        if method in TRANSFORM_METHODS:
            return here | Lineage(frozenset({f"{call.callee or method}()"}))
        if qual:
            if qual.startswith(_SOURCE_PREFIXES):
                return here
            if (
                qual.startswith(("torchvision.transforms", "keras.applications."))
                or is_transform_callee(qual)
                or fw.preprocessor_kind(qual) is not None
            ):
                return here | Lineage(frozenset({qual + "()"}))
            return here | self.args(call, depth)
        if not method and call.callee in _SOURCE_BUILTINS:
            return here
        if not method and call.callee in _BUILTIN_PASS:
            return here | self.args(call, depth)
        if call.callee and not method or method and call.receiver in ("self", "cls"):
            found = resolve_function(facts, call, self.index)
            if found is None and method:
                cls = enclosing_class(facts, call.scope)
                fn = facts.function_by_qualname.get(f"{cls}.{method}") if cls else None
                found = (facts, fn) if fn is not None else None
            if found is not None:
                return here | self.project_function(call, found[0], found[1], depth)
            cls_found = self.index.class_for(facts, call.callee) if not method else None
            if cls_found is not None:
                return here | self.project_class(call, cls_found[0], cls_found[1].name, depth)
            if not method:
                if is_transform_callee(call.callee):
                    return here | Lineage(frozenset({call.callee + "()"}))
                return here | self.callable_name(call, depth)
        if method == "map" and call.args:
            out = here | self.receiver(call, depth)
            fn_arg = call.args[0].value
            if fn_arg.kind == "lambda":
                return out | self.lambda_text(fn_arg.text, depth)
            if fn_arg.kind in ("name", "attr"):
                found2 = self.index.function_for(facts, fn_arg.text)
                if found2 is not None:
                    inner = _Tracer(found2[0], self.index, False).function(found2[1], depth + 1)
                    if inner.transforms:
                        return out | Lineage(frozenset({fn_arg.text + "()"}))
                    return out | (_OPAQUE if inner.opaque else _EMPTY)
                if is_transform_callee(fn_arg.text):
                    return out | Lineage(frozenset({fn_arg.text + "()"}))
            return out | _OPAQUE
        if method:
            b = (
                binding_at(facts, call.receiver, call.scope, call.stmt, self.index)
                if call.receiver
                else None
            )
            if b is not None and b.kind == "preprocessor":
                return here | Lineage(frozenset({f"{call.callee}()"}))
            if method in _MODEL_OUTPUT_METHODS or (
                b is not None and b.kind in fw.MODEL_KINDS and method not in ("to", "cpu", "cuda")
            ):
                return here | _OPAQUE
            if is_transform_callee(method):
                return here | Lineage(frozenset({f"{call.callee or method}()"}))
            return here | self.receiver(call, depth) | self.args(call, depth)
        return here | _OPAQUE

    def receiver(self, call: Call, depth: int) -> Lineage:
        if call.receiver_call >= 0:
            return self.call(self.facts.call_by_id[call.receiver_call], depth + 1)
        if call.receiver:
            return self.name(call.receiver, call.scope, call.stmt, depth + 1)
        return _EMPTY

    def args(self, call: Call, depth: int) -> Lineage:
        out = _EMPTY
        for a in call.args:
            if (
                a.keyword
                in ("transform", "transforms", "preprocessing_function", "preprocess", "collate_fn")
                and a.value.kind != "const"
            ):
                out = out | Lineage(frozenset({f"{a.keyword}={a.value.text}"}))
                continue
            if a.keyword in (
                "dtype",
                "device",
                "axis",
                "columns",
                "index",
                "batch_size",
                "shuffle",
                "num_workers",
                "maxlen",
                "padding",
                "truncating",
                "target_size",
                "size",
            ):
                continue
            out = out | self.value(a.value, call.scope, call.stmt, depth + 1)
        return out

    def callable_name(self, call: Call, depth: int) -> Lineage:
        """`to_tensor(image)` where `to_tensor = transforms.Compose([...])`; `model(x)` is opaque."""
        facts = self.facts
        b = binding_at(facts, call.callee, call.scope, call.stmt, self.index)
        if b is not None:
            return Lineage(frozenset({call.callee + "()"})) if b.kind == "preprocessor" else _OPAQUE
        assign = reaching(facts, call.callee, call.scope, call.stmt)
        if assign is None:
            return _OPAQUE
        for cid in assign.value.calls:
            inner = facts.call_by_id[cid]
            if inner.qualname.startswith(
                ("torchvision.transforms", "albumentations", "keras.layers")
            ) or is_transform_callee(inner.name):
                return Lineage(frozenset({call.callee + "()"}))
        if assign.value.kind == "lambda":
            return self.lambda_text(assign.value.text, depth + 1)
        return _OPAQUE

    def project_function(self, call: Call, owner: FileFacts, fn: Function, depth: int) -> Lineage:
        inner = _Tracer(owner, self.index, False).function(fn, depth + 1)
        out = Lineage(
            frozenset({f"{fn.name}()"}) if inner.transforms else frozenset(), inner.opaque
        )
        for p in inner.params:
            arg = argument_for(call, fn, p)
            if arg is not None:
                out = out | self.value(arg, call.scope, call.stmt, depth + 1)
        return out

    def project_class(self, call: Call, owner: FileFacts, cls: str, depth: int) -> Lineage:
        """A project Dataset-like class: a transform anywhere in its methods counts."""
        for c in owner.calls:
            if c.scope.startswith(cls + ".") and (
                c.method in TRANSFORM_METHODS
                or is_transform_callee(c.name)
                or c.qualname.startswith("torchvision.transforms")
            ):
                return Lineage(frozenset({f"{cls}()"}))
        for a in owner.assigns:
            if a.scope.startswith(cls + ".") and a.value.kind == "binop" and "/" in a.value.ops:
                return Lineage(frozenset({f"{cls}()"}))
        return self.args(call, depth)

    def function(self, fn: Function, depth: int) -> Lineage:
        if depth > _LINEAGE_DEPTH:
            return _OPAQUE
        out = _EMPTY
        for ret in fn.returns:
            out = out | self.value(ret, fn.qualname, fn.stmt_end + 1, depth + 1)
        return out
