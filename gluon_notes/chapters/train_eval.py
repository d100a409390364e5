"""Train vs eval mode: autograd's train/predict scopes on Dropout and BatchNorm (course).

PyTorch keeps a ``training`` flag on each module (``model.train()`` / ``model.eval()``); Gluon
has no per-block flag: the mode is a scope of the call.

==============================  =============================================================
PyTorch                         Gluon (MXNet 1.9.1)
==============================  =============================================================
``model.train()`` + forward     ``with autograd.record():`` (``train_mode=True`` by default)
``model.eval()`` + no_grad      a plain call ``net(X)`` (predict mode, nothing recorded)
``model.eval()`` + grad         ``with autograd.record(train_mode=False):``
``model.train()`` + no_grad     ``with autograd.train_mode():`` (train mode, not recorded)
``model.eval()`` inside train   ``with autograd.predict_mode():`` inside ``record()``
``bn.eval()`` while training    ``nn.BatchNorm(use_global_stats=True)`` (a layer option)
==============================  =============================================================

In train mode Dropout drops and rescales and BatchNorm normalizes with the batch's statistics;
in predict mode Dropout is the identity and BatchNorm uses its moving averages. When the moving
averages update is printed by the table below, as observed: PyTorch updates its running
statistics in every train-mode forward; the MXNet 1.9.1 CPU build updates them only when the
recorded graph is run backward, so a forward in train mode without backward leaves them alone.

The pitfall: a BatchNorm net scored in train mode normalizes each test batch by its own
statistics, so its predictions depend on the batch size and collapse for a batch of 1 (every
normalized feature is 0, the output is the same for every image) or 2 (features are +-1).
"""
import numpy as np
import mxnet as mx
from mxnet import autograd, gluon, nd
from mxnet.gluon import nn

from ..train import fit, seed_everything
from ._common import parse_args, positive_int, save_results
from ._course import figure, save_figure

DEFAULTS = dict(batch_size=256, lr=0.5, num_epochs=3, limit=6000, score_limit=1000,
                synthetic=False)
BATCH_SIZES = (1, 2, 4, 16, 64, 256)

#: scope name -> context manager factory (None: a plain call)
SCOPES = {
    "plain call": None,
    "record()": lambda: autograd.record(),
    "record(train_mode=False)": lambda: autograd.record(train_mode=False),
    "train_mode()": lambda: autograd.train_mode(),
    "record() + predict_mode()": "nested",
}


def _extra(p):
    p.add_argument("--limit", type=positive_int, default=DEFAULTS["limit"],
                   help="Fashion-MNIST samples per split for training (default %(default)s)")
    p.add_argument("--score-limit", type=positive_int, default=DEFAULTS["score_limit"],
                   help="test images scored at each batch size (default %(default)s)")
    p.add_argument("--synthetic", action="store_true",
                   help="train on 10 Gaussian blobs in 784 dimensions instead of Fashion-MNIST")


class _Scope:
    def __init__(self, name):
        self.name, self.stack = name, []

    def __enter__(self):
        made = SCOPES[self.name]
        if made == "nested":
            self.stack = [autograd.record(), autograd.predict_mode()]
        elif made is not None:
            self.stack = [made()]
        for s in self.stack:
            s.__enter__()
        return self

    def __exit__(self, *exc):
        for s in reversed(self.stack):
            s.__exit__(*exc)


def mode_table(num_features=4):
    """For each scope: is_training, is_recording, Dropout active, BatchNorm on batch stats, and
    whether BatchNorm's moving mean changed after the forward and after a backward."""
    rows = {}
    X = nd.random.normal(3, 2, shape=(32, num_features))  # batch mean far from the moving 0
    for name in SCOPES:
        drop, bn = nn.Dropout(0.5), nn.BatchNorm(in_channels=num_features)
        drop.initialize()
        bn.initialize()
        with _Scope(name):
            training, recording = autograd.is_training(), autograd.is_recording()
            d = drop(nd.ones((1, 1000)))
            y = bn(X)                                # (32, num_features)
        after_forward = float(bn.running_mean.data().abs().sum().asscalar()) > 0
        if recording:
            y.backward()
        after_backward = float(bn.running_mean.data().abs().sum().asscalar()) > 0
        rows[name] = dict(
            is_training=training, is_recording=recording,
            dropout_active=bool((d == 0).sum().asscalar() > 0),
            bn_batch_stats=bool(abs(float(y.mean().asscalar())) < 1e-3),
            moving_mean_updated_by_forward=after_forward,
            moving_mean_updated_by_backward=after_backward and not after_forward)
    return rows


