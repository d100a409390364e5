"""Weight decay from scratch: an L2 penalty in the loss, 200 dims and 20 samples (book 3.12.2).

Trains with lambda = 0 (overfits: the test loss stays high) and with lambda = --wd, once per
seed (each seed draws its own data), and reports whether the decay lowered the test loss.
"""
import mxnet as mx

from ..data import high_dim_linear
from ..models.basic import LinRegScratch
from ..scratch import ScratchSGD, l2_penalty, squared_loss
from ._common import add_float, checkpoint_kw, parse_args, run_seeds
from ._regression import loss_curves, train_regression

DEFAULTS = dict(batch_size=1, lr=0.003, num_epochs=100, wd=3.0)


def scratch_experiment(lambd, data, args, seed, **fit_kw):
    """Train the scratch linear model with penalty ``lambd``; return (weight, History)."""
    net = LinRegScratch(w_init=mx.init.Normal(1))
    w = net.w

    def penalised_loss(y_hat, y):  # the penalty is added to every example's loss, as in the book
        return squared_loss(y_hat, y) + lambd * l2_penalty(w.data(y_hat.context))

    h = train_regression(net, penalised_loss, data[:2], data[2:], batch_size=args.batch_size,
                         num_epochs=args.num_epochs, lr=args.lr, ctx=args.ctx, seed=seed,
                         trainer=ScratchSGD(net.collect_params(), args.lr),
                         eval_loss=squared_loss, verbose=False, **fit_kw)
    return net.w.data(), h


def main(argv=None):
    args = parse_args("weight-decay-scratch", DEFAULTS, __doc__, argv,
                      extra=add_float("wd", DEFAULTS["wd"]))
    return compare(args, scratch_experiment)


def compare(args, experiment):
    """Per seed, run ``experiment`` without and with weight decay; report both test losses."""
    def train_one(seed):
        mx.random.seed(seed)
        train_X, test_X, train_y, test_y = high_dim_linear()
        data = (train_X, train_y, test_X, test_y)  # data[:2] = train, data[2:] = test
        results, histories = {}, []
        for wd in (0.0, args.wd):
            key = "wd=%g" % wd
            w, h = experiment(wd, data, args, seed, **checkpoint_kw(args, seed, key))
            results[key] = dict(wd=wd, w_l2_norm=float(w.norm().asscalar()),
                                final_train_loss=h.last["loss"],
                                final_test_loss=h.last["test_loss"], history=h.epochs)
            print("seed %d %-7s L2 norm of w %.4f | final train loss %.6f, test loss %.6f"
                  % (seed, key, results[key]["w_l2_norm"], h.last["loss"], h.last["test_loss"]))
            histories.append((key if len(args.seed) == 1 else "seed %d %s" % (seed, key), h))
        no_decay, decay = results["wd=0"], results["wd=%g" % args.wd]
        lowered = decay["final_test_loss"] < no_decay["final_test_loss"]
        print("seed %d: weight decay %s the test loss (%.4f -> %.4f)" % (
            seed, "lowers" if lowered else "does NOT lower", no_decay["final_test_loss"],
            decay["final_test_loss"]))
        return histories, dict(experiments=results, test_loss_lowered=lowered,
                               test_loss_no_decay=no_decay["final_test_loss"],
                               test_loss_decay=decay["final_test_loss"],
                               w_l2_norm_no_decay=no_decay["w_l2_norm"],
                               w_l2_norm_decay=decay["w_l2_norm"])

    return run_seeds(args, train_one,
                     means=("test_loss_no_decay", "test_loss_decay", "w_l2_norm_no_decay",
                            "w_l2_norm_decay"),
                     summarize=lambda runs: dict(
                         test_loss_lowered=all(r["test_loss_lowered"] for r in runs)),
                     plot_fn=loss_curves)
