"""``gluon-notes bench``: what ``hybridize()`` buys, per model, mode and workload (book 4.8).

Modes: ``imperative``; ``hybridize`` (``hybridize()``); ``static``
(``hybridize(static_alloc=True, static_shape=True)``). Workloads: ``inference`` (N forward calls,
then ``nd.waitall()``), ``train`` (N steps of ``autograd.record``, ``backward``,
``trainer.step``) and ``loop`` (whole epochs of ``train.fit``, see ``bench.loop``). The first call
(deferred init, graph construction) is timed apart from the repeats. Before anything is timed,
every mode's outputs (and, for training, loss and gradients) are compared with the imperative
ones; a model whose modes disagree stops the run. PyTorch eager is timed alongside when ``torch``
is importable (``--peer``), but only for a twin that, given the Gluon weights, computes the same
outputs (and, for the training workloads, the same loss, gradients and updated weights; see
``bench.twins``); for a twin that differs the bench refuses: its row carries the reason instead
of a figure, and no ratio to PyTorch is reported. When a CNN is timed, the machine's fp32 GEMM
rate is measured too (``bench.gemm``), and each CNN row gets its achieved GFLOP/s, counted from
the layer shapes (``bench.flops``), and that as a fraction of the best GEMM rate. Outputs:
``bench.json``, ``bench.png`` and a table.
"""
import argparse
import os
import platform
import sys
import time
from dataclasses import dataclass
from typing import Callable, List

import mxnet as mx
from tqdm.auto import tqdm

from ..atomic import write_group
from ..cliargs import ArgumentParser, ctx_arg, nonnegative_int, positive_int, prepare_out
from ..errors import GluonNotesError
from .flops import add_achieved, model_flops
from .gemm import METHODS as GEMM_METHODS, SIZE as GEMM_SIZE, measure_gemm
from .loop import run_loop_child
from .models import (DEFAULT_MODELS, MODELS, get_bench_model, import_torch, set_torch_threads,
                     torch_default_threads, torch_threads)
from .report import WORKLOADS, bench_figure, format_table
from .timing import MODES, TARGET_SECONDS, Case, time_case
from .twins import CHECKED, TwinMismatch, check_twin

#: the loop workload's models without ``--loop-models``: these in a default run; those of
#: ``--models`` that are in ``LOOP_CAPABLE`` when it is given
LOOP_MODELS = ("softmax", "mlp", "lenet")
LOOP_CAPABLE = LOOP_MODELS + ("resnet18_96",)
#: the loop's batch size, samples per epoch and epochs, unless the model (``BenchModel.loop``)
#: or the command line says otherwise
#: (eight measured epochs: the loop's alternate with PyTorch's, so both meet the VM's fast and
#: slow spells alike, docs/performance.md; shorter epochs would over-weight the loop's
#: once-per-epoch sync, which real 235-batch epochs amortize)
LOOP_DEFAULTS = dict(batch_size=256, samples=30720, epochs=9)
PEERS = ("auto", "torch", "none")


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
    p.add_argument("--models", type=_names(list(MODELS), "model"), default=None,
                   help="comma-separated, from %s (default: all but %s)" % (
                       ",".join(MODELS), ",".join(m for m in MODELS if m not in DEFAULT_MODELS)))
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
    p.add_argument("--loop-models", type=_names(list(MODELS), "model"), default=None,
                   help="models of the loop workload (default: those of --models among %s; "
                        "without --models, %s)" % (",".join(LOOP_CAPABLE), ",".join(LOOP_MODELS)))
    p.add_argument("--loop-batch-size", type=positive_int, default=None,
                   help="default %(batch_size)d (resnet18_96: 64)" % LOOP_DEFAULTS)
    p.add_argument("--loop-samples", type=positive_int, default=None,
                   help="synthetic training images per epoch (default %(samples)d; "
                        "resnet18_96: 256)" % LOOP_DEFAULTS)
    p.add_argument("--epochs", type=positive_int, default=None,
                   help="loop epochs; the first is a warm-up (default %(epochs)d; resnet18_96: "
                        "4)" % LOOP_DEFAULTS)
    p.add_argument("--gemm-size", type=nonnegative_int, default=GEMM_SIZE,
                   help="side of the fp32 GEMM whose rate the CNNs' GFLOP/s are compared with, "
                        "measured when a CNN is timed (default %d; 0: not measured)" % GEMM_SIZE)
    p.add_argument("--peer", choices=PEERS, default="auto",
                   help="the PyTorch comparison: auto (when PyTorch is installed and its twin "
                        "computes the same), torch (required: a missing PyTorch or a twin that "
                        "differs is an error), none (default auto)")
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
    if "loop" in args.workloads and args.epochs is not None and args.epochs < 2:
        raise GluonNotesError("--epochs must be at least 2 (the first is a warm-up).")
    args.modes = ["imperative"] + [m for m in args.modes if m != "imperative"]
    if args.loop_models is None:
        args.loop_models = list(LOOP_MODELS) if args.models is None else \
            [m for m in args.models if m in LOOP_CAPABLE]
    if args.models is None:
        args.models = list(DEFAULT_MODELS)
    return args


