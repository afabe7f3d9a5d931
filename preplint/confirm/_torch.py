"""torch probes, run only inside the worker process: TorchScript, torch.export and torch.save artifacts."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from preplint.confirm import _arrays
from preplint.confirm._errors import guarded, is_resource_error, short_error
from preplint.confirm.pickle_scan import scan_pickles
from preplint.confirm.probes import DTYPE, MODE
from preplint.facts.frameworks import TORCH_DROPOUT_MODULES as _DROPOUT_MODULES
from preplint.facts.frameworks import TORCH_NORM_MODULES as _NORM_MODULES

# Exported graphs fix the mode at export time in these ops' arguments; index of the flag.
_EXPORT_MODE_ARGS = {
    "aten.dropout.default": 2,
    "aten.feature_dropout.default": 2,
    "aten.alpha_dropout.default": 2,
    "aten.feature_alpha_dropout.default": 2,
    "aten.batch_norm.default": 5,
}
_EXPORT_FIXED_MODE_OPS = ("native_dropout", "_native_batch_norm_legit", "native_batch_norm")


def _refusal(path: Path, trust: bool) -> dict[str, Any] | None:
    """Refuse to unpickle an archive importing anything outside the allow-list, unless trusted."""
    scan = scan_pickles(path)
    if trust or scan.safe:
        return None
    reason = ", ".join(scan.disallowed) or scan.error or "unreadable pickle"
    return {
        "ok": False,
        "refused": True,
        "scan": scan.to_json(),
        "error": f"not loaded: its pickles import {reason} (pass --trust-artifacts to load it)",
    }


def _load_object(path: Path, fmt: str, trust: bool) -> Any:
    import torch

    if fmt == "torchscript":
        return torch.jit.load(str(path), map_location="cpu")
    if fmt == "torch-export":
        return torch.export.load(str(path))
    if fmt in ("torch-zip", "torch-legacy"):
        return torch.load(str(path), map_location="cpu", weights_only=not trust)
    raise ValueError(f"not a torch format: {fmt}")


def project_on_path(request: dict[str, Any]) -> None:
    """Put the project's folders first on sys.path, so that its own modules import."""
    folders = [p for p in request.get("search_paths", []) if p]
    sys.path[:0] = [p for p in folders if p not in sys.path]


