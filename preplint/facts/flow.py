"""Training and inference paths: which calls train which object, derived from facts for every family."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from preplint.analysis.context import file_context, project_context
from preplint.diagnostics import Span
from preplint.facts import frameworks as fw
from preplint.facts.artifacts import ArtifactEvent, artifact_events
from preplint.facts.model import Assign, Call, FileFacts, Function, Value
from preplint.facts.objects import Binding, binding_of, bindings, class_kind, classify_call

if TYPE_CHECKING:
    from preplint.facts.project import ProjectIndex

# Methods that train the object they are called on (Keras, scikit-learn, XGBoost, Lightning's trainer).
FIT_METHODS = frozenset({"fit", "fit_generator", "train_on_batch", "partial_fit"})
_NOT_MODELS = frozenset({"preprocessor", "dataloader", "optimizer"})


@dataclass(frozen=True)
class TrainingStep:
    """One place where an object is trained: a fit call, a training loop, or a helper that trains it."""

    stmt: int  # statement of the call (for a loop: of its last training step)
    span: Span
    what: str  # "`model.fit(...)`", "training loop", "`train(model, ...)`"


def is_backward(call: Call) -> bool:
    return call.method == "backward" and bool(call.receiver or call.receiver_call >= 0)


def _optimizer_targets(facts: FileFacts, index: ProjectIndex | None) -> dict[str, set[str]]:
    """Optimizer name → roots of the objects whose parameters it updates (`Adam(model.parameters())`)."""
    out: dict[str, set[str]] = {}
    for a in facts.assigns:
        if a.op != "=" or len(a.targets) != 1 or a.value.call < 0:
            continue
        call = facts.call_by_id[a.value.call]
        if not call.qualname.startswith(("torch.optim.", "keras.optimizers.")):
            continue
        roots: set[str] = set()
        for arg in call.args:
            roots.update(_roots(facts, arg.value.names, arg.value.calls))
        out[a.targets[0]] = roots
    return out


def _roots(facts: FileFacts, names: tuple[str, ...], calls: tuple[int, ...]) -> set[str]:
    roots = set(names)
    for cid in calls:
        inner = facts.call_by_id.get(cid)
        if inner is not None and inner.receiver:
            roots.add(inner.receiver)
    return roots


def function_trains(owner: FileFacts, fn: Function) -> bool:
    """Whether a function's body trains something (a fit call or a backward pass)."""
    scope = fn.qualname
    for call in owner.calls:
        if call.scope != scope and not call.scope.startswith(scope + "."):
            continue
        if is_backward(call):
            return True
        if call.method in FIT_METHODS and call.receiver:
            b = binding_of(owner, call.receiver, call.scope, call.stmt)
            if b is None or b.kind not in _NOT_MODELS:
                return True
    return False


def training_steps(
    facts: FileFacts, index: ProjectIndex | None, name: str, scope: str, after_stmt: int = -1
) -> list[TrainingStep]:
    """Where `name` (a model's dotted name) is trained in `scope` after a statement, in order.

    Stops at a reassignment of `name`: what is trained after it is another object.
    """
    stop = min(
        (
            a.stmt
            for a in facts.assigns
            if a.scope == scope
            and a.stmt > after_stmt
            and name in a.targets
            and a.op in ("=", "with", "for")
        ),
        default=10**9,
    )
    steps: list[TrainingStep] = []
    optimizers = _optimizer_targets(facts, index)
    for call in facts.calls:
        if call.scope != scope or not (after_stmt < call.stmt < stop):
            continue
        if call.method in FIT_METHODS and call.receiver == name:
            b = binding_of(facts, name, scope, call.stmt, index)
            if b is None or b.kind not in _NOT_MODELS:
                steps.append(TrainingStep(call.stmt, call.span, f"`{call.callee}(...)`"))
            continue
        if call.method == "fit" and call.receiver and any(name in a.value.names for a in call.args):
            steps.append(TrainingStep(call.stmt, call.span, f"`{call.callee}(...)`"))
            continue
        if is_backward(call) or (call.method == "step" and call.receiver in optimizers):
            targets = _step_targets(facts, call, optimizers)
            if targets is None or name in targets or name.split(".", 1)[0] in targets:
                steps.append(TrainingStep(call.stmt, call.span, "training loop"))
            continue
        if (
            call.callee
            and not call.method
            and any(
                name in a.value.names or name in _roots(facts, (), a.value.calls) for a in call.args
            )
        ):
            found = index.function_for(facts, call.callee) if index is not None else None
            if found is None and call.callee in facts.function_by_qualname:
                found = (facts, facts.function_by_qualname[call.callee])
            if found is not None and function_trains(*found):
                steps.append(TrainingStep(call.stmt, call.span, f"`{call.callee}(...)`"))
    return steps


def _step_targets(facts: FileFacts, call: Call, optimizers: dict[str, set[str]]) -> set[str] | None:
    """What a backward pass / optimizer step trains: the optimizers' targets in this scope, None if unknown."""
    if call.method == "step":
        return optimizers.get(call.receiver)
    in_scope = [
        optimizers[c.receiver]
        for c in facts.calls
        if c.scope == call.scope and c.method == "step" and c.receiver in optimizers
    ]
    if not in_scope:
        return None
    return set().union(*in_scope)


# --- inference paths and torch module modes (MODE rules, reusable) --------------------------------

# `with` items and decorators that turn gradient tracking off (set_grad_enabled is left out: its
# argument decides, and `torch.set_grad_enabled(phase == "train")` is a training idiom).
NO_GRAD_CONTEXTS = frozenset(
    {
        "torch.no_grad",
        "torch.inference_mode",
        "torch.autograd.no_grad",
        "torch.autograd.grad_mode.no_grad",
        "torch.autograd.inference_mode",
        "torch.autograd.grad_mode.inference_mode",
    }
)

# Word prefixes of function/class names that say "this runs a trained model".
_INFERENCE_WORD_PREFIXES = (
    "predict",
    "infer",
    "evaluat",
    "eval",
    "test",
    "serve",
    "serving",
    "score",
    "scoring",
    "validat",
)
_INFERENCE_WORDS = frozenset({"val"})
_WORD = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")

