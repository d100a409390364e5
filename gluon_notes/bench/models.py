"""The networks ``gluon-notes bench`` times: each MXNet model with its PyTorch twin.

A ``BenchModel`` builds the Gluon network (deferred shapes, as the chapters build it), knows its
input shape, and, when PyTorch is importable, builds the same architecture in PyTorch. The twin
receives the Gluon weights (``twins.copy_to_torch``), so the benchmark can check that both
compute the same function before it times them (``twins.check_twin``). PyTorch is optional:
``import_torch()`` returns None when it is missing, and nothing here imports it at module import
time.
"""
import contextlib
import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Callable, Optional, Tuple

from mxnet.gluon import nn

from ..errors import GluonNotesError
from ..layers import CenteredLayer, MyDense
from ..models import get_model


@dataclass
class BenchModel:
    """A network to time: ``make()`` (Gluon), ``make_torch(torch)`` (twin), input shape, classes."""
    name: str
    make: Callable[[], nn.HybridBlock]
    input_shape: Tuple[int, ...]  # one example, without the batch axis
    classes: int
    make_torch: Optional[Callable] = None
    about: str = ""
    #: CPU profile the loop benchmark trains it with (``gluon_notes.perf``): 'compute' for the
    #: convolutional networks, as ``gluon-notes run`` uses for the CNN chapters
    cpu_profile: str = "default"
    #: the loop workload's batch size, samples per epoch and epochs for this model, where they
    #: differ from the bench's defaults (a flag given on the command line wins)
    loop: Optional[dict] = None
    #: left out of a run unless named with ``--models`` (it would make a default run long)
    opt_in: bool = False


def book_net():
    """The network of book section 4.8 (hybridize): Dense 256-128-2 on a 512-vector."""
    net = nn.HybridSequential()
    net.add(nn.Dense(256, activation="relu"), nn.Dense(128, activation="relu"), nn.Dense(2))
    return net


def custom_net():
    """Chapter-4 custom layers in one network: MyDense(256) -> CenteredLayer -> MyDense(10)."""
    net = nn.HybridSequential()
    net.add(MyDense(256), CenteredLayer(), MyDense(10, activation=None))
    return net


# --- PyTorch twins (``torch`` is passed in: it is imported only when present) ----------------

