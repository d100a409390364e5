"""PyTorch's losses in Gluon: a worked example vs torch, AM-softmax on Fashion-MNIST (course).

Part 1 prints one table: each loss of ``gluon_notes.losses`` on the same small batch (class
weights, ``ignore_index``, label smoothing, clamped probabilities, logits of +-100), beside
PyTorch's value when torch is installed.

Part 2 trains the same MLP embedding (784 -> 256 -> ``--embed-dim``) twice through ``fit`` on a
``--limit``-ed subset: with a linear head and softmax cross-entropy, and with ``CosineDense`` and
``AMSoftmaxLoss`` (``--margin``, ``--scale``; the paper's 0.35 and 30). Both use SGD with
momentum 0.9 at ``--lr`` (the scale multiplies the logits' gradients, so the AM-softmax run needs
a small learning rate; the baseline gets the same one). It reports both test accuracies and the
test set's *cosine margin*, ``cos(theta_y) - max_{j != y} cos(theta_j)`` between the normalized
embedding and the normalized class weights: the margin AM-softmax trains for. The figure:
test accuracy per epoch, and the margins' histograms.
"""
import numpy as np
from mxnet import nd
from mxnet.gluon import nn

from ..losses import (AMSoftmaxLoss, BCELoss, BCEWithLogitsLoss, CosineDense, CrossEntropyLoss,
                      NLLLoss)
from ._common import checkpoint_kw, parse_args, positive_float, positive_int, run_seeds

DEFAULTS = dict(batch_size=256, lr=0.01, num_epochs=6, limit=6000, embed_dim=8, margin=0.35,
                scale=30.0, hybridize=True)
MOMENTUM = 0.9


def _nonnegative_float(text):
    """A finite number >= 0 (the margin; 0 is NormFace, the cosine softmax without margin)."""
    return 0.0 if text.strip() in ("0", "0.0") else positive_float(text)


def _extra(p):
    p.add_argument("--limit", type=positive_int, default=DEFAULTS["limit"],
                   help="train and test on the first N samples (default %(default)s)")
    p.add_argument("--embed-dim", type=positive_int, default=DEFAULTS["embed_dim"],
                   help="embedding size (default %(default)s)")
    p.add_argument("--margin", type=_nonnegative_float, default=DEFAULTS["margin"],
                   help="AM-softmax margin m >= 0 (default %(default)s)")
    p.add_argument("--scale", type=positive_float, default=DEFAULTS["scale"],
                   help="AM-softmax scale s (default %(default)s)")


# ------------------------------------------------------------------ part 1: the worked example
LOGITS = [[2.0, 0.5, -1.0], [0.1, 0.2, 3.0], [100.0, -100.0, 0.0], [-1.0, 1.0, 0.5]]  # (4, 3)
LABELS = [0, 2, 1, 1]
IGNORED = [0, -100, 1, 1]            # the second target is ignored
WEIGHT = [1.0, 2.0, 0.5]
PROBS = [[0.9, 0.2, 0.0], [1.0, 0.6, 0.3]]  # p = 0 and p = 1: logs clamped at -100
TARGETS = [[1.0, 0.0, 1.0], [1.0, 1.0, 0.0]]


