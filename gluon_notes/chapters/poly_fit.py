"""Under- and over-fitting: fit the cubic y = 1.2x - 3.4x^2 + 5.6x^3 + 5 three ways (book 3.11.4).

normal: cubic features, 100 training samples (recovers the weights); underfit: a straight line;
overfit: cubic features but only 2 training samples. Train and test loss curves go to curves.png.
"""
import mxnet as mx
from mxnet import gluon

from ..data import POLY_B, POLY_W, poly_data
from ..models import get_model
from ..plot import semilogy
from ._common import parse_args, save_results
from ._regression import train_regression, weights_of

# The book trains 100 epochs at lr 0.01. Then the x coefficient has not converged for some draws
# of the data (seed 0: 1.33, seed 8: 1.53 instead of 1.2); 200 epochs bring seeds 0, 7 and 8
# within 0.04 of every true weight, so 200 is the default here.
DEFAULTS = dict(lr=0.01, num_epochs=200, n_train=100, n_test=100)


def fit_poly(train_features, test_features, train_labels, test_labels, args, seed):
    """One experiment of the section: returns (weights, bias, History)."""
    net = get_model("linreg")
    h = train_regression(net, gluon.loss.L2Loss(), (train_features, train_labels),
                         (test_features, test_labels),
                         batch_size=min(10, train_labels.shape[0]), num_epochs=args.num_epochs,
                         lr=args.lr, ctx=args.ctx, seed=seed, hybridize=args.hybridize,
                         verbose=False, init=mx.init.Uniform(0.07))
    w, b = weights_of(net[0].weight.data(), net[0].bias.data())
    return w, b, h


def main(argv=None):
    args = parse_args("poly-fit", DEFAULTS, __doc__, argv)
    n = DEFAULTS["n_train"]
    seed = args.seed[0]
    mx.random.seed(seed)
    features, poly, labels = poly_data(n, DEFAULTS["n_test"])
    experiments = {
        "normal": (poly[:n], poly[n:], labels[:n], labels[n:]),
        "underfit": (features[:n], features[n:], labels[:n], labels[n:]),
        "overfit": (poly[:2], poly[n:], labels[:2], labels[n:]),
    }
    results, curves = {}, []
    for name, data in experiments.items():
        w, b, h = fit_poly(*data, args, seed)
        results[name] = dict(w=w, b=b, final_train_loss=h.last["loss"],
                             final_test_loss=h.last["test_loss"], history=h.epochs)
        print("%-8s w %s b %.4f | final train loss %.4f, test loss %.4f"
              % (name, ["%.3f" % v for v in w], b, h.last["loss"], h.last["test_loss"]))
        curves += [(name + " train", h["epoch"], h["loss"]),
                   (name + " test", h["epoch"], h["test_loss"])]
    print("true     w %s b %s" % (POLY_W, POLY_B))
    normal = results["normal"]
    err = max([abs(a - t) for a, t in zip(normal["w"], POLY_W)] + [abs(normal["b"] - POLY_B)])
    save_results(args, dict(true_w=POLY_W, true_b=POLY_B, normal_max_abs_err=err,
                            experiments=results))
    semilogy(curves, args.out + "/curves.png", title="polynomial fitting")
    return results
