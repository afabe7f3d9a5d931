"""MODE rules on varied realistic cases: aliased imports, helpers, classes, several files."""

from __future__ import annotations

import pytest

from tests.helpers import as_project, expected_lines, lint

NET = """
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self, n_in=8, n_out=2):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(n_in, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.2))
        self.head = nn.Linear(32, n_out)

    def forward(self, x):
        return self.head(self.body(x))
"""

POSITIVES: list[tuple[str, object]] = [
    # --- MODE001 -------------------------------------------------------------------------------
    (
        "MODE001",
        {
            "config.py": 'MODEL_PATH = "artifacts/net.pt"\n',
            "model.py": NET,
            "utils.py": """
import torch
from model import Net

def load_model(path):
    net = Net()
    net.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return net
""",
            "predict.py": """
import argparse
import torch
from config import MODEL_PATH
from utils import load_model

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=4)
    args = parser.parse_args()
    model = load_model(MODEL_PATH)
    with torch.no_grad():
        out = model(torch.randn(args.n, 8))  # expect: MODE001
    print(out.argmax(1))

if __name__ == "__main__":
    main()
""",
        },
    ),
    (
        "MODE001",
        NET
        + """
class Predictor:
    def __init__(self, path, device="cpu"):
        self.device = device
        self.model = Net().to(device)
        self.model.load_state_dict(torch.load(path, map_location=device, weights_only=True))

    def predict(self, x):
        with torch.no_grad():
            return self.model(x.to(self.device)).softmax(-1)  # expect: MODE001
""",
    ),
    (
        "MODE001",
        """
import torch

model = torch.load("models/full_model.pt", weights_only=False)

def predict(batch):
    with torch.no_grad():
        return model(batch).argmax(dim=1)  # expect: MODE001
""",
    ),
    (
        "MODE001",
        NET
        + """
def evaluate(model, loader):
    correct = 0
    with torch.no_grad():
        for x, y in loader:
            correct += (model(x).argmax(1) == y).sum().item()  # expect: MODE001
    return correct

def main(train_loader, test_loader):
    model = Net()
    opt = torch.optim.Adam(model.parameters())
    for epoch in range(3):
        for x, y in train_loader:
            opt.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
    print(evaluate(model, test_loader))
""",
    ),
    (
        "MODE001",
        NET
        + """
def train(model, loader, val_x, val_y, epochs=10):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(epochs):
        model.train()
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(xb), yb)
            loss.backward()
            optimizer.step()
        with torch.no_grad():
            val_loss = nn.functional.cross_entropy(model(val_x), val_y)  # expect: MODE001
        print(epoch, val_loss.item())
""",
    ),
    (
        "MODE001",
        """
import torch
from torch import no_grad
from torchvision import models

if __name__ == "__main__":
    net = models.resnet50(num_classes=5)
    net.load_state_dict(torch.load("ckpt/resnet50.pth", weights_only=True))
    with no_grad():
        print(net(torch.rand(1, 3, 224, 224)).argmax())  # expect: MODE001
""",
    ),
    (
        "MODE001",
        NET
        + """
@torch.inference_mode()
def score_batch(x):
    model = Net()
    model.load_state_dict(torch.load("net.pt", weights_only=True))
    model.eval()
    model.train()
    return model(x)  # expect: MODE001
""",
    ),
    (
        "MODE001",
        NET
        + """
def run_inference(weights, x):
    model = Net()
    state = torch.load(weights, weights_only=True)
    model.load_state_dict(state["model"])
    return model(x)  # expect: MODE001, MODE005
""",
    ),
    # --- MODE002 -------------------------------------------------------------------------------
    (
        "MODE002",
        NET
        + """
class Trainer:
    def __init__(self, model, loader, val_loader):
        self.model = model
        self.loader = loader
        self.val_loader = val_loader
        self.optimizer = torch.optim.AdamW(model.parameters(), lr=3e-4)

    def fit(self, epochs):
        self.model.train()
        for epoch in range(epochs):
            for x, y in self.loader:
                self.optimizer.zero_grad()
                nn.functional.cross_entropy(self.model(x), y).backward()
                self.optimizer.step()
            self.model.eval()  # expect: MODE002
            with torch.no_grad():
                acc = sum((self.model(x).argmax(1) == y).float().mean() for x, y in self.val_loader)
            print(epoch, acc)
""",
    ),
    (
        "MODE002",
        NET
        + """
model = Net()
opt = torch.optim.Adam(model.parameters())
model.train()
for step, (xb, yb) in enumerate(loader):
    opt.zero_grad()
    nn.functional.cross_entropy(model(xb), yb).backward()
    opt.step()
    if step % 100 == 0:
        model.eval()  # expect: MODE002
        with torch.no_grad():
            print(model(x_val).argmax(1))
""",
    ),
    # --- MODE003 -------------------------------------------------------------------------------
    (
        "MODE003",
        {
            "config.py": 'MODEL_FILE = "models/cnn.keras"\n',
            "serve.py": """
import numpy as np
from tensorflow import keras
from config import MODEL_FILE

model = keras.models.load_model(MODEL_FILE)

def handle(request):
    x = np.asarray(request["pixels"], dtype="float32")[None]
    return model(x, training=True).numpy().tolist()  # expect: MODE003
""",
        },
    ),
    (
        "MODE003",
        """
import torch.nn as nn
from torch.nn import functional as F

class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(64, 32)
        self.fc2 = nn.Linear(32, 4)

    def forward(self, x):
        h = F.dropout(F.relu(self.fc1(x)), 0.3)  # expect: MODE003
        return self.fc2(h)
""",
    ),
    # --- MODE004 -------------------------------------------------------------------------------
    (
        "MODE004",
        NET
        + """
from torch.utils.data import DataLoader

def train_epoch(model, loader, opt):
    model.train()
    for x, y in loader:
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()

def main(train_set):
    model = Net()
    opt = torch.optim.Adam(model.parameters())
    train_loader = DataLoader(train_set, shuffle=True)  # expect: MODE004
    for epoch in range(5):
        train_epoch(model, train_loader, opt)
""",
    ),
    (
        "MODE004",
        """
import tensorflow as tf
BATCH_SIZE = 1
model = tf.keras.Sequential([
    tf.keras.layers.Conv2D(16, 3, activation="relu"),
    tf.keras.layers.BatchNormalization(),
    tf.keras.layers.Flatten(),
    tf.keras.layers.Dense(10),
])
model.compile("adam", "sparse_categorical_crossentropy")
model.fit(x_train, y_train, batch_size=BATCH_SIZE, epochs=3)  # expect: MODE004
""",
    ),
    # --- MODE005 -------------------------------------------------------------------------------
    (
        "MODE005",
        NET
        + """
def predict(model, x):
    model.eval()
    return model(x).softmax(-1)  # expect: MODE005
""",
    ),
    # --- MODE006 -------------------------------------------------------------------------------
    (
        "MODE006",
        """
import tensorflow as tf

def build():
    model = tf.keras.Sequential([tf.keras.layers.Dense(4)])
    model._run_eagerly = True  # expect: MODE006
    return model
""",
    ),
    (
        "MODE006",
        """
import torch
import torch.nn as nn

model = nn.Sequential(nn.Linear(4, 4), nn.ReLU())
for m in model.modules():
    m._forward_hooks = {}  # expect: MODE006
""",
    ),
]

