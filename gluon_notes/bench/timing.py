"""Timing one ``(model, workload)`` pair in every mode, after checking the modes agree.

Design
------
* A ``Case`` builds the network once per mode from the same seed, times its first call (deferred
  init, graph construction) apart from the repeats, and gives every mode the imperative weights.
* Before anything is timed, each mode's outputs (and, for training, loss and gradients) are
  compared with the imperative ones; a mode that disagrees stops the run (``GluonNotesError``).
* ``time_case`` calibrates the calls per repeat once (on imperative) and times every prepared mode
  with the same count; the result rows carry every repeat and the speed-up vs imperative.
* Nothing here asserts or prints a speed: the rows go to ``bench.json`` and the table.
"""
import contextlib
import time
from statistics import median

import numpy as np
import mxnet as mx
from mxnet import autograd, gluon, nd

from ..errors import GluonNotesError
from .models import torch_threads
from .twins import agree, copy_to_torch, difference

MODES = {"imperative": None, "hybridize": {}, "static": dict(static_alloc=True, static_shape=True)}
TARGET_SECONDS = 0.2  # a calibrated repeat lasts about this long


class Case:
    """A ``(model, workload)`` pair: the inputs and one prepared callable per mode."""

    def __init__(self, model, workload, batch_size, ctx):
        self.model, self.workload, self.bs, self.ctx = model, workload, batch_size, ctx
        rng = np.random.RandomState(0)
        self.Xnp = rng.uniform(size=(batch_size,) + model.input_shape).astype(np.float32)
        self.ynp = rng.randint(0, model.classes, size=batch_size).astype(np.float32)
        self.X, self.y = nd.array(self.Xnp, ctx=ctx), nd.array(self.ynp, ctx=ctx)
        self.loss = gluon.loss.SoftmaxCrossEntropyLoss()
        self.calls, self.first, self.ref_params, self.ref = {}, {}, None, None

    def add_mode(self, mode):
        """Build the net in ``mode``, time its first call, and check it against imperative."""
        mx.random.seed(0)
        net = self.model.make()
        net.initialize(mx.init.Xavier(), ctx=self.ctx)
        if MODES[mode] is not None:
            net.hybridize(**MODES[mode])
        call = self._make_call(net)
        start = time.perf_counter()
        call()
        nd.waitall()
        self.first[mode] = time.perf_counter() - start
        params = list(net.collect_params().values())
        if self.ref_params is None:  # imperative runs first: its weights are everyone's
            self.ref_params = [p.data().copy() for p in params]
        for p, value in zip(params, self.ref_params):
            p.set_data(value)
        got = self._outputs(net, params)
        if self.ref is None:
            self.ref = got
        else:
            _check_same(self.model.name, self.workload, mode, self.ref, got)
        self.calls[mode] = call

    def _make_call(self, net):
        X, y, loss = self.X, self.y, self.loss
        if self.workload == "inference":
            return lambda: net(X)
        trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.01})

        def step():
            with autograd.record():
                l = loss(net(X), y)
            l.backward()
            trainer.step(X.shape[0])
        return step

    def _outputs(self, net, params):
        if self.workload == "inference":
            return [net(self.X).asnumpy()]
        with autograd.record():
            l = self.loss(net(self.X), self.y)
        l.backward()
        return [l.asnumpy()] + [p.grad().asnumpy() for p in params if p.grad_req != "null"]

    def add_torch(self, torch):
        """Prepare PyTorch eager's call on the twin, with the imperative weights, and time its
        first call. Call only for a twin ``twins.check_twin`` has found to compute the same."""
        tnet = copy_to_torch([p.asnumpy() for p in self.ref_params],
                             self.model.make_torch(torch), torch)
        X, y = torch.from_numpy(self.Xnp), torch.from_numpy(self.ynp).long()
        lossf = torch.nn.CrossEntropyLoss()
        if self.workload == "inference":
            tnet.eval()

            def call():
                with torch.no_grad():
                    tnet(X)
        else:
            tnet.train()
            opt = torch.optim.SGD(tnet.parameters(), lr=0.01)

            def call():
                opt.zero_grad()
                lossf(tnet(X), y).backward()
                opt.step()
        start = time.perf_counter()
        call()
        self.first["torch"] = time.perf_counter() - start
        self.calls["torch"] = call


def _check_same(model, workload, mode, ref, got):
    for i, (a, b) in enumerate(zip(ref, got)):
        if not agree(a, b):
            what = "output" if i == 0 else "gradient #%d" % i
            raise GluonNotesError(
                "%s (%s): the %s of mode %r differs from imperative (%s), so no timing is "
                "reported; make the model hybridize correctly or leave it out with --models."
                % (model, workload, what, mode, difference(a, b)))


def time_case(case, repeats, number, tick, torch=None):
    """Time every prepared mode of ``case``; return result rows (speed-up vs imperative)."""
    sync = nd.waitall
    if number is None:  # calibrate once, on imperative (usually the slowest), for all modes
        call, k, start = case.calls["imperative"], 1, time.perf_counter()
        while True:
            for _ in range(k):
                call()
            sync()
            elapsed = time.perf_counter() - start
            if elapsed > 0.05 or k >= 512:
                break
            k, start = k * 2, time.perf_counter()
        number = int(min(10000, max(1, round(TARGET_SECONDS / (elapsed / k)))))
    rows = []
    for mode, call in case.calls.items():
        with torch_threads(torch) if mode == "torch" else contextlib.nullcontext():
            for _ in range(2):  # warm-up (static_alloc plans memory on the second call)
                call()
            sync()
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                for _ in range(number):
                    call()
                sync()
                times.append((time.perf_counter() - start) / number)
        med = median(times)
        rows.append(dict(model=case.model.name, workload=case.workload, mode=mode,
                         batch_size=case.bs, number=number, repeats=repeats, status="ok",
                         first_call_ms=1e3 * case.first[mode],
                         ms_per_call=[1e3 * t for t in times], ms_min=1e3 * min(times),
                         ms_median=1e3 * med, ms_max=1e3 * max(times),
                         throughput=case.bs / med))
        tick()
    base = rows[0]["ms_median"]
    for r in rows:
        r["speedup_vs_imperative"] = base / r["ms_median"]
    return rows

