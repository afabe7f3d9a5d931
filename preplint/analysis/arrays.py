"""The dtype, library and shape an expression evaluates to, followed back through the code."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from preplint.analysis.calls import argument_for, call_sites, resolve_function
from preplint.analysis.context import memos, on_behalf
from preplint.analysis.dtypes import (
    _DTYPE_KEEPING_METHODS,
    _GENERATOR_FLOAT_METHODS,
    _NUMPY_DTYPES,
    _NUMPY_FLOAT64_MAKERS,
    _TORCH_CAST_METHODS,
    _TORCH_FLOAT_MAKERS,
    UNKNOWN_ARRAY,
    dtype_name,
    literal_array_info,
)
from preplint.analysis.records import ArrayInfo
from preplint.facts.model import Assign, Call, FileFacts, Function, Value

if TYPE_CHECKING:
    from preplint.facts.project import ProjectIndex


def _int_shape(facts: FileFacts, args: list[Value]) -> tuple[int, ...] | None:
    """A shape from `(2, 3)`, `2, 3` or `[2, 3]`, with -1 for non-literal sizes; None when not a shape."""
    if len(args) == 1 and args[0].kind in ("tuple", "list"):
        if not args[0].items and args[0].text not in ("()", "[]"):
            return None
        args = list(args[0].items)
    out: list[int] = []
    for a in args:
        if isinstance(a.const, int) and not isinstance(a.const, bool):
            out.append(a.const if a.const >= 0 else -1)
        elif a.kind in ("name", "attr", "subscript", "call", "binop", "unary"):
            out.append(-1)
        else:
            return None
    return tuple(out)


@on_behalf
def array_info(
    facts: FileFacts,
    value: Value | None,
    scope: str,
    stmt: int,
    index: ProjectIndex | None = None,
    depth: int = 0,
) -> ArrayInfo:
    """What is known of the array an expression evaluates to at statement `stmt` of `scope`."""
    if value is None or depth > 12:
        return UNKNOWN_ARRAY
    cache = memos(facts, index).arrays
    key = (value, scope, stmt)
    if key in cache:
        return cache[key]
    cache[key] = UNKNOWN_ARRAY  # cuts cycles
    result = _array_info(facts, value, scope, stmt, index, depth)
    cache[key] = result
    return result


def _array_info(
    facts: FileFacts, value: Value, scope: str, stmt: int, index: ProjectIndex | None, depth: int
) -> ArrayInfo:
    kind = value.kind
    if kind == "call":
        call = facts.call_by_id.get(value.call)
        return _call_array_info(facts, call, index, depth) if call is not None else UNKNOWN_ARRAY
    if kind in ("name", "attr"):
        return _name_array_info(facts, value.text, scope, stmt, index, depth)
    if kind in ("list", "tuple"):
        return literal_array_info(value, "python")
    if kind == "subscript" and value.operands:
        base = array_info(facts, value.operands[0], scope, stmt, index, depth + 1)
        return (
            replace(base, shape=None)
            if base.lib in ("numpy", "torch", "tensorflow")
            else UNKNOWN_ARRAY
        )
    if kind == "unary" and value.operands:
        return array_info(facts, value.operands[0], scope, stmt, index, depth + 1)
    if kind == "binop" and len(value.operands) == 2:
        left, right = value.operands
        op = value.ops[0] if value.ops else ""
        return _binop_array_info(
            array_info(facts, left, scope, stmt, index, depth + 1),
            array_info(facts, right, scope, stmt, index, depth + 1),
            left,
            right,
            op,
        )
    return UNKNOWN_ARRAY


def _scalar_kind(value: Value) -> str:
    """'int' / 'float' for a number literal operand, else ''."""
    const = value.const
    if isinstance(const, bool) or value.kind not in ("const", "unary"):
        return ""
    if isinstance(const, int):
        return "int"
    if isinstance(const, float):
        return "float"
    return ""


def _binop_array_info(
    left: ArrayInfo, right: ArrayInfo, lv: Value, rv: Value, op: str
) -> ArrayInfo:
    for array, scalar_value in ((left, rv), (right, lv)):
        scalar = _scalar_kind(scalar_value)
        if not scalar or not array.dtype or array.lib not in ("numpy", "torch", "tensorflow"):
            continue
        if array.dtype.startswith(("float", "bfloat")):
            return array  # a Python scalar never widens an array's float dtype
        if array.lib == "tensorflow":
            return UNKNOWN_ARRAY
        if op == "/" or scalar == "float":
            return replace(array, dtype="float32" if array.lib == "torch" else "float64", origin=-1)
        return array
    if left.dtype and right.dtype and left.lib == right.lib and left.lib in ("numpy", "torch"):
        if left.dtype == right.dtype and not (op == "/" and not left.dtype.startswith("float")):
            return replace(left, shape=left.shape if left.shape == right.shape else None)
        if {left.dtype, right.dtype} == {"float32", "float64"}:
            return replace(left, dtype="float64", shape=None, origin=-1)
    return UNKNOWN_ARRAY


def _name_array_info(
    facts: FileFacts, name: str, scope: str, stmt: int, index: ProjectIndex | None, depth: int
) -> ArrayInfo:
    assign = facts.reaching_assign(name, scope, stmt)
    if assign is None and name.startswith("self."):
        assign = _attribute_assign(facts, name, scope)
    if assign is None:
        return _param_array_info(facts, name, scope, index, depth)
    if assign.op == "=":
        if len(assign.targets) == 1:
            return array_info(facts, assign.value, assign.scope, assign.stmt, index, depth + 1)
        return _unpacked_array_info(facts, assign, name, index, depth)
    if assign.op == "for":
        return _loop_array_info(facts, assign, name, index, depth)
    if assign.op.endswith("Assign") and len(assign.targets) == 1:
        # In-place arithmetic keeps the array's dtype (NumPy refuses `int_array /= 2`).
        return _name_array_info(facts, name, assign.scope, assign.stmt, index, depth + 1)
    return UNKNOWN_ARRAY


def _attribute_assign(facts: FileFacts, name: str, scope: str) -> Assign | None:
    """`self.x` read in one method and assigned in another method of the same class (only one assignment)."""
    fn = facts.function_by_qualname.get(scope)
    if fn is None or not fn.cls:
        return None
    found = [a for a in facts.assigns_by_target.get(name, ()) if a.scope.startswith(fn.cls + ".")]
    return found[0] if len(found) == 1 else None


# `rows: list[list[float]]`, `values: Sequence[int]`: typed Python data.
_PYTHON_LIST_ANNOTATION = re.compile(
    r"(?:(?:typing\.)?(?:list|List|Sequence|Iterable|tuple\[.*?,\.\.\.)\[)+(float|int)\]+"
)


_PIL_OPENERS = frozenset(
    {"PIL.Image.open", "keras.utils.load_img", "keras.preprocessing.image.load_img"}
)


def _python_elements(facts: FileFacts, value: Value, depth: int = 0) -> str:
    """'int' / 'float' for Python data built from number literals or `int(...)`/`float(...)` calls, else ''."""
    if depth > 6:
        return ""
    if (
        value.kind == "const"
        and isinstance(value.const, (int, float))
        and not isinstance(value.const, bool)
    ):
        return "float" if isinstance(value.const, float) else "int"
    if value.kind == "call":
        call = facts.call_by_id.get(value.call)
        if (
            call is not None
            and not call.qualname
            and call.callee in ("int", "float")
            and "int" not in facts.imports
            and "float" not in facts.imports
        ):
            return call.callee
        return ""
    if value.kind in ("list", "tuple") and value.items:
        kinds = {_python_elements(facts, item, depth + 1) for item in value.items}
        if "" in kinds:
            return ""
        return "float" if "float" in kinds else "int"
    if value.kind == "other" and value.operands and value.text[:1] in "[(":
        return _python_elements(facts, value.operands[0], depth + 1)
    return ""


def _image_source(facts: FileFacts, value: Value) -> bool:
    """An expression that is a PIL image (`Image.open(p).convert("RGB").resize(...)`): NumPy makes it uint8."""
    if value.kind != "call":
        return False
    call = facts.call_by_id.get(value.call)
    for _ in range(6):
        if call is None:
            return False
        if call.qualname in _PIL_OPENERS:
            return True
        if (
            call.method == "convert"
            and call.args
            and call.args[0].value.const not in ("RGB", "L", "RGBA", "P")
        ):
            return False
        if call.method not in (
            "convert",
            "resize",
            "crop",
            "rotate",
            "transpose",
            "thumbnail",
            "copy",
        ):
            return False
        call = facts.call_by_id.get(call.receiver_call) if call.receiver_call >= 0 else None
    return False


def _element_info(
    facts: FileFacts, value: Value, scope: str, stmt: int, index: ProjectIndex | None, depth: int
) -> ArrayInfo:
    """The array info of the elements of a list of arrays: a comprehension or a list literal, directly or by name."""
    for _ in range(3):
        if value.kind in ("name", "attr"):
            assign = facts.reaching_assign(value.text, scope, stmt)
            if assign is None or assign.op != "=" or len(assign.targets) != 1:
                return UNKNOWN_ARRAY
            value, scope, stmt = assign.value, assign.scope, assign.stmt
            continue
        break
    if value.kind == "other" and value.operands and value.text[:1] in "[(":
        return array_info(facts, value.operands[0], scope, stmt, index, depth + 1)
    if value.kind in ("list", "tuple") and value.items:
        return _agree(
            [array_info(facts, item, scope, stmt, index, depth + 1) for item in value.items]
        )
    return UNKNOWN_ARRAY


def _param_array_info(
    facts: FileFacts, name: str, scope: str, index: ProjectIndex | None, depth: int
) -> ArrayInfo:
    fn = facts.function_by_qualname.get(scope)
    if fn is None or name not in fn.params or depth > 8:
        return UNKNOWN_ARRAY
    annotation = (
        fn.annotations[fn.params.index(name)] if len(fn.annotations) == len(fn.params) else ""
    )
    typed = _PYTHON_LIST_ANNOTATION.fullmatch(annotation.replace(" ", ""))
    if typed:
        return ArrayInfo("float64" if typed.group(1) == "float" else "int64", "python")
    infos = []
    for owner, site in call_sites(facts, fn, index):
        arg = argument_for(site, fn, name)
        if arg is None:
            return UNKNOWN_ARRAY
        info = array_info(owner, arg, site.scope, site.stmt, index, depth + 2)
        infos.append(info)
        if not info.dtype or (info.dtype, info.lib) != (infos[0].dtype, infos[0].lib):
            return UNKNOWN_ARRAY  # the answer whatever the other sites pass
    if not infos or any(not i.dtype for i in infos) or len({(i.dtype, i.lib) for i in infos}) != 1:
        return UNKNOWN_ARRAY
    first = infos[0]
    return first if all(i.shape == first.shape for i in infos) else replace(first, shape=None)


_SPLIT_FUNCTIONS = frozenset(
    {"sklearn.model_selection.train_test_split", "sklearn.cross_validation.train_test_split"}
)


def _unpacked_array_info(
    facts: FileFacts, assign: Assign, name: str, index: ProjectIndex | None, depth: int
) -> ArrayInfo:
    position = assign.targets.index(name)
    value = assign.value
    if value.kind in ("tuple", "list") and len(value.items) == len(assign.targets):
        return array_info(facts, value.items[position], assign.scope, assign.stmt, index, depth + 1)
    call = facts.call_by_id.get(value.call) if value.kind == "call" else None
    if call is None:
        return UNKNOWN_ARRAY
    if call.qualname in _SPLIT_FUNCTIONS:
        arrays = [a for a in call.args if a.keyword is None and not a.star]
        if arrays and len(assign.targets) == 2 * len(arrays):
            info = array_info(
                facts, arrays[position // 2].value, call.scope, call.stmt, index, depth + 1
            )
            return replace(info, shape=None)
        return UNKNOWN_ARRAY
    returned = _returned_values(facts, call, index)
    if returned is not None:
        owner, fn, values = returned
        infos = []
        for v in values:
            if v.kind in ("tuple", "list") and len(v.items) == len(assign.targets):
                infos.append(
                    array_info(
                        owner, v.items[position], fn.qualname, fn.stmt_end + 1, index, depth + 1
                    )
                )
            else:
                return UNKNOWN_ARRAY
        return _agree(infos)
    return UNKNOWN_ARRAY


def _agree(infos: list[ArrayInfo]) -> ArrayInfo:
    if not infos or any(not i.dtype for i in infos) or len({(i.dtype, i.lib) for i in infos}) != 1:
        return UNKNOWN_ARRAY
    first = infos[0]
    return (
        first
        if all(i == first for i in infos)
        else replace(first, shape=None, origin=-1, tensor_from=-1)
    )


def _returned_values(
    facts: FileFacts, call: Call, index: ProjectIndex | None
) -> tuple[FileFacts, Function, tuple[Value, ...]] | None:
    """The return expressions of the project function a call runs (same file, or imported through the index)."""
    found = resolve_function(facts, call, index)
    if found is None or not found[1].returns:
        return None
    return found[0], found[1], found[1].returns


def _loop_array_info(
    facts: FileFacts, assign: Assign, name: str, index: ProjectIndex | None, depth: int
) -> ArrayInfo:
    """`for xb, yb in DataLoader(TensorDataset(X_t, y_t))`: each batch has its tensor's dtype."""
    position = assign.targets.index(name)
    source = assign.value
    call = facts.call_by_id.get(source.call) if source.kind == "call" else None
    if call is not None and call.callee == "enumerate" and call.args:
        source = call.args[0].value
        position -= 1
        if position < 0:
            return UNKNOWN_ARRAY
    loader = _dataset_tensors(facts, source, assign.scope, assign.stmt, depth)
    if loader is not None:
        tensors, scope, stmt = loader
        if len(assign.targets) - (
            1 if call is not None and call.callee == "enumerate" else 0
        ) == len(tensors):
            info = array_info(facts, tensors[position], scope, stmt, index, depth + 1)
            return replace(info, shape=None)
        return UNKNOWN_ARRAY
    if len(assign.targets) == 1 and source.kind in ("name", "attr"):
        info = array_info(facts, source, assign.scope, assign.stmt, index, depth + 1)
        if info.lib in ("numpy", "torch"):
            return replace(info, shape=info.shape[1:] if info.shape else None)
    return UNKNOWN_ARRAY


