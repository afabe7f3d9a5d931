"""MODE006 (private-framework-api): Flags code that sets a private framework attribute on a model, layer or module (or calls such a private method on it) to change how it runs (`layer._per_input_call_tf_function = True`, `module._forward_hooks = OrderedDict()`, `model._make_predict_function()`), and writes into a framework's private namespace (`tf.keras.backend._SESSION = ...`)."""

from __future__ import annotations

from collections.abc import Iterator

from preplint.analysis.context import FileContext
from preplint.analysis.objects import binding_of, bindings, class_kind
from preplint.analysis.scopes import enclosing_class, enclosing_functions
from preplint.facts import frameworks as fw
from preplint.facts.model import FileFacts
from preplint.facts.project import ProjectIndex
from preplint.rules import Finding, rule

# Private attributes and methods people poke to change how a Keras/TF/torch model runs.
_KNOWN_PRIVATE = frozenset(
    {
        "_per_input_call_tf_function",
        "_make_predict_function",
        "_make_train_function",
        "_make_test_function",
        "_predict_function",
        "_train_function",
        "_experimental_run_tf_function",
        "_run_eagerly",
        "_compile_was_called",
        "_is_compiled",
        "_trainable",
        "_jit_compile",
        "_steps_per_execution",
        "_autocast",
        "_dtype_policy",
        "_compute_dtype",
        "_built",
        "_inbound_nodes",
        "_outbound_nodes",
        "_layers",
        "_self_tracked_trackables",
        "_distribution_strategy",
        "_set_inputs",
        "_is_graph_network",
        "_expects_training_arg",
        "_expects_mask_arg",
        "_supports_masking",
        "_trainable_weights",
        "_non_trainable_weights",
        "_build_input_shape",
        "_saved_model_inputs_spec",
        "_modules",
        "_parameters",
        "_buffers",
        "_forward_hooks",
        "_forward_pre_hooks",
        "_backward_hooks",
        "_non_persistent_buffers_set",
        "_version",
        "_is_full_backward_hook",
    }
)


_DOCUMENTED_PRIVATE_NAMESPACES = (
    "torch._dynamo.config",
    "torch._inductor.config",
    "torch._functorch.config",
    "torch._logging",
)


# Annotations that make a parameter a framework model or layer (`net: nn.Module`).
_FRAMEWORK_CLASS_PREFIXES = (
    "torch.nn.",
    "keras.models.",
    "keras.layers.",
    "keras.Model",
    "keras.Layer",
    "lightning.",
)


def _private(part: str) -> bool:
    return part.startswith("_") and not part.startswith("__")


def _framework_object(
    facts: FileFacts, index: ProjectIndex, base: str, scope: str, stmt: int
) -> bool:
    """Whether a dotted name holds a framework model or layer (not the user's own `self`): built
    or loaded with a known API, an attribute set so in the class's methods (`self.model =
    torch.jit.load(...)`), a parameter annotated with a framework class (`net: nn.Module`), or a
    loop variable over `model.layers` / `model.modules()`."""
    if not base or base == "self":
        return False
    resolved = facts.resolve(base)
    if resolved.startswith(fw.FRAMEWORK_ROOTS):
        return True
    parts = base.split(".")
    root = parts[0]
    if root == "self":
        cls = enclosing_class(facts, scope)
        owner = f"self.{parts[1]}"
        return bool(cls) and any(
            b.name == owner
            and b.kind in fw.NETWORK_MODEL_KINDS
            and enclosing_class(facts, b.scope) == cls
            for b in bindings(facts, index)
        )
    b = binding_of(facts, root, scope, stmt, index)
    if b is not None and b.kind in fw.NETWORK_MODEL_KINDS:
        # ... unless a later assignment the bindings do not know replaced it
        # (`clone = module.__class__.__new__(module.__class__)` after `clone = nn.ModuleList()`).
        last = facts.reaching_assign(root, scope, stmt)
        return last is None or last.stmt == b.stmt
    for fn in enclosing_functions(facts, scope)[:1]:
        if root in fn.params and len(fn.annotations) == len(fn.params):
            note = fn.annotations[fn.params.index(root)]
            if note and (
                facts.resolve(note).startswith(_FRAMEWORK_CLASS_PREFIXES)
                or class_kind(facts, note, index) is not None
            ):
                return True
    # `for layer in model.layers:` / `for m in model.modules():`
    for a in facts.assigns:
        if a.op == "for" and root in a.targets and a.scope == scope and a.stmt <= stmt:
            text = a.value.text
            if text.endswith(
                (".layers", ".submodules", ".modules()", ".children()", ".named_modules()")
            ):
                return True
    return False


