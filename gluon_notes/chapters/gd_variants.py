"""Full-batch GD, SGD (batch 1) and mini-batch SGD on one regression: loss vs updates and seconds.

The PyTorch course's lesson on gradient descent: full-batch gradient descent computes the
gradient over all N samples and makes one update per epoch; stochastic gradient descent (batch
1) makes N noisy updates per epoch; mini-batch SGD (batch B) makes ceil(N / B). The three train
the same linear regression (``y = Xw + b + noise``, the book's ``synthetic_data``) through the
one loop with the same learning rate, from the same initial weights. ``UpdateCounter`` prints
the epoch / batch / iteration accounting; ``LossTrace`` records the loss over the whole training
set after updates. The figure plots that loss minus the least-squares optimum (the part training
can remove) against updates and against training seconds: per update, full-batch GD descends
steadily to the optimum, while batch-1 and mini-batch updates stall at a noise floor that
shrinks with the batch size.
"""
from mxnet import gluon
from mxnet.gluon import nn

from ..data import ArrayLoader, TRUE_B, TRUE_W, synthetic_data
from ..errors import GluonNotesError
from ..gd_variants import (LossTrace, UpdateCounter, iterations_per_epoch, least_squares_loss,
                           total_updates)
from ..plot import plt  # pyplot, with the Agg backend set by gluon_notes.plot
from ..train import fit, seed_everything
from ._common import parse_args, positive_float, positive_int, save_results

DEFAULTS = dict(batch_size=32, lr=0.1, num_epochs=2, num_examples=1000, gd_epochs=100,
                noise=1.0)
TRACE_POINTS = 200  # loss evaluations per variant (about; at most twice as many)
#: the course's accounting example: (samples, batch size, epochs)
COURSE_EXAMPLE = (50000, 500, 10)


def extra(p):
    p.add_argument("--num-examples", type=positive_int, default=DEFAULTS["num_examples"],
                   help="training samples N (default %(default)s)")
    p.add_argument("--gd-epochs", type=positive_int, default=DEFAULTS["gd_epochs"],
                   help="epochs of full-batch GD, one update each (default %(default)s); "
                        "--epochs is for SGD and mini-batch")
    p.add_argument("--noise", type=positive_float, default=DEFAULTS["noise"],
                   help="std of the label noise (default %(default)s)")


def variants(args):
    """``(label, batch size, epochs)`` of the three variants."""
    n = args.num_examples
    return [("full-batch GD (batch %d)" % n, n, args.gd_epochs),
            ("mini-batch SGD (batch %d)" % args.batch_size, args.batch_size, args.num_epochs),
            ("SGD (batch 1)", 1, args.num_epochs)]


def train_variant(args, X, y, label, batch_size, num_epochs, seed):
    """Train a fresh ``Dense(1)``; return its ``UpdateCounter`` and ``LossTrace``."""
    loss = gluon.loss.L2Loss()
    planned = total_updates(len(X), batch_size, num_epochs)
    counter = UpdateCounter(batch_size, label, log_every=max(1, num_epochs // 4))
    trace = LossTrace(X, y, loss, every=max(1, planned // TRACE_POINTS))
    fit(nn.Dense(1), ArrayLoader(X, y, batch_size, shuffle=True), None, loss, num_epochs,
        lr=args.lr, ctx=args.ctx, hybridize=args.hybridize, seed=seed, accuracy=False,
        callbacks=[counter, trace], verbose=False)
    return counter, trace


def plot_traces(traces, path, title=None):
    """Two panels: loss minus the optimum against updates and against seconds (log scales)."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for i, (label, points, optimum) in enumerate(traces):
        updates, seconds, losses = zip(*points)
        excess = [max(l - optimum, 1e-9) for l in losses]
        axes[0].plot(updates, excess, color="C%d" % i, label=label)
        axes[1].plot(seconds, excess, color="C%d" % i, label=label)
    axes[0].set_xscale("symlog", linthresh=1)
    axes[0].set(xlabel="updates (batches)", title="per update")
    axes[1].set_xscale("symlog", linthresh=0.01)
    axes[1].set(xlabel="training seconds (loss measurements excluded)", title="per second")
    for ax in axes:
        ax.set_yscale("log")
        ax.set_ylabel("training loss - least-squares optimum")
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)


def main(argv=None):
    args = parse_args("gd-variants", DEFAULTS, __doc__, argv, extra=extra, seeds="one")
    if args.checkpoint:
        raise GluonNotesError("gd-variants trains three small models in seconds; run it "
                              "without --checkpoint.")
    seed = args.seed[0]
    n, b, e = COURSE_EXAMPLE
    print("accounting: %s samples in batches of %d -> %d iterations per epoch, %s updates in "
          "%d epochs" % ("{:,}".format(n), b, iterations_per_epoch(n, b),
                         "{:,}".format(total_updates(n, b, e)), e))
    seed_everything(seed)
    X, y = synthetic_data(TRUE_W, TRUE_B, args.num_examples, noise=args.noise)  # (N, 2), (N,)
    optimum = least_squares_loss(X, y)
    print("linear regression: N = %d, w = %s, b = %s, noise %s; least-squares loss %.5f"
          % (args.num_examples, TRUE_W, TRUE_B, args.noise, optimum))
    results, traces = {}, []
    for label, batch_size, num_epochs in variants(args):
        counter, trace = train_variant(args, X, y, label, batch_size, num_epochs, seed)
        seconds = trace.points[-1][1]
        results[label] = dict(
            batch_size=batch_size, epochs=num_epochs, updates=counter.updates,
            iterations_per_epoch=[r["iterations"] for r in counter.epochs],
            samples_per_epoch=[r["samples"] for r in counter.epochs],
            expected_updates=total_updates(len(X), batch_size, num_epochs),
            seconds=seconds, seconds_per_update=seconds / counter.updates,
            final_loss=trace.points[-1][2], final_excess=trace.points[-1][2] - optimum,
            trace=trace.points)
        traces.append((label, trace.points, optimum))
    print("%-28s %6s %7s %9s %8s %8s %10s %14s" % ("variant", "batch", "epochs", "it/epoch",
                                                 "updates", "seconds", "ms/update",
                                                 "loss - optimum"))
    for label, r in results.items():
        print("%-28s %6d %7d %9d %8s %8.2f %10.3f %14.2e" % (
            label, r["batch_size"], r["epochs"], r["iterations_per_epoch"][0],
            "{:,}".format(r["updates"]), r["seconds"], 1000 * r["seconds_per_update"],
            r["final_excess"]))
    metrics = dict(least_squares_loss=optimum, variants=results,
                   course_example=dict(samples=n, batch_size=b, epochs=e,
                                       iterations_per_epoch=iterations_per_epoch(n, b),
                                       updates=total_updates(n, b, e)))
    save_results(args, metrics, traces, plot_fn=plot_traces)
    return metrics