# Methods that only an nn.Module (not a tensor, not a plain function) answers.
TORCH_MODULE_METHODS = frozenset(
    {
        "load_state_dict",
        "state_dict",
        "parameters",
        "named_parameters",
        "named_modules",
        "modules",
        "children",
        "named_children",
        "eval",
        "train",
        "zero_grad",
        "register_forward_hook",
        "register_forward_pre_hook",
        "requires_grad_",
    }
)
# Wrappers whose result runs the wrapped module (`DataParallel(model)`, `torch.compile(model)`).
TORCH_WRAPPERS = frozenset(
    {
        "torch.nn.DataParallel",
        "torch.nn.parallel.DataParallel",
        "torch.nn.parallel.DistributedDataParallel",
        "torch.compile",
    }
)
# torch.nn classes that are functions with no mode: a loss or an activation is never "the model".
_STATELESS_TORCH_NN = frozenset(
    {
        "ReLU",
        "ReLU6",
        "LeakyReLU",
        "PReLU",
        "ELU",
        "SELU",
        "CELU",
        "GELU",
        "SiLU",
        "Mish",
        "Sigmoid",
        "Tanh",
        "Softmax",
        "LogSoftmax",
        "Softplus",
        "Hardtanh",
        "Hardswish",
        "Hardsigmoid",
        "Flatten",
        "Unflatten",
        "Identity",
        "CosineSimilarity",
        "PairwiseDistance",
        "Upsample",
        "PixelShuffle",
    }
)
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
_MODEL_NAME_WORDS = frozenset(
    {
        "model",
        "net",
        "network",
        "module",
        "encoder",
        "decoder",
        "classifier",
        "backbone",
        "generator",
        "discriminator",
        "teacher",
        "student",
        "policy",
        "actor",
        "critic",
        "unet",
        "vae",
        "autoencoder",
        "cnn",
        "rnn",
        "lstm",
        "mlp",
    }
)

_MAX_DEPTH = 4


# --- names and contexts ----------------------------------------------------------------------


def name_words(name: str) -> tuple[str, ...]:
    """`run_inference` → ('run', 'inference'); `ImagePredictor` → ('image', 'predictor')."""
    return tuple(w.lower() for part in name.split("_") for w in _WORD.findall(part))


def says_inference(name: str) -> bool:
    """Whether a function or class name says it runs a trained model (predict, evaluate, test, serve...)."""
    return any(
        w in _INFERENCE_WORDS or w.startswith(_INFERENCE_WORD_PREFIXES) for w in name_words(name)
    )


def enclosing_functions(facts: FileFacts, scope: str) -> list[Function]:
    """The function `scope` names and the functions around it, innermost first."""
    out: list[Function] = []
    parts = scope.split(".") if scope else []
    for end in range(len(parts), 0, -1):
        fn = facts.function_by_qualname.get(".".join(parts[:end]))
        if fn is not None:
            out.append(fn)
    return out


def enclosing_class(facts: FileFacts, scope: str) -> str:
    """The name of the class whose method `scope` is (or is inside), '' if none."""
    for fn in enclosing_functions(facts, scope):
        if fn.cls:
            return fn.cls
    return ""


def no_grad_at(facts: FileFacts, call: Call) -> bool:
    """Whether `call` runs with gradient tracking off (`with torch.no_grad()`, a decorated function)."""
    if any(w in NO_GRAD_CONTEXTS for w in call.withs):
        return True
    return any(
        d in NO_GRAD_CONTEXTS
        for fn in enclosing_functions(facts, call.scope)
        for d in fn.decorators
    )


def inference_named_scope(facts: FileFacts, scope: str) -> str:
    """The function or class name around `scope` that says inference, '' if none."""
    for fn in enclosing_functions(facts, scope):
        if says_inference(fn.name):
            return fn.name
    cls = enclosing_class(facts, scope)
    if cls and says_inference(cls):
        return cls
    return ""


# --- training path ------------------------------------------------------------------------------


def is_training_call(facts: FileFacts, call: Call, index: ProjectIndex | None = None) -> bool:
    """A call that updates a model: `loss.backward()`, `optimizer.step()`, `model.fit(...)`, `apply_gradients`."""
    method = call.method
    if method == "backward" or call.name in ("torch.autograd.backward",):
        return True
    if method == "step":
        return _optimizer_like(facts, call.receiver, call, index) or any(
            _optimizer_like(facts, a.value.name, call, index) for a in call.args[:1] if a.value.name
        )
    if method in ("apply_gradients", "minimize", "train_on_batch"):
        return True
    if method in ("fit", "fit_generator"):
        b = (
            binding_of(facts, call.receiver.split(".")[0], call.scope, call.stmt, index)
            if call.receiver
            else None
        )
        if b is not None:
            return b.kind in (
                "keras-model",
                "sklearn-model",
                "pipeline",
                "torch-module",
                "hf-model",
            )
        return "trainer" in call.receiver.lower()
    return False


def _optimizer_like(
    facts: FileFacts, receiver: str, call: Call, index: ProjectIndex | None
) -> bool:
    if not receiver:
        return False
    b = (
        binding_of(facts, receiver.split(".")[0], call.scope, call.stmt, index)
        if "." not in receiver
        else None
    )
    if b is not None:
        return b.kind == "optimizer"
    last = receiver.rsplit(".", 1)[-1].lower()
    if "sched" in last:
        return False
    return "optim" in last or last in ("opt", "opt_g", "opt_d") or last.startswith("opt_")


def training_calls(facts: FileFacts, index: ProjectIndex | None = None) -> tuple[Call, ...]:
    """Calls that train: direct training calls, and calls of project functions that train."""
    ctx = file_context(facts, index)
    if ctx.training_calls is None:
        ctx.training_calls = tuple(
            c
            for c in facts.calls
            if is_training_call(facts, c, index) or _calls_trainer(facts, c, index, 0)
        )
    return ctx.training_calls


def training_scopes(facts: FileFacts, index: ProjectIndex | None = None) -> frozenset[str]:
    """Scopes (function qualnames, '' for module level) that contain a training call."""
    return frozenset(c.scope for c in training_calls(facts, index))


def function_trains_deep(
    facts: FileFacts, fn: Function, index: ProjectIndex | None = None, depth: int = 0
) -> bool:
    """Whether a project function trains a model (directly or through the functions it calls)."""
    if depth > 2:
        return False
    for c in facts.calls:
        if (c.scope == fn.qualname or c.scope.startswith(fn.qualname + ".")) and is_training_call(
            facts, c, index
        ):
            return True
    if depth == 2:
        return False
    return any(
        _calls_trainer(facts, c, index, depth + 1) for c in facts.calls if c.scope == fn.qualname
    )


def _calls_trainer(facts: FileFacts, call: Call, index: ProjectIndex | None, depth: int) -> bool:
    target = resolve_function(facts, call, index)
    if target is None:
        return False
    owner, fn = target
    trains = file_context(owner, index).trains
    cached = trains.get(fn.qualname)
    if cached is not None:
        return cached
    trains[fn.qualname] = False  # recursion guard
    result = function_trains_deep(owner, fn, index, depth)
    trains[fn.qualname] = result
    return result


def in_training_loop(facts: FileFacts, call: Call, index: ProjectIndex | None = None) -> bool:
    """Whether `call` sits in a loop (or, outside loops, a scope) whose body trains."""
    if not call.loops:
        return any(t.scope == call.scope and not t.loops for t in training_calls(facts, index))
    inner = call.loops[-1]
    return any(t.scope == call.scope and inner in t.loops for t in training_calls(facts, index))


# --- functions and their callers ---------------------------------------------------------------


