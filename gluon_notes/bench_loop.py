"""The one training loop (``train.fit``) against a plain PyTorch eager loop, whole epochs.

Both train the same architecture with SGD (lr 0.1) at the same batch size on the same synthetic
Fashion-MNIST-shaped data held in memory (``(N, 1, 28, 28)`` images, 10 classes), shuffle every
epoch, and accumulate the loss and the correct predictions on the device, reading them once per
epoch. Throughput is samples/s over whole epochs; the first epoch (deferred initialization,
graph construction, memory planning) is a warm-up and is left out. PyTorch's epochs run in
turn with those of ``fit`` in the 'static' mode, in the same process.
"""
import time

import numpy as np
import mxnet as mx
from mxnet import nd

from .bench_models import torch_threads
from .data import ArrayLoader

#: loop mode -> ``fit(hybridize=...)``; 'static' is what ``fit(hybridize=True)`` uses
LOOP_MODES = {"imperative": False, "hybridize": dict(static_alloc=False),
              "static": dict(static_alloc=True, static_shape=True)}


def synthetic_images(samples, shape, classes, seed=0):
    """Uniform images and random labels, as numpy arrays (the same for MXNet and PyTorch)."""
    rng = np.random.RandomState(seed)
    X = rng.uniform(size=(samples,) + tuple(shape)).astype(np.float32)  # (N, 1, 28, 28)
    y = rng.randint(0, classes, size=samples).astype(np.float32)        # (N,)
    return X, y


def mxnet_loop(model, X, y, batch_size, epochs, mode, ctx, between=None):
    """Train ``model.make()`` with ``fit``; return samples/s of each epoch after the first.

    ``between()``, if given, runs after each epoch's timing (to interleave the PyTorch loop).
    """
    from .callbacks import Callback
    from .train import fit

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
            Xb, yb = Xt[idx], yt[idx]                                   # (B, 1, 28, 28), (B,)
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

            def between():
                with torch_threads(torch):
                    torch_rates.append(next(epochs_t))
        add(mode, mxnet_loop(model, X, y, batch_size, epochs, mode, ctx, between))
        mx.nd.waitall()
    if torch is None:
        add("torch", None, "not installed")
    else:
        add("torch", torch_rates[1:])
    return out
