"""How a module is used: module-like classes, Lightning modules, helpers called only to train."""

from __future__ import annotations

import builtins
from collections.abc import Iterator

from preplint.analysis.calls import call_sites
from preplint.analysis.context import memos, on_behalf
from preplint.analysis.modes import TORCH_MODULE_METHODS
from preplint.analysis.objects import binding_of, class_kind
from preplint.analysis.records import ModuleState
from preplint.analysis.scopes import enclosing_class, enclosing_functions, no_grad_at
from preplint.analysis.training import in_training_loop
from preplint.facts import frameworks as fw
from preplint.facts.model import Call, FileFacts
from preplint.facts.project import ProjectIndex

BUILTINS = frozenset(dir(builtins))


# Methods that are not a sub-module being run (`model.eval()`, `opt.step()`, `x.to(device)`).
NOT_SUBMODULE = (
    TORCH_MODULE_METHODS
    | fw.SELF_RETURNING_MODULE_METHODS
    | frozenset(
        {
            "step",
            "backward",
            "item",
            "numpy",
            "detach",
            "size",
            "view",
            "reshape",
            "append",
            "extend",
            "predict",
            "fit",
            "format",
            "join",
            "get",
            "update",
            "save",
            "load",
            "read",
            "write",
            "parse_args",
            "add_argument",
            "items",
            "keys",
            "values",
            "softmax",
            "argmax",
            "sum",
            "mean",
        }
    )
)


def is_test_in_pytest_file(facts: FileFacts, scope: str) -> bool:
    """A `test_*` function (or a function inside one) of a pytest-style test file. Narrower than
    code_roles.is_pytest_function, which also counts `unittest.TestCase` methods anywhere."""
    base = facts.path.replace("\\", "/").rsplit("/", 1)[-1]
    if not (base.startswith("test_") or base.endswith("_test.py") or base == "conftest.py"):
        return False
    return any(fn.name.startswith("test_") for fn in enclosing_functions(facts, scope))


def module_uses(facts: FileFacts, index: ProjectIndex) -> Iterator[tuple[Call, str]]:
    """Calls that run a module held in a variable (`model(x)`, `self.net(x)`), with the module's name."""
    for call in facts.calls:
        if call.method == "forward" and call.receiver:
            yield call, call.receiver
            continue
        callee = call.callee
        if (
            not callee
            or call.method == "forward"
            or callee in BUILTINS
            or callee in facts.function_by_qualname
            or callee in facts.class_by_name
        ):
            continue
        if call.qualname:
            # `from serving import model`: a project module's global, not a library function.
            mod, _, attr = call.qualname.rpartition(".")
            owner = index.module(mod, facts.path) if mod else None
            if (
                owner is None
                or attr in owner.function_by_qualname
                or attr in owner.class_by_name
                or "." in callee
            ):
                continue
        if call.method in NOT_SUBMODULE:
            continue
        if call.method and call.receiver != "self" and not call.receiver.startswith("self."):
            # `model.encoder(x)`: only on a name known to hold a torch module (not `df.fillna(...)`).
            b = binding_of(facts, call.receiver.split(".")[0], call.scope, call.stmt, index)
            if b is None or b.kind not in ("torch-module", "torch-loaded", "hf-model"):
                continue
        cls = enclosing_class(facts, call.scope)
        if (
            callee.startswith("self.")
            and cls
            and f"{cls}.{callee[5:]}" in facts.function_by_qualname
        ):
            continue
        if cls and module_like_class(facts, cls, index):
            continue  # a sub-module run inside its parent module: the parent's mode decides
        if (callee[:1].isupper() and not _constant_style(callee)) or (
            call.method and call.method[:1].isupper()
        ):
            continue  # a class being built (`MODEL(x)`, a module-level constant, is not one)
        yield call, callee


def _constant_style(name: str) -> bool:
    """`MODEL`, `NET_A`: a module-level global holding an object, named like a constant."""
    return len(name) > 3 and name.isupper() and "." not in name


MODULE_BASE_SUFFIXES = ("Module", "Model", "ModelMixin", "PreTrainedModel", "Layer", "Block")


@on_behalf
def module_like_class(facts: FileFacts, cls: str, index: ProjectIndex) -> bool:
    """A torch/Keras module class, or one from a model library (`PreTrainedModel`, `ModelMixin`) or with a `forward`."""
    memo = memos(facts, index).module_like_classes
    cached = memo.get(cls)
    if cached is not None:
        return cached
    cdef = facts.class_by_name.get(cls.rsplit(".", 1)[-1])
    result = class_kind(facts, cls, index) is not None or (
        cdef is not None
        and (
            "forward" in cdef.methods
            or any(
                b.startswith(("torch.", "transformers.", "diffusers.", "timm.", "keras."))
                or (
                    b.endswith(MODULE_BASE_SUFFIXES)
                    and not b.startswith(("pydantic", "sqlalchemy", "django", "peewee"))
                )
                for b in cdef.bases
            )
        )
    )
    memo[cls] = result
    return result


def in_lightning_module(facts: FileFacts, scope: str, index: ProjectIndex) -> bool:
    """Lightning switches modes itself around validation_step / test_step / predict_step."""
    cls = enclosing_class(facts, scope)
    seen: set[str] = set()
    while cls and cls not in seen:
        seen.add(cls)
        found = index.class_for(facts, cls)
        if found is None:
            return False
        owner, cdef = found
        if any(b.startswith("lightning.") for b in cdef.bases):
            return True
        local = [b for b in cdef.bases if "." not in b]
        if not local:
            return False
        facts, cls = owner, local[0]
    return False