@rule(
    "MODE006",
    "private-framework-api",
    severity="warning",
    positives=[
        """
import tensorflow as tf

model = tf.keras.models.load_model("clf.keras")
for layer in model.layers:
    layer._per_input_call_tf_function = True  # expect: MODE006
model._make_predict_function()  # expect: MODE006
""",
        """
from collections import OrderedDict

import torch
from torch import nn

def strip_hooks(net: nn.Module) -> None:
    for sub in net.modules():
        sub._forward_pre_hooks = OrderedDict()  # expect: MODE006

class Runner:
    def __init__(self, path):
        self.model = torch.jit.load(path)
        self.model._forward_hooks = OrderedDict()  # expect: MODE006
""",
        # positives-MODE006
        """
import tensorflow as tf

def build():
    model = tf.keras.Sequential([tf.keras.layers.Dense(4)])
    model._run_eagerly = True  # expect: MODE006
    return model
""",
        # positives-MODE006
        """
import torch
import torch.nn as nn

model = nn.Sequential(nn.Linear(4, 4), nn.ReLU())
for m in model.modules():
    m._forward_hooks = {}  # expect: MODE006
""",
        # narrowed_positives-MODE006
        """
from collections import OrderedDict

import torch

def remove_hooks(model: torch.nn.Module) -> None:
    for module in model.modules():
        module._backward_hooks = OrderedDict()  # expect: MODE006
        module._forward_hooks = OrderedDict()  # expect: MODE006
""",
        # narrowed_positives-MODE006
        """
from tensorflow import keras

class Server:
    def __init__(self, path):
        self.model = keras.models.load_model(path)
        self.model._make_predict_function()  # expect: MODE006

def speed_up(model: keras.Model):
    for layer in model.layers:
        setattr(layer, "_per_input_call_tf_function", True)  # expect: MODE006
""",
        # narrowed_positives-MODE006
        """
import torch
from torch import nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

def patch(net: Net):
    net._forward_pre_hooks = {}  # expect: MODE006
""",
    ],
    negatives=[
        """
import torch

# process-wide switches of the TorchScript executor: no model or layer is touched
torch._C._jit_set_profiling_executor(False)
torch._C._jit_override_can_fuse_on_gpu(True)
model = torch.jit.load("model.pt")
""",
        """
import torch

class ScaledTensor(torch.Tensor):
    @staticmethod
    def __new__(cls, data, scale):
        # the documented way to build a tensor subclass
        out = torch.Tensor._make_subclass(cls, data, data.requires_grad)
        out.scale = scale
        return out
""",
        """
import torch
from torch import nn

def rebuild(module: nn.Module, wrap):
    if isinstance(module, nn.ModuleList):
        clone = nn.ModuleList(wrap(m) for m in module)
    else:
        # a fresh, uninitialised copy whose child registry is rebuilt through `add_module`:
        # nothing known to be a framework model is patched
        clone = object.__new__(type(module))
        clone.__dict__.update(module.__dict__)
        clone._modules = {}
        for name, child in module.named_children():
            clone.add_module(name, wrap(child))
    return clone
""",
        """
import torch
from torch import nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self._hidden = 32
        self.fc = nn.Linear(8, self._hidden)
""",
        """
import torch

torch._dynamo.config.cache_size_limit = 64
model = torch.compile(torch.nn.Linear(4, 2))
""",
        # negatives-MODE006
        """
import torch

class Cache:
    def __init__(self):
        self._items = {}

    def put(self, key, value):
        self._items[key] = value
        self._size = len(self._items)

model = torch.nn.Linear(2, 2)
print(model._parameters.keys())
""",
        # real_code_negatives-MODE006
        {
            "keras/src/saving/saving_lib_test.py": """
from keras.src.saving import saving_lib

def test_memory_bound():
    saving_lib._MEMORY_UPPER_BOUND = 0
"""
        },
        # real_code_negatives-MODE006
        """
import torch

x = torch._foreach_add([torch.zeros(1)], 1.0)
enabled = torch.autograd._profiler_enabled()
""",
        # real_code_negatives-MODE006
        """
import torch

def configure_fuser(kind):
    # process-wide TorchScript switches: private, but no model or layer is patched
    if kind == "te":
        torch._C._jit_set_profiling_executor(True)
        torch._C._jit_set_profiling_mode(True)
        torch._C._jit_override_can_fuse_on_cpu(False)
        torch._C._jit_set_texpr_fuser_enabled(True)
    elif kind == "nvfuser":
        torch._C._jit_set_nvfuser_enabled(True)
""",
        # real_code_negatives-MODE006
        """
import torch

class Profiler:
    def stop(self):
        if torch.autograd._profiler_enabled():
            torch.autograd._disable_profiler()

class Pipeline:
    def run_in_fp16(self):
        torch._C._set_math_sdp_allow_fp16_bf16_reduction(True)
""",
        # real_code_negatives-MODE006
        """
import torch

def as_packed(data, bits):
    packed = torch.Tensor._make_subclass(PackedTensor, data, require_grad=False)
    packed.bits = bits
    return packed

class PackedTensor(torch.Tensor):
    pass
""",
        # real_code_negatives-MODE006
        """
import torch
from torch import nn

def compile_blocks(root: nn.Module):
    if isinstance(root, nn.Sequential):
        out = nn.Sequential(*(torch.compile(b) for b in root))
    else:
        out = root.__class__.__new__(root.__class__)
        out.__dict__.update(root.__dict__)
        out._modules = {}
        for name, child in root.named_children():
            out.add_module(name, compile_blocks(child))
    return out
""",
        # real_code_negatives-MODE006
        """
import torch

class Registry:
    def __init__(self):
        self._modules = {}
        self._version = 1

def reset(reg):
    # a user's object with attribute names nn.Module also uses: not a framework object
    reg._modules = {}
    reg._version += 1
""",
    ],
)
def private_framework_api(ctx: FileContext) -> Iterator[Finding]:
    """What it does:
    Flags code that sets a private framework attribute on a model, layer or module (or calls
    such a private method on it) to change how it runs (`layer._per_input_call_tf_function =
    True`, `module._forward_hooks = OrderedDict()`, `model._make_predict_function()`), and
    writes into a framework's private namespace (`tf.keras.backend._SESSION = ...`). Only
    objects known to be a framework model or layer count: one built, loaded, annotated as
    such or taken from `model.layers` / `model.modules()`. Process-wide private switches
    (`torch._C._jit_set_profiling_executor(False)`) and documented idioms such as
    `torch.Tensor._make_subclass` in a tensor subclass are not reported.

    Why is this bad?:
    Private names are not part of the framework's API: they change meaning or disappear in a
    minor release, and the model then runs differently (or not at all) without any error
    pointing at the cause.

    Example:
    ```python
    for layer in model.layers:
        layer._per_input_call_tf_function = True
    ```

    Use instead:
    ```python
    # Use the public switch for the behaviour (`model.compile(jit_compile=...)`,
    # `run_eagerly=`, `tf.function`) or pin the framework version this depends on.
    ```

    References:
    - https://www.tensorflow.org/guide/versions#what_is_covered
    - https://pytorch.org/docs/stable/notes/serialization.html
    """
    facts, index = ctx.facts, ctx.index
    if not any(facts.uses(r) for r in fw.FRAMEWORK_ROOTS):
        return
    if ctx.is_framework_source:
        return  # its internals are its own to touch
    message = "sets a private framework attribute: it can change or vanish in any release"
    for a in facts.assigns:
        if a.op not in ("=", "AddAssign"):
            continue
        for target in a.targets:
            base, _, attr = target.rpartition(".")
            if not base:
                continue
            resolved = facts.resolve(target)
            if resolved.startswith(_DOCUMENTED_PRIVATE_NAMESPACES):
                continue
            # `K._SESSION.session = ...`, `tf.keras.backend._LOCAL = ...`: a write into a private namespace.
            if resolved.startswith(fw.FRAMEWORK_ROOTS) and any(
                _private(p) for p in resolved.split(".")
            ):
                yield Finding(a.span, f"`{target}` {message}")
                break
            # `layer._per_input_call_tf_function = True`: a known private attribute of an object known to be a
            # model or layer. The user's own `self._x`, objects the facts cannot tie to a framework class and
            # private names the framework does not define are left alone.
            if attr in _KNOWN_PRIVATE and _framework_object(facts, index, base, a.scope, a.stmt):
                yield Finding(a.span, f"`{target}` {message}")
                break
    for call in facts.calls:
        name = ""
        # `model._make_predict_function()`: a private method of a model or layer. Module-level private
        # functions (`torch._C._jit_set_profiling_executor(False)`, `torch.Tensor._make_subclass(...)`)
        # touch no model and are not what this rule is about.
        if call.method in _KNOWN_PRIVATE and _framework_object(
            facts, index, call.receiver, call.scope, call.stmt
        ):
            name = call.callee or call.method
        elif call.callee == "setattr" and len(call.args) >= 2:
            attr_name = call.args[1].value.const
            if (
                isinstance(attr_name, str)
                and attr_name in _KNOWN_PRIVATE
                and _framework_object(facts, index, call.args[0].value.name, call.scope, call.stmt)
            ):
                name = f"setattr(..., {attr_name!r})"
        if name and not call.qualname.startswith(_DOCUMENTED_PRIVATE_NAMESPACES):
            yield Finding(
                call.span,
                f"`{name}` is a private framework API: it can change or vanish in any release",
            )