NEGATIVES: list[tuple[str, object]] = [
    # --- MODE001 -------------------------------------------------------------------------------
    (
        "MODE001",
        {
            "model.py": NET,
            "utils.py": """
import torch
from model import Net

def load_model(path):
    model = Net()
    model.load_state_dict(torch.load(path, weights_only=True))
    model.eval()
    return model
""",
            "predict.py": """
import torch
from utils import load_model

model = load_model("artifacts/net.pt")
with torch.no_grad():
    print(model(torch.randn(2, 8)))
""",
        },
    ),
    (
        "MODE001",
        NET
        + """
device = "cuda" if torch.cuda.is_available() else "cpu"
model = Net().to(device).eval()
model.load_state_dict(torch.load("net.pt", weights_only=True))
with torch.no_grad():
    y = model(torch.randn(3, 8, device=device))
""",
    ),
    (
        "MODE001",
        NET
        + """
class Predictor:
    def __init__(self, path):
        self.model = Net()
        self.model.load_state_dict(torch.load(path, weights_only=True))
        self.model.eval()

    @torch.no_grad()
    def predict(self, x):
        return self.model(x)
""",
    ),
    (
        "MODE001",
        NET
        + """
@torch.no_grad()
def predict(model, x):
    return model(x).argmax(1)

def main():
    model = Net()
    model.load_state_dict(torch.load("net.pt", weights_only=True))
    model.eval()
    print(predict(model, torch.randn(4, 8)))
""",
    ),
    (
        "MODE001",
        """
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

tok = AutoTokenizer.from_pretrained("distilbert-base-uncased")
model = AutoModelForSequenceClassification.from_pretrained("out/checkpoint")

def predict(texts):
    with torch.no_grad():
        return model(**tok(texts, return_tensors="pt", padding=True)).logits.argmax(-1)
""",
    ),
    (
        "MODE001",
        """
import torch
import torch.nn as nn

G = nn.Sequential(nn.Linear(16, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Linear(64, 2))
D = nn.Sequential(nn.Linear(2, 64), nn.LeakyReLU(0.2), nn.Dropout(0.3), nn.Linear(64, 1))
opt_g = torch.optim.Adam(G.parameters())
opt_d = torch.optim.Adam(D.parameters())
for real in loader:
    z = torch.randn(real.size(0), 16)
    with torch.no_grad():
        fake = G(z)
    d_loss = -(D(real).mean() - D(fake).mean())
    opt_d.zero_grad()
    d_loss.backward()
    opt_d.step()
    g_loss = -D(G(z)).mean()
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
""",
    ),
    (
        "MODE001",
        NET
        + """
def evaluate(model, loader, criterion):
    model.eval()
    total = 0.0
    with torch.no_grad():
        for x, y in loader:
            total += criterion(model(x), y).item()
    return total

criterion = nn.CrossEntropyLoss()
""",
    ),
    (
        "MODE001",
        NET
        + """
model = Net()
model.load_state_dict(torch.load("net.pt", weights_only=True))

def predict(x):
    with torch.no_grad():
        return model(x)

if __name__ == "__main__":
    model.eval()
    print(predict(torch.randn(1, 8)))
""",
    ),
    (
        "MODE001",
        NET
        + """
# fine-tuning from a checkpoint: the model runs for training, not inference
model = Net()
model.load_state_dict(torch.load("pretrained.pt", weights_only=True))
opt = torch.optim.SGD(model.parameters(), lr=0.01)
for x, y in loader:
    opt.zero_grad()
    nn.functional.cross_entropy(model(x), y).backward()
    opt.step()
""",
    ),
    (
        "MODE001",
        NET
        + """
def freeze(module):
    module.eval()
    for p in module.parameters():
        p.requires_grad_(False)

backbone = Net()
backbone.load_state_dict(torch.load("backbone.pt", weights_only=True))
freeze(backbone)
with torch.no_grad():
    feats = backbone(torch.randn(2, 8))
""",
    ),
    (
        "MODE001",
        NET
        + """
model = Net()
model.load_state_dict(torch.load("net.pt", weights_only=True))
model.eval()
model = torch.nn.DataParallel(model)
with torch.no_grad():
    out = model(torch.randn(8, 8))
""",
    ),
    (
        "MODE001",
        {
            "model.py": NET,
            "test_model.py": """
import torch
from model import Net

def test_output_shape():
    net = Net()
    with torch.no_grad():
        assert net(torch.randn(2, 8)).shape == (2, 2)
""",
        },
    ),
    (
        "MODE001",
        NET
        + """
def predict(net, x):
    return net(x)

def train(loader):
    net = Net()
    opt = torch.optim.Adam(net.parameters())
    for x, y in loader:
        loss = nn.functional.cross_entropy(predict(net, x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
""",
    ),
    (
        "MODE001",
        NET
        + """
def load(path):
    net = Net()
    net.load_state_dict(torch.load(path, weights_only=True))
    return net.eval()

@torch.no_grad()
def predict(net, x):
    return net(x)

print(predict(load("net.pt"), torch.randn(1, 8)))
""",
    ),
    (
        "MODE001",
        """
import tensorflow as tf
import torch

model = tf.keras.models.load_model("clf.keras")

def predict(x):
    return model(x, training=False)
""",
    ),
    # --- MODE002 -------------------------------------------------------------------------------
    (
        "MODE002",
        NET
        + """
student = Net()
teacher = Net()
teacher.load_state_dict(torch.load("teacher.pt", weights_only=True))
opt = torch.optim.Adam(student.parameters())
for epoch in range(3):
    teacher.eval()
    for x, y in loader:
        with torch.no_grad():
            soft = teacher(x).softmax(-1)
        loss = nn.functional.kl_div(student(x).log_softmax(-1), soft, reduction="batchmean")
        opt.zero_grad()
        loss.backward()
        opt.step()
""",
    ),
    (
        "MODE002",
        NET
        + """
model = Net()
opt = torch.optim.Adam(model.parameters())
sched = torch.optim.lr_scheduler.StepLR(opt, 10)
for epoch in range(20):
    for phase in ("train", "val"):
        model.train(phase == "train")
        for x, y in loaders[phase]:
            with torch.set_grad_enabled(phase == "train"):
                loss = nn.functional.cross_entropy(model(x), y)
                if phase == "train":
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
    sched.step()
""",
    ),
    (
        "MODE002",
        NET
        + """
model = Net()
opt = torch.optim.Adam(model.parameters())
for epoch in range(20):
    for x, y in loader:
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        print(model(x_val).argmax(1))
    model.train()
""",
    ),
    (
        "MODE002",
        NET
        + """
model = Net()
opt = torch.optim.Adam(model.parameters())
for epoch in range(20):
    for x, y in loader:
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
model.eval()
torch.save(model.state_dict(), "net.pt")
""",
    ),
    # --- MODE003 -------------------------------------------------------------------------------
    (
        "MODE003",
        """
import numpy as np
import tensorflow as tf

model = tf.keras.models.load_model("models/reg.keras")

def mc_dropout_predict(x, samples=50):
    preds = np.stack([model(x, training=True).numpy() for _ in range(samples)])
    return preds.mean(0), preds.std(0)
""",
    ),
    (
        "MODE003",
        """
import tensorflow as tf

class Block(tf.keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.drop = tf.keras.layers.Dropout(0.2)

    def call(self, x, training=None):
        return self.drop(x, training=training)

def predict(model, x):
    return model(x, training=False)
""",
    ),
    (
        "MODE003",
        """
import torch
import torch.nn.functional as F

def augment_features(x):
    # plain function, not a module's forward: deliberate noise for augmentation
    return F.dropout(x, 0.1)
""",
    ),
    # --- MODE004 -------------------------------------------------------------------------------
    (
        "MODE004",
        NET
        + """
from torch.utils.data import DataLoader

model = Net()
opt = torch.optim.Adam(model.parameters())
train_loader = DataLoader(train_set, batch_size=64, shuffle=True, drop_last=True)
test_loader = DataLoader(test_set, batch_size=1)
for x, y in train_loader:
    opt.zero_grad()
    nn.functional.cross_entropy(model(x), y).backward()
    opt.step()
model.eval()
with torch.no_grad():
    preds = [model(x) for x, _ in test_loader]
""",
    ),
    (
        "MODE004",
        """
import torch
import torch.nn as nn
from torch.utils.data import DataLoader

model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 1))
opt = torch.optim.Adam(model.parameters())
loader = DataLoader(train_set, batch_size=1, shuffle=True)
for x, y in loader:
    opt.zero_grad()
    nn.functional.mse_loss(model(x), y).backward()
    opt.step()
""",
    ),
    # --- MODE005 -------------------------------------------------------------------------------
    (
        "MODE005",
        NET
        + """
def predict(model, x):
    model.eval()
    return model(x)

def main():
    model = Net()
    with torch.no_grad():
        print(predict(model, torch.randn(2, 8)))
""",
    ),
    (
        "MODE005",
        NET
        + """
torch.set_grad_enabled(False)
model = Net()
model.load_state_dict(torch.load("net.pt", weights_only=True))
model.eval()
print(model(torch.randn(2, 8)))
""",
    ),
    # --- MODE006 -------------------------------------------------------------------------------
    (
        "MODE006",
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
    ),
]


