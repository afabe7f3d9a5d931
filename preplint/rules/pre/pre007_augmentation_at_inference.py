"""PRE007 (augmentation-at-inference): Flags a random augmentation (`RandomFlip`, `RandomRotation`, `transforms.RandomResizedCrop`, `ImageDataGenerator(rotation_range=...)`, `tf.image.random_*`) that runs in an inference path."""

from __future__ import annotations

import re
from collections.abc import Iterator

from preplint.analysis.context import FileContext
from preplint.analysis.inference import in_inference_path
from preplint.analysis.lineage import data_arg, lineage
from preplint.analysis.preprocessing import _reads, inference_calls
from preplint.facts import frameworks as fw
from preplint.facts.model import Call, FileFacts, Function
from preplint.facts.project import ProjectIndex
from preplint.rules import Finding, rule

_IDG_AUGMENT = (
    "rotation_range",
    "width_shift_range",
    "height_shift_range",
    "shear_range",
    "zoom_range",
    "horizontal_flip",
    "vertical_flip",
    "brightness_range",
    "channel_shift_range",
)


def _augmentation(facts: FileFacts, call: Call) -> str:
    """'direct' for a call that augments by itself (tf.image.random_*), 'object' for a constructor of one, else ''."""
    qual = call.qualname
    leaf = qual.rsplit(".", 1)[-1]
    if qual.startswith(("tensorflow.image.random_", "tensorflow.image.stateless_random_")):
        return "direct"
    if qual.startswith("keras.layers.") and leaf in fw.KERAS_RANDOM_AUGMENT_LAYERS:
        return "object"
    if (
        qual.startswith("torchvision.transforms")
        and fw.TORCHVISION_RANDOM_TRANSFORMS.match(leaf)
        and leaf != "GaussianBlur"
    ):
        return "object"
    if qual.endswith("ImageDataGenerator"):
        for kw in _IDG_AUGMENT:
            v = call.kwarg_const(kw, None)
            if call.arg(keyword=kw) is not None and v not in (0, 0.0, False, None):
                return "object"
            if call.arg(keyword=kw) is not None and v is None:
                return "object"
    return ""


def _outermost(facts: FileFacts, call: Call) -> Call:
    c = call
    while c.parent >= 0:
        parent = facts.call_by_id[c.parent]
        if parent.receiver_call == c.id:
            break  # `RandomFlip()(x)` or `aug.flow(...)`: the object is used here
        c = parent
    return c


def _is_model_composite(facts: FileFacts, composite: Call) -> bool:
    """A Sequential that holds other than preprocessing layers: augmentation layers inside a model are inactive at inference."""
    if not fw.is_keras_model_constructor(composite.qualname):
        return False
    for a in composite.args:
        for cid in a.value.calls:
            inner = facts.call_by_id[cid]
            leaf = inner.qualname.rsplit(".", 1)[-1]
            if (
                inner.qualname.startswith("keras.layers.")
                and leaf not in fw.KERAS_RANDOM_AUGMENT_LAYERS
                and leaf not in fw.KERAS_PREPROCESSING_LAYERS
            ):
                return True
            if not inner.qualname and inner.callee:
                return True
    return False