def bn_mlp(num_hiddens=256, num_outputs=10):
    """``Dense -> BatchNorm -> ReLU`` twice, then ``Dense``: the net of the pitfall."""
    net = nn.HybridSequential()
    for _ in range(2):
        net.add(nn.Dense(num_hiddens), nn.BatchNorm(), nn.Activation("relu"))
    net.add(nn.Dense(num_outputs))
    return net


def score(net, X, y, batch_size, train=False):
    """Accuracy of ``net`` on ``(X, y)`` in batches of ``batch_size``, in predict mode or (the
    pitfall) in train mode, where BatchNorm uses each batch's own statistics."""
    correct = []
    for i in range(0, X.shape[0], batch_size):
        Xb = X[i:i + batch_size]
        if train:
            with autograd.train_mode():
                y_hat = net(Xb)
        else:
            y_hat = net(Xb)
        correct.append((y_hat.argmax(axis=1) == y[i:i + batch_size].astype("float32")).sum())
    return float(nd.add_n(*correct).asscalar()) / X.shape[0]


def blobs(n, seed=0, num_inputs=784, classes=10):
    """``n`` samples of ``classes`` Gaussian blobs: ``(X (n, num_inputs), y (n,))``."""
    rng = np.random.RandomState(seed)
    centres = rng.normal(0, 1, (classes, num_inputs)).astype(np.float32)
    y = rng.randint(0, classes, n)
    X = centres[y] + rng.normal(0, 4, (n, num_inputs)).astype(np.float32)
    return nd.array(X), nd.array(y)


def _data(args):
    if args.synthetic:
        X, y = blobs(args.limit + args.score_limit)
        train = gluon.data.DataLoader(gluon.data.ArrayDataset(X[:args.limit], y[:args.limit]),
                                      args.batch_size, shuffle=True)
        return train, X[args.limit:], y[args.limit:]
    from ..data import load_data_fashion_mnist
    train, test = load_data_fashion_mnist(args.batch_size, limit=args.limit)
    Xs, ys = zip(*[(X, y) for X, y in test])
    X, y = nd.concat(*Xs, dim=0), nd.concat(*ys, dim=0)
    return train, X[:args.score_limit], y[:args.score_limit]


def _plot(accs, args):
    fig, axes = figure(1, 1, width=6.0, height=4.0)
    ax = axes[0, 0]
    for key, label, style in (("eval", "predict mode (model.eval())", "-o"),
                              ("train", "train mode (model.train()): the pitfall", "-s")):
        ax.semilogx(BATCH_SIZES, [accs[key][b] for b in BATCH_SIZES], style, label=label)
    ax.set_xticks(BATCH_SIZES, [str(b) for b in BATCH_SIZES])
    ax.set(xlabel="test batch size", ylabel="test accuracy", ylim=(0, 1),
           title="a trained BatchNorm MLP scored in each mode")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return save_figure(fig, args, "train_eval.png")


def main(argv=None):
    args = parse_args("train-eval", DEFAULTS, __doc__, argv, extra=_extra)
    seed_everything(args.seed[0])
    table = mode_table()
    heads = ("training", "recording", "Dropout", "BN batch", "MM fwd", "MM bwd")
    print("%-26s %s   (MM: BatchNorm's moving mean updated by the forward / the backward)"
          % ("scope", " ".join("%-9s" % h for h in heads)))
    for name, row in table.items():
        print("%-26s %s" % (name, " ".join("%-9s" % v for v in row.values())))
    train_iter, X, y = _data(args)
    net = bn_mlp()
    fit(net, train_iter, None, num_epochs=args.num_epochs, lr=args.lr, ctx=args.ctx,
        init=mx.init.Xavier(), seed=args.seed[0], hybridize=args.hybridize, verbose=False)
    moving = [p.data().copy() for p in net.collect_params(".*running.*").values()]
    accs = {key: {b: score(net, X, y, b, train=key == "train") for b in BATCH_SIZES}
            for key in ("eval", "train")}
    unchanged = all((p.data() == m).min().asscalar() for p, m in
                    zip(net.collect_params(".*running.*").values(), moving))
    print("test accuracy on %d images by batch size (%s):" % (X.shape[0], " ".join(
        map(str, BATCH_SIZES))))
    for key in ("eval", "train"):
        print("  %-5s mode: %s" % (key, " ".join("%.3f" % accs[key][b] for b in BATCH_SIZES)))
    print("moving averages unchanged by the train-mode scoring (no backward): %s" % unchanged)
    path = _plot(accs, args)
    save_results(args, dict(figure=path.name, modes=table, batch_sizes=list(BATCH_SIZES),
                            accuracy={k: [v[b] for b in BATCH_SIZES] for k, v in accs.items()},
                            moving_averages_unchanged_by_train_mode_scoring=bool(unchanged)))
    return accs
