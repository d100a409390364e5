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
of a figure, and no ratio to PyTorch is reported. Outputs: ``bench.json``, ``bench.png`` and a
table.
"""
import argparse
import os
import platform
import sys
import time

import mxnet as mx
from tqdm.auto import tqdm

from ..atomic import write_group
from ..cliargs import ArgumentParser, ctx_arg, positive_int, prepare_out
from ..errors import GluonNotesError
from .loop import run_loop_child
from .models import (DEFAULT_MODELS, MODELS, get_bench_model, import_torch, set_torch_threads,
                     torch_default_threads, torch_threads)
from .report import WORKLOADS, bench_figure, format_table
from .timing import MODES, TARGET_SECONDS, Case, time_case
from .twins import CHECKED, TwinMismatch, check_twin

LOOP_MODELS = ("softmax", "mlp", "lenet")
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
    if "loop" in args.workloads and args.epochs < 2:
        raise GluonNotesError("--epochs must be at least 2 (the first is a warm-up).")
    args.modes = ["imperative"] + [m for m in args.modes if m != "imperative"]
    args.loop_models = [m for m in args.loop_models if m in args.models] or args.loop_models
    return args


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
             for m in args.models for w in args.workloads if w != "loop"]
    loop_models = args.loop_models if "loop" in args.workloads else []
    pairs = [(c.model.name, c.workload) for c in cases] + [(m, "loop") for m in loop_models]
    bar = tqdm(total=len(cases) * (len(args.modes) + 2) + len(loop_models) * (len(args.modes) + 1),
               desc="bench", unit="run", leave=False, file=sys.stderr)
    try:
        for case in cases:  # every correctness check before any timing: Gluon's modes agree...
            bar.set_postfix_str("check %s %s" % (case.model.name, case.workload))
            for mode in args.modes:
                case.add_mode(mode)
            bar.update(1)
        bar.set_postfix_str("check the PyTorch twins")  # ... and so does each PyTorch twin
        peers = check_twins(pairs, torch, args.peer == "torch") if peer == "ok" else \
            dict.fromkeys(pairs, (peer, None))
        rows = _time(args, torch, cases, loop_models, peers, lambda: bar.update(1),
                     bar.set_postfix_str)
    finally:
        bar.close()  # also on an error: its sentence is then the last line on stderr
    for r in rows:  # the peer ratio: this mode's throughput over PyTorch eager's
        t = next((x for x in rows if x["model"] == r["model"] and x["workload"] == r["workload"]
                  and x["mode"] == "torch" and x.get("throughput")), None)
        if t is not None and r.get("throughput") and r["mode"] != "torch":
            r["vs_torch"] = r["throughput"] / t["throughput"]
    settings = {k: (str(v) if k == "ctx" else v) for k, v in vars(args).items() if k != "out"}
    return dict(settings=settings, peer=peer, results=rows)


def _time(args, torch, cases, loop_models, peers, tick, say):
    """Time the checked cases and loops; PyTorch only where ``peers`` says 'ok'."""
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
    for name in loop_models:  # each in a child process, with the model's CPU profile
        say("%s loop" % name)
        status, reason = peers[name, "loop"]
        loop_rows = run_loop_child(get_bench_model(name), args.modes, args.loop_batch_size,
                                   args.loop_samples, args.epochs, args.ctx[0], status == "ok",
                                   torch_default_threads() if status == "ok" else None, tick)
        rows += [r for r in loop_rows if status == "ok" or r["mode"] != "torch"]
        if status != "ok":
            rows.append(dict(_peer_row(name, "loop", args.loop_batch_size, status, reason),
                             samples=args.loop_samples, epochs=args.epochs))
    return rows


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
    print(format_table(doc["results"], doc["peer"]))
    title = "%s, %s" % (machine["cpu"], args.ctx[0])
    # one pair: bench.json (written last) records the sha256 of the bench.png beside it
    write_group(out, {"bench.png": bench_figure(doc["results"], title), "bench.json": doc})
    print("wrote %s, %s" % (out / "bench.json", out / "bench.png"))
    return 0