def load(path: Path, fmt: str, request: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    trust = bool(request.get("trust"))
    refusal = _refusal(path, trust)
    if refusal is not None:
        return refusal, None
    if trust and fmt in ("torch-zip", "torch-legacy"):
        project_on_path(request)  # a pickled module's class lives in the project
    try:
        obj = _load_object(path, fmt, trust)
    except Exception as exc:
        if is_resource_error(exc):
            raise  # the worker reports the limit it hit
        return {"ok": False, "error": short_error(exc), "loader": _loader(fmt, trust)}, None
    return {"ok": True, "error": None, "loader": _loader(fmt, trust), "object": _kind(obj)}, obj


def _loader(fmt: str, trust: bool) -> str:
    """How the artifact was loaded, for the report."""
    if fmt == "torchscript":
        return "torch.jit.load" + ("" if trust else " after a clean pickle scan")
    if fmt == "torch-export":
        return "torch.export.load" + ("" if trust else " after a clean pickle scan")
    return f"torch.load(weights_only={not trust})"


def _kind(obj: Any) -> str:
    import torch

    if isinstance(obj, torch.jit.ScriptModule):
        return "TorchScript module"
    if isinstance(obj, torch.export.ExportedProgram):
        return "ExportedProgram"
    if isinstance(obj, torch.nn.Module):
        return f"nn.Module {type(obj).__name__}"
    if isinstance(obj, dict) and obj and all(isinstance(v, torch.Tensor) for v in obj.values()):
        return "state_dict"
    return f"{type(obj).__module__}.{type(obj).__qualname__}"


def _module_name(module: Any) -> str:
    return str(getattr(module, "original_name", None) or type(module).__name__)


def _mode_modules(model: Any) -> dict[str, list[str]]:
    kinds: dict[str, list[str]] = {"dropout": [], "batchnorm": []}
    for name, sub in model.named_modules():
        cls = _module_name(sub)
        if cls in _DROPOUT_MODULES:
            kinds["dropout"].append(f"{cls} '{name}'")
        elif cls in _NORM_MODULES:
            kinds["batchnorm"].append(f"{cls} '{name}'")
    return kinds


def _guess_input(model: Any) -> tuple[tuple[int, ...], str]:
    """An input shape from the first layer that has weights (Linear, ConvNd, Embedding)."""
    for _, sub in model.named_modules():
        weight = getattr(sub, "weight", None)
        if weight is None or not hasattr(weight, "shape"):
            continue
        cls = _module_name(sub)
        dtype = str(weight.dtype).replace("torch.", "")
        if cls == "Linear":
            return (_arrays.BATCH, int(weight.shape[1])), dtype
        if cls.startswith("Conv") and weight.dim() in (3, 4, 5):
            spatial = {3: (32,), 4: (32, 32), 5: (16, 16, 16)}[weight.dim()]
            return (_arrays.BATCH, int(weight.shape[1]), *spatial), dtype
        if cls == "Embedding":
            return (_arrays.BATCH, 16), "int64"
        if cls.startswith("BatchNorm") or cls == "LayerNorm":
            return (_arrays.BATCH, int(weight.shape[0])), dtype
        break
    raise ValueError(
        "cannot guess the model's input shape: give it a sample batch with "
        "`preplint confirm ARTIFACT --input sample.npy`"
    )


def _export_signature(program: Any) -> list[dict[str, Any]]:
    user_inputs = set(program.graph_signature.user_inputs)
    signature = []
    for node in program.graph.nodes:
        if node.op == "placeholder" and node.name in user_inputs:
            value = node.meta.get("val")
            shape = [int(d) if str(d).isdigit() else None for d in getattr(value, "shape", [])]
            dtype = str(getattr(value, "dtype", "torch.float32")).replace("torch.", "")
            signature.append({"name": node.name, "shape": shape, "dtype": dtype})
    return signature


def _export_mode_ops(program: Any) -> dict[str, Any]:
    """The mode each mode-dependent op was exported in."""
    flags, fixed = [], []
    for node in program.graph.nodes:
        target = str(node.target)
        index = _EXPORT_MODE_ARGS.get(target)
        if node.op == "call_function" and index is not None and len(node.args) > index:
            flags.append({"op": target, "node": node.name, "training": bool(node.args[index])})
        elif node.op == "call_function" and any(op in target for op in _EXPORT_FIXED_MODE_OPS):
            fixed.append(target)
    return {"ops": flags, "fixed_ops": sorted(set(fixed))}


def _export_module(program: Any, training: bool | None) -> Any:
    """The exported program as a callable, its mode-dependent ops switched to `training`."""
    module = program.module()
    if training is None:
        return module
    for node in module.graph.nodes:
        index = _EXPORT_MODE_ARGS.get(str(node.target))
        if node.op == "call_function" and index is not None and len(node.args) > index:
            args = list(node.args)
            args[index] = training
            node.args = tuple(args)
    module.recompile()
    return module


def _tensor(batch: Any) -> Any:
    import torch

    return torch.from_numpy(batch)


def _call(module: Any, batch: Any) -> Any:
    import torch

    with torch.no_grad():
        return _arrays.as_numpy(module(_tensor(batch)))


def _input_for(obj: Any, user_input: Any, signature: list[dict[str, Any]]) -> Any:
    if user_input is not None:
        return user_input
    if signature:
        first = signature[0]
        return _arrays.synthetic_batch(tuple(first["shape"]), first["dtype"])
    shape, dtype = _guess_input(obj)
    return _arrays.synthetic_batch(shape, dtype)


def _mode_runs(run_eval: Callable[[], Any], run_train: Callable[[], Any]) -> dict[str, Any]:
    inference = [run_eval(), run_eval()]
    training = [run_train(), run_train()]
    return {
        "samples": int(inference[0].shape[0]),
        "train_vs_infer": _arrays.max_abs_diff(training[0], inference[0]),
        "argmax_changed": _arrays.argmax_changed(training[0], inference[0]),
        "infer_repeat": _arrays.max_abs_diff(inference[0], inference[1]),
        "train_repeat": _arrays.max_abs_diff(training[0], training[1]),
    }


def module_mode_facts(model: Any, batch: Any) -> dict[str, Any]:
    """`.eval()` twice, then `.train()` twice (BatchNorm updates its statistics in training)."""
    saved_training = bool(model.training)

    def run_in(training: bool) -> Callable[[], Any]:
        def run() -> Any:
            model.train(training)
            return _call(model, batch)

        return run

    try:
        facts = _mode_runs(run_in(False), run_in(True))
    finally:
        model.train(saved_training)
    facts.update(_mode_modules(model))
    facts["saved_mode"] = "training" if saved_training else "eval"
    return facts


def export_mode_facts(program: Any, batch: Any) -> dict[str, Any]:
    """Run the exported graph with its dropout/batch-norm flags set each way."""
    mode_ops = _export_mode_ops(program)
    inference, training = _export_module(program, False), _export_module(program, True)
    facts = _mode_runs(lambda: _call(inference, batch), lambda: _call(training, batch))
    exported_training = [op["node"] for op in mode_ops["ops"] if op["training"]]
    facts.update(
        dropout=[op["node"] for op in mode_ops["ops"] if "dropout" in op["op"]],
        batchnorm=[op["node"] for op in mode_ops["ops"] if "batch_norm" in op["op"]],
        saved_mode="training" if exported_training else "eval",
        exported_training_ops=exported_training,
        fixed_ops=mode_ops["fixed_ops"],
    )
    return facts


def _model_dtype(obj: Any) -> str | None:
    for parameter in obj.parameters() if hasattr(obj, "parameters") else ():
        if parameter.is_floating_point():
            return str(parameter.dtype).replace("torch.", "")
    return None


def dtype_facts(
    runner: Callable[[Any], Any],
    batch: Any,
    signature: list[dict[str, Any]],
    model_dtype: str | None,
) -> dict[str, Any]:
    """The same batch as float32 and float64, through the model in inference mode."""
    import numpy as np

    facts: dict[str, Any] = {"inputs": signature, "model_dtype": model_dtype}
    if not np.issubdtype(batch.dtype, np.floating):
        facts["error"] = f"the model takes {batch.dtype} input; the float probe does not apply"
        return facts
    outputs = {}
    for name in ("float32", "float64"):
        try:
            outputs[name] = runner(batch.astype(name))
        except Exception as exc:
            if is_resource_error(exc):
                raise  # guarded() reports it as the limit it is, not as dtype evidence
            facts[f"{name}_error"] = short_error(exc)
    if len(outputs) == 2:
        facts["max_abs_diff"] = _arrays.max_abs_diff(outputs["float32"], outputs["float64"])
    return facts


def _state_dict_facts(state: dict[str, Any]) -> dict[str, Any]:
    """What a weights-only archive shows without its class: BatchNorm leaves running statistics."""
    norm = sorted({k.rsplit(".", 1)[0] for k in state if k.endswith("running_mean")})
    dtypes = sorted(
        {str(v.dtype).replace("torch.", "") for v in state.values() if hasattr(v, "dtype")}
    )
    return {
        "error": "the artifact holds weights only (a state_dict): no architecture to run",
        "weights_only_archive": True,
        "batchnorm": norm,
        "tensors": len(state),
        "dtypes": dtypes,
    }


# Keys under which checkpoint dicts keep the weights, and the constructor arguments.
_WEIGHT_KEYS = ("state_dict", "model_state_dict", "model_state", "model", "net", "weights")
_CONFIG_KEYS = ("hparams", "config", "model_config", "hyper_parameters", "model_args", "args")


def _is_state_dict(obj: Any) -> bool:
    import torch

    return (
        isinstance(obj, dict)
        and bool(obj)
        and all(isinstance(v, torch.Tensor) for v in obj.values())
    )


def weights_in(obj: Any) -> tuple[dict[str, Any] | None, dict[str, Any] | None, str | None]:
    """(state_dict, recorded constructor arguments, key they were under) from a loaded object."""
    if _is_state_dict(obj):
        return obj, None, None
    if not isinstance(obj, dict):
        return None, None, None
    state = next((obj[k] for k in _WEIGHT_KEYS if _is_state_dict(obj.get(k))), None)
    if state is None:
        return None, None, None
    for key in _CONFIG_KEYS:
        value = obj.get(key)
        if isinstance(value, dict) and all(isinstance(k, str) for k in value):
            return state, value, key
    return state, None, None


def _read_config(path: str) -> dict[str, Any] | None:
    import json

    try:
        with open(path, encoding="utf-8") as handle:
            if os.fstat(handle.fileno()).st_size > _MAX_CONFIG_BYTES:
                return None
            value = json.load(handle)
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) and all(isinstance(k, str) for k in value) else None


