"""Weight decay from scratch: an L2 penalty in the loss on a 200-dim, 20-sample problem (book 3.12.2).

Trains with lambda = 0 (overfits: test loss stays high) and with lambda = 3 (lower test loss).
"""
import mxnet as mx

from ..data import high_dim_linear
from ..models.basic import LinRegScratch
from ..plot import semilogy
from ..scratch import ScratchSGD, l2_penalty, squared_loss
from ._common import add_float, parse_args, save_results
from ._regression import train_regression

DEFAULTS = dict(batch_size=1, lr=0.003, num_epochs=100, wd=3.0)


def scratch_experiment(lambd, data, args, seed):
    """Train the scratch linear model with penalty ``lambd``; return (net, History)."""
    net = LinRegScratch(w_init=mx.init.Normal(1))
    w = net.w

    def penalised_loss(y_hat, y):  # the penalty is added to every example's loss, as in the book
        return squared_loss(y_hat, y) + lambd * l2_penalty(w.data(y_hat.context))

    h = train_regression(net, penalised_loss, data[:2], data[2:], batch_size=args.batch_size,
                         num_epochs=args.num_epochs, lr=args.lr, ctx=args.ctx, seed=seed,
                         trainer=ScratchSGD(net.collect_params(), args.lr),
                         eval_loss=squared_loss, verbose=False)
    return net.w.data(), h


def main(argv=None):
    args = parse_args("weight-decay-scratch", DEFAULTS, __doc__, argv, extra=add_float("wd", DEFAULTS["wd"]))
    return compare(args, scratch_experiment)


def compare(args, experiment):
    """Run ``experiment`` without and with weight decay and report both test losses."""
    seed = args.seed[0]
    mx.random.seed(seed)
    train_X, test_X, train_y, test_y = high_dim_linear()
    data = (train_X, train_y, test_X, test_y)  # data[:2] = train, data[2:] = test
    results, curves = {}, []
    for wd in (0.0, args.wd):
        w, h = experiment(wd, data, args, seed)
        key = "wd=%g" % wd
        results[key] = dict(wd=wd, w_l2_norm=float(w.norm().asscalar()),
                            final_train_loss=h.last["loss"], final_test_loss=h.last["test_loss"],
                            history=h.epochs)
        print("%-7s L2 norm of w %.4f | final train loss %.6f, test loss %.6f"
              % (key, results[key]["w_l2_norm"], h.last["loss"], h.last["test_loss"]))
        curves += [(key + " train", h["epoch"], h["loss"]), (key + " test", h["epoch"], h["test_loss"])]
    no_decay, decay = results["wd=0"], results["wd=%g" % args.wd]
    lowered = decay["final_test_loss"] < no_decay["final_test_loss"]
    print("weight decay %s the test loss (%.4f -> %.4f)" % (
        "lowers" if lowered else "does NOT lower", no_decay["final_test_loss"],
        decay["final_test_loss"]))
    save_results(args, dict(test_loss_lowered=lowered, experiments=results))
    semilogy(curves, args.out + "/curves.png", title=args.chapter)
    return results
