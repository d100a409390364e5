"""``gluon-notes bench``: what ``hybridize()`` buys, per model, mode and workload (book 4.8).

Modes: ``imperative``; ``hybridize`` (``hybridize()``); ``static``
(``hybridize(static_alloc=True, static_shape=True)``). Workloads: ``inference`` (N forward calls,
then ``nd.waitall()``), ``train`` (N steps of ``autograd.record``, ``backward``,
``trainer.step``) and ``loop`` (whole epochs of ``train.fit``, see ``bench_loop``). The first call
(deferred init, graph construction) is timed apart from the repeats. Before anything is timed,
every mode's outputs (and, for training, loss and gradients) are compared with the imperative
ones; a model whose modes disagree stops the run. PyTorch eager, with the same weights, is timed
alongside when ``torch`` is importable. Outputs: ``bench.json``, ``bench.png`` and a table.
"""
import argparse
import contextlib
import os
import platform
import sys
import time
from statistics import median

import numpy as np
import mxnet as mx
from mxnet import autograd, gluon, nd
from tqdm.auto import tqdm

from .bench_loop import run_loop_child
from .bench_report import WORKLOADS, format_table, plot_bench
from .bench_models import (DEFAULT_MODELS, MODELS, copy_to_torch, get_bench_model,
                           import_torch, set_torch_threads, torch_default_threads,
                           torch_threads)
from .callbacks import write_json
from .chapters._common import ArgumentParser, ctx_arg, positive_int, prepare_out
from .errors import GluonNotesError

MODES = {"imperative": None, "hybridize": {}, "static": dict(static_alloc=True, static_shape=True)}
LOOP_MODELS = ("softmax", "mlp", "lenet")
TARGET_SECONDS = 0.2  # a calibrated repeat lasts about this long


def _names(valid, what):
    def parse(text):
        names = [s.strip() for s in text.split(",") if s.strip()]
        bad = [n for n in names if n not in valid]
        if bad or not names:
            raise argparse.ArgumentTypeError("unknown %s %s; choose from %s" % (
                what, ",".join(bad) or "''", ",".join(valid)))
        return names
    parse.__name__ = what
    return parse


def parse_args(argv):
    p = ArgumentParser(prog="gluon-notes bench", description=__doc__.splitlines()[0])
    p.add_argument("--models", type=_names(list(MODELS), "model"), default=DEFAULT_MODELS,
                   help="comma-separated, from %s (default: all)" % ",".join(MODELS))
    p.add_argument("--modes", type=_names(list(MODES), "mode"), default=list(MODES),
                   help="comma-separated, from %s; imperative always runs" % ",".join(MODES))
    p.add_argument("--workloads", type=_names(WORKLOADS, "workload"), default=list(WORKLOADS),
                   help="comma-separated, from %s (default: all)" % ",".join(WORKLOADS))
    p.add_argument("--ctx", type=ctx_arg, default="cpu", help="one device (default cpu)")
    p.add_argument("--batch-size", type=positive_int, default=1,
                   help="batch of the inference and train workloads (default 1)")
    p.add_argument("--repeats", type=positive_int, default=5, help="timed repeats (default 5)")
    p.add_argument("--number", type=positive_int, default=None,
                   help="calls per repeat (default: calibrated to ~%.1f s)" % TARGET_SECONDS)
    p.add_argument("--loop-models", type=_names(list(MODELS), "model"), default=list(LOOP_MODELS),
                   help="models of the loop workload (default %s)" % ",".join(LOOP_MODELS))
    p.add_argument("--loop-batch-size", type=positive_int, default=256)
    # eight measured epochs: the loop's alternate with PyTorch's, so both meet the VM's fast
    # and slow spells alike (docs/performance.md); shorter epochs would over-weight the loop's
    # once-per-epoch sync, which real 235-batch epochs amortize
    p.add_argument("--loop-samples", type=positive_int, default=30720,
                   help="synthetic training images per epoch (default 30720)")
    p.add_argument("--epochs", type=positive_int, default=9,
                   help="loop epochs; the first is a warm-up (default 9)")
    p.add_argument("--torch-threads", type=positive_int, default=None,
                   help="threads of the PyTorch peer (default: PyTorch's own default); 1 compares "
                        "with MXNet's default on a machine without hyper-threads")
    p.add_argument("--out", default=os.path.join("runs", "bench"), help="output folder")
    args = p.parse_args(argv)
    if isinstance(args.ctx, str):
        args.ctx = ctx_arg(args.ctx)
    if len(args.ctx) != 1:
        raise GluonNotesError("bench times one device, got --ctx with %d; pass --ctx cpu or "
                              "--ctx gpu:0." % len(args.ctx))
    if "loop" in args.workloads and args.epochs < 2:
        raise GluonNotesError("--epochs must be at least 2 (the first is a warm-up).")
    args.modes = ["imperative"] + [m for m in args.modes if m != "imperative"]
    args.loop_models = [m for m in args.loop_models if m in args.models] or args.loop_models
    return args


