"""Hybrid-vs-imperative parity and deferred-init checks (after MXNet's test_gluon.py)."""
import numpy as np
import mxnet as mx
from mxnet import autograd, nd


def forward_backward(net, X, train_mode=False, head=None):
    """Run ``net`` on a copy of ``X`` under ``autograd.record``; return output and input grad."""
    x = X.copy()
    x.attach_grad()
    with autograd.record(train_mode=train_mode):
        y = net(x)
    y.backward(head if head is not None else nd.ones_like(y))
    return y.asnumpy(), x.grad.asnumpy()


def assert_hybrid_parity(make_net, X, train_mode=False, rtol=1e-5, atol=1e-6, init=None,
                         hybridize_kw=None):
    """Outputs and input gradients of ``make_net()`` agree imperatively and hybridized.

    The same initialized net runs imperatively, is hybridized, and runs again on the same input
    with the same (random) head gradient.
    """
    mx.random.seed(42)
    net = make_net()
    net.initialize(init or mx.init.Xavier())
    y0 = net(X)  # finishes deferred init
    head = nd.random.normal(shape=y0.shape)
    y_imp, g_imp = forward_backward(net, X, train_mode, head)
    net.hybridize(**(hybridize_kw or {}))
    y_hyb, g_hyb = forward_backward(net, X, train_mode, head)
    np.testing.assert_allclose(y_hyb, y_imp, rtol=rtol, atol=atol)
    np.testing.assert_allclose(g_hyb, g_imp, rtol=rtol, atol=atol)
    return y_imp, g_imp


def assert_deferred_init(make_net, X, expected_shapes=None):
    """Parameter shapes contain 0 before the first forward and are complete after it.

    ``expected_shapes`` (optional) maps a parameter-name suffix to its shape after inference.
    """
    net = make_net()
    net.initialize()
    params = net.collect_params()
    assert any(0 in p.shape for p in params.values()), "no parameter was deferred"
    net(X)
    for name, p in params.items():
        assert 0 not in p.shape, "%s still has shape %s" % (name, p.shape)
    for suffix, shape in (expected_shapes or {}).items():
        matches = [p for name, p in params.items() if name.endswith(suffix)]
        assert matches, "no parameter ends with %r" % suffix
        assert matches[0].shape == tuple(shape), (suffix, matches[0].shape, shape)
    return net


# Under MKLDNN (the default mxnet 1.9.1 CPU build) the input gradient of max-pooling recorded with
# train_mode=False is wrong, so networks with pooling (and dropout) are compared in training
# mode; the RNG is reseeded before each run so dropout draws the same masks both times.
def assert_train_parity(make_net, X, rtol=1e-5, atol=1e-6, seed=7):
    """Outputs and input gradients agree imperatively and hybridized, in training mode.

    Also checks that the inference-mode outputs agree. Returns the imperative output and
    input gradient.
    """
    mx.random.seed(42)
    net = make_net()
    net.initialize(mx.init.Xavier())
    y0 = net(X)  # finishes deferred init (inference mode: no statistics change)
    head = nd.random.normal(shape=y0.shape)
    mx.random.seed(seed)
    y_imp, g_imp = forward_backward(net, X, True, head)
    infer_imp = net(X).asnumpy()
    net.hybridize()
    infer_hyb = net(X).asnumpy()  # the same moving statistics as infer_imp
    mx.random.seed(seed)
    y_hyb, g_hyb = forward_backward(net, X, True, head)
    np.testing.assert_allclose(y_hyb, y_imp, rtol=rtol, atol=atol)
    np.testing.assert_allclose(g_hyb, g_imp, rtol=rtol, atol=atol)
    np.testing.assert_allclose(infer_hyb, infer_imp, rtol=rtol, atol=atol)
    return y_imp, g_imp