def worked_example():
    """Rows ``(name, gluon value, torch value or None)`` of each loss on the same batch."""
    try:
        import torch
        F = torch.nn.functional
    except ImportError:
        torch = None
    z, y, yi = nd.array(LOGITS), nd.array(LABELS), nd.array(IGNORED)
    logp = nd.log_softmax(z, axis=1)
    cos = nd.tanh(z / 4)                          # any values in [-1, 1] stand for cosines
    cases = [
        ("CrossEntropyLoss()", CrossEntropyLoss(), z, y,
         lambda t: F.cross_entropy(t["z"], t["y"])),
        ("CrossEntropyLoss(weight)", CrossEntropyLoss(WEIGHT), z, y,
         lambda t: F.cross_entropy(t["z"], t["y"], t["w"])),
        ("CrossEntropyLoss(weight, reduction='sum')", CrossEntropyLoss(WEIGHT, reduction="sum"),
         z, y, lambda t: F.cross_entropy(t["z"], t["y"], t["w"], reduction="sum")),
        ("CrossEntropyLoss(weight, ignore_index=-100)", CrossEntropyLoss(WEIGHT, -100), z, yi,
         lambda t: F.cross_entropy(t["z"], t["yi"], t["w"], ignore_index=-100)),
        ("CrossEntropyLoss(label_smoothing=0.1)", CrossEntropyLoss(label_smoothing=0.1), z, y,
         lambda t: F.cross_entropy(t["z"], t["y"], label_smoothing=0.1)),
        ("CrossEntropyLoss(weight, label_smoothing=0.1)",
         CrossEntropyLoss(WEIGHT, label_smoothing=0.1), z, y,
         lambda t: F.cross_entropy(t["z"], t["y"], t["w"], label_smoothing=0.1)),
        ("NLLLoss(weight) on log_softmax", NLLLoss(WEIGHT), logp, y,
         lambda t: F.nll_loss(t["z"].log_softmax(1), t["y"], t["w"])),
        ("BCELoss() with p = 0 and 1", BCELoss(), nd.array(PROBS), nd.array(TARGETS),
         lambda t: F.binary_cross_entropy(t["p"], t["t"])),
        ("BCEWithLogitsLoss(pos_weight) at +-100", BCEWithLogitsLoss(pos_weight=WEIGHT), z[1:3],
         nd.array(TARGETS),
         lambda t: F.binary_cross_entropy_with_logits(t["z"][1:3], t["t"], pos_weight=t["w"])),
        ("AMSoftmaxLoss(0.35, 30)", AMSoftmaxLoss(0.35, 30.0), cos, y,
         lambda t: F.cross_entropy(30 * (t["cos"] - 0.35 * F.one_hot(t["y"], 3)), t["y"])),
    ]
    tensors = None
    if torch is not None:
        tensors = dict(z=torch.tensor(LOGITS), y=torch.tensor(LABELS), yi=torch.tensor(IGNORED),
                       w=torch.tensor(WEIGHT), p=torch.tensor(PROBS), t=torch.tensor(TARGETS),
                       cos=torch.tanh(torch.tensor(LOGITS) / 4))
    return [(name, float(loss(a, b).asscalar()),
             None if tensors is None else float(ref(tensors)))
            for name, loss, a, b, ref in cases]


def print_worked_example(rows):
    width = max(len(r[0]) for r in rows)
    print("%-*s  %12s  %12s  %9s" % (width, "loss (reduction='mean' unless named)", "gluon_notes",
                                      "PyTorch", "|diff|"))
    for name, ours, theirs in rows:
        print("%-*s  %12.6f  %12s  %9s" % (
            width, name, ours, "n/a" if theirs is None else "%.6f" % theirs,
            "n/a" if theirs is None else "%.1e" % abs(ours - theirs)))
    print("PyTorch's 'mean' with class weights divides by the sum of the targets' weights; "
          "pass reduction='none' to fit (it sums the losses and divides by the batch size).")


# ------------------------------------------------------------------ part 2: the AM-softmax demo
def make_net(head, embed_dim):
    """``embedding -> head``; ``head`` is ``'softmax'`` (Dense) or ``'amsoftmax'`` (cosines)."""
    embed = nn.HybridSequential()
    embed.add(nn.Dense(256, activation="relu"), nn.Dense(embed_dim))   # (B, embed_dim)
    net = nn.HybridSequential()
    net.add(embed, nn.Dense(10) if head == "softmax" else CosineDense(10))  # (B, 10)
    return net


def cosine_margins(net, data_iter):
    """``cos(theta_y) - max_{j != y} cos(theta_j)`` per test example (numpy, float64)."""
    embs, ys = [], []
    for X, y in data_iter:
        embs.append(net[0](X).asnumpy())
        ys.append(y.asnumpy())
    e, y = np.concatenate(embs).astype("float64"), np.concatenate(ys).astype(int)
    w = net[1].weight.data().asnumpy().astype("float64")
    cos = (e / np.linalg.norm(e, axis=1, keepdims=True)) @ (
        w / np.linalg.norm(w, axis=1, keepdims=True)).T                    # (N, 10)
    target = cos[np.arange(len(y)), y]
    cos[np.arange(len(y)), y] = -np.inf
    return target - cos.max(axis=1)