# --- one model, one workload: build, first call, check, time -----------------------------------

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
        """Time PyTorch eager's first call on the twin, after checking it computes the same."""
        tnet = copy_to_torch([p.asnumpy() for p in self.ref_params],
                             self.model.make_torch(torch), torch)
        X, y = torch.from_numpy(self.Xnp), torch.from_numpy(self.ynp).long()
        lossf = torch.nn.CrossEntropyLoss(reduction="none")
        start = time.perf_counter()  # PyTorch's first call is its check
        if self.workload == "inference":
            tnet.eval()
            with torch.no_grad():
                got = tnet(X).numpy()

            def call():
                with torch.no_grad():
                    tnet(X)
        else:
            tnet.train()
            got = lossf(tnet(X), y).detach().numpy()
            self.first["torch"] = time.perf_counter() - start
            copy_to_torch([p.asnumpy() for p in self.ref_params], tnet, torch)  # undo BN stats
            opt = torch.optim.SGD(tnet.parameters(), lr=0.01)

            def call():
                opt.zero_grad()
                lossf(tnet(X), y).mean().backward()
                opt.step()
        self.first.setdefault("torch", time.perf_counter() - start)
        if not np.allclose(got, self.ref[0], rtol=1e-3, atol=1e-4 * (np.abs(got).max() + 1)):
            return "mismatch"
        self.calls["torch"] = call
        return "ok"


def _check_same(model, workload, mode, ref, got):
    for i, (a, b) in enumerate(zip(ref, got)):
        if a.shape != b.shape or not np.allclose(b, a, rtol=1e-3,
                                                 atol=1e-5 + 1e-4 * np.abs(a).max()):
            what = "output" if i == 0 else "gradient #%d" % i
            diff = np.abs(a - b).max() if a.shape == b.shape else "a shape %s vs %s" % (
                b.shape, a.shape)
            raise GluonNotesError(
                "%s (%s): the %s of mode %r differs from imperative (max difference %s), so no "
                "timing is reported; make the model hybridize correctly or leave it out with "
                "--models." % (model, workload, what, mode, diff))


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


# --- the run ---------------------------------------------------------------------------------

def machine_info(torch):
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), cpu)
    except OSError:
        pass
    threads = {k: v for k, v in sorted(os.environ.items())
               if k.startswith(("OMP_", "GOMP_", "KMP_", "MXNET_"))}
    info = dict(cpu=cpu, cores=os.cpu_count(), loadavg=list(os.getloadavg()),
                python=platform.python_version(), platform=platform.platform(),
                mxnet=mx.__version__, threads=threads,
                features={f.name: f.enabled for f in mx.runtime.Features().values()},
                torch=None if torch is None else torch.__version__,
                torch_threads=None if torch is None else torch_default_threads())
    return info