@rule(
    "PRE007",
    "augmentation-at-inference",
    severity="warning",
    positives=[
        """
import torch
from PIL import Image
from torchvision import transforms

tf = transforms.Compose([
    transforms.RandomResizedCrop(224),  # expect: PRE007
    transforms.ToTensor(),
])

@torch.no_grad()
def predict(model, path):
    model.eval()
    return model(tf(Image.open(path)).unsqueeze(0))
""",
        """
import tensorflow as tf

def predict(model, image):
    image = tf.image.random_flip_left_right(image)  # expect: PRE007
    return model.predict(image[None])
""",
        """
from tensorflow import keras

model = keras.models.load_model("cnn.keras")
gen = keras.preprocessing.image.ImageDataGenerator(rescale=1 / 255, rotation_range=20)  # expect: PRE007
print(model.predict(gen.flow(x_new, shuffle=False)))
""",
        # pre007_keras_augment_in_predict
        """
from tensorflow import keras

augment = keras.Sequential([
    keras.layers.RandomFlip("horizontal"),  # expect: PRE007
    keras.layers.RandomRotation(0.1),  # one finding per pipeline
])

def predict(model, images):
    return model.predict(augment(images, training=True))
""",
        # pre007_train_mode_by_default: the inference site leaves mode at its "train" default
        """
import tensorflow as tf


def prepare(example, mode="train"):
    image = example["image"]
    if mode == "train":
        image = tf.image.random_flip_left_right(image)  # expect: PRE007
    return image / 255.0


model = tf.keras.models.load_model("faces.keras")
ds_eval = raw_eval.map(lambda x: prepare(x)).batch(32)
print(model.predict(ds_eval))
""",
    ],
    negatives=[
        # pre007_neg_train_branch_of_mode_switch: inference passes mode="eval"
        """
import tensorflow as tf


def prepare(example, size=(64, 64), mode="train"):
    image = example["image"]
    if mode == "train":
        image = tf.image.random_crop(image, size=(178, 178, 3))
        image = tf.image.random_flip_left_right(image)
    else:
        image = tf.image.crop_to_bounding_box(image, 20, 0, 178, 178)
    return tf.image.resize(image, size) / 255.0, example["label"]


model = tf.keras.models.load_model("faces.keras")
ds_eval = raw_eval.map(lambda x: prepare(x, mode="eval")).batch(32)
print(model.evaluate(ds_eval))
""",
        """
import torch
from torchvision import transforms

train_tf = transforms.Compose([transforms.RandomHorizontalFlip(), transforms.ToTensor()])
test_tf = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor()])

@torch.no_grad()
def predict(model, img):
    model.eval()
    return model(test_tf(img).unsqueeze(0))
""",
        """
from tensorflow import keras

model = keras.Sequential([keras.layers.RandomFlip("horizontal"), keras.layers.Conv2D(8, 3), keras.layers.Flatten(), keras.layers.Dense(2)])
model.load_weights("w.weights.h5")
print(model.predict(x_new))
""",
        # pre007_neg_augment_only_in_training
        """
from tensorflow import keras

augment = keras.Sequential([keras.layers.RandomFlip("horizontal")])
train_ds = train_ds.map(lambda x, y: (augment(x, training=True), y))
model.fit(train_ds, epochs=5)
model.save("m.keras")
print(model.evaluate(test_ds))
""",
    ],
)
def augmentation_at_inference(ctx: FileContext) -> Iterator[Finding]:
    """What it does:
    Flags a random augmentation (`RandomFlip`, `RandomRotation`, `transforms.RandomResizedCrop`,
    `ImageDataGenerator(rotation_range=...)`, `tf.image.random_*`) that runs in an inference path.

    Why is this bad?:
    Augmentation makes predictions random: the same image gets different answers on every call, and
    the evaluation score is computed on distorted inputs.

    Example:
    ```python
    tf = transforms.Compose([transforms.RandomResizedCrop(224), transforms.ToTensor()])
    with torch.no_grad():
        model(tf(image).unsqueeze(0))
    ```

    Use instead:
    ```python
    tf = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor()])
    ```

    References:
    - https://pytorch.org/vision/stable/transforms.html
    """
    facts, index = ctx.facts, ctx.index
    used: set[int] | None = None
    imported = {local for local in facts.imports if _imported_augmentation(facts, index, local)}
    if imported:
        used = _inference_call_ids(facts, index)
        for cid in sorted(used):
            c = facts.call_by_id[cid]
            hit = (
                c.callee
                if c.callee in imported
                else next((n for a in c.args for n in a.value.names if n in imported), "")
            )
            if hit:
                aug = _imported_augmentation(facts, index, hit)
                yield Finding(
                    c.span,
                    f"`{hit}` holds a random augmentation (`{aug}`) and is applied at inference: predictions become random; use a deterministic transform for inference",
                )
    reported: set[int] = set()
    for call in facts.calls:
        kind = _augmentation(facts, call)
        if not kind:
            continue
        if kind == "direct":
            fn = facts.function_by_qualname.get(call.scope)
            if call.in_condition and fn is not None and _MODE_PARAMS & set(fn.params):
                # `if mode == "train": random_crop(...)`: only call sites that run the train mode
                runs = _scope_used_at_inference(facts, index, call.scope, True)
            else:
                runs = in_inference_path(facts, call, index) or _scope_used_at_inference(
                    facts, index, call.scope
                )
            if runs:
                yield Finding(
                    call.span,
                    f"`{call.callee}` is a random augmentation and runs at inference: predictions become random",
                )
            continue
        composite = _outermost(facts, call)
        if _is_model_composite(facts, composite) or composite.id in reported:
            continue
        if used is None:
            used = _inference_call_ids(facts, index)
        names = [
            t
            for a in facts.assigns
            if a.value.call == composite.id
            or (a.value.kind in ("list", "tuple") and composite.id in a.value.calls)
            for t in a.targets
        ]
        applied = False
        if (
            composite.parent >= 0
            and facts.call_by_id[composite.parent].receiver_call == composite.id
        ):
            applied = composite.parent in used or in_inference_path(
                facts, facts.call_by_id[composite.parent], index
            )
        for name in names:
            if applied:
                break
            for cid in used:
                c = facts.call_by_id[cid]
                if (
                    c.callee == name
                    or c.receiver == name
                    or any(_reads(a.value, name) for a in c.args)
                ):
                    applied = True
                    break
        if applied:
            leaf = call.qualname.rsplit(".", 1)[-1]
            reported.add(composite.id)  # one finding per Compose/Sequential
            yield Finding(
                call.span,
                f"`{leaf}` is a random augmentation and is applied at inference: predictions become random; use a deterministic transform for inference",
            )


