"""What scaling buys: ``gluon-notes launch --bench`` trains chapters on 1, 2 and 4 workers.

Design
------
* One run per (chapter, workers): ``launch`` starts a scheduler, ``-s`` servers and the workers on
  127.0.0.1, each worker running the chapter through ``bench_worker`` with ``--kvstore
  dist_sync``; role output goes to ``OUT/runs/CHAPTER-wN/launch.log``, the chapter's own outputs
  (rank 0) to ``OUT/runs/CHAPTER-wN/chapter``.
* The global batch is the chapter's batch (``--batch-size``) for every number of workers, each
  worker taking ``B / N``: the runs follow the single-process optimization path, so the
  time-to-accuracy compares speed alone (``--per-worker-batch``: every worker takes ``B``).
  Workers share the host's cores: each gets ``cores / N`` OpenMP threads (or
  ``--threads-per-worker``) and the chapter's CPU profile.
* Figures, from every worker's ``StepTimer`` record: samples/s = all workers' training samples
  / the slowest worker's training seconds (epochs' loops only: start-up and evaluation
  excluded); time-to-accuracy = rank 0's wall seconds from the start of training to the end of
  the first evaluation at or above the target (resolution: one epoch); KVStore share = the
  sampled steps' ``trainer.step`` seconds / their whole seconds, the mean over workers.
* Results: a table on stdout, ``OUT/bench.json`` and ``OUT/scaling.png``.
"""
import os
import sys
import time
from pathlib import Path

from .. import perf
from ..atomic import write_json
from ..errors import GluonNotesError
from .bench_worker import CHAPTERS, EVERY, cpu_profile, read_timings
from .launch import launch

#: each chapter's bounded defaults (a few minutes in all on 2 cores) and accuracy target
PLAN = {"mlp": dict(epochs=2, limit=None, target=0.80),
        "lenet": dict(epochs=2, limit=6000, target=0.70)}
WORKERS = (1, 2, 4)


def parse_args(argv, prog):
    from argparse import ArgumentTypeError

    from ..cliargs import ArgumentParser, positive_float, positive_int

    def int_list(text):
        try:
            values = [int(v) for v in text.split(",")]
        except ValueError:
            values = []
        if not values or min(values) < 1:
            raise ArgumentTypeError("give whole numbers >= 1 separated by commas, e.g. 1,2,4; "
                                    "got %r" % text)
        return values

    def target(text):
        name, _, acc = text.partition("=")
        try:
            value = float(acc)
        except ValueError:
            value = -1.0
        if name not in CHAPTERS or not 0 < value <= 1:
            raise ArgumentTypeError("write CHAPTER=ACCURACY with a chapter of %s and an accuracy "
                                    "in (0, 1], e.g. mlp=0.8; got %r" % (",".join(CHAPTERS), text))
        return name, value
    p = ArgumentParser(prog=prog, description="Train chapters with dist_sync on 1, 2 and 4 "
                       "workers on this host; report samples/s, time-to-accuracy and the "
                       "KVStore share of a step.")
    p.add_argument("--chapters", default="mlp,lenet",
                   help="comma-separated, of %s (default %%(default)s)" % ",".join(CHAPTERS))
    p.add_argument("-n", "--workers", type=int_list, default=list(WORKERS),
                   help="numbers of workers (default 1,2,4)")
    p.add_argument("-s", "--num-servers", type=positive_int, default=1)
    p.add_argument("--epochs", type=positive_int, help="epochs of every run (default: mlp 2, "
                                                        "lenet 2)")
    p.add_argument("--limit", type=positive_int, help="first N images of each split (default: "
                                                       "mlp all, lenet 6000)")
    p.add_argument("--batch-size", type=positive_int,
                   help="global batch (default: the chapter's, 256)")
    p.add_argument("--per-worker-batch", action="store_true",
                   help="every worker takes --batch-size (the global batch grows with N)")
    p.add_argument("--target", type=target, action="append", default=[], metavar="CH=ACC",
                   help="test accuracy to reach (default mlp=0.8, lenet=0.7)")
    p.add_argument("--threads-per-worker", type=positive_int,
                   help="OpenMP threads of each worker (default: physical cores / workers)")
    p.add_argument("--every", type=positive_int, default=EVERY,
                   help="time one step in EVERY for the KVStore share (default %(default)s)")
    p.add_argument("--timeout", type=positive_float, default=900.0,
                   help="seconds before one run is stopped (default %(default)s)")
    p.add_argument("--out", default=os.path.join("runs", "dist-bench"),
                   help="folder for bench.json, scaling.png and the runs (default %(default)s)")
    args = p.parse_args(argv)
    args.chapters = [c.strip() for c in args.chapters.split(",") if c.strip()]
    bad = [c for c in args.chapters if c not in CHAPTERS]
    if bad or not args.chapters:
        raise GluonNotesError("--chapters %s: the bench runs %s; name some of them."
                              % (",".join(bad) or "(none)", ", ".join(CHAPTERS)))
    if args.every < 2:
        raise GluonNotesError("--every must be >= 2 (a timed step needs an untimed one before "
                              "it), got %d." % args.every)
    args.target = dict(args.target)
    return args


