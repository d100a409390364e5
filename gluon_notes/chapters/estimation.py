"""Estimation: biased vs unbiased variance, Var of a sum, MLE by autograd, EM, BatchNorm's variance.

By simulation (``--draws`` samples of each size n): the mean of the biased variance (divide by
n) approaches (n - 1)/n sigma^2 and that of the unbiased one (divide by n - 1) sigma^2; the
variance of a sum of n iid draws is n sigma^2. Maximum likelihood for a Gaussian and a
Bernoulli, the closed form against gradient ascent on the log-likelihood with autograd. EM for a
two-component 1-D Gaussian mixture on ``--samples`` draws, with its log-likelihood per
iteration (it never decreases). Last, ``nn.BatchNorm`` in training mode normalizes with the
biased batch variance (checked on a batch of 4). The figure: the two estimators over n, Var of
the sum over n, EM's log-likelihood, and the mixture's histogram with the fitted density.
"""
import numpy as np

from .. import estimation as est
from ..errors import GluonNotesError
from ..train import seed_everything
from ._common import parse_args, positive_float, positive_int, save_results

DEFAULTS = dict(sigma=2.0, draws=20000, max_n=20, num_samples=2000, hybridize=None)
MIXTURE = dict(weights=(0.3, 0.7), means=(-2.0, 2.0), stds=(1.0, 0.8))


def _extra(p):
    p.add_argument("--sigma", type=positive_float, default=DEFAULTS["sigma"],
                   help="standard deviation of the simulated data (default %(default)s)")
    p.add_argument("--draws", type=positive_int, default=DEFAULTS["draws"],
                   help="simulated samples per sample size (default %(default)s)")
    p.add_argument("--max-n", type=positive_int, default=DEFAULTS["max_n"],
                   help="largest sample size n (from 2; default %(default)s)")
    p.add_argument("--samples", dest="num_samples", type=positive_int,
                   default=DEFAULTS["num_samples"],
                   help="samples of the mixture for EM and of the MLE data (default %(default)s)")


def plot_estimation(parts, path, title=None):
    """Four panels: the estimators over n, Var(sum) over n, EM's log-likelihood, the mixture."""
    from ..plot import finish_figure, plt
    var, sums, em, x = parts["variance"], parts["sum"], parts["em"], parts["mixture_x"]
    fig, ax = plt.subplots(1, 4, figsize=(18, 3.8))
    ns = [r["n"] for r in var]
    ax[0].plot(ns, [r["biased"] for r in var], "o", color="C0", label="biased (/ n), simulated")
    ax[0].plot(ns, [r["biased_expected"] for r in var], "-", color="C0",
               label="(n - 1)/n sigma^2")
    ax[0].plot(ns, [r["unbiased"] for r in var], "s", color="C1",
               label="unbiased (/ (n - 1)), simulated")
    ax[0].plot(ns, [r["unbiased_expected"] for r in var], "--", color="C1", label="sigma^2")
    ax[0].set(xlabel="sample size n", ylabel="mean of the estimate",
              title="variance estimators")
    ax[1].plot([r["n"] for r in sums], [r["simulated"] for r in sums], "o", label="simulated")
    ax[1].plot([r["n"] for r in sums], [r["expected"] for r in sums], "-", label="n sigma^2")
    ax[1].set(xlabel="n", ylabel="Var(X_1 + ... + X_n)", title="variance of a sum")
    ax[2].plot(range(len(em["loglik"])), em["loglik"], "-o", ms=3)
    ax[2].set(xlabel="EM iteration", ylabel="mean log-likelihood", title="EM (never decreases)")
    ax[3].hist(x, bins=60, density=True, alpha=0.5, label="data")
    grid = np.linspace(x.min(), x.max(), 400)
    dens = sum(w * np.exp(-(grid - m) ** 2 / (2 * s ** 2)) / (s * np.sqrt(2 * np.pi))
               for w, m, s in zip(em["weights"], em["means"], em["stds"]))
    ax[3].plot(grid, dens, "k-", label="EM fit")
    ax[3].set(xlabel="x", ylabel="density", title="two-component mixture")
    finish_figure(fig, ax, path, title, legend=[a for a in ax if a is not ax[2]])


def main(argv=None):
    args = parse_args("estimation", DEFAULTS, __doc__, argv, extra=_extra, seeds="one")
    if args.max_n < 2:
        raise GluonNotesError("--max-n must be at least 2 (the unbiased estimator divides by "
                              "n - 1), got %d." % args.max_n)
    seed_everything(args.seed[0])
    sigma = args.sigma
    variance = [est.variance_estimates(n, sigma, args.draws) for n in range(2, args.max_n + 1)]
    for r in variance[:4] + variance[-1:]:
        print("n = %2d: mean biased %.4f (expected %.4f), mean unbiased %.4f (expected %.4f)"
              % (r["n"], r["biased"], r["biased_expected"], r["unbiased"],
                 r["unbiased_expected"]))
    sums = [est.sum_variance(n, sigma, args.draws) for n in range(1, args.max_n + 1)]
    print("Var(sum of n iid): n = %d simulated %.3f, n sigma^2 = %.3f"
          % (sums[-1]["n"], sums[-1]["simulated"], sums[-1]["expected"]))
    gauss = est.gaussian_mle(np.random.normal(3.0, sigma, size=args.num_samples))
    print("Gaussian MLE: closed form mu %.5f sigma %.5f; autograd ascent mu %.5f sigma %.5f "
          "(%d iterations)" % (*gauss["closed"], *gauss["ascent"], gauss["iterations"]))
    bern = est.bernoulli_mle((np.random.rand(args.num_samples) < 0.3).astype(float))
    print("Bernoulli MLE: closed form p %.5f; autograd ascent p %.5f (%d iterations)"
          % (bern["closed"], bern["ascent"], bern["iterations"]))
    x, _ = est.sample_mixture(args.num_samples, **MIXTURE)
    em = est.em_gmm(x)
    print("EM on %d samples: weights %s means %s stds %s (true %s %s %s), %d iterations, "
          "log-likelihood %.4f -> %.4f, never decreasing: %s"
          % (x.size, np.round(em["weights"], 3).tolist(), np.round(em["means"], 3).tolist(),
             np.round(em["stds"], 3).tolist(), list(MIXTURE["weights"]),
             list(MIXTURE["means"]), list(MIXTURE["stds"]), len(em["loglik"]) - 1,
             em["loglik"][0], em["loglik"][-1], bool(np.all(np.diff(em["loglik"]) >= -1e-12))))
    bn = est.batchnorm_check(np.random.normal(size=(4, 3)))
    print("nn.BatchNorm (train mode, batch 4): max |y - biased-variance normalization| %.2e, "
          "max |y - unbiased| %.2e" % (bn["to_biased"], bn["to_unbiased"]))
    metrics = dict(variance=variance, sum_variance=sums, gaussian_mle=gauss, bernoulli_mle=bern,
                   em={k: np.asarray(v).tolist() for k, v in em.items()},
                   mixture_true=MIXTURE, batchnorm=bn)
    save_results(args, metrics, histories=dict(variance=variance, sum=sums, em=em, mixture_x=x),
                 plot_fn=plot_estimation)
    return metrics
