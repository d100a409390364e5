"""gluon_notes.info: the definitions, their identity, the worked examples, PyTorch's names."""
import math

import numpy as np
import pytest

from conftest import require
from mxnet import nd

from gluon_notes import info
from gluon_notes.errors import GluonNotesError


def random_probs(*shape):
    x = np.random.rand(*shape) + 0.01
    return x / x.sum(axis=-1, keepdims=True)


def test_known_values_and_bases():
    assert info.self_information(0.5, base=2) == pytest.approx(1.0)
    assert info.self_information(1.0) == 0.0
    assert info.entropy([0.25] * 4, base=2) == pytest.approx(2.0)
    assert info.entropy([1.0, 0.0]) == 0.0                    # 0 log 0 = 0
    assert info.entropy([0.5, 0.5]) == pytest.approx(math.log(2))
    assert info.kl_divergence([0.5, 0.5], [0.5, 0.5]) == 0.0
    assert info.cross_entropy([1.0, 0.0], [0.0, 1.0]) == math.inf   # p > 0 where q = 0
    assert info.cross_entropy([0.0, 1.0], [0.0, 1.0]) == 0.0
    p, q = random_probs(5), random_probs(5)
    assert info.kl_divergence(p, q, base=2) == pytest.approx(info.kl_divergence(p, q) / math.log(2))


def test_cross_entropy_is_kl_plus_entropy_and_kl_is_not_symmetric():
    P, Q = random_probs(8, 6), random_probs(8, 6)
    H_pq, kl, H_p = info.cross_entropy(P, Q), info.kl_divergence(P, Q), info.entropy(P)
    assert H_pq.shape == (8,)
    np.testing.assert_allclose(H_pq, kl + H_p, rtol=1e-12)
    assert (kl > 0).all() and (H_pq >= H_p).all()            # Gibbs' inequality
    assert not np.allclose(kl, info.kl_divergence(Q, P))


def test_ndarray_and_list_inputs_give_the_numpy_result():
    p, q = random_probs(4).astype("float32"), random_probs(4).astype("float32")
    want = info.cross_entropy(p, q)
    assert isinstance(want, float)
    assert info.cross_entropy(nd.array(p), nd.array(q)) == pytest.approx(want, rel=1e-7)
    assert info.cross_entropy(p.tolist(), q.tolist()) == pytest.approx(want, rel=1e-7)


def test_matches_pytorch():
    torch = require("torch")
    P, Q = random_probs(3, 5), random_probs(3, 5)
    tp, tq = torch.tensor(P), torch.tensor(Q)
    cat = torch.distributions.Categorical
    np.testing.assert_allclose(info.entropy(P), cat(probs=tp).entropy().numpy(), rtol=1e-10)
    np.testing.assert_allclose(info.kl_divergence(P, Q),
                               torch.distributions.kl_divergence(cat(probs=tp), cat(probs=tq)),
                               rtol=1e-10)
    for i in range(3):   # kl_div takes the model's log-probabilities first, the target second
        kl = torch.nn.functional.kl_div(tq[i].log(), tp[i], reduction="sum").item()
        assert info.kl_divergence(P[i], Q[i]) == pytest.approx(kl, rel=1e-10)
    ce = torch.nn.functional.cross_entropy(tq.log(), tp, reduction="none").numpy()
    np.testing.assert_allclose(info.cross_entropy(P, Q), ce, rtol=1e-10)
    bce = torch.nn.functional.binary_cross_entropy(torch.tensor([0.8, 0.3]),
                                                   torch.tensor([1.0, 1.0]), reduction="none")
    np.testing.assert_allclose(info.binary_cross_entropy([0.8, 0.3], [1, 1]), bce, rtol=1e-6)