def _ids(cases: list[tuple[str, object]]) -> list[str]:
    return [f"{code}-{i}" for i, (code, _) in enumerate(cases)]


@pytest.mark.parametrize(("code", "example"), POSITIVES, ids=_ids(POSITIVES))
def test_positive(code: str, example: str | dict[str, str]) -> None:
    sources = as_project(example)
    wanted = expected_lines(sources, code)
    assert wanted
    found = {(d.path, d.line) for d in lint(example) if d.code == code}
    assert found == wanted
    for other in ("MODE001", "MODE002", "MODE003", "MODE004", "MODE005", "MODE006"):
        if other != code:
            marked = expected_lines(sources, other)
            got = {(d.path, d.line) for d in lint(example) if d.code == other}
            assert got == marked, other


@pytest.mark.parametrize(("code", "example"), NEGATIVES, ids=_ids(NEGATIVES))
def test_negative(code: str, example: str | dict[str, str]) -> None:
    assert [d for d in lint(example) if d.code == code] == []


def test_mode001_fix_inserts_eval_after_the_load() -> None:
    example = (
        NET
        + """
model = Net()
model.load_state_dict(torch.load("net.pt", weights_only=True))
with torch.no_grad():
    out = model(torch.randn(2, 8))
"""
    )
    (finding,) = [d for d in lint(example) if d.code == "MODE001"]
    assert finding.fix is not None
    (edit,) = finding.fix.edits
    lines = as_project(example)["example.py"].splitlines()
    load_line = next(i for i, text in enumerate(lines, 1) if "load_state_dict" in text)
    assert (edit.line, edit.column, edit.end_line, edit.end_column) == (
        load_line + 1,
        1,
        load_line + 1,
        1,
    )
    assert edit.replacement == "model.eval()\n"
    assert finding.artifact == "net.pt"


