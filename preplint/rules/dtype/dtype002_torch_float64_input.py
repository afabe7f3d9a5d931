"""DTYPE002 (torch-float64-input): Flags a float64 NumPy array turned into a tensor (`torch.from_numpy(x)`, `torch.tensor(x)`, `torch.as_tensor(x)`) without `.float()` or `dtype=torch.float32` and then fed to a module."""

from __future__ import annotations

from collections.abc import Iterator

from preplint.analysis.arrays import array_info
from preplint.analysis.context import FileContext
from preplint.analysis.model_inputs import is_float64_tensor
from preplint.analysis.models import ModelOrigin, model_origin
from preplint.analysis.objects import bindings
from preplint.diagnostics import Edit, Fix, Related
from preplint.facts import frameworks as fw
from preplint.facts.model import Call, FileFacts, Value
from preplint.facts.project import ProjectIndex
from preplint.rules import Finding, rule


def _forward_calls(
    facts: FileFacts, index: ProjectIndex
) -> Iterator[tuple[Call, Value, ModelOrigin]]:
    """`model(x)`, `self.net(x)`, `model.forward(x)` on a torch module, with the input."""
    for call in facts.calls:
        if not call.args or call.qualname:
            continue
        if call.method == "forward" and call.receiver:
            target = call.receiver
        elif call.callee and (not call.method or call.receiver == "self"):
            target = call.callee
        else:
            continue
        origin = model_origin(facts, target, call.scope, call.stmt, index)
        if origin is None or origin.kind not in fw.TORCH_MODEL_KINDS:
            continue
        if origin.kind == "torch-module":
            built = facts.call_by_id.get(
                next(
                    (
                        b.call
                        for b in bindings(facts, index)
                        if b.name == origin.name and b.stmt == origin.stmt
                    ),
                    -1,
                )
            )
            if built is not None and built.qualname.rsplit(".", 1)[-1].endswith("Loss"):
                continue
        data = call.arg(0, "input") or call.arg(0, "x")
        if data is not None:
            yield call, data.value, origin


def _made_double(facts: FileFacts, name: str) -> bool:
    """Whether the module was cast to float64 (`model.double()`, `Net().double()`, `.to(torch.float64)`)."""
    for assign in facts.assigns:
        if name in assign.targets and assign.value.kind == "call":
            for cid in assign.value.calls:
                inner = facts.call_by_id.get(cid)
                if inner is not None and (
                    inner.method == "double"
                    or (
                        inner.method == "to"
                        and any(
                            "float64" in a.value.text or "double" in a.value.text
                            for a in inner.args
                        )
                    )
                ):
                    return True
    for call in facts.calls:
        if call.receiver == name and call.method == "double":
            return True
        if (
            call.receiver == name
            and call.method == "to"
            and any("float64" in a.value.text or "double" in a.value.text for a in call.args)
        ):
            return True
    return False


@rule(
    "DTYPE002",
    "torch-float64-input",
    severity="error",
    probe="dtype-sensitivity",
    fixable=True,
    positives=[
        """
import numpy as np
import torch
import torch.nn as nn

model = nn.Linear(3, 1)
x = np.random.rand(16, 3)
out = model(torch.from_numpy(x))  # expect: DTYPE002
""",
        """
import numpy as np
import torch

class Predictor:
    def __init__(self, path):
        self.model = torch.jit.load(path)
        self.model.eval()

    def predict(self, rows):
        batch = np.array(rows, dtype=np.float64)
        tensor = torch.tensor(batch)  # expect: DTYPE002
        with torch.no_grad():
            return self.model(tensor)
""",
        # predict_helper_parameter
        """
import numpy as np
import torch

class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(2, 1)

    def forward(self, x):
        return self.fc(x)

def run(model, batch):
    model.eval()
    with torch.no_grad():
        return model(torch.from_numpy(batch))  # expect: DTYPE002

net = Net()
net.load_state_dict(torch.load("net.pt", weights_only=True))
run(net, np.loadtxt("rows.csv", delimiter=","))
""",
        # dataloader_of_float64_tensors
        """
import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

X = np.random.randn(64, 5)
y = np.random.randn(64)
ds = TensorDataset(torch.from_numpy(X), torch.from_numpy(y).float())  # expect: DTYPE002
loader = DataLoader(ds, batch_size=8)
model = torch.nn.Linear(5, 1)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for xb, yb in loader:
    opt.zero_grad()
    loss = torch.nn.functional.mse_loss(model(xb).squeeze(-1), yb)
    loss.backward()
    opt.step()
""",
    ],
    negatives=[
        """
import numpy as np
import torch

model = torch.nn.Linear(3, 1)
x = np.random.rand(16, 3)
a = model(torch.from_numpy(x).float())
b = model(torch.tensor(x, dtype=torch.float32))
c = model(torch.as_tensor(x.astype(np.float32)))
""",
        """
import pandas as pd
import torch

model = torch.nn.Linear(3, 1)
df = pd.read_csv("x.csv")
out = model(torch.tensor(df.values))
loss = torch.nn.MSELoss()(out, torch.from_numpy(df["y"].to_numpy()))
""",
    ],
)
def torch_float64_input(ctx: FileContext) -> Iterator[Finding]:
    """What it does:
    Flags a float64 NumPy array turned into a tensor (`torch.from_numpy(x)`, `torch.tensor(x)`,
    `torch.as_tensor(x)`) without `.float()` or `dtype=torch.float32` and then fed to a module.
    NumPy creates float64 by default (`np.random.rand`, `np.loadtxt`, float literals), and the
    conversion keeps it.

    Why is this bad?:
    A float32 module fails with `RuntimeError: expected scalar type Float but found Double`,
    or, if the module was cast to double somewhere, computes silently in float64 with results
    that differ from the trained float32 model.

    Example:
    ```python
    out = model(torch.from_numpy(np.random.rand(16, 3)))
    ```

    Use instead:
    ```python
    out = model(torch.from_numpy(np.random.rand(16, 3)).float())
    ```

    References:
    - https://pytorch.org/docs/stable/generated/torch.from_numpy.html
    """
    facts, index = ctx.facts, ctx.index
    reported: set[int] = set()
    for call, data, origin in _forward_calls(facts, index):
        info = array_info(facts, data, call.scope, call.stmt, index)
        if (
            not is_float64_tensor(info)
            or info.tensor_from in reported
            or _made_double(facts, origin.name)
        ):
            continue
        maker = facts.call_by_id.get(info.tensor_from)
        if maker is None:
            continue
        reported.add(info.tensor_from)
        end = maker.span
        fix = Fix(
            "Append `.float()`",
            (Edit(end.end_line, end.end_column, end.end_line, end.end_column, ".float()"),),
        )
        related: tuple[Related, ...] = ()
        if maker.id != call.id and call.span.line != maker.span.line:
            related = (
                Related(
                    facts.path,
                    call.span.line,
                    call.span.column,
                    "the float64 tensor is fed to the module here",
                ),
            )
        yield Finding(
            maker.span,
            f"`{maker.callee}` keeps NumPy's float64; the module expects float32 (append `.float()` or pass `dtype=torch.float32`)",
            related,
            fix=fix,
            artifact=origin.artifact or None,
        )