def _torch_mlp(torch, sizes, flatten):
    layers = [torch.nn.Flatten()] if flatten else []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(torch.nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def _torch_lenet(torch):
    t = torch.nn
    return t.Sequential(t.Conv2d(1, 6, 5), t.Sigmoid(), t.MaxPool2d(2, 2),   # (N, 6, 12, 12)
                        t.Conv2d(6, 16, 5), t.Sigmoid(), t.MaxPool2d(2, 2),  # (N, 16, 4, 4)
                        t.Flatten(), t.Linear(256, 120), t.Sigmoid(),
                        t.Linear(120, 84), t.Sigmoid(), t.Linear(84, 10))


def _torch_custom(torch):
    class MyDenseT(torch.nn.Module):  # weight (in_units, units) as in MyDense
        def __init__(self, in_units, units, relu):
            super().__init__()
            self.weight = torch.nn.Parameter(torch.empty(in_units, units))
            self.bias = torch.nn.Parameter(torch.zeros(units))
            self.relu = relu

        def forward(self, x):
            y = x @ self.weight + self.bias
            return torch.relu(y) if self.relu else y

    class Centered(torch.nn.Module):
        def forward(self, x):
            return x - x.mean()

    return torch.nn.Sequential(MyDenseT(512, 256, True), Centered(), MyDenseT(256, 10, False))


def _torch_resnet18(torch, stem="small"):
    """ResNet-18 (``models.resnet``): the book's stem ('imagenet': 7x7/2 conv + 3x3/2 max-pool)
    or the small one of book 8.4 ('small': 3x3/1 conv, no pool)."""
    t = torch.nn

    class Residual(t.Module):  # attribute order = the Gluon block's parameter order
        def __init__(self, cin, c, use_1x1conv=False, strides=1):
            super().__init__()
            self.conv1 = t.Conv2d(cin, c, 3, padding=1, stride=strides)
            self.conv2 = t.Conv2d(c, c, 3, padding=1)
            self.conv3 = t.Conv2d(cin, c, 1, stride=strides) if use_1x1conv else None
            self.bn1, self.bn2 = t.BatchNorm2d(c), t.BatchNorm2d(c)

        def forward(self, X):
            Y = torch.relu(self.bn1(self.conv1(X)))
            Y = self.bn2(self.conv2(Y))
            return torch.relu(Y + (self.conv3(X) if self.conv3 is not None else X))

    if stem == "imagenet":
        layers = [t.Conv2d(1, 64, 7, stride=2, padding=3), t.BatchNorm2d(64), t.ReLU(),
                  t.MaxPool2d(3, stride=2, padding=1)]                  # (N, 64, H/4, W/4)
    else:
        layers = [t.Conv2d(1, 64, 3, padding=1), t.BatchNorm2d(64), t.ReLU()]  # (N, 64, H, W)
    cin = 64
    for i, c in enumerate((64, 128, 256, 512)):
        layers += [Residual(cin, c) if i == 0 else Residual(cin, c, True, 2), Residual(c, c)]
        cin = c
    layers += [t.AdaptiveAvgPool2d(1), t.Flatten(), t.Linear(512, 10)]  # (N, 10)
    return t.Sequential(*layers)


MODELS = {m.name: m for m in [
    BenchModel("book_net", book_net, (512,), 2,
               lambda torch: _torch_mlp(torch, (512, 256, 128, 2), False),
               "Dense 256-128-2 on a 1x512 input (book 4.8)"),
    BenchModel("softmax", lambda: get_model("softmax_regression"), (1, 28, 28), 10,
               lambda torch: _torch_mlp(torch, (784, 10), True), "softmax regression (3.7)"),
    BenchModel("mlp", lambda: get_model("mlp"), (1, 28, 28), 10,
               lambda torch: _torch_mlp(torch, (784, 256, 10), True), "MLP 784-256-10 (3.10)"),
    BenchModel("lenet", lambda: get_model("lenet"), (1, 28, 28), 10, _torch_lenet,
               "LeNet, sigmoid (5.5)", "compute"),
    BenchModel("resnet18", lambda: get_model("resnet18_small"), (1, 28, 28), 10,
               _torch_resnet18, "ResNet-18, 3x3 stem for small images (8.4)", "compute"),
    BenchModel("resnet18_96", lambda: get_model("resnet18"), (1, 96, 96), 10,
               lambda torch: _torch_resnet18(torch, "imagenet"),
               "ResNet-18, the book's 7x7 stem, 96x96 inputs (5.11)", "compute",
               loop=dict(batch_size=64, samples=256, epochs=4), opt_in=True),
    BenchModel("custom", custom_net, (512,), 10, _torch_custom,
               "MyDense 256 -> CenteredLayer -> MyDense 10 (4.4)"),
]}
#: the models of a run without ``--models``
DEFAULT_MODELS = [name for name, m in MODELS.items() if not m.opt_in]


def get_bench_model(name):
    if name not in MODELS:
        raise GluonNotesError("unknown bench model %r; choose from %s."
                              % (name, ", ".join(MODELS)))
    return MODELS[name]


def import_torch():
    """The ``torch`` module, or None when PyTorch is not installed."""
    try:
        import torch
    except ImportError:
        return None
    return torch


_TORCH_THREADS = []


def set_torch_threads(n):
    """Run the PyTorch side of the bench with ``n`` threads instead of its default."""
    _TORCH_THREADS[:] = [n]


def torch_default_threads():
    """The threads PyTorch runs with in the bench: its own default, read in a fresh
    interpreter, unless ``set_torch_threads`` chose a count.

    Read in this process it would be wrong: MXNet and PyTorch share ``libgomp``, and MXNet sets
    the main thread's OpenMP threads at import (to half the cores), which PyTorch then inherits.
    """
    if not _TORCH_THREADS:
        code = "import torch; print(torch.get_num_threads())"
        try:
            out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                 timeout=120, check=True).stdout
            _TORCH_THREADS.append(int(out.strip().splitlines()[-1]))
        except (subprocess.SubprocessError, OSError, ValueError, IndexError):
            _TORCH_THREADS.append(os.cpu_count() or 1)
    return _TORCH_THREADS[0]


@contextlib.contextmanager
def torch_threads(torch):
    """Run PyTorch with its default threads, then give the main thread MXNet's back."""
    mine = torch.get_num_threads()
    torch.set_num_threads(torch_default_threads())
    try:
        yield
    finally:
        torch.set_num_threads(mine)
