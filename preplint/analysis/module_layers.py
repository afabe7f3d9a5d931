"""Which mode-dependent layers (dropout, batch norm) a torch module class or container holds."""

from __future__ import annotations

from typing import TYPE_CHECKING

from preplint.analysis.objects import class_kind
from preplint.facts import frameworks as fw
from preplint.facts.model import Call, FileFacts, Value

if TYPE_CHECKING:
    from preplint.analysis.records import ModuleState
    from preplint.facts.project import ProjectIndex


DROPOUT_FUNCTIONS = frozenset(
    {
        "torch.nn.functional.dropout",
        "torch.nn.functional.dropout1d",
        "torch.nn.functional.dropout2d",
        "torch.nn.functional.dropout3d",
        "torch.nn.functional.alpha_dropout",
        "torch.nn.functional.feature_alpha_dropout",
    }
)


_TORCHVISION_BN_FAMILIES = (
    "resnet",
    "resnext",
    "wide_resnet",
    "densenet",
    "efficientnet",
    "mobilenet",
    "inception",
    "googlenet",
    "regnet",
    "shufflenet",
    "mnasnet",
)


def mode_layers(
    facts: FileFacts,
    cls: str,
    index: ProjectIndex | None,
    depth: int = 0,
    before_stmt: int | None = None,
) -> frozenset[str] | None:
    """Mode-dependent layers ('dropout', 'batchnorm') a module class builds; None when unknown
    (a sub-module built by an unknown call), an empty set when it provably holds neither.
    `before_stmt`: a class redefined in the same file (a notebook) is the last definition
    before that statement."""
    if depth > 3 or not cls:
        return None
    if "." in cls and cls.startswith(("torch.", "torchvision.", "timm.")):
        return _builtin_mode_layers(cls)
    found_cls = index.class_for(facts, cls) if index is not None else None
    if found_cls is None:
        found = facts.class_by_name.get(cls)
        if found is None:
            return None
        owner = facts
        cdef = found
    else:
        owner, cdef = found_cls
    if before_stmt is not None and owner is facts:
        earlier = [c for c in facts.classes if c.name == cdef.name and c.stmt_start < before_stmt]
        if earlier:
            cdef = max(earlier, key=lambda c: c.stmt_start)
    out: set[str] = set()
    unknown = False
    for base in cdef.bases:
        if base in fw.TORCH_MODULE_BASES:
            continue
        sub = mode_layers(owner, base, index, depth + 1)
        if sub is None:
            unknown = True
        else:
            out |= sub
    prefix = cdef.name + "."
    # Sub-modules are stored on the instance: `self.backbone = build_backbone()`. A local
    # (`for i in range(n)`, `h = self.lstm(x)`) builds none.
    assigned_calls = {
        a.value.call
        for a in owner.assigns
        if a.scope.startswith(prefix)
        and cdef.stmt_start <= a.stmt <= cdef.stmt_end
        and a.value.kind == "call"
        and any(t.startswith("self.") for t in a.targets)
    }
    for c in owner.calls:
        if not c.scope.startswith(prefix) or not cdef.stmt_start <= c.stmt <= cdef.stmt_end:
            continue
        if c.qualname in DROPOUT_FUNCTIONS:
            out.add("dropout")
            continue
        if c.qualname:
            if fw.is_torch_module_constructor(c.qualname):
                if c.qualname.rsplit(".", 1)[-1] in ("Sequential", "ModuleList", "ModuleDict"):
                    continue  # what it holds is built by calls of this class, seen one by one
                sub = _builtin_mode_layers(c.qualname, c)
                if sub is None:
                    unknown = True
                else:
                    out |= sub
            continue
        if c.callee and not c.method and c.callee[:1].isupper():
            if class_kind(owner, c.callee, index) == "torch-module":
                sub = mode_layers(owner, c.callee, index, depth + 1)
                if sub is None:
                    unknown = True
                else:
                    out |= sub
            elif c.id in assigned_calls:
                unknown = True
        elif c.id in assigned_calls and c.callee and not c.method:
            unknown = True  # `self.backbone = build_backbone()`
    if out:
        return frozenset(out)
    return None if unknown else frozenset()