def resolve_function(
    facts: FileFacts, call: Call, index: ProjectIndex | None
) -> tuple[FileFacts, Function] | None:
    """The project function a call runs: `helper(...)`, `utils.helper(...)`, `self.method(...)`."""
    callee = call.callee
    if not callee:
        return None
    if callee.startswith("self.") and callee.count(".") == 1:
        cls = enclosing_class(facts, call.scope)
        fn = facts.function_by_qualname.get(f"{cls}.{callee[5:]}") if cls else None
        return (facts, fn) if fn is not None else None
    fn = facts.function_by_qualname.get(callee)
    if fn is not None and not fn.cls:
        return facts, fn
    if callee in facts.class_by_name and not call.method:
        # `Predictor(model)` runs `Predictor.__init__`
        init = facts.function_by_qualname.get(f"{callee}.__init__")
        return (facts, init) if init is not None else None
    if index is not None and (call.qualname or "." in callee):
        found = index.function_for(facts, callee)
        if found is not None and not found[1].cls:
            return found
    return None


def call_sites(
    facts: FileFacts, fn: Function, index: ProjectIndex | None
) -> list[tuple[FileFacts, Call]]:
    """Every call of project function `fn` (defined in `facts`), in any file of the project."""
    files = index.files if index is not None else (facts,)
    project = project_context(index) if index is not None else None
    table = project.call_sites if project is not None else None
    if table is None:
        table = {}
        defined = _defined_names(files)
        for f in files:
            for c in f.calls:
                if not c.callee or c.callee.rsplit(".", 1)[-1] not in defined:
                    continue
                target = resolve_function(f, c, index)
                if target is not None:
                    table.setdefault((target[0].path, target[1].qualname), []).append((f, c))
        if project is not None:
            project.call_sites = table
        else:
            return table.get((facts.path, fn.qualname), [])
    return table.get((facts.path, fn.qualname), [])


def _defined_names(files: tuple[FileFacts, ...]) -> frozenset[str]:
    return frozenset(fn.name for f in files for fn in f.functions) | frozenset(
        c.name for f in files for c in f.classes
    )


def argument_for(call: Call, fn: Function, param: str) -> Value | None:
    """The expression a call passes for parameter `param` of `fn`."""
    if param not in fn.params:
        return None
    position = fn.params.index(param)
    if fn.cls and fn.params and fn.params[0] in ("self", "cls"):
        position -= 1
    found = call.arg(position if position >= 0 else None, param)
    return found.value if found is not None else None


# --- torch module state -----------------------------------------------------------------------


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


UNKNOWN = ModuleState("unknown", False)


def mode_change(call: Call) -> str:
    """'eval', 'train' or 'either' for a `.eval()`/`.train(...)` call, '' for anything else."""
    if call.method == "eval" and not call.args:
        return "eval"
    if call.method == "train":
        arg = call.arg(0, "mode")
        if arg is None:
            return "train" if not call.args else "either"
        if arg.value.const is True:
            return "train"
        if arg.value.const is False and arg.value.kind == "const":
            return "eval"
        return "either"
    return ""


def base_receiver(facts: FileFacts, call: Call) -> str:
    """The module a method acts on, through chains: `model.to(device).eval()` acts on `model`."""
    if call.receiver:
        return call.receiver
    probe = call
    for _ in range(6):
        if probe.receiver_call < 0:
            return ""
        probe = facts.call_by_id[probe.receiver_call]
        if probe.method not in fw.SELF_RETURNING_MODULE_METHODS:
            return ""
        if probe.receiver:
            return probe.receiver
    return ""


def _on(receiver: str, name: str) -> bool:
    """A method call on `receiver` acts on module `name` (`model.module.eval()` acts on `model`)."""
    return receiver == name or receiver.startswith(name + ".")


def _class_is_torch(facts: FileFacts, cls: str, index: ProjectIndex | None) -> bool:
    return bool(cls) and class_kind(facts, cls, index) == "torch-module"


def module_state(
    facts: FileFacts, name: str, scope: str, stmt: int, index: ProjectIndex | None, depth: int = 0
) -> ModuleState:
    """The mode of module `name` just before statement `stmt` of `scope`, following the path back:
    `.eval()`/`.train()` calls, the assignment that made it (`Net().to(d).eval()`, `torch.load`,
    a project helper that returns it), the class's other methods for `self.x`, callers for a parameter."""
    if depth > _MAX_DEPTH or not name:
        return UNKNOWN
    memo = file_context(facts, index).module_states
    key = (name, scope, stmt, depth)
    cached = memo.get(key)
    if cached is not None:
        return cached
    memo[key] = UNKNOWN  # recursion guard
    result = _module_state(facts, name, scope, stmt, index, depth)
    memo[key] = result
    return result


def _calls_mentioning(
    facts: FileFacts, index: ProjectIndex | None
) -> dict[tuple[str, str], list[Call]]:
    """(scope, root name) → calls on that name (`model.eval()`, `model.to(d).eval()`) or given it as an argument."""
    ctx = file_context(facts, index)
    if ctx.calls_mentioning is not None:
        return ctx.calls_mentioning
    table: dict[tuple[str, str], list[Call]] = {}
    for c in facts.calls:
        roots = set()
        receiver = base_receiver(facts, c) if c.method in ("eval", "train") else c.receiver
        if receiver:
            roots.add(receiver.split(".")[0])
        for a in c.args:
            if a.value.name:
                roots.add(a.value.name.split(".")[0])
        for root in roots:
            table.setdefault((c.scope, root), []).append(c)
    ctx.calls_mentioning = table
    return table


def _module_state(
    facts: FileFacts, name: str, scope: str, stmt: int, index: ProjectIndex | None, depth: int
) -> ModuleState:
    calls = _calls_mentioning(facts, index).get((scope, name.split(".")[0]), [])
    assigns = facts.assigns_by_scope_and_target.get((scope, name), [])
    torch_evidence = any(c.method in TORCH_MODULE_METHODS and _on(c.receiver, name) for c in calls)
    load = _load_in(facts, calls, name, stmt, index)
    # The last assignment before `stmt` ends the walk back.
    last_assign: Assign | None = None
    for a in assigns:
        if (
            a.stmt < stmt
            and name in a.targets
            and a.op in ("=", "with", "for")
            and (last_assign is None or a.stmt >= last_assign.stmt)
        ):
            last_assign = a
    floor = last_assign.stmt if last_assign is not None else -1
    mode = ""
    # Walk mode changes backwards from `stmt`; a `train()` inside a branch does not undo an earlier eval.
    events = sorted((c for c in calls if floor <= c.stmt < stmt), key=lambda c: c.id, reverse=True)
    for c in events:
        change = ""
        receiver = base_receiver(facts, c) if c.method in ("eval", "train") else c.receiver
        if _on(receiver, name) or (
            receiver == "self"
            and name.startswith("self.")
            and _class_is_torch(facts, enclosing_class(facts, scope), index)
        ):
            change = mode_change(c)
        elif c.args and depth < _MAX_DEPTH:
            change = _helper_mode_change(facts, c, name, index, depth)
        if not change:
            continue
        if change == "train" and c.in_condition:
            continue
        mode = "eval" if change == "either" else change
        break
    if last_assign is not None:
        origin = (
            _origin_state(
                facts, last_assign.value, last_assign.scope, last_assign.stmt, index, depth
            )
            if last_assign.op == "="
            else UNKNOWN
        )
        if (
            origin.mode == "unknown"
            and load is not None
            and load.call.method == "load_state_dict"
            and last_assign.value.kind == "call"
        ):
            # `model = smp.Unet(...)` then `model.load_state_dict(...)`: a freshly built module, in train mode.
            origin = replace(origin, mode="train", torch=True)
        state = replace(origin, torch=origin.torch or torch_evidence).merge_load(load)
        return replace(state, mode=mode) if mode else state
    if mode:
        base = _outer_state(facts, name, scope, index, depth)
        return replace(base, mode=mode, torch=base.torch or torch_evidence).merge_load(load)
    base = _outer_state(facts, name, scope, index, depth)
    return replace(base, torch=base.torch or torch_evidence).merge_load(load)