def test_mode001_fix_inside_a_helper_keeps_its_indentation() -> None:
    example = (
        NET
        + """
def load_model(path):
    m = Net()
    m.load_state_dict(
        torch.load(path, weights_only=True)
    )
    return m

with torch.no_grad():
    out = load_model("w/net.pt")(torch.randn(2, 8))
    model = load_model("w/net.pt")
    out = model(torch.randn(2, 8))
"""
    )
    findings = [d for d in lint(example) if d.code == "MODE001"]
    assert len(findings) == 1
    (edit,) = findings[0].fix.edits  # type: ignore[union-attr]
    lines = as_project(example)["example.py"].splitlines()
    close = next(i for i, text in enumerate(lines, 1) if text == "    )")
    assert edit.line == close + 1 and edit.replacement == "    m.eval()\n"
    assert findings[0].artifact == "w/net.pt"


def test_mode001_class_without_dropout_or_batchnorm_is_a_warning() -> None:
    example = """
import torch
from torch import nn

class Linear(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 1)

    def forward(self, x):
        return self.fc(x)

model = Linear()
model.load_state_dict(torch.load("lin.pt", weights_only=True))
with torch.no_grad():
    y = model(torch.randn(1, 4))
"""
    (finding,) = [d for d in lint(example) if d.code == "MODE001"]
    assert finding.severity.label == "warning"
    assert "no Dropout or BatchNorm" in finding.message


