"""Estimation: variance estimators by simulation, maximum likelihood with autograd, EM, and
BatchNorm's batch variance.

Design
------
* Simulation is numpy (its global RNG, so ``seed_everything`` makes it repeatable): ``draws``
  independent samples of size ``n`` at once, an array ``(draws, n)``.
* The biased estimator divides by ``n`` and has mean ``(n - 1)/n sigma^2``; the unbiased one
  divides by ``n - 1`` and has mean ``sigma^2``. The variance of a sum of ``n`` iid draws is
  ``n sigma^2``.
* Maximum likelihood twice: the closed form, and gradient ascent on the mean log-likelihood with
  MXNet's autograd (float64) over an unconstrained parameterization: ``(mu, log sigma)`` for a
  Gaussian, the logit for a Bernoulli. Ascent stops when the gradient's norm is below ``tol``.
* EM for a two-component 1-D Gaussian mixture, vectorized numpy; it records the data's
  log-likelihood before every iteration (EM never lowers it; a test asserts that).
* ``batchnorm_check`` runs ``nn.BatchNorm`` in training mode and compares its output with the
  normalization by the biased (``/ n``) and by the unbiased (``/ (n - 1)``) batch variance.
"""
import numpy as np
from mxnet import autograd, nd
from mxnet.gluon import nn

from .errors import GluonNotesError

LOG_2PI = np.log(2 * np.pi)


def variance_estimates(n, sigma=1.0, draws=20000):
    """Means over ``draws`` samples of size ``n`` of the biased and the unbiased variance.

    Returns
    -------
    dict with ``biased``, ``unbiased`` (simulated means) and ``biased_expected`` = (n - 1)/n
    sigma^2, ``unbiased_expected`` = sigma^2.
    """
    if not isinstance(n, (int, np.integer)) or n < 2:
        raise GluonNotesError("the sample size n must be an integer >= 2 (the unbiased "
                              "estimator divides by n - 1), got %r." % (n,))
    x = np.random.normal(0.0, sigma, size=(draws, n))             # (draws, n)
    return dict(n=int(n), biased=float(x.var(axis=1, ddof=0).mean()),
                unbiased=float(x.var(axis=1, ddof=1).mean()),
                biased_expected=(n - 1) / n * sigma ** 2, unbiased_expected=sigma ** 2)


def sum_variance(n, sigma=1.0, draws=20000):
    """Simulated variance of the sum of ``n`` iid N(0, sigma^2) draws, and ``n sigma^2``."""
    s = np.random.normal(0.0, sigma, size=(draws, n)).sum(axis=1)  # (draws,)
    return dict(n=int(n), simulated=float(s.var(ddof=1)), expected=n * sigma ** 2)


def gradient_ascent(loglik, theta0, lr=0.5, tol=1e-9, max_iters=20000):
    """Maximize ``loglik(theta)`` (an NDArray scalar of a float64 NDArray) by gradient ascent.

    Returns
    -------
    (numpy.ndarray theta, int iterations)
    """
    theta = nd.array(np.asarray(theta0, dtype=np.float64), dtype="float64")
    for it in range(1, max_iters + 1):
        theta.attach_grad()
        with autograd.record():
            ll = loglik(theta)
        ll.backward()
        g = theta.grad
        if float(nd.norm(g).asscalar()) < tol:
            return theta.asnumpy(), it
        theta = theta + lr * g
    raise GluonNotesError("gradient ascent did not converge in %d iterations (|gradient| "
                          "%.2e > %.0e); raise max_iters or lr." % (max_iters,
                                                                    nd.norm(g).asscalar(), tol))


def gaussian_mle(x):
    """Closed form and autograd gradient ascent for a Gaussian: ``{'closed', 'ascent'}``,
    each ``(mu, sigma)``; ``iterations`` of the ascent."""
    x = np.asarray(x, dtype=np.float64)
    xs = nd.array(x, dtype="float64")

    def loglik(theta):                              # theta = (mu, log sigma)
        mu, log_sigma = theta[0], theta[1]
        return (-0.5 * LOG_2PI - log_sigma
                - nd.square(xs - mu) / (2 * nd.exp(2 * log_sigma))).mean()

    theta, its = gradient_ascent(loglik, [0.0, 0.0])
    return dict(closed=(float(x.mean()), float(x.std(ddof=0))),
                ascent=(float(theta[0]), float(np.exp(theta[1]))), iterations=its)