def _helper_mode_change(
    facts: FileFacts, call: Call, name: str, index: ProjectIndex | None, depth: int
) -> str:
    """`set_eval(model)` / `freeze(model)`: a project helper that calls `.eval()` on what it is given."""
    if not any(a.value.name == name for a in call.args):
        return ""
    target = resolve_function(facts, call, index)
    if target is None:
        return ""
    owner, fn = target
    for param in fn.params:
        value = argument_for(call, fn, param)
        if value is None or value.name != name:
            continue
        # The last switch in the helper is the mode its argument leaves in.
        last = ""
        for c in owner.calls_by_scope.get(fn.qualname, []):
            if _on(base_receiver(owner, c), param):
                change = mode_change(c)
                if change and not (change == "train" and c.in_condition):
                    last = "eval" if change == "either" else change
        if last:
            return last
    return ""


def _load_in(
    facts: FileFacts, calls: list[Call], name: str, stmt: int, index: ProjectIndex | None
) -> LoadSite | None:
    for c in calls:
        if (
            c.stmt < stmt
            and c.method in ("load_state_dict", "load_weights")
            and _on(c.receiver, name)
        ):
            return LoadSite(facts, c, c.receiver, _loaded_artifact(facts, c, index))
    return None


def _loaded_artifact(facts: FileFacts, call: Call, index: ProjectIndex | None) -> str:
    """The file a `load_state_dict(...)` argument (or a `torch.load`) reads, resolved if possible."""
    from preplint.facts.artifacts import artifact_events

    def path_of(load_call: Call) -> str:
        if index is not None:
            for e in artifact_events(facts, index):
                if e.call == load_call.id:
                    return e.path
        arg = load_call.arg(0, "f")
        return arg.value.const if arg is not None and isinstance(arg.value.const, str) else ""

    if call.qualname in fw.TORCH_LOAD or call.qualname == "safetensors.torch.load_file":
        return path_of(call)
    seen = 0
    frontier = [a.value for a in call.args[:1]]
    while frontier and seen < 6:
        value = frontier.pop()
        seen += 1
        for cid in value.calls:
            inner = facts.call_by_id.get(cid)
            if inner is not None and (
                inner.qualname in fw.TORCH_LOAD or inner.qualname == "safetensors.torch.load_file"
            ):
                return path_of(inner)
        for n in value.names[:3]:
            a = facts.reaching_assign(n.split(".")[0], call.scope, call.stmt)
            if a is not None and a.op == "=":
                frontier.append(a.value)
    return ""


def _origin_state(
    facts: FileFacts, value: Value, scope: str, stmt: int, index: ProjectIndex | None, depth: int
) -> ModuleState:
    """The state of the module an expression produces."""
    if value.kind in ("name", "attr"):
        return module_state(facts, value.text, scope, stmt, index, depth + 1)
    call = facts.call_by_id.get(value.call) if value.kind == "call" else None
    if call is None:
        return UNKNOWN
    # `Net().to(device).eval()`: the outermost mode change in the chain wins.
    mode = ""
    while True:
        change = mode_change(call)
        if change and not mode:
            mode = "eval" if change == "either" else change
        if call.method in (
            "to",
            "cuda",
            "cpu",
            "eval",
            "train",
            "float",
            "half",
            "double",
            "requires_grad_",
            "share_memory",
            "bfloat16",
        ):
            if call.receiver_call >= 0:
                call = facts.call_by_id[call.receiver_call]
                continue
            if call.receiver:
                base = module_state(facts, call.receiver, scope, stmt, index, depth + 1)
                return replace(base, mode=mode or base.mode, torch=True)
        break
    base = _call_state(facts, call, scope, stmt, index, depth)
    return replace(base, mode=mode) if mode else base


def _call_state(
    facts: FileFacts, call: Call, scope: str, stmt: int, index: ProjectIndex | None, depth: int
) -> ModuleState:
    qual = call.qualname
    if qual in fw.TORCH_LOAD:
        # A whole pickled module keeps the mode it was saved in: after training, that is train mode.
        return ModuleState(
            "train", True, LoadSite(facts, call, "", _loaded_artifact(facts, call, index))
        )
    if qual in fw.TORCH_SCRIPT_LOAD:
        return ModuleState("unknown", True)
    if qual in TORCH_WRAPPERS or (call.method == "prepare" and call.args):
        first = call.arg(0, "module") or call.arg(0, "model")
        if first is not None and first.value.name:
            return module_state(facts, first.value.name, scope, stmt, index, depth + 1)
        return UNKNOWN
    if qual.startswith("transformers.") and call.method == "from_pretrained":
        cls_name = call.callee.rsplit(".", 2)[-2] if "." in call.callee else ""
        if any(w in cls_name for w in ("Tokenizer", "Processor", "FeatureExtractor", "Config")):
            return UNKNOWN
        # from_pretrained returns the model in eval mode.
        return ModuleState("eval", not cls_name.startswith(("TF", "Flax")))
    if qual and fw.is_torch_module_constructor(qual):
        leaf = qual.rsplit(".", 1)[-1]
        stateless = qual.startswith("torch.nn.") and (
            leaf.endswith("Loss") or leaf in _STATELESS_TORCH_NN
        )
        layers = None
        if leaf in ("Sequential", "ModuleList", "ModuleDict"):
            inside = Value("call", "", calls=tuple(c for a in call.args for c in a.value.calls))
            layers = value_mode_layers(facts, inside, index)
        return ModuleState("train", True, cls=qual, stateless=stateless, layers=layers)
    # A project class: `Net(...)`, or `models.Net(...)` through an imported project module.
    if (
        call.callee
        and (not call.method or index is not None)
        and class_kind(facts, call.callee, index) == "torch-module"
    ):
        return ModuleState("train", True, cls=call.callee, cls_facts=facts)
    target = resolve_function(facts, call, index)
    if target is not None:
        state = _returned_state(target[0], target[1], index, depth)
        if state.load is not None and not state.load.artifact and index is not None:
            # `load_model("w/net.pt")` with `torch.load(path)` inside: the caller's argument names the file.
            artifact = _argument_artifact(facts, call, target[0], target[1], state.load.call, index)
            if artifact:
                state = replace(state, load=replace(state.load, artifact=artifact))
        return state
    return UNKNOWN


