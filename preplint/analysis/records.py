"""The answers analysis gives, as plain frozen records: what rules read and memos keep."""

from __future__ import annotations

from dataclasses import dataclass, replace

from preplint.diagnostics import Span
from preplint.facts.model import Call, FileFacts, Value


@dataclass(frozen=True)
class ArtifactEvent:
    action: str  # save | load
    path: str  # resolved path ('*' for unknown parts), '' when unknown
    api: str  # keras-save, keras-save-weights, keras-checkpoint, keras-checkpoint-weights, lightning-checkpoint, keras-load, torch-save, torch-load, pickle-dump, pickle-load, numpy-save, numpy-load, jit-save, jit-load, load-weights, state-dict-load
    obj: str  # the saved object's expression, or the name a load is bound to
    obj_kind: str  # binding kind of the object when known ('keras-model', 'preprocessor', ...)
    call: int
    file: str  # FileFacts.path


@dataclass(frozen=True)
class Binding:
    name: str
    scope: str
    stmt: int
    kind: str  # keras-model | torch-module | sklearn-model | preprocessor | pipeline | optimizer | dataloader | torch-loaded | unpickled | hf-model
    framework: str  # keras | torch | sklearn | other
    cls: str  # qualified (or local) class name of what was built, "" if unknown
    call: int  # the call that produced it
    origin: str  # constructed | loaded


# Kinds only a compiled model needs: `load_model(..., compile=False)` does not deserialise them.
COMPILE_ONLY_KINDS = frozenset({"loss", "metric", "optimizer", "schedule"})


@dataclass(frozen=True)
class CustomObject:
    """One custom object a saved model refers to by name."""

    name: str  # class or function name ("AttentionPooling", "focal_loss", "Lambda")
    kind: str  # model | layer | loss | metric | initializer | ... | activation | lambda
    file: str  # path of the file that defines it (for a Lambda: where it is used)
    span: Span  # its definition (for a Lambda: the Lambda call)
    registered: bool  # decorated with register_keras_serializable
    anonymous: bool = False  # a Lambda wrapping a `lambda` expression (needs safe_mode=False)

    @property
    def compile_only(self) -> bool:
        return self.kind in COMPILE_ONLY_KINDS


# `array_info(facts, value, scope, stmt)` follows a value back through assignments, casts and array
# constructors to what is known about its dtype ("float32", "float64", "int64", "uint8", ...), the
# library holding it (numpy, torch, tensorflow, pandas, python) and its literal shape. Unknown stays
# unknown: pandas `.values`/`.to_numpy()`, `np.load`, a DataLoader batch, a function parameter whose
# callers disagree. Rules compare two known facts; they never guess.
@dataclass(frozen=True)
class ArrayInfo:
    dtype: str = ""  # float16 | float32 | float64 | int8..int64 | uint8 | bool | "" (unknown)
    lib: str = ""  # numpy | torch | tensorflow | pandas | python | "" (unknown)
    shape: tuple[int, ...] | None = None  # literal shape, -1 for a size not known; None: unknown
    origin: int = (
        -1
    )  # id of the call that fixed the dtype (the cast or the constructor), -1 if none
    tensor_from: int = (
        -1
    )  # id of the torch.from_numpy/tensor/as_tensor call that made it a tensor from NumPy


@dataclass(frozen=True)
class LoadSite:
    """Where a module's weights were loaded: `load_state_dict(...)` or `torch.load(...)`."""

    facts: FileFacts
    call: Call  # the load_state_dict / torch.load call
    name: str  # the module's name at the load
    artifact: str  # resolved path of the loaded file, '' if unknown


@dataclass(frozen=True)
class ModuleState:
    """What is known about a (probably) torch module at one point of a path."""

    mode: str  # "eval" | "train" | "unknown"
    torch: bool  # evidence that it is a torch nn.Module
    load: LoadSite | None = None
    cls: str = ""  # the class it was built from (qualified or project-local), '' if unknown
    cls_facts: FileFacts | None = None  # the file where `cls` is a local name
    stateless: bool = False  # a loss or activation: no mode and not "the model"
    layers: frozenset[str] | None = (
        None  # mode layers of a built-in container (`nn.Sequential(...)`), when known
    )
    assumed: bool = False  # a parameter nobody in the project passes: its mode is the path's start, by assumption

    def merge_load(self, load: LoadSite | None) -> ModuleState:
        return self if load is None or self.load is not None else replace(self, load=load)


@dataclass(frozen=True)
class ModelFeed:
    """A model given data: `model.fit(X)`, `model.predict(X)`, `model(x)`."""

    call: int
    model: str  # the model expression ("model", "self.net", "" for `Estimator().fit`)
    data: Value
    stage: str  # train | infer
    scope: str
    stmt: int


@dataclass(frozen=True)
class Lineage:
    transforms: frozenset[str] = (
        frozenset()
    )  # what was applied: "scaler.transform()", "x / 255.0", "preprocess()"
    opaque: bool = False  # some part could not be seen through
    calls: frozenset[int] = frozenset()  # ids of the calls the data went through (this file)
    params: frozenset[str] = frozenset()  # parameters reached when callers are not followed

    def __or__(self, other: Lineage) -> Lineage:
        return Lineage(
            self.transforms | other.transforms,
            self.opaque or other.opaque,
            self.calls | other.calls,
            self.params | other.params,
        )

    @property
    def raw(self) -> bool:
        """Fully seen, and no transform on the way."""
        return not self.transforms and not self.opaque


@dataclass(frozen=True)
class PreFit:
    call: Call
    obj: str  # the name holding the fitted preprocessor, '' when anonymous
    cls: str  # qualified class name
    ctor: int  # the constructor call id, or -1

    @property
    def leaf(self) -> str:
        return self.cls.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class TrainInput:
    root: str  # the trained model's name
    call: Call
    lineage: Lineage
    file: str


@dataclass(frozen=True)
class SeedCall:
    call: Call
    families: frozenset[str]
    via: str  # the helper's name when seeded through a project function, '' for a direct seed call


@dataclass(frozen=True)
class Contribution:
    """One file's share of the project-wide answers (what the incremental cache keeps)."""

    events: tuple[ArtifactEvent, ...] | None
    sites: tuple[tuple[str, str, int], ...]  # (defining path, function qualname, call id)
    inside: frozenset[str]  # class names built inside Keras subclasses' methods
    outside: frozenset[str]  # class names built anywhere else
    # calls that build a project class: (class's file, class name, callee's last part, call id)
    constructions: tuple[tuple[str, str, str, int], ...] = ()