def _imported_augmentation(facts: FileFacts, index: ProjectIndex, local: str) -> str:
    """The random augmentation behind a name imported from another project module, '' if none."""
    qual = facts.imports.get(local)
    if not qual or "." not in qual:
        return ""
    mod, _, name = qual.rpartition(".")
    owner = index.module(mod, facts.path)
    if owner is None or owner is facts:
        return ""
    for a in owner.assigns:
        if name not in a.targets or a.op != "=":
            continue
        for cid in a.value.calls:
            inner = owner.call_by_id[cid]
            if _augmentation(owner, inner) == "object" and not _is_model_composite(
                owner, _outermost(owner, inner)
            ):
                return inner.qualname.rsplit(".", 1)[-1]
    return ""


def _inference_call_ids(facts: FileFacts, index: ProjectIndex) -> set[int]:
    out: set[int] = set()
    for call in facts.calls:
        if in_inference_path(facts, call, index):
            out.add(call.id)
    for call in inference_calls(facts, index):
        out.add(call.id)
        data = data_arg(call)
        if data is not None:
            out |= lineage(facts, data, call.scope, call.stmt, index).calls
    return out


_MODE_PARAMS = frozenset(
    {"mode", "training", "train", "is_train", "is_training", "split", "phase", "augment", "stage"}
)
_TRAIN_VALUES = frozenset({"train", "training", "True", "1", "fit"})


def _train_value(text: str) -> bool:
    return text.strip("'\" ") in _TRAIN_VALUES


def _site_trains(fn: Function, param: str, c: Call, facts: FileFacts) -> bool:
    """Whether a call site of `fn` runs it with its train mode (passed, or by default)."""
    if c.callee == fn.name:
        pos = fn.params.index(param)
        if fn.params and fn.params[0] in ("self", "cls"):
            pos -= 1
        given = c.arg(keyword=param) or (c.arg(pos) if pos >= 0 else None)
        if given is not None:
            return _train_value(given.value.text)
    else:
        for a in c.args:
            m = re.search(rf"\b{re.escape(fn.name)}\((.*)", a.value.text)
            if m is None:
                continue
            kw = re.search(rf"\b{re.escape(param)}\s*=\s*([\w'\"]+)", m.group(1))
            if kw is not None:
                return _train_value(kw.group(1))
    default = fn.defaults[fn.params.index(param)] if len(fn.defaults) == len(fn.params) else None
    return default is None or _train_value(default.text)


def _scope_used_at_inference(
    facts: FileFacts, index: ProjectIndex, scope: str, conditional: bool = False
) -> bool:
    """Whether the function `scope` is called at inference.

    For an augmentation under a condition in a function with a mode parameter (`mode="train"`,
    `training=True`), only sites that run the train mode count.
    """
    fn = facts.function_by_qualname.get(scope)
    if fn is None:
        return False
    mode = next((p for p in fn.params if p in _MODE_PARAMS), "") if conditional else ""
    ids = _inference_call_ids(facts, index)
    for cid in ids:
        c = facts.call_by_id[cid]
        if c.callee == fn.name or any(
            fn.name in a.value.names or re.search(rf"\b{re.escape(fn.name)}\(", a.value.text)
            for a in c.args
        ):
            if mode and not _site_trains(fn, mode, c, facts):
                continue
            return True
    return False