def _argument_artifact(
    facts: FileFacts, call: Call, owner: FileFacts, fn: Function, load: Call, index: ProjectIndex
) -> str:
    loads = (
        [load]
        if load.qualname in fw.TORCH_LOAD
        else [
            owner.call_by_id[c]
            for a in load.args[:1]
            for c in a.value.calls
            if c in owner.call_by_id
        ]
    )
    for inner in loads:
        if inner.qualname not in fw.TORCH_LOAD and inner.qualname != "safetensors.torch.load_file":
            continue
        arg = inner.arg(0, "f")
        if arg is None or arg.value.name not in fn.params:
            continue
        value = argument_for(call, fn, arg.value.name)
        if value is not None:
            return index.resolve_path(facts, value, call.scope, call.stmt)
    return ""


def _returned_state(
    facts: FileFacts, fn: Function, index: ProjectIndex | None, depth: int
) -> ModuleState:
    """The state of the module a project helper returns (`load_model()` that ends in `model.eval()`)."""
    states = []
    for value in fn.returns:
        if value.kind in ("name", "attr"):
            states.append(
                module_state(facts, value.text, fn.qualname, fn.stmt_end + 1, index, depth + 1)
            )
        elif value.kind == "call":
            states.append(
                _origin_state(facts, value, fn.qualname, fn.stmt_end + 1, index, depth + 1)
            )
        elif (
            value.kind == "tuple"
            and value.items
            and value.items[0].kind in ("name", "attr", "call")
        ):
            # `return model, tokenizer`: the first element is the usual convention; stay cautious.
            continue
    if not states:
        return UNKNOWN
    for s in states:
        if s.mode == "eval":
            return s
    known = [s for s in states if s.mode != "unknown"]
    return known[0] if known else states[0]


def _outer_state(
    facts: FileFacts, name: str, scope: str, index: ProjectIndex | None, depth: int
) -> ModuleState:
    """State of a name not assigned in `scope`: an attribute of `self`, a parameter, a global."""
    if not scope:
        return _imported_state(facts, name, index, depth)
    fns = enclosing_functions(facts, scope)
    if name.startswith("self."):
        cls = enclosing_class(facts, scope)
        return _attribute_state(facts, cls, name, index, depth) if cls else UNKNOWN
    root = name.split(".")[0]
    fn = fns[0] if fns else None
    if fn is not None and root in fn.params:
        return _parameter_state(facts, fn, name, index, depth)
    for outer in fns[1:]:
        if root in outer.params or any(
            root in a.targets for a in facts.assigns_by_scope.get(outer.qualname, [])
        ):
            return module_state(
                facts, name, outer.qualname, fn.stmt_start if fn else 0, index, depth + 1
            )
    return _global_state(facts, name, index, depth)


def _memoized(
    facts: FileFacts,
    index: ProjectIndex | None,
    key: tuple[object, ...],
    compute: Callable[[], ModuleState],
) -> ModuleState:
    memo = file_context(facts, index).derived_states
    found = memo.get(key)
    if found is None:
        memo[key] = UNKNOWN  # recursion guard
        found = memo[key] = compute()
    return found


def _attribute_state(
    facts: FileFacts, cls: str, name: str, index: ProjectIndex | None, depth: int
) -> ModuleState:
    return _memoized(
        facts,
        index,
        ("attr", cls, name, depth),
        lambda: _attribute_state_of(facts, cls, name, index, depth),
    )


def _attribute_state_of(
    facts: FileFacts, cls: str, name: str, index: ProjectIndex | None, depth: int
) -> ModuleState:
    """`self.model` across a class: `.eval()` in any method (often `__init__`) counts."""
    prefix = cls + "."
    methods = [fn for fn in facts.functions if fn.qualname.startswith(prefix)]
    if not methods:
        return UNKNOWN
    state = UNKNOWN
    evaluated = False
    load: LoadSite | None = None
    evidence = False
    for fn in methods:
        calls = facts.calls_by_scope.get(fn.qualname, [])
        for c in calls:
            if _on(base_receiver(facts, c), name):
                change = mode_change(c)
                if change in ("eval", "either"):
                    evaluated = True
                if c.method in TORCH_MODULE_METHODS:
                    evidence = True
            elif c.args and _helper_mode_change(facts, c, name, index, depth) in ("eval", "either"):
                evaluated = True
        load = load or _load_in(facts, calls, name, 1 << 30, index)
        for a in facts.assigns_by_scope.get(fn.qualname, []):
            if name in a.targets and a.op == "=":
                origin = _origin_state(facts, a.value, fn.qualname, a.stmt, index, depth + 1)
                if origin.mode == "eval":
                    evaluated = True
                if state is UNKNOWN or origin.torch:
                    state = origin
    state = replace(state, torch=state.torch or evidence).merge_load(load)
    return replace(state, mode="eval") if evaluated else state


def _parameter_state(
    facts: FileFacts, fn: Function, name: str, index: ProjectIndex | None, depth: int
) -> ModuleState:
    """A parameter: eval mode if a caller passes a module in eval mode; train if all callers pass train mode."""
    root = name.split(".")[0]
    sites = call_sites(facts, fn, index) if depth < _MAX_DEPTH else []
    states: list[ModuleState] = []
    for owner, call in sites:
        value = argument_for(call, fn, root)
        if value is None:
            continue
        if value.name:
            states.append(
                module_state(
                    owner, value.name + name[len(root) :], call.scope, call.stmt, index, depth + 1
                )
            )
        elif value.kind == "call" and name == root:
            # `predict(load_model(), x)`
            states.append(_origin_state(owner, value, call.scope, call.stmt, index, depth + 1))
    if sites and not states:
        return UNKNOWN
    if not states:
        # Nobody in the project calls it: the path starts here, with whatever the caller passes. When the
        # file itself switches some module to eval mode (a loader helper), the model likely comes from there.
        if any(mode_change(c) in ("eval", "either") for c in facts.calls):
            return UNKNOWN
        if fn.name == "__init__":
            return UNKNOWN  # `Predictor(model)` built by code outside the project
        named = any(w in _MODEL_NAME_WORDS for w in name_words(name.rsplit(".", 1)[-1]))
        return ModuleState("train", named and facts.uses("torch"), assumed=True)
    torch = any(s.torch for s in states)
    load = next((s.load for s in states if s.load is not None), None)
    if any(s.mode in ("eval", "unknown") for s in states):
        eval_state = next((s for s in states if s.mode == "eval"), None)
        if eval_state is not None:
            return replace(eval_state, torch=torch)
        return ModuleState("unknown", torch, load)
    first = states[0]
    return replace(first, torch=torch).merge_load(load)


def _global_state(
    facts: FileFacts, name: str, index: ProjectIndex | None, depth: int
) -> ModuleState:
    return _memoized(
        facts, index, ("global", name, depth), lambda: _global_state_of(facts, name, index, depth)
    )


