"""What every chapter script shares: the common options, one per-seed runner, saving results.

Design
------
* One vocabulary: ``parse_args`` gives every chapter the options that make sense for it
  (``--ctx --seed --out --hybridize`` always; ``--epochs --batch-size --lr`` from its
  ``DEFAULTS``; ``--checkpoint DIR --resume`` when it trains through ``fit`` with epochs).
  The value types come from ``gluon_notes.cliargs``; every bad value is refused before training.
* One per-seed runner: ``run_seeds(args, train_one)`` trains once per ``--seed``, prints each
  ``means`` key's mean over the seeds, saves ``metrics.json`` + ``curves.png`` and returns the
  metrics. A chapter that shows one run passes ``seeds="one"``, and a list of seeds is refused.
* Ctrl-C (``KeyboardInterrupt``; ``fit`` raises ``TrainingInterrupted`` carrying the finished
  epochs as ``.history``) keeps what finished: it is saved marked ``"interrupted": true`` and
  the exception goes on (the CLI says so in one line and exits 130).
* ``save_results`` writes the figure and ``metrics.json`` as one group (``atomic.write_group``,
  the index last); if ``--out`` was removed during the run it is recreated, and if it cannot be
  written any more the results go to a new temporary folder, named on stderr.

A chapter reads as "data + model + loss + one call to the loop"::

    DEFAULTS = dict(batch_size=256, lr=0.1, num_epochs=5)

    def main(argv=None):
        args = parse_args("softmax", DEFAULTS, __doc__, argv)
        return run_classifier(args, make_net=lambda: softmax_net(), init=init.Normal(0.01))
"""
import os
import sys
import tempfile
from pathlib import Path

from .. import perf
from ..atomic import write_group
from ..callbacks import History
from ..cliargs import (CTX_HELP, ArgumentParser, ctx_arg,  # noqa: F401  (re-exported)
                       nonnegative_int, positive_float, positive_int, prepare_out, seed_list)
from ..context import parse_ctx, try_gpu
from ..errors import GluonNotesError


KVSTORES = ("device", "local", "dist_sync", "dist_async")


def make_parser(chapter, defaults, doc):
    """The common options, with the chapter's book settings as defaults.

    ``--epochs``, ``--batch-size`` and ``--lr`` exist when ``defaults`` has ``num_epochs``,
    ``batch_size``, ``lr``; ``hybridize=True`` offers ``--imperative`` instead of
    ``--hybridize``, and ``hybridize=None`` neither (nothing to hybridize).
    """
    p = ArgumentParser(prog="gluon-notes run " + chapter,
                       description=(doc or "").strip().splitlines()[0] if doc else None)
    if "num_epochs" in defaults:
        p.add_argument("--epochs", dest="num_epochs", type=positive_int,
                       default=defaults["num_epochs"], help="epochs (default %(default)s)")
    if "batch_size" in defaults:
        p.add_argument("--batch-size", type=positive_int, default=defaults["batch_size"],
                       help="mini-batch size (default %(default)s)")
    if "lr" in defaults:
        p.add_argument("--lr", type=positive_float, default=defaults["lr"],
                       help="learning rate (default %(default)s)")
    # a chapter whose default is a GPU takes the first one if any, without a note (try_gpu)
    p.add_argument("--ctx", type=ctx_arg, default=[try_gpu()] if defaults.get("gpu") else "cpu",
                   help=CTX_HELP)
    if "hybridize" in defaults and defaults["hybridize"] is None:
        p.set_defaults(hybridize=False)
    elif defaults.get("hybridize"):
        p.add_argument("--imperative", dest="hybridize", action="store_false", default=True,
                       help="train without hybridize (default: the whole graph is hybridized)")
    else:
        p.add_argument("--hybridize", action="store_true", help="hybridize the network")
    p.add_argument("--seed", type=seed_list, default=[defaults.get("seed", 0)],
                   help="random seed in [0, 2**32), or several (0,1,2) to report their mean "
                        "(default 0)")
    p.add_argument("--out", default=os.path.join("runs", chapter),
                   help="folder for metrics.json and curves.png (default %(default)s)")
    if "num_epochs" in defaults:
        p.add_argument("--checkpoint", metavar="DIR", default=None,
                       help="save a checkpoint every epoch into DIR/seed-S (one folder per seed)")
        p.add_argument("--resume", action="store_true",
                       help="continue from the checkpoints in --checkpoint DIR")
        p.add_argument("--kvstore", choices=KVSTORES, default="device",
                       help="how gradients are summed: over this process's devices (device, "
                            "local) or over the workers of `gluon-notes launch` (dist_sync, "
                            "dist_async; the Fashion-MNIST chapters) (default %(default)s)")
    return p


