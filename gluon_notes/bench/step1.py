"""Milliseconds per training step at batch 1: the loop's step, the plain Gluon recipe, PyTorch.

``python -m gluon_notes.bench.step1`` prints one row per bench model (``models.MODELS``):

Design
------
* ``loop``: ``steps.SupervisedStep`` as ``fit(hybridize=True)`` builds it (the fused
  ``TrainGraph``, the Trainer of ``optim.make_trainer``); ``gluon``: the book's recipe on the
  hybridized (static) net, ``with autograd.record(): l = loss(net(X), y)``, ``l.backward()``,
  ``trainer.step(1)`` with ``gluon.Trainer(..., 'sgd')``; ``torch``: the PyTorch twin, eager,
  with the same initial weights, when PyTorch is importable.
* All use SGD with lr 0.01 on one fixed example; the data is on the device before timing.
* The variants alternate, ``repeats`` rounds of ``steps`` steps each (the engine drained after
  each), so a slow spell of a shared machine hits all of them; the table gives the median and
  the minimum over the rounds. Nothing is asserted.
* The module uses only interfaces that older versions of the loop also have, so the same file
  can time an old checkout (``PYTHONPATH=/path/to/old python /path/to/step1.py``).
"""
import os
import sys
import time
from statistics import median

import numpy as np
import mxnet as mx
from mxnet import autograd, gluon, nd

from gluon_notes.bench.models import get_bench_model, import_torch, torch_threads
from gluon_notes.bench.twins import copy_to_torch
from gluon_notes.cliargs import ArgumentParser, positive_int
from gluon_notes.fused import fuse_step
from gluon_notes.optim import make_trainer
from gluon_notes.steps import SupervisedStep, prepare_net

LR = 0.01
VARIANTS = ("loop", "gluon", "torch")


def _net(model, ctx):
    mx.random.seed(0)
    net = model.make()
    prepare_net(net, [ctx])
    net(nd.zeros((1,) + model.input_shape, ctx=ctx))  # shapes known: the same weights each time
    return net


def make_steps(model, ctx, torch=None):
    """``{variant: step()}`` for one model, each on its own copy of the same initial weights."""
    rng = np.random.RandomState(0)
    Xnp = rng.uniform(size=(1,) + model.input_shape).astype(np.float32)  # (1, ...)
    ynp = rng.randint(0, model.classes, size=1).astype(np.float32)      # (1,)
    X, y = nd.array(Xnp, ctx=ctx), nd.array(ynp, ctx=ctx)
    loss = gluon.loss.SoftmaxCrossEntropyLoss()

    net = _net(model, ctx)
    step = SupervisedStep(net, loss, make_trainer(net, lr=LR), [ctx],
                          graph=fuse_step(net, loss, True, True))
    steps = {"loop": lambda: step(X, y)}

    net2 = _net(model, ctx)
    net2.hybridize(static_alloc=True, static_shape=True)
    trainer = gluon.Trainer(net2.collect_params(), "sgd", {"learning_rate": LR})

    def recipe():
        with autograd.record():
            l = loss(net2(X), y)
        l.backward()
        trainer.step(1)
    steps["gluon"] = recipe

    if torch is not None and model.make_torch is not None:
        weights = [p.data().asnumpy() for p in net2.collect_params().values()]
        tnet = copy_to_torch(weights, model.make_torch(torch), torch)
        tnet.train()
        opt = torch.optim.SGD(tnet.parameters(), lr=LR)
        tX, ty, lossf = torch.from_numpy(Xnp), torch.from_numpy(ynp).long(), \
            torch.nn.CrossEntropyLoss()

        def torch_step():
            opt.zero_grad()
            lossf(tnet(tX), ty).backward()
            opt.step()
        steps["torch"] = torch_step
    return steps


def time_steps(steps, n_steps, repeats, torch=None):
    """``{variant: [ms per step, one per round]}``; the variants alternate round by round."""
    def run(name, n):
        fn = steps[name]
        start = time.perf_counter()
        for _ in range(n):
            fn()
        nd.waitall()
        return (time.perf_counter() - start) / n * 1e3

    times = {name: [] for name in steps}
    for name in steps:  # warm-up: graph construction, the trainer's first step, allocations
        with _threads(name, torch):
            run(name, max(10, n_steps // 10))
    for _ in range(repeats):
        for name in steps:
            with _threads(name, torch):
                times[name].append(run(name, n_steps))
    return times


class _threads:
    """PyTorch's own thread count around its steps (``models.torch_threads``), else nothing."""

    def __init__(self, name, torch):
        self.cm = torch_threads(torch) if name == "torch" and torch is not None else None

    def __enter__(self):
        return self.cm.__enter__() if self.cm else None

    def __exit__(self, *exc):
        return self.cm.__exit__(*exc) if self.cm else False


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            return next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")),
                        "unknown CPU")
    except OSError:
        return "unknown CPU"


def main(argv=None):
    p = ArgumentParser(prog="python -m gluon_notes.bench.step1", description=__doc__.split("\n")[0])
    p.add_argument("--models", default="book_net,mlp,lenet")
    p.add_argument("--steps", type=positive_int, default=500, help="steps per round")
    p.add_argument("--repeats", type=positive_int, default=5, help="rounds per variant")
    p.add_argument("--no-torch", action="store_true", help="leave PyTorch out")
    args = p.parse_args(argv)
    torch = None if args.no_torch else import_torch()
    models = [get_bench_model(name) for name in args.models.split(",")]
    results = {}
    for model in models:
        steps = make_steps(model, mx.cpu(), torch)
        results[model.name] = time_steps(steps, args.steps, args.repeats, torch)
    print("batch-1 training step, ms: median (min) of %d rounds x %d steps; %s, %d CPUs, "
          "MXNET_ENGINE_TYPE=%s, MXNET_OMP_MAX_THREADS=%s"
          % (args.repeats, args.steps, cpu_name(), os.cpu_count() or 0,
             os.environ.get("MXNET_ENGINE_TYPE", "default"),
             os.environ.get("MXNET_OMP_MAX_THREADS", "default")))
    print("%-10s" % "model" + "".join("%18s" % v for v in VARIANTS) + "%14s" % "gluon/loop")
    for name, times in results.items():
        cells = ["%9.3f (%.3f)" % (median(times[v]), min(times[v])) if v in times else "-"
                 for v in VARIANTS]
        ratio = median(times["gluon"]) / median(times["loop"])
        print("%-10s" % name + "".join("%18s" % c for c in cells) + "%13.2fx" % ratio)
    return results


if __name__ == "__main__":
    from gluon_notes.bench.script import run_script
    sys.exit(run_script(main))
