"""What every chapter script shares: argument parsing, output folder, saving results.

A chapter reads as "data + model + loss + one call to the loop"::

    DEFAULTS = dict(batch_size=256, lr=0.1, num_epochs=5)

    def main(argv=None):
        args = parse_args("softmax", DEFAULTS, __doc__, argv)
        return run_classifier(args, make_net=lambda: softmax_net(), init=init.Normal(0.01))
"""
import os
from pathlib import Path

from .. import perf
from ..callbacks import write_json
from ..cliargs import (ArgumentParser, ctx_arg, nonnegative_int,  # noqa: F401  (re-exported)
                       positive_float, positive_int, prepare_out, seed_list)
from ..context import parse_ctx


def make_parser(chapter, defaults, doc):
    """The common options, with the chapter's book settings as defaults."""
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
    p.add_argument("--ctx", type=ctx_arg, default="cpu" if not defaults.get("gpu") else "gpu",
                   help="devices: cpu, gpu, gpu:0,1 or cpu:0,1 (default: %(default)s)")
    if defaults.get("hybridize"):
        p.add_argument("--imperative", dest="hybridize", action="store_false", default=True,
                       help="train without hybridize (default: the whole graph is hybridized)")
    else:
        p.add_argument("--hybridize", action="store_true", help="hybridize the network")
    p.add_argument("--seed", type=seed_list, default=[defaults.get("seed", 0)],
                   help="random seed, or several (0,1,2) to report their mean (default 0)")
    p.add_argument("--out", default=os.path.join("runs", chapter),
                   help="folder for metrics.json and curves.png (default %(default)s)")
    return p


def parse_args(chapter, defaults, doc, argv=None, extra=None):
    """Parse ``argv`` with the common options plus ``extra(parser)``'s own."""
    p = make_parser(chapter, defaults, doc)
    if extra is not None:
        extra(p)
    args = p.parse_args(argv)
    if isinstance(args.ctx, str):
        args.ctx = parse_ctx(args.ctx)
    args.chapter = chapter
    if not getattr(args, "summary", False):  # a --summary run writes nothing
        prepare_out(args.out)
    return args


def save_results(args, metrics, histories=None, plot_fn=None):
    """Write ``metrics.json`` (and ``curves.png`` when ``histories`` are given) into ``args.out``.

    Each file is written atomically, and only when the run has finished, so a failed run leaves
    what an earlier run wrote untouched.
    """
    out = Path(args.out)
    settings = {k: (str(v) if k == "ctx" else v) for k, v in vars(args).items() if k != "out"}
    write_json(out / "metrics.json", dict(chapter=args.chapter, settings=settings,
                                          cpu=perf.runtime(), **metrics))
    if histories:
        from ..plot import plot_histories
        (plot_fn or plot_histories)(histories, out / "curves.png", title=args.chapter)
    print("wrote %s" % ", ".join(str(out / f) for f in
                                 (["metrics.json"] + (["curves.png"] if histories else []))))


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
    train_iter, test_iter = load_data_fashion_mnist(
        args.batch_size, resize=getattr(args, "resize", None), limit=getattr(args, "limit", None))
    runs, histories = [], []
    for seed in args.seed:
        net = make_net()
        trainer = make_trainer(net) if make_trainer else None
        h = fit(net, train_iter, test_iter, loss, args.num_epochs, lr=args.lr, ctx=args.ctx,
                init=init, hybridize=args.hybridize, seed=seed, trainer=trainer, **fit_kw)
        runs.append(dict(seed=seed, test_acc=h.last["test_acc"], history=h.epochs))
        histories.append(("seed %d" % seed, h))
    metrics = dict(seconds_per_epoch=sum(e["seconds"] for r in runs for e in r["history"])
                   / sum(len(r["history"]) for r in runs), runs=runs)
    keys = ["test_acc"] + (["test_acc_moving"] if "test_acc_moving" in h.last else [])
    for key in keys:  # test_acc_moving: the book's evaluation when precise BN is on
        accs = [r["history"][-1][key] for r in runs]
        metrics.update({key + "_mean": sum(accs) / len(accs), key + "_per_seed": accs})
        print("%s over seed(s) %s: mean %.4f (%s)" % (
            key.replace("_", " "), ",".join(map(str, args.seed)), metrics[key + "_mean"],
            ", ".join("%.4f" % a for a in accs)))
    save_results(args, metrics, histories)
    return metrics



def add_float(name, default, help_text="weight decay (default %(default)s)"):
    """An ``extra`` for ``parse_args``: a positive float option ``--NAME``."""
    def extra(p):
        p.add_argument("--" + name.replace("_", "-"), type=positive_float, default=default,
                       help=help_text)
    return extra