MORE_POSITIVES: list[tuple[str, object]] = [
    (
        "MODE001",
        """
import torch
import segmentation_models_pytorch as smp

model = smp.Unet("resnet34", classes=2)
model.load_state_dict(torch.load("unet.pt", weights_only=True))
model.to("cuda")
with torch.no_grad():
    mask = model(torch.rand(1, 3, 256, 256).cuda())  # expect: MODE001
""",
    ),
    (
        "MODE002",
        NET
        + """
class Trainer:
    def __init__(self, model, loader, val_loader):
        self.model = model
        self.loader = loader
        self.val_loader = val_loader
        self.opt = torch.optim.SGD(model.parameters(), lr=0.1)

    def validate(self):
        self.model.eval()  # expect: MODE002
        with torch.no_grad():
            return sum(self.model(x).sum() for x, _ in self.val_loader)

    def fit(self, epochs):
        for epoch in range(epochs):
            for x, y in self.loader:
                self.opt.zero_grad()
                nn.functional.cross_entropy(self.model(x), y).backward()
                self.opt.step()
            print(self.validate())
""",
    ),
]

MORE_NEGATIVES: list[tuple[str, object]] = [
    (
        "MODE001",
        NET
        + """
device = torch.device("cpu")
model = Net()
model.load_state_dict(torch.load("net.pt", weights_only=True))
model.to(device).eval()
with torch.no_grad():
    out = model(torch.randn(2, 8))
""",
    ),
    (
        "MODE001",
        NET
        + """
def train(model, loader, epochs):
    opt = torch.optim.Adam(model.parameters())
    for epoch in range(epochs):
        model.train()
        for x, y in loader:
            opt.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
        model.eval()

@torch.no_grad()
def test(model, loader):
    return [model(x) for x, _ in loader]

def main(loader, test_loader):
    model = Net()
    train(model, loader, 3)
    print(test(model, test_loader))
""",
    ),
    (
        "MODE002",
        NET
        + """
class Trainer:
    def __init__(self, model, loader, val_loader):
        self.model = model
        self.loader = loader
        self.val_loader = val_loader
        self.opt = torch.optim.SGD(model.parameters(), lr=0.1)

    def validate(self):
        self.model.eval()
        with torch.no_grad():
            return sum(self.model(x).sum() for x, _ in self.val_loader)

    def train_epoch(self):
        self.model.train()
        for x, y in self.loader:
            self.opt.zero_grad()
            nn.functional.cross_entropy(self.model(x), y).backward()
            self.opt.step()

    def fit(self, epochs):
        for epoch in range(epochs):
            self.train_epoch()
            print(self.validate())
""",
    ),
]