_MAX_CONFIG_BYTES = 1 << 20


def _arguments(
    recipe: dict[str, Any], recorded: dict[str, Any] | None, recorded_from: str | None
) -> tuple[list[Any], dict[str, Any], list[str], list[str]]:
    """Constructor arguments: the literals seen in the source, the rest from a recorded config.

    Returns (args, kwargs, where the non-literal ones came from, what could not be known).
    """
    args = list(recipe.get("args", []))
    kwargs = dict(recipe.get("kwargs", {}))
    unknown = list(recipe.get("unknown", []))
    sources: list[str] = []
    if unknown and recorded is None:
        for config_path in recipe.get("config_files", []):
            recorded = _read_config(config_path)
            if recorded is not None:
                recorded_from = Path(config_path).name
                break
    missing: list[str] = []
    for item in unknown:
        kind, text = item.get("kind"), item.get("text", "?")
        if kind == "star" and recorded is not None:
            kwargs.update({k: v for k, v in recorded.items() if k not in kwargs})
            sources.append(f"{text} from {recorded_from}")
        elif kind == "keyword" and recorded is not None and item.get("name") in recorded:
            kwargs[item["name"]] = recorded[item["name"]]
            sources.append(f"{item['name']} from {recorded_from}")
        else:
            missing.append(text)
    return args, kwargs, sources, missing