def _global_state_of(
    facts: FileFacts, name: str, index: ProjectIndex | None, depth: int
) -> ModuleState:
    """A module-level name used inside a function: `.eval()` anywhere in the file counts."""
    root = name.split(".")[0]
    if not any(root in a.targets for a in facts.assigns_by_scope.get("", [])):
        return _imported_state(facts, name, index, depth)
    state = module_state(facts, name, "", facts.statements + 1, index, depth + 1)
    if state.mode != "eval" and any(
        mode_change(c) in ("eval", "either") and _on(base_receiver(facts, c), name)
        for c in facts.calls
    ):
        return replace(state, mode="eval")
    return state


def _imported_state(
    facts: FileFacts, name: str, index: ProjectIndex | None, depth: int
) -> ModuleState:
    """`from serving import model`: the state at the end of the module that defines it."""
    if index is None:
        return UNKNOWN
    root, _, rest = name.partition(".")
    qual = facts.imports.get(root)
    if not qual:
        return UNKNOWN
    mod, _, attr = qual.rpartition(".")
    owner = index.module(mod) if mod else None
    if owner is None or owner is facts:
        return UNKNOWN
    target = f"{attr}.{rest}" if rest else attr
    return _global_state(owner, target, index, depth + 1) if depth < _MAX_DEPTH else UNKNOWN


def is_torch_module_use(facts: FileFacts, call: Call) -> bool:
    """A call that runs a module by name: `model(x)`, `self.net(x)`, `model.forward(x)`."""
    if call.method == "forward" and call.receiver:
        return True
    return (
        bool(call.callee)
        and not call.qualname
        and call.callee not in facts.function_by_qualname
        and call.callee != "self"
    )


def module_name_of_use(call: Call) -> str:
    return call.receiver if call.method == "forward" else call.callee


# --- what a torch module class holds -----------------------------------------------------------


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


# --- array lineage: dtype and literal shape of a value -------------------------------------------------
#
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
    cache = file_context(facts, index).arrays
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
        infos.append(array_info(owner, arg, site.scope, site.stmt, index, depth + 2))
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


def same_dtype_family(a: str, b: str) -> bool:
    """Whether two known dtypes agree for a model: equal, or both integers of any width."""
    if a == b:
        return True
    ints = ("int", "uint")
    return a.startswith(ints) and b.startswith(ints) and "uint8" not in (a, b)


# --- models: where one came from, and what is fed to it in training and at inference ----------------

MODEL_KINDS = frozenset(
    {
        "keras-model",
        "torch-module",
        "sklearn-model",
        "pipeline",
        "torch-loaded",
        "unpickled",
        "hf-model",
    }
)
TRAIN_METHODS = frozenset({"fit", "fit_generator", "train_on_batch", "partial_fit"})
PREDICT_METHODS = frozenset(
    {
        "predict",
        "predict_proba",
        "predict_log_proba",
        "predict_on_batch",
        "decision_function",
        "evaluate",
        "test_on_batch",
    }
)


@dataclass(frozen=True)
class ModelOrigin:
    """Where the object behind a model expression was built or loaded."""

    file: str  # FileFacts.path of the file that binds it
    name: str  # the name it is bound to there ("model", "self.model")
    scope: str
    stmt: int
    kind: str  # binding kind (MODEL_KINDS), '' when only a load is known
    artifact: str  # resolved artifact path it was loaded from, '' when built here or unknown
    load_call: (
        int  # id of the load (load_model, torch.load, load_state_dict, load_weights) call, -1
    )


@dataclass(frozen=True)
class ModelFeed:
    """A model given data: `model.fit(X)`, `model.predict(X)`, `model(x)`."""

    call: int
    model: str  # the model expression ("model", "self.net", "" for `Estimator().fit`)
    data: Value
    stage: str  # train | infer
    scope: str
    stmt: int


def _class_binding(
    facts: FileFacts, name: str, scope: str, index: ProjectIndex | None
) -> Binding | None:
    fn = facts.function_by_qualname.get(scope)
    if fn is None or not fn.cls or not name.startswith("self."):
        return None
    found = [
        b for b in bindings(facts, index) if b.name == name and b.scope.startswith(fn.cls + ".")
    ]
    return found[-1] if found else None


def _load_event_for(facts: FileFacts, call_id: int, index: ProjectIndex) -> ArtifactEvent | None:
    """The load event of `call_id` or of a call it is chained on (`torch.load(p).eval()`, `load_model(p).to(d)`)."""
    events = {e.call: e for e in artifact_events(facts, index) if e.action == "load"}
    seen = 0
    while call_id >= 0 and seen < 6:
        if call_id in events:
            return events[call_id]
        call = facts.call_by_id.get(call_id)
        if call is None:
            return None
        inner = [c for c in (call.receiver_call,) if c >= 0]
        if not inner:
            # `model.load_state_dict(torch.load(p))`: the load is an argument
            for arg in call.args:
                for cid in arg.value.calls:
                    if cid in events:
                        return events[cid]
            return None
        call_id = inner[0]
        seen += 1
    return None


def _event_path(facts: FileFacts, event: ArtifactEvent, index: ProjectIndex) -> str:
    """An event's path, resolving a path parameter of a helper (`def load(path): return load_model(path)`) at its one call site."""
    if event.path:
        return event.path
    call = facts.call_by_id.get(event.call)
    if call is None or not call.args:
        return ""
    value = call.args[0].value
    fn = facts.function_by_qualname.get(call.scope)
    if fn is None or value.kind != "name" or value.text not in fn.params:
        return ""
    paths = set()
    for owner, site in call_sites(facts, fn, index):
        arg = argument_for(site, fn, value.text)
        paths.add(index.resolve_path(owner, arg, site.scope, site.stmt) if arg is not None else "")
    return paths.pop() if len(paths) == 1 else ""


def _weights_loaded_into(
    facts: FileFacts, name: str, scope: str, after: int, before: int, index: ProjectIndex
) -> tuple[str, int]:
    """(artifact path, call id) of `name.load_state_dict(...)` / `name.load_weights(...)` between two statements."""
    fn = facts.function_by_qualname.get(scope)
    cls_prefix = fn.cls + "." if fn is not None and fn.cls and name.startswith("self.") else None
    for call in facts.weight_loads:
        if call.receiver != name:
            continue
        same_scope = call.scope == scope or (
            cls_prefix is not None and call.scope.startswith(cls_prefix)
        )
        if not same_scope or (call.scope == scope and not (after <= call.stmt <= before)):
            continue
        event = _load_event_for(facts, call.id, index)
        if event is None and call.method == "load_state_dict" and call.args:
            arg = call.args[0].value
            if arg.kind == "name":
                assign = facts.reaching_assign(arg.text, call.scope, call.stmt)
                if assign is not None and assign.value.kind == "call":
                    event = _load_event_for(facts, assign.value.call, index)
        if event is not None:
            return _event_path(facts, event, index), call.id
        return "", call.id
    return "", -1


