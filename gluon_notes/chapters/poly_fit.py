"""Under- and over-fitting: fit the cubic y = 1.2x - 3.4x^2 + 5.6x^3 + 5 three ways (book 3.11.4).

normal: cubic features, 100 training samples (recovers the weights); underfit: a straight line;
overfit: cubic features but only 2 training samples. Each seed draws its own data and runs the
three; train and test loss curves go to curves.png.

The book trains 100 epochs at lr 0.01; for some draws of the data the x coefficient has not
converged by then, so the default here is 200 epochs.
"""
import mxnet as mx
from mxnet import gluon

from ..data import POLY_B, POLY_W, poly_data
from ..models import get_model
from ._common import checkpoint_kw, parse_args, run_seeds
from ._regression import loss_curves, train_regression, weights_of

DEFAULTS = dict(lr=0.01, num_epochs=200, n_train=100, n_test=100)


def fit_poly(train_features, test_features, train_labels, test_labels, args, seed, **fit_kw):
    """One experiment of the section: returns (weights, bias, History)."""
    net = get_model("linreg")
    h = train_regression(net, gluon.loss.L2Loss(), (train_features, train_labels),
                         (test_features, test_labels),
                         batch_size=min(10, train_labels.shape[0]), num_epochs=args.num_epochs,
                         lr=args.lr, ctx=args.ctx, seed=seed, hybridize=args.hybridize,
                         verbose=False, init=mx.init.Uniform(0.07), **fit_kw)
    w, b = weights_of(net[0].weight.data(), net[0].bias.data())
    return w, b, h


def main(argv=None):
    args = parse_args("poly-fit", DEFAULTS, __doc__, argv)
    n = DEFAULTS["n_train"]

    def train_one(seed):
        mx.random.seed(seed)
        features, poly, labels = poly_data(n, DEFAULTS["n_test"])
        experiments = {
            "normal": (poly[:n], poly[n:], labels[:n], labels[n:]),
            "underfit": (features[:n], features[n:], labels[:n], labels[n:]),
            "overfit": (poly[:2], poly[n:], labels[:2], labels[n:]),
        }
        results, histories = {}, []
        for name, data in experiments.items():
            w, b, h = fit_poly(*data, args, seed, **checkpoint_kw(args, seed, name))
            results[name] = dict(w=w, b=b, final_train_loss=h.last["loss"],
                                 final_test_loss=h.last["test_loss"], history=h.epochs)
            print("seed %d %-8s w %s b %.4f | final train loss %.4f, test loss %.4f"
                  % (seed, name, ["%.3f" % v for v in w], b, h.last["loss"],
                     h.last["test_loss"]))
            histories.append((name if len(args.seed) == 1 else "seed %d %s" % (seed, name), h))
        normal = results["normal"]
        err = max([abs(a - t) for a, t in zip(normal["w"], POLY_W)]
                  + [abs(normal["b"] - POLY_B)])
        return histories, dict(experiments=results, normal_max_abs_err=err,
                               **{name + "_test_loss": r["final_test_loss"]
                                  for name, r in results.items()})

    print("true w %s b %s" % (POLY_W, POLY_B))
    return run_seeds(args, train_one,
                     means=("normal_max_abs_err", "normal_test_loss", "underfit_test_loss",
                            "overfit_test_loss"),
                     summarize=lambda runs: dict(
                         true_w=POLY_W, true_b=POLY_B,
                         max_normal_max_abs_err=max(r["normal_max_abs_err"] for r in runs)),
                     plot_fn=loss_curves)