def loop_settings(args, model):
    """``(batch_size, samples, epochs)`` of ``model``'s loop: the command line's, else the
    model's own (``BenchModel.loop``), else ``LOOP_DEFAULTS``."""
    own = dict(LOOP_DEFAULTS, **(model.loop or {}))
    given = dict(batch_size=args.loop_batch_size, samples=args.loop_samples, epochs=args.epochs)
    return tuple(given[k] if given[k] is not None else own[k]
                 for k in ("batch_size", "samples", "epochs"))


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


def peer_status(args, torch):
    """Whether PyTorch is timed in this run: 'ok', or why not (one short phrase)."""
    if args.peer == "none":
        return "not asked"
    status = "not installed" if torch is None else "ok" if args.ctx[0].device_type == "cpu" \
        else "n/a (ctx %s)" % args.ctx[0]
    if status != "ok" and args.peer == "torch":
        raise GluonNotesError("--peer torch asks for the PyTorch comparison, but PyTorch is %s; "
                              "install torch (make install) or use --peer auto." % status)
    return status


def check_twins(pairs, torch, required):
    """``{(model, workload): (status, reason)}``: 'ok' where the model's PyTorch twin computes
    what its Gluon network does, else 'refused' and the sentence saying what differs ('no twin'
    for a model without one). With ``required`` (``--peer torch``) anything but 'ok' is an error.
    """
    checked, peers = {}, {}
    for name, workload in pairs:
        model = get_bench_model(name)
        if model.make_torch is None:
            peers[name, workload] = ("no twin", None)
            if required:
                raise TwinMismatch("%s has no PyTorch twin to compare with; leave it out with "
                                   "--models or use --peer auto." % name)
            continue
        if name not in checked:
            with torch_threads(torch):
                checked[name] = check_twin(model, torch)
        problem = checked[name][CHECKED[workload]]
        if problem and required:
            raise TwinMismatch(problem)
        peers[name, workload] = ("refused", problem) if problem else ("ok", None)
    return peers


def run(args, torch):
    """Check, then time; return the bench.json document."""
    peer = peer_status(args, torch)
    cases = [Case(get_bench_model(m), w, args.batch_size, args.ctx[0])
             for m in args.models for w in args.workloads if w not in RUNNERS]
    own = {w: RUNNERS[w].models(args) for w in args.workloads if w in RUNNERS}
    pairs = [(c.model.name, c.workload) for c in cases] + [
        (m, w) for w, names in own.items() for m in names]
    counts = {m: model_flops(get_bench_model(m)) for m in dict.fromkeys(m for m, _ in pairs)}
    flops = {m: c for m, c in counts.items() if c["convolutions"]}  # the CNNs
    gemm_steps = len(GEMM_METHODS) if flops and args.gemm_size else 0
    bar = tqdm(total=len(cases) * (len(args.modes) + 2) + gemm_steps + sum(
        RUNNERS[w].steps(args, names) for w, names in own.items()),
        desc="bench", unit="run", leave=False, file=sys.stderr)
    tick = lambda: bar.update(1)  # noqa: E731
    try:
        for case in cases:  # every correctness check before any timing: Gluon's modes agree...
            bar.set_postfix_str("check %s %s" % (case.model.name, case.workload))
            for mode in args.modes:
                case.add_mode(mode)
            tick()
        bar.set_postfix_str("check the PyTorch twins")  # ... and so does each PyTorch twin
        peers = check_twins(pairs, torch, args.peer == "torch") if peer == "ok" else \
            dict.fromkeys(pairs, (peer, None))
        rows = _time_cases(args, torch, cases, peers, tick, bar.set_postfix_str)
        for workload, names in own.items():
            rows += RUNNERS[workload].run(args, torch, names, peers, tick, bar.set_postfix_str)
        bar.set_postfix_str("fp32 GEMM %d^3" % args.gemm_size)
        gemm = measure_gemm(args.gemm_size, tick=tick) if gemm_steps else None
    finally:
        bar.close()  # also on an error: its sentence is then the last line on stderr
    for r in rows:  # the peer ratio: this mode's throughput over PyTorch eager's
        t = next((x for x in rows if x["model"] == r["model"] and x["workload"] == r["workload"]
                  and x["mode"] == "torch" and x.get("throughput")), None)
        if t is not None and r.get("throughput") and r["mode"] != "torch":
            r["vs_torch"] = r["throughput"] / t["throughput"]
    add_achieved(rows, flops, gemm and gemm["best_gflops"])
    settings = {k: (str(v) if k == "ctx" else v) for k, v in vars(args).items() if k != "out"}
    return dict(settings=settings, peer=peer, gemm=gemm, flops=flops, results=rows)