def _cpu_seconds():
    """(CPU seconds all processes have used, CPU seconds this process has used), or None."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    # this process and its finished children (the loop benchmark's)
    return (sum(v) - v[3] - v[4]) / os.sysconf("SC_CLK_TCK"), sum(os.times()[:4])


def other_load(before, after, seconds):
    """Cores kept busy by other processes between two ``_cpu_seconds()`` readings."""
    if before is None or after is None or seconds <= 0:
        return None
    return max(0.0, ((after[0] - before[0]) - (after[1] - before[1])) / seconds)


def run(args, torch):
    """Check, then time; return the bench.json document."""
    ctx = args.ctx[0]
    peer = ("ok" if ctx.device_type == "cpu" else "n/a (ctx %s)" % ctx) if torch else \
        "not installed"
    cases = [Case(get_bench_model(m), w, args.batch_size, ctx)
             for m in args.models for w in args.workloads if w != "loop"]
    loop_models = args.loop_models if "loop" in args.workloads else []
    total = len(cases) * (len(args.modes) + (peer == "ok")) + \
        len(loop_models) * (len(args.modes) + 1)
    bar = tqdm(total=total + len(cases), desc="bench", unit="run", leave=False, file=sys.stderr)
    peer_status = {}
    for case in cases:  # every correctness check before any timing
        bar.set_postfix_str("check %s %s" % (case.model.name, case.workload))
        for mode in args.modes:
            case.add_mode(mode)
        if peer == "ok":
            with torch_threads(torch):
                peer_status[case.model.name, case.workload] = case.add_torch(torch)
        bar.update(1)
    rows = []
    for case in cases:
        bar.set_postfix_str("%s %s" % (case.model.name, case.workload))
        rows += time_case(case, args.repeats, args.number, lambda: bar.update(1), torch)
        status = peer_status.get((case.model.name, case.workload), peer)
        if status != "ok":
            rows.append(dict(model=case.model.name, workload=case.workload, mode="torch",
                             batch_size=case.bs, status=status))
    for name in loop_models:  # each in a child process, with the model's CPU profile
        bar.set_postfix_str("%s loop" % name)
        rows += run_loop_child(get_bench_model(name), args.modes, args.loop_batch_size,
                               args.loop_samples, args.epochs, ctx, peer == "ok",
                               torch_default_threads() if peer == "ok" else None,
                               lambda: bar.update(1))
    bar.close()
    for r in rows:  # the peer ratio: this mode's throughput over PyTorch eager's
        t = next((x for x in rows if x["model"] == r["model"] and x["workload"] == r["workload"]
                  and x["mode"] == "torch" and x.get("throughput")), None)
        if t is not None and r.get("throughput") and r["mode"] != "torch":
            r["vs_torch"] = r["throughput"] / t["throughput"]
    settings = {k: (str(v) if k == "ctx" else v) for k, v in vars(args).items() if k != "out"}
    return dict(settings=settings, peer=peer, results=rows)


def main(argv=None):
    args = parse_args(argv)
    out = prepare_out(args.out)
    torch = import_torch()
    if args.torch_threads is not None:
        set_torch_threads(args.torch_threads)
    machine = machine_info(torch)
    cpu0, start = _cpu_seconds(), time.time()
    doc = run(args, torch)
    load = other_load(cpu0, _cpu_seconds(), time.time() - start)
    doc["machine"] = dict(machine, loadavg_after=list(os.getloadavg()), other_load=load)
    print("machine: %s; other processes kept %s cores busy during the run"
          % (machine["cpu"], "?" if load is None else "%.2f" % load))
    print(format_table(doc["results"], doc["peer"]))
    write_json(out / "bench.json", doc)
    plot_bench(doc["results"], out / "bench.png", title="%s, %s" % (machine["cpu"], args.ctx[0]))
    print("wrote %s, %s" % (out / "bench.json", out / "bench.png"))
    return 0
