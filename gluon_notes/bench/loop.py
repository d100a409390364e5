"""The one training loop (``train.fit``) against a plain PyTorch eager loop, whole epochs.

Both train the same architecture with SGD (lr 0.1) at the same batch size on the same synthetic
Fashion-MNIST-like data held in memory (images of the model's input shape: ``(N, 1, 28, 28)``,
or ``(N, 1, 96, 96)`` for ResNet-18 as the book resizes them; 10 classes), shuffle every epoch,
and accumulate the loss and the correct predictions on the device, reading them once per epoch.
Throughput is samples/s over whole epochs; the first epoch (deferred initialization, graph
construction, memory planning) is a warm-up and is left out. PyTorch's epochs run in
turn with those of ``fit`` in the 'static' mode, in the same process.

Each model trains in a child process of its own (``python -m gluon_notes.bench.loop``), started
with the model's CPU profile (``BenchModel.cpu_profile``, see ``gluon_notes.perf``): MXNet fixes
its engine and threads at import, and the loop runs a convolutional network with the inline
engine and all cores, as ``gluon-notes run`` does for the CNN chapters, but softmax regression
and the MLP with MXNet's threaded engine. ``GLUON_NOTES_PERF``, when set, applies to every model.
"""
import argparse
import json
import sys
import time

import numpy as np
import mxnet as mx
from mxnet import nd

from .. import perf
from .models import get_bench_model, import_torch, set_torch_threads, torch_threads
from ..data import ArrayLoader
from .child import TICK, run_child
from .script import run_script

#: loop mode -> ``fit(hybridize=...)``; 'static' is what ``fit(hybridize=True)`` uses
LOOP_MODES = {"imperative": False, "hybridize": dict(static_alloc=False),
              "static": dict(static_alloc=True, static_shape=True)}


def synthetic_images(samples, shape, classes, seed=0):
    """Uniform images and random labels, as numpy arrays (the same for MXNet and PyTorch)."""
    rng = np.random.RandomState(seed)
    X = rng.uniform(size=(samples,) + tuple(shape)).astype(np.float32)  # (N, 1, H, W)
    y = rng.randint(0, classes, size=samples).astype(np.float32)        # (N,)
    return X, y


def mxnet_loop(model, X, y, batch_size, epochs, mode, ctx, between=None):
    """Train ``model.make()`` with ``fit``; return samples/s of each epoch after the first.

    ``between()``, if given, runs after each epoch's timing (to interleave the PyTorch loop).
    """
    from ..callbacks import Callback
    from ..train import fit

    class Between(Callback):
        def on_epoch_end(self, epoch, logs):
            between()

    Xn, yn = nd.array(X, ctx=ctx), nd.array(y, ctx=ctx)
    it = ArrayLoader(Xn, yn, batch_size, shuffle=True, last_batch="discard")
    h = fit(model.make(), it, None, num_epochs=epochs, lr=0.1, ctx=ctx,
            hybridize=LOOP_MODES[mode], seed=0, verbose=False, progress=False,
            callbacks=[Between()] if between else ())
    return h["samples_per_sec"][1:]


def torch_epochs(model, X, y, batch_size, torch):
    """The same training in plain PyTorch eager (its default thread settings): a generator
    that trains one more epoch at each ``next()`` and yields its samples/s."""
    torch.manual_seed(0)
    net = model.make_torch(torch).train()
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y).long()
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    loss = torch.nn.CrossEntropyLoss()
    n = len(Xt) // batch_size * batch_size
    while True:
        start = time.perf_counter()
        perm = torch.randperm(len(Xt))
        total, correct = torch.zeros(()), torch.zeros((), dtype=torch.long)
        for lo in range(0, n, batch_size):
            idx = perm[lo:lo + batch_size]
            Xb, yb = Xt[idx], yt[idx]                                   # (B, 1, H, W), (B,)
            y_hat = net(Xb)
            l = loss(y_hat, yb)
            opt.zero_grad()
            l.backward()
            opt.step()
            with torch.no_grad():
                total += l.detach() * len(yb)
                correct += (y_hat.argmax(dim=1) == yb).sum()
        float(total), int(correct)  # the once-per-epoch read, as in fit
        yield n / (time.perf_counter() - start)


def run_loop(model, modes, batch_size, samples, epochs, ctx, torch=None, tick=None):
    """Time ``fit`` in each mode and the PyTorch loop; return one result dict per loop.

    Each dict holds ``model, workload='loop', mode, batch_size, samples_per_sec`` (per measured
    epoch) and the min/median/max of those; PyTorch's is ``mode='torch'`` or, without PyTorch,
    ``status='not installed'``.
    """
    X, y = synthetic_images(samples, model.input_shape, model.classes)
    out = []

    def add(mode, rates, status="ok"):
        row = dict(model=model.name, workload="loop", mode=mode, batch_size=batch_size,
                   samples=samples, epochs=epochs, status=status)
        if rates:
            row.update(samples_per_sec=rates, throughput=float(np.median(rates)),
                       throughput_min=min(rates), throughput_max=max(rates))
        out.append(row)
        if tick:
            tick()

    # PyTorch's epochs alternate with those of 'static' (the loop's default), so that a busy
    # spell on the machine slows both sides of the headline ratio alike
    torch_rates, partner = [], "static" if "static" in modes else modes[-1]
    for mode in modes:
        between = None
        if torch is not None and mode == partner:
            epochs_t = torch_epochs(model, X, y, batch_size, torch)

            def between(epochs_t=epochs_t):
                with torch_threads(torch):
                    torch_rates.append(next(epochs_t))
        add(mode, mxnet_loop(model, X, y, batch_size, epochs, mode, ctx, between))
        mx.nd.waitall()
    if torch is None:
        add("torch", None, "not installed")
    else:
        add("torch", torch_rates[1:])
    return out


def run_loop_child(model, modes, batch_size, samples, epochs, ctx, peer, torch_threads_n=None,
                   tick=None):
    """``run_loop`` in a child process started with ``model.cpu_profile``; its result rows.

    ``peer`` says whether to time PyTorch too; ``torch_threads_n`` is PyTorch's thread count;
    ``tick()`` runs as each loop of the child finishes. Each MXNet row also tells the CPU
    profile the loop ran with (``cpu``: ``perf.runtime()``).
    """
    spec = dict(model=model.name, modes=list(modes), batch_size=batch_size, samples=samples,
                epochs=epochs, ctx=[ctx.device_type, ctx.device_id], peer=bool(peer),
                torch_threads=torch_threads_n)
    return run_child(__name__, spec, model.cpu_profile,
                     "the loop benchmark of %s" % model.name, tick)


def main(argv=None):
    """Child process: ``python -m gluon_notes.bench.loop SPEC`` prints the rows as one JSON line
    (an error: one line on stderr, exit status 2)."""
    return run_script(_child, argv)


def _child(argv):
    p = argparse.ArgumentParser(prog="python -m gluon_notes.bench.loop")
    p.add_argument("spec", help="JSON: model, modes, batch_size, samples, epochs, ctx, peer, "
                                "torch_threads")
    spec = json.loads(p.parse_args(argv).spec)
    torch = import_torch() if spec["peer"] else None
    if torch is not None and spec.get("torch_threads"):
        set_torch_threads(spec["torch_threads"])
    rows = run_loop(get_bench_model(spec["model"]), spec["modes"], spec["batch_size"],
                    spec["samples"], spec["epochs"], mx.Context(*spec["ctx"]), torch,
                    tick=lambda: print(TICK, flush=True))
    cpu = perf.runtime()
    for r in rows:
        if r["mode"] != "torch":
            r["cpu"] = cpu
    print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