def state_mode_layers(
    facts: FileFacts, state: ModuleState, index: ProjectIndex | None, at_stmt: int | None = None
) -> frozenset[str] | None:
    """Mode layers of the module a `ModuleState` describes: its container's, else its class's
    (in the same file, the class's last definition before `at_stmt`)."""
    if state.layers is not None:
        return state.layers
    if not state.cls:
        return None
    owner = state.cls_facts or facts
    return mode_layers(owner, state.cls, index, before_stmt=at_stmt if owner is facts else None)


def layer_kinds(layers: frozenset[str]) -> str:
    """'Dropout', 'BatchNorm' or 'BatchNorm and Dropout'."""
    return " and ".join(sorted({"dropout": "Dropout", "batchnorm": "BatchNorm"}[k] for k in layers))


def _builtin_mode_layers(qual: str, call: Call | None = None) -> frozenset[str] | None:
    leaf = qual.rsplit(".", 1)[-1]
    if qual.startswith("torch.nn."):
        if leaf in fw.TORCH_MODE_LAYERS:
            return frozenset({"batchnorm" if "BatchNorm" in leaf else "dropout"})
        if leaf.startswith(("Transformer", "MultiheadAttention")):
            return frozenset({"dropout"})
        if leaf in ("Sequential", "ModuleList", "ModuleDict"):
            return None  # decided by what is inside, which the caller looks at
        if leaf in ("LSTM", "GRU", "RNN"):
            return _recurrent_mode_layers(call)
        return frozenset()
    if qual.startswith("torchvision.models."):
        name = leaf.lower()
        if name.startswith(_TORCHVISION_BN_FAMILIES) or name.endswith("_bn"):
            return frozenset({"batchnorm"})
        return None
    return None


def _recurrent_mode_layers(call: Call | None) -> frozenset[str] | None:
    """`nn.LSTM/GRU/RNN` drop out between stacked layers only: with `dropout=0` (the default) or a
    single layer they compute the same in both modes."""
    if call is None:
        return None
    if any(a.star for a in call.args):
        return None
    dropout = call.arg(
        6, "dropout"
    )  # (input_size, hidden_size, num_layers, [nonlinearity,] bias, batch_first, dropout)
    layers = call.arg(2, "num_layers")
    if dropout is None or dropout.keyword is None:
        if len([a for a in call.args if a.keyword is None]) > 3:
            return None  # positional flags: do not guess which one is dropout
        return frozenset()
    rate = dropout.value.const
    if rate in (0, 0.0) and dropout.value.kind == "const":
        return frozenset()
    if layers is not None and layers.value.const == 1 and layers.value.kind == "const":
        return frozenset()
    if isinstance(rate, (int, float)) and not isinstance(rate, bool) and rate > 0:
        return frozenset({"dropout"})
    return None


def value_mode_layers(
    facts: FileFacts, value: Value, index: ProjectIndex | None
) -> frozenset[str] | None:
    """Mode layers among the constructors inside an expression (`nn.Sequential(nn.Linear(..), nn.Dropout())`)."""
    out: set[str] = set()
    unknown = False
    for cid in value.calls:
        c = facts.call_by_id.get(cid)
        if c is None:
            continue
        if c.qualname and fw.is_torch_module_constructor(c.qualname):
            leaf = c.qualname.rsplit(".", 1)[-1]
            if leaf in ("Sequential", "ModuleList", "ModuleDict"):
                continue
            sub = _builtin_mode_layers(c.qualname, c)
        elif c.callee and not c.method and class_kind(facts, c.callee, index) == "torch-module":
            sub = mode_layers(facts, c.callee, index)
        elif c.method in ("to", "cuda", "eval", "train", "cpu"):
            continue
        else:
            sub = None
        if sub is None:
            unknown = True
        else:
            out |= sub
    if out:
        return frozenset(out)
    return None if unknown else frozenset()