def _dataset_tensors(
    facts: FileFacts, value: Value, scope: str, stmt: int, depth: int
) -> tuple[tuple[Value, ...], str, int] | None:
    for _ in range(4):
        if value.kind in ("name", "attr"):
            assign = facts.reaching_assign(value.text, scope, stmt)
            if assign is None or assign.op != "=" or len(assign.targets) != 1:
                return None
            value, scope, stmt = assign.value, assign.scope, assign.stmt
            continue
        call = facts.call_by_id.get(value.call) if value.kind == "call" else None
        if call is None:
            return None
        if call.qualname == "torch.utils.data.DataLoader":
            arg = call.arg(0, "dataset")
            if arg is None:
                return None
            value, scope, stmt = arg.value, call.scope, call.stmt
            continue
        if call.qualname == "torch.utils.data.TensorDataset":
            return (
                tuple(a.value for a in call.args if a.keyword is None and not a.star),
                call.scope,
                call.stmt,
            )
        return None
    return None


def _call_array_info(
    facts: FileFacts, call: Call, index: ProjectIndex | None, depth: int
) -> ArrayInfo:
    qual = call.qualname
    method = call.method
    scope, stmt = call.scope, call.stmt
    dtype_kw = call.arg(keyword="dtype")

    def receiver_info() -> ArrayInfo:
        if call.receiver_call >= 0:
            inner = facts.call_by_id.get(call.receiver_call)
            return (
                _call_array_info(facts, inner, index, depth + 1)
                if inner is not None
                else UNKNOWN_ARRAY
            )
        if call.receiver:
            return _name_array_info(facts, call.receiver, scope, stmt, index, depth + 1)
        return UNKNOWN_ARRAY

    def arg_info(position: int, keyword: str) -> ArrayInfo:
        arg = call.arg(position, keyword)
        return (
            array_info(facts, arg.value, scope, stmt, index, depth + 1)
            if arg is not None
            else UNKNOWN_ARRAY
        )

    positional = [a.value for a in call.args if a.keyword is None and not a.star]
    root = qual.split(".", 1)[0] if qual else ""
    # --- NumPy -----------------------------------------------------------------------------------
    if root == "numpy":
        leaf = qual.rsplit(".", 1)[1]
        if leaf in _NUMPY_DTYPES and qual.count(".") == 1:  # np.float32(x)
            src = arg_info(0, "x")
            return ArrayInfo(_NUMPY_DTYPES[leaf], "numpy", src.shape, call.id)
        if qual in (
            "numpy.array",
            "numpy.asarray",
            "numpy.ascontiguousarray",
            "numpy.asanyarray",
            "numpy.asfarray",
        ):
            src = arg_info(0, "object") if qual != "numpy.asfarray" else arg_info(0, "a")
            dtype = dtype_name(
                facts,
                dtype_kw.value if dtype_kw else (positional[1] if len(positional) > 1 else None),
            )
            if qual == "numpy.asfarray" and not dtype:
                dtype = "float64"
            arg0 = call.arg(0, "object") or call.arg(0, "a")
            if arg0 is not None and arg0.value.kind in ("list", "tuple") and src.lib == "python":
                src = literal_array_info(arg0.value, "numpy")
            if arg0 is not None and not src.dtype:
                elements = _python_elements(facts, arg0.value)
                if elements:
                    src = ArrayInfo(
                        "float64" if elements == "float" else "int64", "numpy", None, call.id
                    )
                elif _image_source(facts, arg0.value):
                    src = ArrayInfo("uint8", "numpy", None, call.id)
            if dtype:
                return ArrayInfo(dtype, "numpy", src.shape, call.id)
            if src.dtype and src.lib in ("numpy", "python"):
                return replace(src, lib="numpy")
            return UNKNOWN_ARRAY
        if qual in _NUMPY_FLOAT64_MAKERS or qual == "numpy.full":
            dtype = dtype_name(facts, dtype_kw.value) if dtype_kw else ""
            if qual == "numpy.full" and not dtype:
                return UNKNOWN_ARRAY
            shape: tuple[int, ...] | None = None
            if qual in ("numpy.random.rand", "numpy.random.randn"):
                shape = _int_shape(facts, positional)
            elif qual in ("numpy.zeros", "numpy.ones", "numpy.empty", "numpy.full"):
                shape = _int_shape(facts, positional[:1]) if positional else None
            else:
                size = call.arg(keyword="size")
                if (
                    size is None
                    and qual
                    in ("numpy.random.random", "numpy.random.random_sample", "numpy.random.sample")
                    and positional
                ):
                    size = call.arg(0)
                shape = _int_shape(facts, [size.value]) if size is not None else None
            if (
                qual in ("numpy.zeros", "numpy.ones", "numpy.empty")
                and not dtype
                and len(positional) > 1
            ):
                dtype = dtype_name(facts, positional[1])
                if not dtype:
                    return UNKNOWN_ARRAY
            return ArrayInfo(dtype or "float64", "numpy", shape, call.id)
        if qual in (
            "numpy.stack",
            "numpy.vstack",
            "numpy.hstack",
            "numpy.concatenate",
            "numpy.row_stack",
        ):
            arg0 = call.arg(0, "arrays") or call.arg(0, "tup")
            element = (
                _element_info(facts, arg0.value, scope, stmt, index, depth)
                if arg0 is not None
                else UNKNOWN_ARRAY
            )
            if dtype_kw is not None:
                dtype = dtype_name(facts, dtype_kw.value)
                return ArrayInfo(dtype, "numpy", None, call.id) if dtype else UNKNOWN_ARRAY
            return (
                replace(element, shape=None)
                if element.lib == "numpy" and element.dtype
                else UNKNOWN_ARRAY
            )
        if qual == "numpy.random.randint":
            size = call.arg(keyword="size")
            shape = _int_shape(facts, [size.value]) if size is not None else None
            return ArrayInfo(
                dtype_name(facts, dtype_kw.value) if dtype_kw else "int64", "numpy", shape, call.id
            )
        if qual == "numpy.reshape":
            src = arg_info(0, "a")
            new_shape = call.arg(1, "newshape") or call.arg(keyword="shape")
            return (
                replace(src, shape=_int_shape(facts, [new_shape.value]) if new_shape else None)
                if src.dtype
                else UNKNOWN_ARRAY
            )
        if qual == "numpy.expand_dims":
            src = arg_info(0, "a")
            axis = call.arg(1, "axis")
            shape = None
            if src.shape is not None and axis is not None and isinstance(axis.value.const, int):
                ax = (
                    axis.value.const
                    if axis.value.const >= 0
                    else len(src.shape) + 1 + axis.value.const
                )
                if 0 <= ax <= len(src.shape):
                    shape = src.shape[:ax] + (1,) + src.shape[ax:]
            return replace(src, shape=shape) if src.dtype else UNKNOWN_ARRAY
        if qual in (
            "numpy.squeeze",
            "numpy.clip",
            "numpy.nan_to_num",
            "numpy.copy",
            "numpy.abs",
            "numpy.round",
        ):
            src = arg_info(0, "a")
            return replace(src, shape=None) if src.lib == "numpy" else UNKNOWN_ARRAY
        if qual in ("numpy.mean", "numpy.std", "numpy.var"):
            src = arg_info(0, "a")
            if src.lib == "numpy" and src.dtype.startswith("float"):
                return replace(src, shape=None, origin=-1)
            return UNKNOWN_ARRAY
        return UNKNOWN_ARRAY
    # --- torch -----------------------------------------------------------------------------------
    if root == "torch":
        if qual in (
            "torch.tensor",
            "torch.as_tensor",
            "torch.from_numpy",
            "torch.Tensor",
            "torch.FloatTensor",
            "torch.DoubleTensor",
            "torch.LongTensor",
        ):
            arg0 = call.arg(0, "data") or call.arg(0, "ndarray")
            src = (
                array_info(facts, arg0.value, scope, stmt, index, depth + 1)
                if arg0 is not None
                else UNKNOWN_ARRAY
            )
            fixed = {
                "torch.Tensor": "float32",
                "torch.FloatTensor": "float32",
                "torch.DoubleTensor": "float64",
                "torch.LongTensor": "int64",
            }.get(qual, "")
            dtype = dtype_name(facts, dtype_kw.value) if dtype_kw else fixed
            if arg0 is not None and arg0.value.kind in ("list", "tuple"):
                lit = literal_array_info(arg0.value, "torch")
                return ArrayInfo(dtype or lit.dtype, "torch", lit.shape, call.id if dtype else -1)
            if dtype:
                return ArrayInfo(dtype, "torch", src.shape, call.id)
            if dtype_kw is not None:
                return UNKNOWN_ARRAY
            if src.lib == "numpy" and src.dtype:
                return ArrayInfo(src.dtype, "torch", src.shape, src.origin, call.id)
            if src.lib == "torch":
                return src
            return UNKNOWN_ARRAY
        if qual in _TORCH_FLOAT_MAKERS or qual in (
            "torch.randint",
            "torch.randn_like",
            "torch.rand_like",
            "torch.zeros_like",
            "torch.ones_like",
        ):
            if qual.endswith("_like"):
                src = arg_info(0, "input")
                return (
                    replace(src, origin=call.id)
                    if src.lib == "torch" and not dtype_kw
                    else UNKNOWN_ARRAY
                )
            dtype = (
                dtype_name(facts, dtype_kw.value)
                if dtype_kw
                else ("int64" if qual == "torch.randint" else "float32")
            )
            shape = (
                _int_shape(facts, positional)
                if qual in ("torch.randn", "torch.rand", "torch.zeros", "torch.ones", "torch.empty")
                else None
            )
            return ArrayInfo(dtype, "torch", shape, call.id) if dtype else UNKNOWN_ARRAY
        if qual in (
            "torch.unsqueeze",
            "torch.squeeze",
            "torch.flatten",
            "torch.reshape",
            "torch.clone",
            "torch.clamp",
        ):
            src = arg_info(0, "input")
            return replace(src, shape=None) if src.lib == "torch" else UNKNOWN_ARRAY
        return UNKNOWN_ARRAY
    # --- TensorFlow --------------------------------------------------------------------------------
    if root == "tensorflow":
        if qual in ("tensorflow.cast", "tensorflow.dtypes.cast"):
            dt = call.arg(1, "dtype")
            src = arg_info(0, "x")
            dtype = dtype_name(facts, dt.value if dt else None)
            return ArrayInfo(dtype, "tensorflow", src.shape, call.id) if dtype else UNKNOWN_ARRAY
        if qual in ("tensorflow.constant", "tensorflow.convert_to_tensor"):
            arg0 = call.arg(0, "value")
            dtype = dtype_name(facts, dtype_kw.value if dtype_kw else None)
            if arg0 is not None and arg0.value.kind in ("list", "tuple"):
                lit = literal_array_info(arg0.value, "tensorflow")
                return ArrayInfo(dtype or lit.dtype, "tensorflow", lit.shape, call.id)
            src = arg_info(0, "value")
            if dtype:
                return ArrayInfo(dtype, "tensorflow", src.shape, call.id)
            return (
                replace(src, lib="tensorflow")
                if src.dtype and src.lib == "numpy"
                else UNKNOWN_ARRAY
            )
        return UNKNOWN_ARRAY
    if root:
        return UNKNOWN_ARRAY
    # --- methods -----------------------------------------------------------------------------------
    if method == "astype":
        target = call.arg(0, "dtype")
        dtype = dtype_name(facts, target.value if target else None)
        src = receiver_info()
        if not dtype:
            return UNKNOWN_ARRAY
        lib = src.lib if src.lib in ("numpy", "pandas") else "numpy"
        if lib == "pandas":
            return UNKNOWN_ARRAY
        return ArrayInfo(dtype, lib, src.shape, call.id)
    if method in _TORCH_CAST_METHODS and not call.args:
        src = receiver_info()
        if src.lib in ("numpy", "pandas", "python"):
            return UNKNOWN_ARRAY
        return ArrayInfo(_TORCH_CAST_METHODS[method], "torch", src.shape, call.id)
    if method in ("to", "type"):
        src = receiver_info()
        for a in call.args:
            if a.keyword in (None, "dtype"):
                dtype = dtype_name(facts, a.value)
                if dtype:
                    return ArrayInfo(dtype, "torch", src.shape, call.id)
        return src if src.lib == "torch" else UNKNOWN_ARRAY
    if method == "to_numpy":
        dtype = dtype_name(facts, dtype_kw.value) if dtype_kw else ""
        src = receiver_info()
        if dtype:
            return ArrayInfo(dtype, "numpy", None, call.id)
        return src if src.lib == "numpy" else UNKNOWN_ARRAY
    if method == "numpy":
        src = receiver_info()
        return (
            replace(src, lib="numpy", tensor_from=-1)
            if src.lib in ("torch", "tensorflow")
            else UNKNOWN_ARRAY
        )
    if method in ("reshape", "view"):
        src = receiver_info()
        if src.lib not in ("numpy", "torch"):
            return UNKNOWN_ARRAY
        shape_args = [a.value for a in call.args if a.keyword is None and not a.star]
        return replace(src, shape=_int_shape(facts, shape_args) if shape_args else None)
    if method in _DTYPE_KEEPING_METHODS:
        src = receiver_info()
        return replace(src, shape=None) if src.lib in ("numpy", "torch") else UNKNOWN_ARRAY
    if method in ("mean", "std", "var") and call.receiver:
        src = receiver_info()
        if src.lib in ("numpy", "torch") and src.dtype.startswith("float"):
            return replace(src, shape=None, origin=-1)
        return UNKNOWN_ARRAY
    if method in _GENERATOR_FLOAT_METHODS and call.receiver:
        gen = facts.reaching_assign(call.receiver, scope, stmt)
        if gen is not None and gen.value.kind == "call":
            maker = facts.call_by_id.get(gen.value.call)
            if maker is not None and maker.qualname in (
                "numpy.random.default_rng",
                "numpy.random.RandomState",
                "numpy.random.Generator",
            ):
                size = call.arg(keyword="size")
                if size is None and method in ("random", "standard_normal") and call.args:
                    size = call.arg(0)
                if method in ("rand", "randn"):
                    return ArrayInfo("float64", "numpy", _int_shape(facts, positional), call.id)
                return ArrayInfo(
                    "float64",
                    "numpy",
                    _int_shape(facts, [size.value]) if size is not None else None,
                    call.id,
                )
        return UNKNOWN_ARRAY
    if not method or call.receiver == "self":
        returned = _returned_values(facts, call, index)
        if returned is not None:
            owner, fn, values = returned
            if owner is facts and fn.qualname == scope:
                return UNKNOWN_ARRAY  # recursion
            return _agree(
                [
                    array_info(owner, v, fn.qualname, fn.stmt_end + 1, index, depth + 1)
                    for v in values
                ]
            )
    return UNKNOWN_ARRAY
