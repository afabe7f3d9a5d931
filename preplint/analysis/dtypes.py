"""Array dtypes and literal shapes: dtype names, literal arrays, dtype families."""

from __future__ import annotations

import re

from preplint.analysis.records import ArrayInfo
from preplint.facts.model import FileFacts, Value

UNKNOWN_ARRAY = ArrayInfo()


_NUMPY_DTYPES = {
    "float16": "float16",
    "half": "float16",
    "float32": "float32",
    "single": "float32",
    "float64": "float64",
    "double": "float64",
    "float_": "float64",
    "longdouble": "float64",
    "int8": "int8",
    "int16": "int16",
    "int32": "int32",
    "intc": "int32",
    "int64": "int64",
    "int_": "int64",
    "longlong": "int64",
    "uint8": "uint8",
    "ubyte": "uint8",
    "uint16": "uint16",
    "uint32": "uint32",
    "uint64": "uint64",
    "bool_": "bool",
    "bool": "bool",
}


_TORCH_DTYPES = {
    **_NUMPY_DTYPES,
    "float": "float32",
    "double": "float64",
    "half": "float16",
    "bfloat16": "bfloat16",
    "long": "int64",
    "int": "int32",
    "short": "int16",
}


_STRING_DTYPES = {
    **_NUMPY_DTYPES,
    "float": "float64",
    "int": "int64",
    "f4": "float32",
    "f8": "float64",
    "f2": "float16",
    "i4": "int32",
    "i8": "int64",
    "u1": "uint8",
    "<f4": "float32",
    "<f8": "float64",
}


_BUILTIN_DTYPES = {"float": "float64", "int": "int64", "bool": "bool"}


# Methods that keep dtype (and library): views, copies, moves between devices.
_DTYPE_KEEPING_METHODS = frozenset(
    {
        "copy",
        "clone",
        "detach",
        "cpu",
        "cuda",
        "contiguous",
        "squeeze",
        "unsqueeze",
        "flatten",
        "ravel",
        "transpose",
        "permute",
        "requires_grad_",
        "pin_memory",
        "clip",
        "round",
        "abs",
        "reshape",
        "view",
        "expand_dims",
        "swapaxes",
        "repeat",
        "tile",
        "unsqueeze_",
        "squeeze_",
    }
)


_TORCH_CAST_METHODS = {
    "float": "float32",
    "double": "float64",
    "half": "float16",
    "long": "int64",
    "int": "int32",
    "bool": "bool",
    "bfloat16": "bfloat16",
}


_NUMPY_FLOAT64_MAKERS = frozenset(
    {
        "numpy.random.rand",
        "numpy.random.randn",
        "numpy.random.random",
        "numpy.random.random_sample",
        "numpy.random.uniform",
        "numpy.random.normal",
        "numpy.random.standard_normal",
        "numpy.random.sample",
        "numpy.loadtxt",
        "numpy.genfromtxt",
        "numpy.linspace",
        "numpy.zeros",
        "numpy.ones",
        "numpy.empty",
        "numpy.eye",
        "numpy.identity",
        "numpy.random.default_rng.random",
    }
)


_TORCH_FLOAT_MAKERS = frozenset(
    {
        "torch.randn",
        "torch.rand",
        "torch.zeros",
        "torch.ones",
        "torch.empty",
        "torch.Tensor",
        "torch.FloatTensor",
        "torch.normal",
        "torch.linspace",
    }
)


_GENERATOR_FLOAT_METHODS = frozenset(
    {"random", "normal", "uniform", "standard_normal", "rand", "randn", "random_sample"}
)


_NUMBER = re.compile(r"-?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?")


def dtype_name(facts: FileFacts, value: Value | None) -> str:
    """The canonical dtype an expression names (`np.float32`, `"float32"`, `torch.float`, `float`), or ''."""
    if value is None:
        return ""
    if isinstance(value.const, str) and value.kind == "const":
        return _STRING_DTYPES.get(value.const.strip().lower(), "")
    if value.kind == "call":
        call = facts.call_by_id.get(value.call)
        if call is not None and call.qualname == "numpy.dtype":
            arg = call.arg(0, "dtype")
            return dtype_name(facts, arg.value if arg else None)
        return ""
    name = value.name
    if not name:
        return ""
    if name in _BUILTIN_DTYPES and name not in facts.imports:
        return _BUILTIN_DTYPES[name]
    qual = facts.resolve(name)
    root, _, leaf = qual.rpartition(".")
    if root == "numpy":
        return _NUMPY_DTYPES.get(leaf, "")
    if root == "torch":
        return _TORCH_DTYPES.get(leaf, "")
    if root in ("tensorflow", "tensorflow.dtypes", "keras"):
        return _NUMPY_DTYPES.get(leaf, "")
    return ""


def literal_array_info(value: Value, lib: str = "numpy") -> ArrayInfo:
    """dtype and shape of a nested list/tuple of number literals (`[[4], [5]]` → int64, (2, 1))."""
    text = value.text
    if value.kind not in ("list", "tuple") or not text or "..." in text:
        return UNKNOWN_ARRAY
    body = re.sub(r"[\[\]\(\),\s]", " ", text)
    tokens = body.split()
    if not tokens or not all(_NUMBER.fullmatch(t) for t in tokens):
        if tokens and all(t in ("True", "False") for t in tokens):
            return ArrayInfo("bool", lib, _literal_shape(value))
        return UNKNOWN_ARRAY
    is_float = any(("." in t or "e" in t.lower()) for t in tokens)
    if lib == "torch":
        dtype = "float32" if is_float else "int64"
    elif lib == "tensorflow":
        dtype = "float32" if is_float else "int32"
    else:
        dtype = "float64" if is_float else "int64"
    return ArrayInfo(dtype, lib, _literal_shape(value))


def _literal_shape(value: Value) -> tuple[int, ...] | None:
    text = value.text.replace(" ", "")
    depth = 0
    while depth < len(text) and text[depth] in "[(":
        depth += 1
    if depth == 0:
        return None
    # Count the elements at each level along the first branch; the literal must be rectangular to matter.
    shape: list[int] = []
    level_counts: dict[int, list[int]] = {}
    level = 0
    count_stack: list[int] = []
    for ch in text:
        if ch in "[(":
            level += 1
            count_stack.append(1)
        elif ch in "])":
            n = count_stack.pop()
            level_counts.setdefault(level, []).append(n)
            level -= 1
        elif ch == "," and count_stack:
            count_stack[-1] += 1
    if text.endswith(",]") or text.endswith(",)") or ",]" in text or ",)" in text:
        return None
    for lvl in range(1, depth + 1):
        counts = level_counts.get(lvl, [])
        if not counts or len(set(counts)) != 1:
            return None
        shape.append(counts[0])
    return tuple(shape)


def same_dtype_family(a: str, b: str) -> bool:
    """Whether two known dtypes agree for a model: equal, or both integers of any width."""
    if a == b:
        return True
    ints = ("int", "uint")
    return a.startswith(ints) and b.startswith(ints) and "uint8" not in (a, b)
