"""Hybrid parity in training mode, for networks with dropout and max-pooling.

``parity.assert_hybrid_parity`` records in inference mode by default; under MKLDNN (the default
mxnet 1.9.1 CPU build) the input gradient of max-pooling recorded with ``train_mode=False`` is
wrong, so those networks are compared in training mode instead. The RNG is reseeded before each
run so that dropout draws the same masks imperatively and hybridized.
"""
import numpy as np
import mxnet as mx
from mxnet import nd

from parity import forward_backward


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