def _call_text(recipe: dict[str, Any], args: list[Any], kwargs: dict[str, Any]) -> str:
    shown = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
    return f"{recipe['module']}.{recipe['class']}({', '.join(shown)})"


def rebuild(
    recipe: dict[str, Any],
    state: dict[str, Any],
    recorded: dict[str, Any] | None,
    recorded_from: str | None,
) -> tuple[Any, dict[str, Any]]:
    """Import the project's class, construct it, and load the weights into it (strict)."""
    args, kwargs, sources, missing = _arguments(recipe, recorded, recorded_from)
    described: dict[str, Any] = {"recipe": recipe, "sources": sources, "missing": missing}
    if missing:
        described["error"] = (
            f"cannot rebuild {recipe['module']}.{recipe['class']} from {recipe['site']}: "
            f"the value of {', '.join(missing)} is neither a literal nor recorded next to the "
            "weights (a config JSON, or hparams/config in a checkpoint dict)"
        )
        return None, described
    if recipe.get("root") and recipe["root"] not in sys.path:
        sys.path.insert(0, recipe["root"])
    call = _call_text(recipe, args, kwargs)
    try:
        cls = getattr(importlib.import_module(recipe["module"]), recipe["class"])
        model = cls(*args, **kwargs)
        model.load_state_dict(state, strict=True)
    except Exception as exc:
        if is_resource_error(exc):
            raise
        described["error"] = f"cannot rebuild {call} (seen at {recipe['site']}): {short_error(exc)}"
        return None, described
    where = f"arguments from {recipe['site']}" + (f", {', '.join(sources)}" if sources else "")
    described["rebuilt"] = f"rebuilt {call} ({where}) and loaded the weights with weights_only=True"
    return model, described


def rebuild_first(
    recipes: list[dict[str, Any]],
    state: dict[str, Any],
    recorded: dict[str, Any] | None,
    recorded_from: str | None,
) -> tuple[Any, dict[str, Any]]:
    """The first recipe whose module takes the weights (strict), else the first one's failure."""
    first: dict[str, Any] | None = None
    for recipe in recipes:
        model, described = rebuild(recipe, state, recorded, recorded_from)
        if model is not None:
            return model, described
        first = first or described
    assert first is not None
    if len(recipes) > 1:
        others = len(recipes) - 1
        calls = "constructor call" + ("s" if others > 1 else "")
        first["error"] += f"; {others} more {calls} in the project did not take the weights either"
    return None, first