def cpu_info():
    """``{'model', 'family', 'model_number', 'avx2', 'cores', 'logical'}`` of this host."""
    info = {}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = (s.strip() for s in line.partition(":"))
            if key in ("model name", "cpu family", "model", "flags") and key not in info:
                info[key] = value
    except OSError:
        pass
    return dict(model=info.get("model name"), family=info.get("cpu family"),
                model_number=info.get("model"), avx2="avx2" in info.get("flags", "").split(),
                cores=perf.physical_cores(), logical=os.cpu_count())


def run_one(args, chapter, workers, folder):
    """Launch one run; return its timing records (one per worker) and wall seconds."""
    defaults = __import__("gluon_notes.chapters." + chapter, fromlist=["DEFAULTS"]).DEFAULTS
    batch = args.batch_size or defaults["batch_size"]
    if not args.per_worker_batch and batch % workers:
        raise GluonNotesError("the global batch %d does not split over %d workers; pass a "
                              "--batch-size divisible by every number of workers." % (batch,
                                                                                   workers))
    local = batch if args.per_worker_batch else batch // workers
    epochs = args.epochs or PLAN[chapter]["epochs"]
    limit = args.limit or PLAN[chapter]["limit"]
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("worker-*.json"):
        old.unlink()
    command = [sys.executable, "-m", "gluon_notes.dist.bench_worker", chapter, str(folder),
               "--kvstore", "dist_sync", "--epochs", str(epochs), "--batch-size", str(local),
               "--out", str(folder / "chapter")] + (["--limit", str(limit)] if limit else [])
    env = {"GLUON_NOTES_BENCH_EVERY": str(args.every)}
    if perf.ENV_SWITCH not in os.environ:  # the user's own settings win over the defaults
        env[perf.ENV_SWITCH] = cpu_profile(chapter)
    if args.threads_per_worker or "MXNET_OMP_MAX_THREADS" not in os.environ:
        env["MXNET_OMP_MAX_THREADS"] = str(args.threads_per_worker
                                           or max(1, perf.physical_cores() // workers))
    t = time.perf_counter()
    with open(folder / "launch.log", "w") as log:
        status = launch(workers, args.num_servers, command, env=env, timeout=args.timeout,
                        output=log, log=log)
    wall = time.perf_counter() - t
    timings = read_timings(folder)
    if status != 0 or len(timings) != workers:
        raise GluonNotesError("the bench run of %s on %d worker(s) failed (status %d); its "
                              "output is in %s." % (chapter, workers, status,
                                                    folder / "launch.log"))
    settings = dict(epochs=epochs, limit=limit, global_batch=local * workers,
                    batch_per_worker=local, threads_per_worker=int(env.get(
                        "MXNET_OMP_MAX_THREADS", perf.omp_threads())),
                    profile=env.get(perf.ENV_SWITCH, os.environ.get(perf.ENV_SWITCH)))
    return timings, wall, settings


def summarize(chapter, workers, timings, wall, settings, target):
    """One row of the results from the workers' ``StepTimer`` records."""
    samples = sum(e["n"] for t in timings for e in t["epochs"])
    seconds = max(sum(e["seconds"] for e in t["epochs"]) for t in timings)
    main = next((t for t in timings if t["main"]), timings[0])
    accs = [e["test_acc"] for e in main["epochs"]]
    hit = next((e for e in main["epochs"] if (e["test_acc"] or 0) >= target), None)
    shares = [t["comm_seconds"] / (t["comm_seconds"] + t["compute_seconds"])
              for t in timings if t["sampled_steps"]]
    return dict(chapter=chapter, workers=workers, **settings,
                samples_per_sec=samples / seconds, train_seconds=seconds,
                target=target, time_to_accuracy=hit["elapsed"] if hit else None,
                reached_at_epoch=hit["epoch"] if hit else None,
                test_acc=accs, final_test_acc=accs[-1], best_test_acc=max(accs),
                comm_share=sum(shares) / len(shares) if shares else None,
                comm_share_per_worker=shares,
                sampled_steps=sum(t["sampled_steps"] for t in timings),
                steps_per_worker=main["steps"], wall_seconds=wall)


def table(rows):
    """The results as text, one line per run."""
    head = ("chapter", "workers", "batch/worker", "samples/s", "speed-up", "target",
            "time to target", "best acc", "KVStore share", "wall s")
    form = "%-7s %7s %12s %10s %8s %6s %14s %8s %13s %7s"
    lines = [form % head]
    base = {r["chapter"]: r["samples_per_sec"] for r in rows if r["workers"] == 1}
    for r in rows:
        tta = ("%.1f s (ep %d)" % (r["time_to_accuracy"], r["reached_at_epoch"])
               if r["time_to_accuracy"] is not None else "not reached")
        speed = r["samples_per_sec"] / base[r["chapter"]] if r["chapter"] in base else None
        lines.append(form % (
            r["chapter"], r["workers"], r["batch_per_worker"], "%.0f" % r["samples_per_sec"],
            "-" if speed is None else "%.2f" % speed, "%.2f" % r["target"], tta,
            "%.3f" % r["best_test_acc"],
            "-" if r["comm_share"] is None else "%.2f" % r["comm_share"],
            "%.0f" % r["wall_seconds"]))
    return "\n".join(lines)


def plot(rows, path):
    """Samples/s, time-to-accuracy and KVStore share against the number of workers."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..plot import finish_figure
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
    for i, chapter in enumerate(dict.fromkeys(r["chapter"] for r in rows)):
        mine = [r for r in rows if r["chapter"] == chapter]
        ws = [r["workers"] for r in mine]
        axes[0].plot(ws, [r["samples_per_sec"] for r in mine], "o-", color="C%d" % i,
                     label=chapter)
        reached = [r for r in mine if r["time_to_accuracy"] is not None]
        missed = [str(r["workers"]) for r in mine if r["time_to_accuracy"] is None]
        axes[1].plot([r["workers"] for r in reached], [r["time_to_accuracy"] for r in reached],
                     "o-", color="C%d" % i, label="%s to %.2f%s" % (
                         chapter, mine[0]["target"],
                         " (not reached: %s workers)" % ",".join(missed) if missed else ""))
        shared = [r for r in mine if r["comm_share"] is not None]
        axes[2].plot([r["workers"] for r in shared], [r["comm_share"] for r in shared], "o-",
                     color="C%d" % i, label=chapter)
    for ax, ylabel in zip(axes, ("samples/s (global)", "seconds to target accuracy",
                                 "KVStore share of a step")):
        ax.set_xlabel("workers")
        ax.set_ylabel(ylabel)
        ax.set_xticks(sorted({r["workers"] for r in rows}))
    axes[0].set_yscale("log")  # the chapters differ by orders of magnitude
    axes[1].set_ylim(bottom=0)
    axes[2].set_ylim(0, 1)
    finish_figure(fig, axes, path, title="dist_sync on one host")


def main(argv=None, prog="gluon-notes launch --bench"):
    """Run the bench; print the table; write ``bench.json`` and ``scaling.png``. Returns 0."""
    args = parse_args(sys.argv[1:] if argv is None else list(argv), prog)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    load_before, rows = os.getloadavg(), []
    for chapter in args.chapters:
        target = args.target.get(chapter, PLAN[chapter]["target"])
        for workers in args.workers:
            folder = out / "runs" / ("%s-w%d" % (chapter, workers))
            timings, wall, settings = run_one(args, chapter, workers, folder)
            rows.append(summarize(chapter, workers, timings, wall, settings, target))
            r = rows[-1]
            print("%s on %d worker(s): %.0f samples/s, best test acc %.3f, %.0f s"
                  % (chapter, workers, r["samples_per_sec"], r["best_test_acc"], wall),
                  flush=True)
    print(table(rows))
    write_json(out / "bench.json", dict(
        command=" ".join([prog] + list(sys.argv[1:] if argv is None else argv)),
        cpu=cpu_info(), load_average_before=load_before, load_average_after=os.getloadavg(),
        servers=args.num_servers, per_worker_batch=args.per_worker_batch, every=args.every,
        results=rows))
    plot(rows, out / "scaling.png")
    print("wrote %s, %s" % (out / "bench.json", out / "scaling.png"))
    return 0
