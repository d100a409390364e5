"""gluon_notes.losses through the one loop: ``fit(loss=...)`` with ``reduction='none'``."""
import mxnet as mx
import numpy as np
import pytest

from conftest import require
from mxnet import autograd, nd
from mxnet.gluon import nn

from gluon_notes.data import ArrayLoader
from gluon_notes.losses import (AMSoftmaxLoss, BCELoss, BCEWithLogitsLoss, CosineDense,
                                CrossEntropyLoss, NLLLoss)
from gluon_notes.train import fit
from parity import assert_deferred_init, assert_hybrid_parity


def blobs(n=240, classes=3):
    """Three well-separated Gaussian blobs in 2-D: (X (n, 2), y (n,))."""
    rng = np.random.RandomState(0)
    y = rng.randint(0, classes, n)
    centers = 3 * np.stack([np.cos(2 * np.pi * y / classes), np.sin(2 * np.pi * y / classes)], 1)
    X = centers + rng.randn(n, 2)
    return nd.array(X), nd.array(y)


def loaders(X, y):
    return ArrayLoader(X, y, 32, shuffle=True), ArrayLoader(X, y, 64)


def lambda_net(*layers):
    net = nn.HybridSequential()
    net.add(*layers)
    return net


LOG_SOFTMAX = nn.HybridLambda(lambda F, x: F.log_softmax(x, axis=1))
CLASS_SETUPS = {
    "cross-entropy": (lambda: nn.Dense(3),
                      lambda: CrossEntropyLoss([1.0, 2.0, 1.0], reduction="none",
                                               label_smoothing=0.1)),
    "nll": (lambda: lambda_net(nn.Dense(3), LOG_SOFTMAX),
            lambda: NLLLoss(reduction="none")),
    "amsoftmax": (lambda: lambda_net(nn.Dense(16, activation="relu"), CosineDense(3)),
                  lambda: AMSoftmaxLoss(margin=0.2, scale=10.0, reduction="none")),
}


@pytest.mark.parametrize("hybridize", [False, True], ids=["imp", "hyb"])
@pytest.mark.parametrize("setup", sorted(CLASS_SETUPS))
def test_fit_with_class_losses(setup, hybridize):
    make_net, make_loss = CLASS_SETUPS[setup]
    train_iter, test_iter = loaders(*blobs())
    h = fit(make_net(), train_iter, test_iter, make_loss(), 6, lr=0.1, seed=0,
            hybridize=hybridize, verbose=False)
    assert h.last["test_acc"] > 0.9 and h["loss"][-1] < h["loss"][0]


@pytest.mark.parametrize("hybridize", [False, True], ids=["imp", "hyb"])
@pytest.mark.parametrize("setup", ["bce", "bce-logits"])
def test_fit_with_binary_losses(setup, hybridize):
    X, y = blobs(classes=2)
    if setup == "bce":
        net, loss = lambda_net(nn.Dense(1), nn.Activation("sigmoid")), BCELoss(reduction="none")
    else:
        net, loss = nn.Dense(1), BCEWithLogitsLoss(pos_weight=[2.0], reduction="none")
    h = fit(net, *loaders(X, y), loss, 6, lr=0.5, seed=0, hybridize=hybridize, verbose=False,
            accuracy=False)   # one output column: the loop's argmax accuracy does not apply
    scores = net(X).asnumpy().ravel()
    pred = scores > (0.5 if setup == "bce" else 0.0)
    assert (pred == y.asnumpy()).mean() > 0.9 and h["loss"][-1] < h["loss"][0]


def test_fit_sum_equals_none_and_mean_shrinks_the_step():
    """fit sums the returned losses: 'sum' trains exactly as 'none'; 'mean' takes B-times
    smaller steps (the gradient is divided by the batch size twice)."""
    X, y = blobs(n=64)
    weights = {}
    for reduction in ("none", "sum", "mean"):
        net = nn.Dense(3)
        fit(net, ArrayLoader(X, y, 64), None, CrossEntropyLoss(reduction=reduction), 1, lr=0.5,
            seed=0, hybridize=True, verbose=False)
        weights[reduction] = net.weight.data().asnumpy()
    np.testing.assert_array_equal(weights["sum"], weights["none"])
    start = _initial_weight(X)
    assert np.abs(weights["none"] - start).max() > 1e-3
    np.testing.assert_allclose(weights["mean"] - start, (weights["none"] - start) / 64,
                               rtol=1e-3, atol=1e-7)


def _initial_weight(X):
    """The weight ``fit(seed=0)`` initializes ``Dense(3)`` with (before any step)."""
    from gluon_notes.train import prepare_net, seed_everything
    seed_everything(0)
    net = prepare_net(nn.Dense(3), None)
    net(X[:1])
    return net.weight.data().asnumpy()


def test_cosine_dense_matches_torch_and_is_hybrid_and_deferred():
    torch = require("torch")
    X = nd.random.normal(shape=(5, 7))
    y, g = assert_hybrid_parity(lambda: CosineDense(4), X)
    assert np.abs(y).max() <= 1 + 1e-6
    assert_deferred_init(lambda: CosineDense(4), X, {"weight": (4, 7)})
    layer = CosineDense(4, in_units=7)
    layer.initialize()
    W = layer.weight.data().asnumpy()
    x = X.copy()
    x.attach_grad()
    head = np.random.rand(5, 4).astype("float32")
    with autograd.record():
        out = layer(x)
    out.backward(nd.array(head))
    t = torch.tensor(X.asnumpy(), requires_grad=True)
    ref = torch.nn.functional.linear(torch.nn.functional.normalize(t),
                                     torch.nn.functional.normalize(torch.tensor(W)))
    ref.backward(torch.tensor(head))
    np.testing.assert_allclose(out.asnumpy(), ref.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(x.grad.asnumpy(), t.grad.numpy(), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("hybridize", [False, True], ids=["imp", "hyb"])
def test_class_weights_on_other_and_several_devices(hybridize):
    """fit places the loss's class weights on ctx, as it places the net's parameters."""
    X, y = blobs(n=64)
    weights = []
    for ctx in ([mx.cpu(0)], [mx.cpu(1)], [mx.cpu(0), mx.cpu(1)]):
        loss = CrossEntropyLoss([1.0, 2.0, 0.5], reduction="none")
        net = nn.Dense(3)
        fit(net, ArrayLoader(X, y, 32), None, loss, 1, ctx=ctx, hybridize=hybridize, seed=0,
            verbose=False)
        weights.append(net.weight.data(ctx[0]).asnumpy())
    np.testing.assert_allclose(weights[1], weights[0], rtol=1e-6)
    np.testing.assert_allclose(weights[2], weights[0], rtol=1e-5, atol=1e-6)
