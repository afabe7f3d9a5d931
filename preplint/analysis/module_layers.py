"""Which mode-dependent layers (dropout, batch norm) a torch module class or container holds."""

from __future__ import annotations

from typing import TYPE_CHECKING

from preplint.analysis.objects import class_kind
from preplint.facts import frameworks as fw
from preplint.facts.model import FileFacts, Value

if TYPE_CHECKING:
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
    facts: FileFacts, cls: str, index: ProjectIndex | None, depth: int = 0
) -> frozenset[str] | None:
    """Mode-dependent layers ('dropout', 'batchnorm') a module class builds; None when unknown
    (a sub-module built by an unknown call), an empty set when it provably holds neither."""
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
    assigned_calls = {
        a.value.call for a in owner.assigns if a.scope.startswith(prefix) and a.value.kind == "call"
    }
    for c in owner.calls:
        if not c.scope.startswith(prefix):
            continue
        if c.qualname in DROPOUT_FUNCTIONS:
            out.add("dropout")
            continue
        if c.qualname:
            if fw.is_torch_module_constructor(c.qualname):
                sub = _builtin_mode_layers(c.qualname)
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


def _builtin_mode_layers(qual: str) -> frozenset[str] | None:
    leaf = qual.rsplit(".", 1)[-1]
    if qual.startswith("torch.nn."):
        if leaf in fw.TORCH_MODE_LAYERS:
            return frozenset({"batchnorm" if "BatchNorm" in leaf else "dropout"})
        if leaf.startswith(("Transformer", "MultiheadAttention")):
            return frozenset({"dropout"})
        if leaf in ("Sequential", "ModuleList", "ModuleDict"):
            return None  # decided by what is inside, which the caller looks at
        if leaf in ("LSTM", "GRU", "RNN"):
            return None  # dropout= decides
        return frozenset()
    if qual.startswith("torchvision.models."):
        name = leaf.lower()
        if name.startswith(_TORCHVISION_BN_FAMILIES) or name.endswith("_bn"):
            return frozenset({"batchnorm"})
        return None
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
            sub = _builtin_mode_layers(c.qualname)
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