def parse_args(chapter, defaults, doc, argv=None, extra=None, seeds="many"):
    """Parse ``argv`` with the common options plus ``extra(parser)``'s own.

    ``seeds="one"``: the chapter shows one run, and a list of seeds is refused.
    """
    p = make_parser(chapter, defaults, doc)
    if extra is not None:
        extra(p)
    args = p.parse_args(argv)
    if isinstance(args.ctx, str):
        args.ctx = parse_ctx(args.ctx)
    args.chapter = chapter
    if seeds == "one" and len(args.seed) > 1:
        raise GluonNotesError("%s shows a single run; give one --seed, not %s."
                              % (chapter, ",".join(map(str, args.seed))))
    _check_checkpoint(args)
    if not getattr(args, "summary", False):  # a --summary run writes nothing
        prepare_out(args.out)
        if getattr(args, "checkpoint", None):
            prepare_out(args.checkpoint, option="--checkpoint")
    return args


def _check_checkpoint(args):
    folder, resume = getattr(args, "checkpoint", None), getattr(args, "resume", False)
    if folder is not None and not folder.strip():
        raise GluonNotesError("--checkpoint is empty; name a folder, e.g. --checkpoint ckpt/x.")
    if resume and not folder:
        raise GluonNotesError("--resume needs --checkpoint DIR naming the folder to continue "
                              "from.")
    if resume and not Path(folder).is_dir():
        raise GluonNotesError("--resume: %s holds no checkpoint; run once with --checkpoint %s "
                              "(without --resume) first." % (folder, folder))


def checkpoint_kw(args, seed, *parts):
    """``fit``'s ``checkpoint``/``resume`` for one seed (``DIR/seed-S[/part...]``), or {}."""
    folder = getattr(args, "checkpoint", None)
    if not folder:
        return {}
    return dict(checkpoint=str(Path(folder, "seed-%d" % seed, *parts)), resume=args.resume)


def run_seeds(args, train_one, means=(), summarize=None, plot_fn=None):
    """Call ``train_one(seed)`` for every ``args.seed``; print the means, save and return metrics.

    Parameters
    ----------
    train_one : callable ``train_one(seed) -> (histories, record)``
        ``histories`` is a ``History`` or ``[(label, History)]`` for the figure; ``record`` a
        dict of the seed's own results (JSON-able). ``seed`` (and, for one History, its
        ``history``) are added to it.
    means : sequence of str
        Keys of ``record`` whose mean over the seeds is printed and saved as ``KEY_mean`` (with
        ``KEY_per_seed``); keys absent from the records are skipped.
    summarize : callable ``summarize(runs) -> dict``, optional
        Run-wide figures (maxima, ...) computed from the finished runs' records.
    plot_fn : callable ``plot_fn(histories, path, title=...)``, optional
        Draws the figure (default ``plot.plot_histories``).
    """
    kvstore = getattr(args, "kvstore", "device")
    if kvstore.startswith("dist") and not getattr(args, "distributed", None):
        raise GluonNotesError("%s does not train on several workers; --kvstore %s is for the "
                              "Fashion-MNIST chapters (see `gluon-notes list`)."
                              % (args.chapter, kvstore))
    runs, histories, stop = [], [], None
    for seed in args.seed:
        try:
            hs, record = train_one(seed)
        except KeyboardInterrupt as err:  # fit's TrainingInterrupted keeps the finished epochs
            stop = err
            h = getattr(err, "history", None)
            epochs = list(getattr(h, "epochs", h) or [])
            if epochs:
                runs.append(dict(seed=seed, interrupted=True, history=epochs))
                histories.append(("seed %d (interrupted)" % seed, History(epochs)))
            break
        if isinstance(hs, History):
            record.setdefault("history", hs.epochs)
            hs = [("seed %d" % seed, hs)]
        runs.append(dict(seed=seed, **record))
        histories += hs
    if not runs:
        stop.note = "interrupted before an epoch finished; nothing was written."
        raise stop
    done = [r for r in runs if not r.get("interrupted")]
    metrics = _means(done, means)
    if done and summarize is not None:
        metrics.update(summarize(done))
    metrics["runs"] = runs
    if stop is not None:
        metrics["interrupted"] = True
    kv = getattr(args, "distributed", None)
    if kv is not None and kv.rank != 0:  # only rank 0 writes the results
        return metrics
    out = save_results(args, metrics, histories, plot_fn)
    if stop is not None:
        epochs = sum(len(r["history"]) for r in runs if "history" in r)
        stop.note = ("interrupted: the %d finished epoch(s) are saved in %s (marked interrupted)%s."
                     % (epochs, out, "; --resume continues from --checkpoint"
                        if getattr(args, "checkpoint", None) else ""))
        raise stop
    return metrics


def _means(runs, keys):
    metrics = {}
    for key in keys:
        have = [r for r in runs if r.get(key) is not None]
        if not have:
            continue
        values = [r[key] for r in have]
        metrics.update({key + "_mean": sum(values) / len(values), key + "_per_seed": values})
        print("%s over seed(s) %s: mean %.4f (%s)" % (
            key.replace("_", " "), ",".join(str(r["seed"]) for r in have),
            metrics[key + "_mean"], ", ".join("%.4f" % v for v in values)))
    return metrics