def _time_cases(args, torch, cases, peers, tick, say):
    """Time the checked cases; PyTorch only where ``peers`` says 'ok'."""
    rows = []
    for case in cases:
        status, reason = peers[case.model.name, case.workload]
        if status == "ok":
            with torch_threads(torch):
                case.add_torch(torch)
    for case in cases:
        say("%s %s" % (case.model.name, case.workload))
        rows += time_case(case, args.repeats, args.number, tick, torch)
        status, reason = peers[case.model.name, case.workload]
        if status != "ok":
            tick()
            rows.append(_peer_row(case.model.name, case.workload, case.bs, status, reason))
    return rows


def _loop_rows(args, torch, names, peers, tick, say):
    """Each model's loop in a child process with its CPU profile; PyTorch where ``peers`` says
    'ok'."""
    rows = []
    for name in names:
        say("%s loop" % name)
        model = get_bench_model(name)
        batch_size, samples, epochs = loop_settings(args, model)
        status, reason = peers[name, "loop"]
        loop_rows = run_loop_child(model, args.modes, batch_size, samples, epochs, args.ctx[0],
                                   status == "ok",
                                   torch_default_threads() if status == "ok" else None, tick)
        rows += [r for r in loop_rows if status == "ok" or r["mode"] != "torch"]
        if status != "ok":
            rows.append(dict(_peer_row(name, "loop", batch_size, status, reason),
                             samples=samples, epochs=epochs))
    return rows


@dataclass(frozen=True)
class Runner:
    """A workload timed by a function of its own instead of a ``Case`` per model and mode."""
    models: Callable[..., List[str]]  # (args) -> the models it runs
    steps: Callable[..., int]         # (args, models) -> its progress-bar steps
    run: Callable[..., List[dict]]    # (args, torch, models, peers, tick, say) -> result rows


#: workload -> its runner; every other workload of ``report.WORKLOADS`` is a ``timing.Case``
#: per model. A new workload registers here (its twin check: ``twins.CHECKED``).
RUNNERS = {"loop": Runner(lambda args: args.loop_models,
                          lambda args, names: len(names) * (len(args.modes) + 1), _loop_rows)}


def _peer_row(model, workload, batch_size, status, reason):
    """The PyTorch row of a pair that is not timed: why not, and no figure."""
    row = dict(model=model, workload=workload, mode="torch", batch_size=batch_size,
               status=status)
    if reason:
        row["reason"] = reason
    return row


def main(argv=None):
    args = parse_args(argv)
    out = prepare_out(args.out)
    torch = import_torch() if args.peer != "none" else None
    if args.torch_threads is not None:
        set_torch_threads(args.torch_threads)
    machine = machine_info(torch)
    cpu0, start = _cpu_seconds(), time.time()
    doc = run(args, torch)
    load = other_load(cpu0, _cpu_seconds(), time.time() - start)
    doc["machine"] = dict(machine, loadavg_after=list(os.getloadavg()), other_load=load)
    print("machine: %s; other processes kept %s cores busy during the run"
          % (machine["cpu"], "?" if load is None else "%.2f" % load))
    print(format_table(doc["results"], doc["peer"], doc["gemm"]))
    title = "%s, %s" % (machine["cpu"], args.ctx[0])
    # one pair: bench.json (written last) records the sha256 of the bench.png beside it
    write_group(out, {"bench.png": bench_figure(doc["results"], title), "bench.json": doc})
    print("wrote %s, %s" % (out / "bench.json", out / "bench.png"))
    return 0
