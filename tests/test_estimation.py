"""estimation: the two variance estimators and Var(sum), maximum likelihood (closed form vs
autograd ascent), EM on a two-component mixture, BatchNorm's biased batch variance."""
import numpy as np
import pytest

from gluon_notes import estimation as est
from gluon_notes.errors import GluonNotesError


@pytest.mark.parametrize("n", [2, 5, 10])
def test_biased_and_unbiased_variance_means(n):
    sigma = 2.0
    r = est.variance_estimates(n, sigma, draws=40000)
    # the standard error of the mean of s^2 over 40000 draws is < 2% of sigma^2 for n >= 2
    assert r["biased"] == pytest.approx((n - 1) / n * sigma ** 2, rel=0.03)
    assert r["unbiased"] == pytest.approx(sigma ** 2, rel=0.03)
    assert r["biased"] == pytest.approx(r["unbiased"] * (n - 1) / n, rel=1e-9)  # same draws


def test_variance_of_a_sum_is_n_sigma_squared():
    for n in (1, 4, 16):
        r = est.sum_variance(n, sigma=1.5, draws=40000)
        assert r["simulated"] == pytest.approx(n * 1.5 ** 2, rel=0.03)


def test_sample_size_one_is_refused():
    with pytest.raises(GluonNotesError, match="n - 1"):
        est.variance_estimates(1)


def test_gaussian_mle_ascent_equals_the_closed_form():
    x = np.random.normal(3.0, 2.0, size=1000)
    r = est.gaussian_mle(x)
    np.testing.assert_allclose(r["ascent"], r["closed"], atol=1e-3)
    assert r["closed"] == pytest.approx((x.mean(), x.std(ddof=0)))     # MLE variance: / n


def test_bernoulli_mle_ascent_equals_the_frequency():
    x = (np.random.rand(500) < 0.3).astype(float)
    r = est.bernoulli_mle(x)
    assert r["ascent"] == pytest.approx(r["closed"], abs=1e-3)
    assert r["closed"] == x.mean()


def test_em_recovers_the_mixture_and_never_lowers_the_likelihood():
    x, _ = est.sample_mixture(2000, weights=(0.3, 0.7), means=(-2.0, 2.0), stds=(1.0, 0.8))
    r = est.em_gmm(x)
    np.testing.assert_allclose(r["means"], [-2.0, 2.0], atol=0.1)
    np.testing.assert_allclose(r["weights"], [0.3, 0.7], atol=0.05)
    assert np.all(np.diff(r["loglik"]) >= -1e-12)
    assert r["loglik"][-1] > r["loglik"][0]
    assert r["loglik"][-1] == pytest.approx(est.mixture_loglik(x, r["weights"], r["means"],
                                                               r["stds"]))


def test_batchnorm_normalizes_with_the_biased_batch_variance():
    r = est.batchnorm_check(np.random.normal(size=(4, 3)), epsilon=1e-5)
    assert r["to_biased"] < 1e-5
    assert r["to_unbiased"] > 0.1          # with n = 4: sqrt(4/3) apart


def test_ascent_that_cannot_converge_is_one_sentence():
    from mxnet import nd
    with pytest.raises(GluonNotesError, match="did not converge"):
        est.gradient_ascent(lambda t: -nd.square(t).sum(), [5.0], lr=0.1, max_iters=3)