def train_both(args, seed, train_iter, test_iter):
    """Train the softmax and the AM-softmax net with ``seed``; return their records."""
    from ..train import fit
    losses = dict(softmax=CrossEntropyLoss(reduction="none"),
                  amsoftmax=AMSoftmaxLoss(args.margin, args.scale, reduction="none"))
    out = {}
    for head, loss in losses.items():
        print("seed %d, %s:" % (seed, head))
        net = make_net(head, args.embed_dim)
        h = fit(net, train_iter, test_iter, loss, args.num_epochs, lr=args.lr, ctx=args.ctx,
                optimizer_params=dict(momentum=MOMENTUM), hybridize=args.hybridize, seed=seed,
                **checkpoint_kw(args, seed, head))
        margins = cosine_margins(net, test_iter)
        out[head] = dict(test_acc=h.last["test_acc"], test_accs=list(h["test_acc"]),
                         median_margin=float(np.median(margins)),
                         positive_margin=float((margins > 0).mean()), margins=margins,
                         history=h.epochs)
    return out


def plot_demo(histories, path, title=None):
    """Test accuracy per epoch and the cosine margins' histograms, softmax vs AM-softmax.

    ``histories`` is ``[(label, data)]`` per seed; the first finished seed's ``data`` is drawn
    (a run interrupted before any seed finished gets the loop's usual curves).
    """
    from ..plot import finish_figure, plot_histories, plt
    finished = [data for _, data in histories if isinstance(data, dict)]
    if not finished:
        return plot_histories(histories, path, title=title)
    data = finished[0]
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(10, 3.6))
    labels = dict(softmax="softmax cross-entropy", amsoftmax="AM-softmax (m=%g, s=%g)"
                  % (data["margin"], data["scale"]))
    for i, (head, r) in enumerate(data["runs"].items()):
        ax0.plot(range(1, len(r["test_accs"]) + 1), r["test_accs"], "-o", ms=3, color="C%d" % i,
                 label=labels[head])
        ax1.hist(r["margins"], bins=60, range=(-1, 1), alpha=0.5, color="C%d" % i,
                 label="%s, median %.2f" % (labels[head], r["median_margin"]))
    ax0.set(xlabel="epoch", ylabel="test accuracy", title="test accuracy")
    ax1.axvline(0, color="k", lw=0.8)
    ax1.set(xlabel=r"$\cos\theta_y - \max_{j \neq y} \cos\theta_j$", ylabel="test examples",
            title="cosine margin (> 0: the right class's direction is the nearest)")
    finish_figure(fig, (ax0, ax1), path, title)


def main(argv=None):
    args = parse_args("losses", DEFAULTS, __doc__, argv, extra=_extra)
    rows = worked_example()
    print_worked_example(rows)
    from ..data import load_data_fashion_mnist
    train_iter, test_iter = load_data_fashion_mnist(args.batch_size, limit=args.limit)

    def train_one(seed):
        both = train_both(args, seed, train_iter, test_iter)
        record = {h: {k: v for k, v in r.items() if k != "margins"} for h, r in both.items()}
        record.update({"%s_%s" % (h, k): both[h][k] for h in both
                       for k in ("test_acc", "median_margin")})
        return [("seed %d" % seed, dict(runs=both, margin=args.margin, scale=args.scale))], record

    def summarize(_):
        return dict(worked_example=[dict(loss=n, gluon=g, torch=t) for n, g, t in rows],
                    max_abs_diff_vs_torch=max((abs(g - t) for _, g, t in rows if t is not None),
                                              default=None))

    return run_seeds(args, train_one, summarize=summarize, plot_fn=plot_demo,
                     means=[h + k for h in ("softmax_", "amsoftmax_")
                            for k in ("test_acc", "median_margin")])