def save_results(args, metrics, histories=None, plot_fn=None):
    """Write ``curves.png`` (when ``histories`` are given) and ``metrics.json`` into ``args.out``.

    The two are one group (``atomic.write_group``, ``metrics.json`` last), written only when
    the run has finished, so a failed or killed run leaves an earlier run's pair untouched.
    Returns the folder written to (``args.out``, or the fallback named on stderr).
    """
    settings = {k: (str(v) if k == "ctx" else v) for k, v in vars(args).items()
                if k not in ("out", "distributed")}
    files = {}
    if histories:
        from ..plot import plot_histories
        files["curves.png"] = lambda path: (plot_fn or plot_histories)(histories, path,
                                                                       title=args.chapter)
    files["metrics.json"] = dict(chapter=args.chapter, settings=settings, cpu=perf.runtime(),
                                 **metrics)
    out = Path(args.out)
    removed = not out.is_dir()
    try:
        write_group(out, files)
    except OSError as err:
        fallback = Path(tempfile.mkdtemp(prefix="gluon-notes-%s-" % args.chapter))
        write_group(fallback, files)
        print("gluon-notes: cannot write to --out %s any more (%s); wrote the results to %s "
              "instead." % (out, err.strerror or err, fallback), file=sys.stderr)
        out = fallback
    else:
        if removed:
            print("gluon-notes: --out %s was removed during the run; created it again." % out,
                  file=sys.stderr)
    print("wrote %s" % ", ".join(str(out / f) for f in reversed(list(files))))
    return out


def add_data_args(p, resize=None):
    """``--limit`` (first N samples of each split) and ``--resize`` for the image chapters."""
    p.add_argument("--limit", type=positive_int, default=None,
                   help="train and test on the first N samples only (quick CPU runs)")
    p.add_argument("--resize", type=positive_int, default=resize,
                   help="image side after resizing (default %(default)s)")


def run_classifier(args, make_net, loss=None, init=None, make_trainer=None, **fit_kw):
    """Train ``make_net()`` on Fashion-MNIST once per seed; save and return the metrics.

    ``make_trainer(net)`` may supply a trainer (e.g. the from-scratch SGD); otherwise the loop
    builds a ``gluon.Trainer`` with ``args.lr``.
    """
    from ..data import load_data_fashion_mnist
    from ..train import fit
    # the book's batch rule: keep the short last batch and step it with the nominal batch size
    # (train_ch3/train_ch5); sharded workers drop it instead, so that all take the same steps
    kvstore, parts = getattr(args, "kvstore", "device"), dict(train_last_batch="keep")
    book_rule = dict(nominal_batch_size=args.batch_size)
    if kvstore.startswith("dist"):  # one KVStore per process: the rank shards the data
        if make_trainer is not None:
            raise GluonNotesError("%s updates with the book's from-scratch SGD, which knows no "
                                  "KVStore; --kvstore %s needs a Gluon chapter (e.g. %s)."
                                  % (args.chapter, kvstore, args.chapter.replace("-scratch", "")))
        import mxnet as mx
        kvstore = args.distributed = mx.kv.create(kvstore)
        parts, book_rule = dict(num_parts=kvstore.num_workers, part_index=kvstore.rank), {}
    train_iter, test_iter = load_data_fashion_mnist(
        args.batch_size, resize=getattr(args, "resize", None), limit=getattr(args, "limit", None),
        **parts)

    def train_one(seed):
        net = make_net()
        trainer = make_trainer(net) if make_trainer else None
        train_iter.seed = seed  # every worker deals the same permutation
        h = fit(net, train_iter, test_iter, loss, args.num_epochs, lr=args.lr, ctx=args.ctx,
                init=init, hybridize=args.hybridize, seed=seed, trainer=trainer,
                kvstore=kvstore if trainer is None else "device",
                **checkpoint_kw(args, seed), **dict(book_rule, **fit_kw))
        # test_acc_moving: the book's evaluation when precise BN is on
        return h, {k: h.last[k] for k in ("test_acc", "test_acc_moving") if k in h.last}

    def seconds_per_epoch(runs):
        epochs = [e for r in runs for e in r["history"]]
        return dict(seconds_per_epoch=sum(e["seconds"] for e in epochs) / len(epochs))

    return run_seeds(args, train_one, means=("test_acc", "test_acc_moving"),
                     summarize=seconds_per_epoch)


def add_float(name, default, help_text="weight decay (default %(default)s)"):
    """An ``extra`` for ``parse_args``: a positive float option ``--NAME``."""
    def extra(p):
        p.add_argument("--" + name.replace("_", "-"), type=positive_float, default=default,
                       help=help_text)
    return extra