@pytest.mark.parametrize(("code", "example"), MORE_POSITIVES, ids=_ids(MORE_POSITIVES))
def test_more_positive(code: str, example: str | dict[str, str]) -> None:
    sources = as_project(example)
    found = {(d.path, d.line) for d in lint(example) if d.code == code}
    assert found == expected_lines(sources, code)


@pytest.mark.parametrize(("code", "example"), MORE_NEGATIVES, ids=_ids(MORE_NEGATIVES))
def test_more_negative(code: str, example: str | dict[str, str]) -> None:
    assert [d for d in lint(example) if d.code == code] == []


REAL_CODE_NEGATIVES: list[tuple[str, object]] = [
    (
        "MODE006",
        {
            "keras/src/saving/saving_lib_test.py": """
from keras.src.saving import saving_lib

def test_memory_bound():
    saving_lib._MEMORY_UPPER_BOUND = 0
"""
        },
    ),
    (
        "MODE001",
        """
import torch
from transformers import PreTrainedModel

class SafetyChecker(PreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.head = torch.nn.Linear(768, 1)

    @torch.no_grad()
    def forward(self, emb):
        return self.head(emb)
""",
    ),
    (
        "MODE001",
        """
import torch

def dream_latents(unet, latents, t):
    # a training utility: nobody in the project calls it and its name does not say inference
    with torch.no_grad():
        pred = unet(latents, t)
    return latents - pred
""",
    ),
    (
        "MODE002",
        NET
        + """
task = Net()
opt = torch.optim.SGD(task.parameters(), lr=0.1)
for mode in (True, False, True):
    task.train() if mode else task.eval()
    if mode:
        opt.zero_grad()
        task(torch.randn(4, 8)).sum().backward()
        opt.step()
""",
    ),
    (
        "MODE003",
        """
import torch.nn.functional as F
from torch import nn

class Head(nn.Module):
    def forward(self, x):
        # resampled on purpose even under eval()
        return F.dropout(x, p=0.1, training=True)
""",
    ),
    (
        "MODE006",
        """
import torch

x = torch._foreach_add([torch.zeros(1)], 1.0)
enabled = torch.autograd._profiler_enabled()
""",
    ),
    (
        "MODE006",
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
    ),
    (
        "MODE006",
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
    ),
    (
        "MODE006",
        """
import torch

def as_packed(data, bits):
    packed = torch.Tensor._make_subclass(PackedTensor, data, require_grad=False)
    packed.bits = bits
    return packed

class PackedTensor(torch.Tensor):
    pass
""",
    ),
    (
        "MODE006",
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
    ),
    (
        "MODE006",
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
    ),
    (
        "MODE004",
        """
import numpy as np
import keras

def test_bn_inference():
    model = keras.Sequential([keras.Input((3,)), keras.layers.BatchNormalization()])
    model.predict(np.ones((2, 3)))

def test_retracing():
    inp = keras.Input(shape=[4])
    out = keras.layers.Dense(1, activation="relu")(inp)

    class Tracing(keras.Model):
        def train_step(self, *args):
            return super().train_step(*args)

    model = Tracing(inputs=inp, outputs=out)
    model.compile(loss="mse", optimizer="adam")
    model.fit(x=np.ones((100, 4)), y=np.ones((100, 1)), batch_size=1, epochs=1)
""",
    ),
]