def _weights_only_facts(state: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
    """Why a weights-only archive was not run: no recipe, or no --import-project."""
    facts = _state_dict_facts(state)
    recipes = request.get("recipes") or []
    recipe = recipes[0] if recipes else None
    if recipe is None:
        facts["error"] = (
            "the artifact holds weights only (a state_dict), and no save or load site in the "
            "project shows which class they belong to"
        )
    elif not request.get("import_project"):
        facts["error"] = (
            f"the artifact holds weights only (a state_dict); pass --import-project to rebuild "
            f"{recipe['module']}.{recipe['class']} (seen at {recipe['site']}) and run it"
        )
    return facts


class _Runnable:
    """A loaded TorchScript module, nn.Module or ExportedProgram, as the probes call it."""

    def __init__(self, obj: Any, user_input: Any) -> None:
        import torch

        self.obj = obj
        self.exported = isinstance(obj, torch.export.ExportedProgram)
        self.signature = _export_signature(obj) if self.exported else []
        self.user_input = user_input

    def batch(self) -> Any:
        return _input_for(self.obj, self.user_input, self.signature)

    def mode(self) -> dict[str, Any]:
        if self.exported:
            return export_mode_facts(self.obj, self.batch())
        return module_mode_facts(self.obj, self.batch())

    def dtype(self) -> dict[str, Any]:
        if self.exported:
            model_dtype = self.signature[0]["dtype"] if self.signature else None
            as_saved = _export_module(self.obj, None)
            return dtype_facts(
                lambda b: _call(as_saved, b),
                self.batch(),
                self.signature,
                model_dtype,
            )
        self.obj.eval()
        return dtype_facts(
            lambda b: _call(self.obj, b), self.batch(), self.signature, _model_dtype(self.obj)
        )

    def summary(self) -> dict[str, Any]:
        modules = {} if self.exported else _mode_modules(self.obj)
        state = self.obj.state_dict.values() if self.exported else self.obj.parameters()
        return {
            "class": _kind(self.obj),
            **modules,
            "parameters": int(sum(p.numel() for p in state)),
        }


def run(path: Path, fmt: str, request: dict[str, Any]) -> dict[str, Any]:
    """Every requested torch probe, from one load of the artifact."""
    import torch

    torch.manual_seed(0)
    probes = set(request["probes"]) & {MODE, DTYPE}
    facts, obj = load(path, fmt, request)
    results: dict[str, Any] = {}
    out: dict[str, Any] = {"probes": results, "load": facts}
    if obj is None:
        for name in probes:
            results[name] = {"error": facts["error"], "refused": facts.get("refused", False)}
        return out
    rebuilt_note: str | None = None
    state, recorded, recorded_key = weights_in(obj)
    if state is not None and request.get("recipes") and request.get("import_project"):
        rebuilt, described_rebuild = rebuild_first(
            request["recipes"], state, recorded, f"the checkpoint's {recorded_key!r}"
        )
        out["rebuild"] = described_rebuild
        if rebuilt is None:
            for name in probes:
                results[name] = {"error": described_rebuild["error"]}
            return out
        obj, rebuilt_note = rebuilt, described_rebuild["rebuilt"]
    elif state is not None:
        described = _weights_only_facts(state, request)
        for name in probes:
            results[name] = described
        if request.get("audit"):
            out["summary"] = {"class": "state_dict", **described}
        return out
    if not isinstance(obj, (torch.nn.Module, torch.export.ExportedProgram)):
        described = (
            _state_dict_facts(obj)
            if _kind(obj) == "state_dict"
            else {"error": f"the artifact holds a {_kind(obj)}, not a runnable model"}
        )
        for name in probes:
            results[name] = described
        if request.get("audit"):
            out["summary"] = {"class": _kind(obj), **described}
        return out
    user_input = _arrays.load_input(Path(request["input"])) if request.get("input") else None
    model = _Runnable(obj, user_input)
    out["input_signature"] = model.signature
    if request.get("audit"):
        out["summary"] = guarded(model.summary)
    if MODE in probes:
        results[MODE] = guarded(model.mode)
    if DTYPE in probes:
        results[DTYPE] = guarded(model.dtype)
    if rebuilt_note:
        for name in probes:
            results[name]["rebuilt"] = rebuilt_note
            if name == MODE and "error" not in results[name]:
                results[name]["saved_mode"] = None  # a state_dict records no mode
    return out
