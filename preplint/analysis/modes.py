"""Torch module train/eval state at a point of a path, through assignments, helpers and callers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from preplint.analysis.artifacts import artifact_events, savers
from preplint.analysis.calls import Sites, argument_for, call_sites, resolve_function
from preplint.analysis.context import memos, on_behalf
from preplint.analysis.module_layers import value_mode_layers
from preplint.analysis.objects import class_kind
from preplint.analysis.records import LoadSite, ModuleState
from preplint.analysis.scopes import enclosing_class, enclosing_functions, name_words
from preplint.facts import frameworks as fw
from preplint.facts.model import Assign, Call, FileFacts, Function, Value

if TYPE_CHECKING:
    from preplint.facts.project import ProjectIndex


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


# Calls that turn a module into a scripted, traced or exported one, in the mode it has at that call.
SCRIPTING = frozenset({"torch.jit.script", "torch.jit.trace", "torch.export.export"})
# Of those, the ones that record the mode's behaviour for good: a later `.eval()` cannot undo it.
MODE_BAKING = frozenset({"torch.jit.trace", "torch.export.export"})


def scripted_saver_state(load: LoadSite, index: ProjectIndex, depth: int = 0) -> ModuleState | None:
    """The state of the module `torch.jit.save(m, path)` wrote, for a `torch.jit.load` of that path;
    None when no saver of the artifact is seen in the project."""
    return saver_state(load, index, "jit-save", depth)


def saver_state(
    load: LoadSite, index: ProjectIndex, api: str, depth: int = 0
) -> ModuleState | None:
    """The state, at the save, of the module a saver of `load`'s artifact wrote (`torch.save(model,
    path)` for api 'torch-save', `torch.jit.save` for 'jit-save'); None when none is seen."""
    if not load.artifact or depth > _MAX_DEPTH:
        return None
    for event in savers(index, load.artifact, load.facts.path):
        if event.api != api or not event.obj:
            continue
        owner = index.file(event.file)
        if owner is None:
            continue
        save = owner.call_by_id.get(event.call)
        if save is None:
            continue
        arg = save.arg(0, "m" if api == "jit-save" else "obj")
        if arg is None:
            continue
        if arg.value.kind == "call":
            state = _origin_state(owner, arg.value, save.scope, save.stmt, index, depth + 1)
        else:
            state = module_state(owner, arg.value.text, save.scope, save.stmt, index, depth + 1)
        if state.mode in ("train", "eval") and state.torch:
            if state.cls and state.cls_facts is None:
                state = replace(state, cls_facts=owner)
            return state
    return None


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


@on_behalf
def module_state(
    facts: FileFacts, name: str, scope: str, stmt: int, index: ProjectIndex | None, depth: int = 0
) -> ModuleState:
    """The mode of module `name` just before statement `stmt` of `scope`, following the path back:
    `.eval()`/`.train()` calls, the assignment that made it (`Net().to(d).eval()`, `torch.load`,
    a project helper that returns it), the class's other methods for `self.x`, callers for a parameter."""
    if depth > _MAX_DEPTH or not name:
        return UNKNOWN
    memo = memos(facts, index).module_states
    key = (name, scope, stmt, depth)
    cached = memo.get(key)
    if cached is not None:
        return cached
    memo[key] = UNKNOWN  # recursion guard
    result = _module_state(facts, name, scope, stmt, index, depth)
    memo[key] = result
    return result


@on_behalf
def _calls_mentioning(
    facts: FileFacts, index: ProjectIndex | None
) -> dict[tuple[str, str], list[Call]]:
    """(scope, root name) → calls on that name (`model.eval()`, `model.to(d).eval()`) or given it as an argument."""
    memo = memos(facts, index)
    if memo.calls_mentioning is not None:
        return memo.calls_mentioning
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
    memo.calls_mentioning = table
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
        if last_assign.op != "=":
            origin = UNKNOWN
        elif len(last_assign.targets) > 1:
            origin = _unpacked_state(facts, last_assign, name, index, depth)
        else:
            origin = _origin_state(
                facts, last_assign.value, last_assign.scope, last_assign.stmt, index, depth
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


def helper_switch(
    facts: FileFacts, call: Call, name: str, index: ProjectIndex | None, *, branches: bool
) -> str:
    """`set_eval(model)` / `unfreeze(model)`: the last mode switch ('eval', 'train', 'either') a
    project helper given module `name` makes on that argument, '' when none. A `.train()`
    inside a branch of the helper counts only with `branches`."""
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
        last = ""
        for c in owner.calls_by_scope.get(fn.qualname, []):
            if _on(base_receiver(owner, c), param):
                change = mode_change(c)
                if change and (branches or not (change == "train" and c.in_condition)):
                    last = change
        if last:
            return last
    return ""


def _helper_mode_change(
    facts: FileFacts, call: Call, name: str, index: ProjectIndex | None, depth: int
) -> str:
    """The mode a helper leaves its argument in; a switch that may go either way counts as eval."""
    change = helper_switch(facts, call, name, index, branches=False)
    return "eval" if change == "either" else change


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

    def path_of(load_call: Call) -> str:
        if index is not None:
            for e in artifact_events(facts, index):
                if e.call == load_call.id:
                    return e.path
        arg = load_call.arg(0, "f")
        return arg.value.const if arg is not None and isinstance(arg.value.const, str) else ""

    if (
        call.qualname in fw.TORCH_LOAD
        or call.qualname in fw.TORCH_SCRIPT_LOAD
        or call.qualname == "safetensors.torch.load_file"
    ):
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
        site = LoadSite(facts, call, "", _loaded_artifact(facts, call, index))
        saved = saver_state(site, index, "torch-save", depth) if index is not None else None
        if saved is not None:
            return replace(saved, load=site)
        return ModuleState("train", True, site)
    if qual == "torch.jit.load" and index is not None:
        # A scripted module keeps the training flag it was saved with: the saver's mode decides.
        site = LoadSite(facts, call, "", _loaded_artifact(facts, call, index))
        saved = scripted_saver_state(site, index, depth)
        if saved is None:
            return ModuleState("train", True, site)
        return replace(saved, load=site)
    if qual in fw.TORCH_SCRIPT_LOAD:
        return ModuleState("unknown", True)
    if qual in SCRIPTING and call.args:
        # `torch.jit.script(model)` keeps the flag; `trace`/`export` run it once in the mode it has now.
        first = call.arg(0, "obj") or call.arg(0, "func") or call.arg(0, "mod")
        if first is not None and first.value.name:
            return module_state(facts, first.value.name, scope, stmt, index, depth + 1)
        return UNKNOWN
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


def _unpacked_state(
    facts: FileFacts, assign: Assign, name: str, index: ProjectIndex | None, depth: int
) -> ModuleState:
    """`model, tokenizer = load_model(path)`: the element of the helper's returned tuple at the
    position of `name` among the targets."""
    if assign.value.kind != "call" or depth > _MAX_DEPTH:
        return UNKNOWN
    call = facts.call_by_id.get(assign.value.call)
    if call is None or name not in assign.targets:
        return UNKNOWN
    target = resolve_function(facts, call, index)
    if target is None:
        return UNKNOWN
    owner, fn = target
    position = assign.targets.index(name)
    states = []
    for value in fn.returns:
        if value.kind != "tuple" or len(value.items) != len(assign.targets):
            continue
        item = value.items[position]
        if item.kind in ("name", "attr"):
            states.append(
                module_state(owner, item.text, fn.qualname, fn.stmt_end + 1, index, depth + 1)
            )
        elif item.kind == "call":
            states.append(
                _origin_state(owner, item, fn.qualname, fn.stmt_end + 1, index, depth + 1)
            )
    if not states:
        return UNKNOWN
    for st in states:
        if st.mode == "eval":
            return st
    known = [st for st in states if st.mode != "unknown"]
    return known[0] if known else states[0]


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
                facts, name, outer.qualname, _closure_point(facts, fn, outer), index, depth + 1
            )
    return _global_state(facts, name, index, depth)


def _closure_point(facts: FileFacts, fn: Function | None, outer: Function) -> int:
    """Where a nested function sees its enclosing function's names: at its first call there
    (`model.eval()` may come after the `def` and before the call), else at its definition."""
    if fn is None:
        return 0
    sites = [
        c.stmt
        for c in facts.calls_by_scope.get(outer.qualname, [])
        if c.callee == fn.name and not c.method and c.stmt > fn.stmt_start
    ]
    return min(sites) if sites else fn.stmt_start


@on_behalf
def _memoized(
    facts: FileFacts,
    index: ProjectIndex | None,
    key: tuple[object, ...],
    compute: Callable[[], ModuleState],
) -> ModuleState:
    memo = memos(facts, index).derived_states
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
    sites = call_sites(facts, fn, index) if depth < _MAX_DEPTH else Sites(None, [])
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
    owner = index.module(mod, facts.path) if mod else None
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