@pytest.mark.parametrize(("code", "example"), REAL_CODE_NEGATIVES, ids=_ids(REAL_CODE_NEGATIVES))
def test_real_code_negative(code: str, example: str | dict[str, str]) -> None:
    assert [d for d in lint(example) if d.code == code] == []


# Positives on the edge of the narrowed MODE006 and MODE004 (per-model BatchNorm) checks.
NARROWED_POSITIVES: list[tuple[str, object]] = [
    (
        "MODE006",
        """
from collections import OrderedDict

import torch

def remove_hooks(model: torch.nn.Module) -> None:
    for module in model.modules():
        module._backward_hooks = OrderedDict()  # expect: MODE006
        module._forward_hooks = OrderedDict()  # expect: MODE006
""",
    ),
    (
        "MODE006",
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
    ),
    (
        "MODE006",
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
    ),
    (
        "MODE004",
        {
            "blocks.py": """
from tensorflow import keras

def conv_block(x, filters):
    x = keras.layers.Conv2D(filters, 3, padding="same")(x)
    x = keras.layers.BatchNormalization()(x)
    return keras.layers.ReLU()(x)
""",
            "train.py": """
from tensorflow import keras
from blocks import conv_block

def main(images, labels):
    inp = keras.Input((32, 32, 3))
    x = conv_block(conv_block(inp, 16), 32)
    model = keras.Model(inp, keras.layers.Dense(10)(keras.layers.Flatten()(x)))
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(images, labels, batch_size=1)  # expect: MODE004
""",
        },
    ),
    (
        "MODE004",
        """
import keras

class Normed(keras.layers.Layer):
    def __init__(self):
        super().__init__()
        self.norm = keras.layers.BatchNormalization()

class Net(keras.Model):
    def __init__(self):
        super().__init__()
        self.body = Normed()
        self.head = keras.layers.Dense(1)

def fit_one_by_one(x, y):
    model = Net()
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, batch_size=1)  # expect: MODE004
""",
    ),
]


@pytest.mark.parametrize(("code", "example"), NARROWED_POSITIVES, ids=_ids(NARROWED_POSITIVES))
def test_narrowed_rules_keep_true_positives(code: str, example: str | dict[str, str]) -> None:
    """MODE006 still fires on objects known to be framework models or layers; MODE004 on Keras
    models whose BatchNormalization is built in a helper or a nested project layer."""
    sources = as_project(example)
    found = {(d.path, d.line) for d in lint(example) if d.code == code}
    assert found == expected_lines(sources, code)