def model_origin(
    facts: FileFacts, expr: str, scope: str, stmt: int, index: ProjectIndex, depth: int = 0
) -> ModelOrigin | None:
    """Where the model named `expr` at a statement was built or loaded: this file, a helper, a parameter's callers."""
    if depth > 5 or not expr:
        return None
    binding = binding_of(facts, expr, scope, stmt, index) or _class_binding(
        facts, expr, scope, index
    )
    if binding is not None:
        artifact, load_call = "", -1
        if binding.origin == "loaded":
            event = _load_event_for(facts, binding.call, index)
            if event is not None:
                artifact, load_call = _event_path(facts, event, index), event.call
        else:
            artifact, load_call = _weights_loaded_into(
                facts,
                expr,
                binding.scope,
                binding.stmt,
                stmt if binding.scope == scope else 10**9,
                index,
            )
        return ModelOrigin(
            facts.path, expr, binding.scope, binding.stmt, binding.kind, artifact, load_call
        )
    fn = facts.function_by_qualname.get(scope)
    if fn is not None and expr in fn.params:
        origins: set[ModelOrigin | None] = set()
        for owner, site in call_sites(facts, fn, index):
            arg = argument_for(site, fn, expr)
            origins.add(
                _origin_of_value(owner, arg, expr, site.scope, site.stmt, index, depth + 1)
                if arg is not None
                else None
            )
        return origins.pop() if len(origins) == 1 else None
    assign = facts.reaching_assign(expr, scope, stmt)
    if assign is None and expr.startswith("self."):
        assign = _attribute_assign(facts, expr, scope)
    if assign is None or assign.op != "=" or len(assign.targets) != 1:
        return None
    return _origin_of_value(facts, assign.value, expr, assign.scope, assign.stmt, index, depth + 1)


_MODEL_SELF_METHODS = frozenset(
    {"eval", "train", "to", "cuda", "cpu", "float", "half", "double", "requires_grad_"}
)


def _origin_of_value(
    facts: FileFacts,
    value: Value,
    expr: str,
    scope: str,
    stmt: int,
    index: ProjectIndex,
    depth: int,
) -> ModelOrigin | None:
    """The origin of the model an expression evaluates to: a name, a load, a constructor, a helper's return."""
    if depth > 6:
        return None
    if value.kind in ("name", "attr"):
        return model_origin(facts, value.text, scope, stmt, index, depth + 1)
    call = facts.call_by_id.get(value.call) if value.kind == "call" else None
    if call is None:
        return None
    event = _load_event_for(facts, call.id, index)
    if event is not None:
        return ModelOrigin(
            facts.path, expr, scope, stmt, "", _event_path(facts, event, index), event.call
        )
    if call.method in _MODEL_SELF_METHODS:
        if call.receiver_call >= 0:
            inner = facts.call_by_id[call.receiver_call]
            return _origin_of_value(
                facts,
                Value("call", inner.callee, calls=(inner.id,)),
                expr,
                scope,
                stmt,
                index,
                depth + 1,
            )
        if call.receiver:
            return model_origin(facts, call.receiver, call.scope, call.stmt, index, depth + 1)
        return None
    found_kind = classify_call(facts, call, index)
    if found_kind is not None and found_kind[0] in MODEL_KINDS:
        return ModelOrigin(facts.path, expr, scope, stmt, found_kind[0], "", -1)
    returned = _returned_values(facts, call, index)
    if returned is None:
        return None
    owner, helper, values = returned
    for v in values:
        found = _origin_of_value(
            owner, v, expr, helper.qualname, helper.stmt_end + 1, index, depth + 1
        )
        if found is None:
            continue
        if not found.artifact and found.load_call >= 0 and owner is facts and call.args:
            # `def load(path): return load_model(path)` called with a resolvable path here
            path = index.resolve_path(facts, call.args[0].value, call.scope, call.stmt)
            found = replace(found, artifact=path)
        return found
    return None


def model_feeds(facts: FileFacts, index: ProjectIndex) -> tuple[ModelFeed, ...]:
    """Every call that gives data to a model, marked train or infer; cached on the facts."""
    ctx = file_context(facts, index)
    cached = ctx.model_feeds
    if isinstance(cached, tuple):
        return cached
    out: list[ModelFeed] = []
    for call in facts.calls:
        method = call.method
        target = call.receiver
        if method in TRAIN_METHODS or method in PREDICT_METHODS:
            if call.receiver_call >= 0:
                inner = facts.call_by_id[call.receiver_call]
                found = classify_call(facts, inner, index)
                if found is None or found[0] not in MODEL_KINDS:
                    continue
            elif not target:
                continue
            else:
                origin = model_origin(facts, target, call.scope, call.stmt, index)
                kind = origin.kind if origin is not None else ""
                if kind and kind not in MODEL_KINDS:
                    continue
                if origin is None and method in TRAIN_METHODS and not call.has_kwarg("epochs"):
                    continue
            data = call.arg(0, "x") or call.arg(0, "X")
            if data is None:
                continue
            stage = "train" if method in TRAIN_METHODS else "infer"
            out.append(ModelFeed(call.id, target, data.value, stage, call.scope, call.stmt))
            continue
        # A forward call: `model(x)`, `self.net(x)`.
        callee = call.callee
        if not callee or not call.args or (method and call.receiver != "self"):
            continue
        origin = model_origin(facts, callee, call.scope, call.stmt, index)
        if origin is None or origin.kind not in (
            "torch-module",
            "keras-model",
            "torch-loaded",
            "hf-model",
            "",
        ):
            continue
        if origin.kind == "" and origin.load_call < 0:
            continue
        data = call.arg(0, "x") or call.arg(0, "input") or call.arg(0, "inputs")
        if data is None:
            continue
        if not no_grad_at(facts, call) and in_training_loop(facts, call, index):
            stage = "train"
        elif (
            no_grad_at(facts, call)
            or inference_named_scope(facts, call.scope)
            or origin.artifact
            or origin.load_call >= 0
        ):
            stage = "infer"
        else:
            continue
        out.append(ModelFeed(call.id, callee, data.value, stage, call.scope, call.stmt))
    result = tuple(out)
    ctx.model_feeds = result
    return result


# --- data lineage and inference paths (PRE rules, reusable) -----------------------------------
#
# `lineage(facts, value, scope, stmt, index)` follows an expression back through assignments,
# calls and (within one file) the callers of a function, and reports which transforms the data
# went through (`scaler.transform`, `(x - mean) / std`, `x / 255.0`, `tokenizer.texts_to_sequences`,
# a project `preprocess()` helper ...) and whether some part could not be seen through (`opaque`:
# a parameter nobody passes, a model's output, an unknown callable).


def binding_at(
    facts: FileFacts, name: str, scope: str, stmt: int, index: ProjectIndex | None = None
) -> Binding | None:
    """What `name` holds at a statement: its own scope, then `self.x` set in another method, then module level."""
    best: Binding | None = None
    cls = enclosing_class(facts, scope)
    for b in bindings(facts, index):
        if b.name != name:
            continue
        if b.scope == scope and b.stmt <= stmt:
            if best is None or best.scope != scope or b.stmt >= best.stmt:
                best = b
        elif (best is None or best.scope != scope) and (
            (name.startswith("self.") and cls and b.scope.startswith(cls + "."))
            or (b.scope == "" and (best is None or best.scope == ""))
        ):
            best = b
    return best