def bernoulli_mle(x):
    """Closed form (the frequency of ones) and autograd gradient ascent on the logit."""
    x = np.asarray(x, dtype=np.float64)
    xs = nd.array(x, dtype="float64")

    def loglik(theta):                              # theta = (logit p,)
        p = nd.sigmoid(theta)
        return (xs * nd.log(p) + (1 - xs) * nd.log(1 - p)).mean()

    theta, its = gradient_ascent(loglik, [0.0], lr=2.0)
    return dict(closed=float(x.mean()), ascent=float(1 / (1 + np.exp(-theta[0]))),
                iterations=its)


def _log_normal(x, mu, sigma):
    # x (N, 1), mu, sigma (K,) -> (N, K)
    return -0.5 * LOG_2PI - np.log(sigma) - (x - mu) ** 2 / (2 * sigma ** 2)


def mixture_loglik(x, weights, means, stds):
    """Mean log-likelihood of ``x`` under a 1-D Gaussian mixture."""
    lp = np.log(weights) + _log_normal(np.asarray(x)[:, None], means, stds)   # (N, K)
    m = lp.max(axis=1, keepdims=True)
    return float((m[:, 0] + np.log(np.exp(lp - m).sum(axis=1))).mean())


def sample_mixture(n, weights=(0.3, 0.7), means=(-2.0, 2.0), stds=(1.0, 0.8)):
    """``n`` draws of a 1-D Gaussian mixture and their components."""
    z = np.random.choice(len(weights), size=n, p=weights)
    return np.random.normal(np.asarray(means)[z], np.asarray(stds)[z]), z


def em_gmm(x, num_iters=100, tol=1e-10):
    """EM for a two-component 1-D Gaussian mixture (components sorted by mean).

    Starts from the 25% and 75% quantiles as means, the data's std, equal weights; stops after
    ``num_iters`` or when the log-likelihood gains less than ``tol``.

    Returns
    -------
    dict with ``weights``, ``means``, ``stds`` (numpy, sorted by mean) and ``loglik``, the mean
    log-likelihood before each iteration and after the last.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1 or x.size < 2:
        raise GluonNotesError("EM needs a 1-D array of at least 2 samples, got shape %s."
                              % (x.shape,))
    means = np.quantile(x, [0.25, 0.75])
    stds, weights = np.full(2, x.std()), np.full(2, 0.5)
    trace = [mixture_loglik(x, weights, means, stds)]
    for _ in range(num_iters):
        lp = np.log(weights) + _log_normal(x[:, None], means, stds)      # E-step (N, 2)
        r = np.exp(lp - lp.max(axis=1, keepdims=True))
        r /= r.sum(axis=1, keepdims=True)                                 # responsibilities
        nk = r.sum(axis=0)                                                # M-step (2,)
        weights, means = nk / x.size, (r * x[:, None]).sum(axis=0) / nk
        stds = np.sqrt((r * (x[:, None] - means) ** 2).sum(axis=0) / nk)
        trace.append(mixture_loglik(x, weights, means, stds))
        if trace[-1] - trace[-2] < tol:
            break
    order = np.argsort(means)
    return dict(weights=weights[order], means=means[order], stds=stds[order], loglik=trace)


def batchnorm_check(x, epsilon=1e-5):
    """``nn.BatchNorm`` (training mode, no scale/shift) on ``x (N, C)`` against the two
    normalizations: max |difference| to the biased and to the unbiased batch variance."""
    x = np.asarray(x, dtype=np.float32)
    bn = nn.BatchNorm(axis=1, epsilon=epsilon, center=False, scale=False,
                      in_channels=x.shape[1])
    bn.initialize()
    with autograd.record(train_mode=True):
        y = bn(nd.array(x)).asnumpy()
    mean = x.mean(axis=0)
    biased = (x - mean) / np.sqrt(x.var(axis=0, ddof=0) + epsilon)
    unbiased = (x - mean) / np.sqrt(x.var(axis=0, ddof=1) + epsilon)
    return dict(to_biased=float(np.abs(y - biased).max()),
                to_unbiased=float(np.abs(y - unbiased).max()))
