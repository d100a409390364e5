"""What the PyTorch-course CNN chapters share: normalized data, MNIST or Fashion-MNIST, the runner.

Design
------
* The course's data pipeline: ``Normalize(mean, std)`` computed once from the training images
  used (``course_cnn.Normalize.fit``), applied to each whole split once; batches are then plain
  slices (``ArrayLoader``). The short last batch is kept, as PyTorch's ``DataLoader`` does.
* ``--dataset mnist --data-root DIR`` trains on a local MNIST folder (``data.mnist``); the
  default is Fashion-MNIST, found and verified as in every other chapter.
* ``run_course(args, nets)`` trains each ``(label, make_net)`` once per seed through ``fit`` and
  saves through ``run_seeds`` (one figure, ``metrics.json``); one net gives ``test_acc``, several
  give ``test_acc_LABEL``.
"""
from ..course_cnn import Normalize
from ..summary import print_summary
from ._cnn import cnn_args
from ._common import checkpoint_kw, parse_args, run_seeds

DATASETS = ("fashion-mnist", "mnist")


def course_args(extra=None):
    """An ``extra`` for ``parse_args``: the CNN options plus ``--dataset``, ``--data-root``,
    ``--last-batch``."""
    def add(p):
        p.add_argument("--dataset", choices=DATASETS, default="fashion-mnist",
                       help="the data set (default %(default)s; MNIST needs --data-root)")
        p.add_argument("--data-root", metavar="DIR", default=None,
                       help="folder with the four idx files (required for mnist)")
        p.add_argument("--last-batch", choices=("keep", "discard"), default="keep",
                       help="the short last training batch (default %(default)s, as PyTorch)")
        if extra is not None:
            extra(p)
    return cnn_args(None, add)


def parse_course_args(chapter, defaults, doc, argv, extra=None):
    return parse_args(chapter, defaults, doc, argv, extra=course_args(extra))


def course_data(args):
    """``(train_iter, test_iter, normalize)``: both splits normalized with the training
    statistics, then batched (the test split in order)."""
    from ..data import ArrayLoader, load_fashion_mnist
    from ..data.mnist import load_mnist
    load = load_mnist if args.dataset == "mnist" else load_fashion_mnist
    (X, y), (X_test, y_test) = load("train", args.data_root), load("test", args.data_root)
    if args.limit is not None:
        X, y, X_test, y_test = X[:args.limit], y[:args.limit], X_test[:args.limit], \
            y_test[:args.limit]
    normalize = Normalize.fit(X)  # once, from the training images used
    print("%s: %d training / %d test images, %r from the training images"
          % (args.dataset, len(X), len(X_test), normalize))
    last = args.last_batch if len(X) >= args.batch_size else "keep"
    train_iter = ArrayLoader(normalize(X), y, args.batch_size, shuffle=True,
                             resize=args.resize, last_batch=last)
    test_iter = ArrayLoader(normalize(X_test), y_test, args.batch_size, resize=args.resize)
    return train_iter, test_iter, normalize


def run_course(args, nets, extra_metrics=None, **fit_kw):
    """Train every ``(label, make_net)`` in ``nets`` once per seed; save and return metrics.

    ``extra_metrics`` (a JSON-able dict) is saved in ``metrics.json`` too; ``fit_kw`` goes to
    ``fit`` (e.g. ``optimizer_params={'momentum': 0.5}``). With
    ``--summary`` the nets' tables are printed instead and nothing is trained.
    """
    if args.summary:
        side = args.resize or 28
        return [print_summary(make_net(), input_shape=(1, 1, side, side)) for _, make_net in nets]
    from ..train import fit
    train_iter, test_iter, normalize = course_data(args)
    one = len(nets) == 1
    fit_kw.setdefault("precise_bn", args.precise_bn)

    def train_one(seed):
        histories, record = [], {}
        for label, make_net in nets:
            if not one:
                print("-- %s, seed %d" % (label, seed))
            h = fit(make_net(), train_iter, test_iter, None, args.num_epochs, lr=args.lr,
                    ctx=args.ctx, hybridize=args.hybridize, seed=seed,
                    **checkpoint_kw(args, seed, *(() if one else (label,))), **fit_kw)
            histories.append(("%s seed %d" % (label, seed), h))
            if one:
                record["test_acc"] = h.last["test_acc"]
                return h, record
            record["test_acc_" + label] = h.last["test_acc"]
            record["history_" + label] = h.epochs
        return histories, record

    def summarize(runs):
        keys = ["history"] if one else ["history_" + label for label, _ in nets]
        out = dict(normalize=dict(mean=normalize.mean, std=normalize.std),
                   train_size=train_iter.num_examples, test_size=len(test_iter.X),
                   **(extra_metrics or {}))
        for key in keys:
            epochs = [e for r in runs for e in r[key]]
            name = "seconds_per_epoch" + key[len("history"):]
            out[name] = sum(e["seconds"] for e in epochs) / len(epochs)
        return out

    means = ["test_acc"] if one else ["test_acc_" + label for label, _ in nets]
    return run_seeds(args, train_one, means=means, summarize=summarize)