_INFER_WORDS = frozenset(
    {
        "predict",
        "predictor",
        "prediction",
        "predictions",
        "infer",
        "inference",
        "evaluate",
        "evaluation",
        "test",
        "serve",
        "serving",
        "score",
        "scoring",
        "eval",
    }
)
_TRAIN_WORDS = frozenset({"train", "training", "fit", "finetune"})

TRANSFORM_METHODS = frozenset(
    {
        "transform",
        "fit_transform",
        "texts_to_sequences",
        "texts_to_matrix",
        "sequences_to_matrix",
        "encode",
        "encode_plus",
        "batch_encode_plus",
        "encode_batch",
        "normalize",
        "standardize",
        "scale",
        "vectorize",
        "tokenize",
    }
)


def model_load_calls(facts: FileFacts, index: ProjectIndex) -> tuple[Call, ...]:
    """Calls that load a model (not a preprocessor): load_model, torch.load, joblib.load of a model ..."""
    ctx = file_context(facts, index)
    if ctx.model_loads is not None:
        return ctx.model_loads
    out: list[Call] = []
    for event in artifact_events(facts, index):
        if event.action != "load" or event.api == "numpy-load":
            continue
        if event.api == "pickle-load":
            savers = index.partners(event, "save")
            if savers and all(s.obj_kind == "preprocessor" for s in savers):
                continue
            if event.obj and any(
                c.receiver == event.obj and c.method in TRANSFORM_METHODS for c in facts.calls
            ):
                continue
        out.append(facts.call_by_id[event.call])
    result = tuple(out)
    ctx.model_loads = result
    return result


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


_FRAMEWORK_PACKAGES = frozenset({"keras", "tf_keras", "tensorflow", "torch"})


def is_framework_source(facts: FileFacts) -> bool:
    """A file of a framework itself (`keras/src/saving/...`, `torch/nn/...`): rules written for
    the framework's users do not judge how it handles its own internals and guards."""
    parts = facts.path.replace("\\", "/").split("/")[:-1]
    return any(p in _FRAMEWORK_PACKAGES and i + 1 < len(parts) for i, p in enumerate(parts))


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


def is_inference_function(facts: FileFacts, scope: str, index: ProjectIndex | None = None) -> bool:
    """A function whose name says it predicts/evaluates/serves, or decorated with no_grad, and that trains nothing."""
    fn = facts.function_by_qualname.get(scope) if scope else None
    if fn is None or scope in training_scopes(facts, index):
        return False
    if any(d in NO_GRAD_CONTEXTS for d in fn.decorators):
        return True
    words = set(name_words(fn.name))
    if fn.cls and fn.name in ("__call__", "forward") and set(name_words(fn.cls)) & _INFER_WORDS:
        return True
    if words & _TRAIN_WORDS:
        return False
    if is_pytest_function(facts, scope):
        return False  # a unit test checks a model; it is not the inference path that ships
    return bool(words & _INFER_WORDS)


def inference_reason(
    facts: FileFacts, scope: str, stmt: int, withs: tuple[str, ...], index: ProjectIndex
) -> str:
    """Why the code at (scope, stmt) is an inference path (RULES.md), or '' when it is not."""
    if any(w in NO_GRAD_CONTEXTS for w in withs):
        return "inside `torch.no_grad()`"
    if is_inference_function(facts, scope, index):
        return f"in `{scope}`"
    trains = training_scopes(facts, index)
    loads = model_load_calls(facts, index)
    if scope in trains:
        # a training scope that reloads the model afterwards to check it
        last_train = max(
            (t.stmt for t in training_calls(facts, index) if t.scope == scope), default=-1
        )
        if any(load.scope == scope and last_train < load.stmt < stmt for load in loads):
            return "after the model is loaded"
        return ""
    for load in loads:
        if load.scope == scope and load.stmt < stmt:
            return "after the model is loaded"
        if load.scope == "" and not trains and (scope or load.stmt < stmt):
            return "in a script that loads a model"
    if not trains and scope:
        cls = enclosing_class(facts, scope)
        if cls and cls in _model_holding_classes(facts, index):
            return f"in `{scope}`, whose class loads a model"
    return ""


_TEST_CLASS_NAME = re.compile(r"^Test(?:[A-Z0-9_]|$)|Tests?$|TestCase$")
_SETUP_METHODS = frozenset({"__init__", "__post_init__", "__enter__", "setup", "build", "load"})


def is_test_class(facts: FileFacts, cls: str) -> bool:
    """A unittest/pytest test class (`TestCase` subclass, `Test*`/`*Test` name, `test_*` methods)."""
    if _TEST_CLASS_NAME.search(cls) or _is_testcase(facts, cls):
        return True
    found = facts.class_by_name.get(cls)
    return found is not None and any(m.startswith("test_") for m in found.methods)


def _model_holding_classes(facts: FileFacts, index: ProjectIndex) -> frozenset[str]:
    """Classes that keep a loaded model on the instance, so every method of theirs serves it.

    A load counts when it is made in a constructor-like method, stored on `self`/`cls`
    (`self.model = load(...)`, `self.net.load_state_dict(torch.load(p))`) or returned to the
    caller. Test classes never count: each test method is its own scenario, and a test that
    reloads a saved model says nothing about a sibling test that fits a layer.
    """
    ctx = file_context(facts, index)
    if ctx.model_holding_classes is not None:
        return ctx.model_holding_classes
    out: set[str] = set()
    for load in model_load_calls(facts, index):
        fn = facts.function_by_qualname.get(load.scope) if load.scope else None
        cls = enclosing_class(facts, load.scope) if load.scope else ""
        if fn is None or not cls or cls in out or is_test_class(facts, cls):
            continue
        parent = facts.call_by_id.get(load.parent)
        kept = (
            fn.name in _SETUP_METHODS
            or load.receiver in ("self", "cls")
            or load.receiver.startswith(("self.", "cls."))
            or (parent is not None and parent.receiver.startswith(("self.", "cls.")))
            or any(load.id in v.calls for v in fn.returns)
            or any(
                a.stmt == load.stmt
                and load.id in a.value.calls
                and any(t.startswith(("self.", "cls.")) for t in a.targets)
                for a in facts.assigns
            )
        )
        if kept:
            out.add(cls)
    result = frozenset(out)
    ctx.model_holding_classes = result
    return result


def in_inference_path(facts: FileFacts, call: Call, index: ProjectIndex) -> bool:
    """Whether a call runs in an inference path: an inference function, no_grad, or after a model load."""
    return inference_reason(facts, call.scope, call.stmt, call.withs, index) != ""


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
    for f in index.files:
        builds = any(c.callee.rsplit(".", 1)[-1] == cls for c in f.calls)
        if builds and any(c.method == fn.name and c.receiver != "self" for c in f.calls):
            return True
    return False


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
                b is not None and b.kind in MODEL_KINDS and method not in ("to", "cpu", "cuda")
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