def only_called_for_training(facts: FileFacts, scope: str, index: ProjectIndex) -> bool:
    """`def predict(model, x): return model(x)` used to compute the training loss."""
    fns = enclosing_functions(facts, scope)
    if not fns:
        return False
    sites = call_sites(facts, fns[-1], index)
    return bool(sites) and all(
        not no_grad_at(owner, c) and in_training_loop(owner, c, index) for owner, c in sites
    )


# Keywords that give a freshly built module trained weights (`resnet18(weights=...)`).
_WEIGHT_KEYWORDS = frozenset(
    {"pretrained", "weights", "checkpoint", "checkpoint_path", "pretrained_weights", "ckpt"}
)
# Calls on a module that leave it as built (no weights, no training).
_NEUTRAL_METHODS = frozenset(
    {"to", "cuda", "cpu", "float", "half", "double", "bfloat16", "eval", "train"}
)


def built_untrained_here(facts: FileFacts, call: Call, name: str) -> bool:
    """`net = ResNet18(); y = net(torch.randn(1, 3, 32, 32))` inside one function: the module is
    built from its class in the same function, given no weights and no training before it runs.
    Such a run checks shapes; its mode cannot matter."""
    if not call.scope or "." in name:
        return False
    a = facts.reaching_assign(name, call.scope, call.stmt)
    if a is None or a.scope != call.scope or a.op != "=" or a.value.kind != "call":
        return False
    made = facts.call_by_id.get(a.value.call)
    while made is not None and made.method in _NEUTRAL_METHODS and made.receiver_call >= 0:
        made = facts.call_by_id.get(made.receiver_call)
    if made is None or not made.callee or made.method in _NEUTRAL_METHODS:
        return False
    words = made.callee.lower()
    if "load" in words or "pretrained" in words or "hub" in words:
        return False
    if any(
        arg.keyword in _WEIGHT_KEYWORDS and arg.value.const not in (False, None)
        for arg in made.args
    ):
        return False
    if any(arg.star == "**" for arg in made.args):
        return False
    for c in facts.calls_by_scope.get(call.scope, []):
        if c.id == call.id or not (
            a.stmt < c.stmt <= call.stmt or c.loops and set(c.loops) & set(call.loops)
        ):
            continue
        on_it = c.receiver == name or c.receiver.startswith(name + ".")
        passed = any(
            arg.value.name == name or arg.value.name.startswith(name + ".") for arg in c.args
        )
        if on_it and c.method not in _NEUTRAL_METHODS:
            return False
        if passed and c.callee not in ("print", "len", "type", "isinstance"):
            return False
    return True


def resumes_training(
    facts: FileFacts,
    state: ModuleState,
    call: Call,
    trained: set[tuple[str, str]],
    index: ProjectIndex,
) -> bool:
    """`if resume: G.load_state_dict(...)` then a training loop over `G`: the load resumes training, and
    a helper called only from that loop (`sample_images()`) runs at training time."""
    load = state.load
    if load is None or load.facts is not facts:
        return False
    root = load.name.split(".")[0] if load.name else ""
    if not root or (load.call.scope, root) not in trained:
        return False
    fns = enclosing_functions(facts, call.scope)
    if not fns:
        return True
    sites = call_sites(facts, fns[-1], index)
    return bool(sites) and all(in_training_loop(owner, c, index) for owner, c in sites)


def trained_uses(facts: FileFacts, index: ProjectIndex) -> set[tuple[str, str]]:
    """(scope, module name) pairs run with gradients inside a training loop."""
    out: set[tuple[str, str]] = set()
    for call, name in module_uses(facts, index):
        if not no_grad_at(facts, call) and in_training_loop(facts, call, index):
            out.add((call.scope, name))
    return out


def method_owner(facts: FileFacts, call: Call, index: ProjectIndex) -> str:
    """`vae.encode(x)` where `encode` is a method of the class `vae` was built from: the module
    that runs (`vae`), '' when the call is not such a method call."""
    if not call.method or not call.receiver or call.receiver.startswith("self"):
        return ""
    from preplint.analysis.modes import module_state

    state = module_state(facts, call.receiver, call.scope, call.stmt, index)
    if not state.torch or not state.cls or "." in state.cls:
        return ""
    found = index.class_for(state.cls_facts or facts, state.cls)
    if found is None:
        return ""
    owner, cdef = found
    seen = 0
    while call.method not in cdef.methods and seen < 3:
        local = [b for b in cdef.bases if "." not in b]
        nxt = index.class_for(owner, local[0]) if local else None
        if nxt is None:
            return ""
        owner, cdef = nxt
        seen += 1
    if call.method not in cdef.methods or call.method == "forward":
        return ""
    # Only a method that runs layers counts (`encode` does, `init_hidden` returning zeros does not).
    for c in owner.calls_by_scope.get(f"{cdef.name}.{call.method}", []):
        if c.callee in ("self", "self.forward"):
            return call.receiver
        if c.receiver == "self" and c.method not in cdef.methods and c.method not in NOT_SUBMODULE:
            return call.receiver
        if c.receiver.startswith("self.") and c.method not in NOT_SUBMODULE:
            return call.receiver
    return ""