def test_binary_cross_entropy_of_a_single_prediction():
    assert info.binary_cross_entropy(0.8, 1) == pytest.approx(-math.log(0.8))
    assert info.binary_cross_entropy(0.8, 0) == pytest.approx(-math.log(0.2))
    assert info.binary_cross_entropy(0.5, 1, base=2) == pytest.approx(1.0)
    # the confident mistake costs much more than the hesitant one
    assert info.binary_cross_entropy(0.01, 1) > 4 * info.binary_cross_entropy(0.4, 1)


def test_same_error_different_cross_entropy_and_mse():
    a, b = info.compare_models()
    assert a["model"] == "model A" and b["model"] == "model B"
    assert a["classification_error"] == b["classification_error"] == pytest.approx(1 / 3)
    assert a["cross_entropy"] == pytest.approx(-(2 * math.log(0.4) + math.log(0.1)) / 3)
    assert b["cross_entropy"] == pytest.approx(-(2 * math.log(0.7) + math.log(0.3)) / 3)
    assert a["mse"] == pytest.approx((0.54 + 0.54 + 1.34) / 3)
    assert b["mse"] == pytest.approx((0.14 + 0.14 + 0.74) / 3)
    assert a["cross_entropy"] > b["cross_entropy"] and a["mse"] > b["mse"]
    table = info.format_table(info.compare_models())
    assert table.splitlines()[0].split() == ["model", "classification_error", "cross_entropy",
                                             "mse"] and "0.3333" in table


def test_two_class_softmax_is_a_sigmoid_of_the_logit_difference():
    Z = np.random.randn(100, 2) * 5
    Z[0] = [300.0, -300.0]                                    # no overflow either way
    np.testing.assert_allclose(info.softmax(Z)[:, 1], info.sigmoid(Z[:, 1] - Z[:, 0]),
                               rtol=1e-12, atol=0)
    # and the two-class cross-entropy is the binary cross-entropy of that sigmoid
    y = (np.random.rand(100) > 0.5).astype(float)
    np.testing.assert_allclose(
        info.cross_entropy(np.stack([1 - y, y], -1)[1:], info.softmax(Z[1:])),
        info.binary_cross_entropy(info.sigmoid(Z[1:, 1] - Z[1:, 0]), y[1:]), rtol=1e-9)
    assert info.sigmoid(0.0) == 0.5 and np.isfinite(info.sigmoid([-1000.0, 1000.0])).all()
    np.testing.assert_allclose(info.softmax(np.random.randn(4, 7)).sum(-1), 1.0, rtol=1e-12)


def test_logit_gradients_vanish_for_mse_not_for_cross_entropy():
    p = np.array([1e-4, 0.01, 0.5, 0.99])
    g = info.logit_gradients(p)
    eps = 1e-6                       # finite differences on z with p = sigmoid(z)
    z = np.log(p / (1 - p))
    for name, f in (("cross_entropy", lambda s: -np.log(s)), ("mse", lambda s: 2 * (1 - s) ** 2)):
        num = (f(info.sigmoid(z + eps)) - f(info.sigmoid(z - eps))) / (2 * eps)
        np.testing.assert_allclose(g[name], np.abs(num), rtol=1e-5)
    assert g["cross_entropy"][0] > 0.99 and g["mse"][0] < 1e-3


@pytest.mark.parametrize("call,match", [
    (lambda: info.entropy([0.5, 0.6]), "must sum to 1"),
    (lambda: info.entropy([1.5, -0.5]), "probabilities in \\[0, 1\\]"),
    (lambda: info.cross_entropy([0.5, 0.5], [np.nan, 1.0]), "q must hold"),
    (lambda: info.kl_divergence(0.5, 0.5), "non-empty probability vector"),
    (lambda: info.self_information(0.0), "\\(0, 1\\]"),
    (lambda: info.entropy([0.5, 0.5], base=1), "base must be"),
])
def test_not_a_distribution_raises(call, match):
    with pytest.raises(GluonNotesError, match=match) as e:
        call()
    assert str(e.value).endswith(".") and "\n" not in str(e.value)
