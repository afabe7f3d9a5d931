"""NumPy helpers for the worker: synthetic batches and output comparisons (worker-only module)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

BATCH = 8
_FREE_DIM = 16  # a size for non-batch dimensions the model leaves open
_SEED = 0
_WORDS = ("the", "model", "sees", "a", "new", "sample", "of", "text")


def load_input(path: Path) -> Any:
    """A user's sample batch; never unpickled (object arrays are refused)."""
    import numpy as np

    return np.load(path, allow_pickle=False)


def synthetic_batch(shape: tuple[int | None, ...], dtype: str, seed: int = _SEED) -> Any:
    """A deterministic batch for an input of `shape` (None dims filled) and `dtype`."""
    import numpy as np

    rng = np.random.default_rng(seed)
    dims = [
        BATCH if i == 0 and d is None else (d if d is not None else _FREE_DIM)
        for i, d in enumerate(shape)
    ]
    if not dims:
        dims = [BATCH]
    if dtype in ("string", "str", "object"):
        words = rng.choice(_WORDS, size=dims)
        return words.astype(object).astype(str)
    if dtype == "bool":
        return rng.random(dims) > 0.5
    if "int" in dtype:
        return rng.integers(0, 10, size=dims).astype(dtype)
    return rng.standard_normal(dims).astype(dtype if "float" in dtype else "float32")


def as_numpy(value: Any) -> Any:
    """An output (tensor, list or dict of tensors) as one flat float64 array per sample row."""
    import numpy as np

    if isinstance(value, dict):
        parts = [as_numpy(value[k]) for k in sorted(value)]
        return np.concatenate(parts, axis=-1) if parts else np.zeros((0,))
    if isinstance(value, (list, tuple)):
        parts = [as_numpy(v) for v in value]
        return np.concatenate(parts, axis=-1) if parts else np.zeros((0,))
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    array = np.asarray(value, dtype=np.float64)
    return array.reshape(array.shape[0], -1) if array.ndim > 1 else array.reshape(-1, 1)


def max_abs_diff(first: Any, second: Any) -> float:
    import numpy as np

    if first.shape != second.shape:
        return math.inf
    return finite(float(np.max(np.abs(first - second)))) if first.size else 0.0


def argmax_changed(first: Any, second: Any) -> float | None:
    """The fraction of rows whose predicted class differs; None for single-output models."""
    import numpy as np

    if first.shape != second.shape or first.ndim != 2 or first.shape[1] < 2:
        return None
    return float(np.mean(np.argmax(first, axis=1) != np.argmax(second, axis=1)))


def finite(number: float) -> float:
    """JSON has no NaN or infinity: report them as a large sentinel instead."""
    return number if math.isfinite(number) else 1e308


def describe_array(array: Any) -> dict[str, Any]:
    return {"shape": [int(d) for d in array.shape], "dtype": str(array.dtype)}
