"""Chapter-5 building blocks: from-scratch pieces against Gluon or numpy, shapes, hybrid parity."""
import numpy as np
import mxnet as mx
import pytest
from mxnet import autograd, gluon, nd
from mxnet.gluon import nn

from gluon_notes.errors import GluonNotesError
from gluon_notes.layers import (BatchNorm, DenseBlock, Inception, Residual, batch_norm,
                                conv_block, corr2d_multi_in, corr2d_multi_in_out,
                                corr2d_multi_in_out_1x1, nin_block, pool2d, transition_block,
                                vgg_block)
from gluon_notes.layers.batchnorm import _train_flag
from gluon_notes.models import get_model
from parity import assert_train_parity


# --- channels and pooling (5.3, 5.4) -----------------------------------------------------------

def test_corr2d_multi_in_matches_book():
    X = nd.array([[[0, 1, 2], [3, 4, 5], [6, 7, 8]], [[1, 2, 3], [4, 5, 6], [7, 8, 9]]])
    K = nd.array([[[0, 1], [2, 3]], [[1, 2], [3, 4]]])
    np.testing.assert_allclose(corr2d_multi_in(X, K).asnumpy(), [[56, 72], [104, 120]])
    Y = corr2d_multi_in_out(X, nd.stack(K, K + 1, K + 2))
    assert Y.shape == (3, 2, 2)
    np.testing.assert_allclose(Y[0].asnumpy(), [[56, 72], [104, 120]])


def test_corr2d_multi_in_out_matches_convolution():
    X, K = nd.random.uniform(shape=(3, 5, 6)), nd.random.uniform(shape=(2, 3, 2, 3))
    ref = nd.Convolution(X.expand_dims(0), K, kernel=(2, 3), num_filter=2, no_bias=True)[0]
    np.testing.assert_allclose(corr2d_multi_in_out(X, K).asnumpy(), ref.asnumpy(), rtol=1e-5)


def test_1x1_convolution_is_a_matrix_product():
    X, K = nd.random.uniform(shape=(3, 3, 3)), nd.random.uniform(shape=(2, 3, 1, 1))
    np.testing.assert_allclose(corr2d_multi_in_out_1x1(X, K).asnumpy(),
                               corr2d_multi_in_out(X, K).asnumpy(), rtol=1e-5)


def test_corr2d_multi_in_rejects_channel_mismatch():
    with pytest.raises(GluonNotesError, match="one kernel per input channel"):
        corr2d_multi_in(nd.ones((2, 3, 3)), nd.ones((3, 2, 2)))


@pytest.mark.parametrize("mode,expected,gluon_pool", [
    ("max", [[4, 5], [7, 8]], nn.MaxPool2D),
    ("avg", [[2, 3], [5, 6]], nn.AvgPool2D)])
def test_pool2d_matches_book_and_gluon(mode, expected, gluon_pool):
    X = nd.arange(9).reshape((3, 3))
    Y = pool2d(X, (2, 2), mode)
    np.testing.assert_allclose(Y.asnumpy(), expected)
    ref = gluon_pool(pool_size=2, strides=1)(X.reshape((1, 1, 3, 3)))
    np.testing.assert_allclose(Y.asnumpy(), ref[0, 0].asnumpy())


def test_pool2d_rejects_unknown_mode():
    with pytest.raises(GluonNotesError, match="'max' or 'avg'"):
        pool2d(nd.ones((3, 3)), (2, 2), "min")


# --- blocks: shapes and hybrid parity ----------------------------------------------------------

BLOCKS = {  # name: (factory, input shape, output shape)
    "vgg_block": (lambda: vgg_block(2, 8), (2, 3, 8, 8), (2, 8, 4, 4)),
    "nin_block": (lambda: nin_block(8, 5, 1, 2), (2, 3, 8, 8), (2, 8, 8, 8)),
    "inception": (lambda: Inception(4, (2, 6), (2, 3), 5), (2, 3, 8, 8), (2, 18, 8, 8)),
    "residual": (lambda: Residual(3), (4, 3, 6, 6), (4, 3, 6, 6)),
    "residual_1x1": (lambda: Residual(6, use_1x1conv=True, strides=2), (4, 3, 6, 6),
                     (4, 6, 3, 3)),
    "conv_block": (lambda: conv_block(5), (2, 3, 8, 8), (2, 5, 8, 8)),
    "dense_block": (lambda: DenseBlock(2, 10), (4, 3, 8, 8), (4, 23, 8, 8)),
    "transition": (lambda: transition_block(10), (4, 23, 8, 8), (4, 10, 4, 4)),
    "batchnorm_scratch": (lambda: BatchNorm(num_dims=4), (4, 3, 5, 5), (4, 3, 5, 5)),
}


@pytest.mark.parametrize("name", sorted(BLOCKS))
def test_block_shape_and_hybrid_parity(name):
    make, in_shape, out_shape = BLOCKS[name]
    X = nd.random.normal(shape=in_shape)
    y, g = assert_train_parity(make, X, rtol=1e-4, atol=1e-5)
    assert y.shape == out_shape
    assert g.shape == in_shape and np.abs(g).sum() > 0


# --- batch normalization from scratch (5.10) ---------------------------------------------------

@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5, 5)])
def test_batch_norm_function_against_numpy(shape):
    X = nd.random.normal(2, 3, shape=shape)
    c_shape = (1, 3) if len(shape) == 2 else (1, 3, 1, 1)
    gamma, beta = nd.full(c_shape, 1.5), nd.full(c_shape, 0.5)
    mm, mv = nd.zeros(c_shape), nd.ones(c_shape)
    axes = (0,) if len(shape) == 2 else (0, 2, 3)
    x = X.asnumpy()
    mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    with autograd.record():
        Y, new_mm, new_mv = batch_norm(X, gamma, beta, mm, mv)
    np.testing.assert_allclose(Y.asnumpy(), 1.5 * (x - mean) / np.sqrt(var + 1e-5) + 0.5,
                               rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(new_mm.asnumpy(), 0.1 * mean, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(new_mv.asnumpy(), 0.9 + 0.1 * var, rtol=1e-5)
    Y, same_mm, _ = batch_norm(X, gamma, beta, new_mm, new_mv)  # inference: moving statistics
    np.testing.assert_allclose(Y.asnumpy(), 1.5 * (x - new_mm.asnumpy()) /
                               np.sqrt(new_mv.asnumpy() + 1e-5) + 0.5, rtol=1e-4, atol=1e-5)
    assert same_mm is new_mm


def test_batch_norm_function_rejects_3d_input():
    with pytest.raises(GluonNotesError, match=r"\(N, C\) or \(N, C, H, W\)"):
        batch_norm(nd.ones((2, 3, 4)), 1, 0, 0, 1)


def test_gluon_batchnorm_uses_biased_variance_and_updates_in_backward():
    """Pins the mxnet 1.9.1 behaviour that the scratch layer is compared with."""
    bn = nn.BatchNorm()
    bn.initialize()
    X = nd.random.normal(shape=(4, 3, 5, 5))
    with autograd.record():
        y = bn(X)
    assert bn.running_mean.data().sum().asscalar() == 0  # forward alone: nothing updated
    y.backward()
    x = X.asnumpy()
    biased, unbiased = x.var(axis=(0, 2, 3)), x.var(axis=(0, 2, 3), ddof=1)
    rv = bn.running_var.data().asnumpy()
    np.testing.assert_allclose(rv, 0.9 + 0.1 * biased, rtol=1e-6)
    assert not np.allclose(rv, 0.9 + 0.1 * unbiased, rtol=1e-5)


def _bn_pair(num_dims, hybridize):
    ref, bn = nn.BatchNorm(), BatchNorm(num_dims=num_dims)
    for b in (ref, bn):
        b.initialize()
        if hybridize:
            b.hybridize()
    return ref, bn


def _step(block, X, head):
    x = X.copy()
    x.attach_grad()
    with autograd.record():
        y = block(x)
    y.backward(head)
    return y.asnumpy(), x.grad.asnumpy()


def _stats(block):
    return [p.data().asnumpy() for p in block.collect_params().values()
            if p.grad_req == "null"]


@pytest.mark.parametrize("hybridize", [False, True])
@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5, 5)])
def test_scratch_batchnorm_matches_gluon(shape, hybridize):
    ref, bn = _bn_pair(len(shape), hybridize)
    for _ in range(3):  # training: outputs, input gradients and moving statistics
        X = nd.random.normal(1, 2, shape=shape)
        head = nd.random.normal(shape=shape)
        (y_r, g_r), (y_s, g_s) = _step(ref, X, head), _step(bn, X, head)
        np.testing.assert_allclose(y_s, y_r, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(g_s, g_r, rtol=1e-3, atol=1e-4)
        for s, r in zip(_stats(bn), _stats(ref)):
            np.testing.assert_allclose(s, r, rtol=1e-5, atol=1e-6)
    X = nd.random.normal(shape=shape)
    before = _stats(bn)
    np.testing.assert_allclose(bn(X).asnumpy(), ref(X).asnumpy(), rtol=1e-4, atol=1e-5)
    with autograd.record(train_mode=False):  # inference mode while recording
        y_s, y_r = bn(X), ref(X)
    np.testing.assert_allclose(y_s.asnumpy(), y_r.asnumpy(), rtol=1e-4, atol=1e-5)
    for b, a in zip(_stats(bn), before):  # inference leaves the statistics exactly as they were
        np.testing.assert_array_equal(b, a)


@pytest.mark.parametrize("hybridize", [False, True])
def test_scratch_batchnorm_updates_in_forward_of_training_mode(hybridize):
    bn = BatchNorm(num_dims=2)
    bn.initialize()
    if hybridize:
        bn.hybridize()
    X = nd.random.normal(3, 1, shape=(8, 2))
    with autograd.record():
        bn(X)
    np.testing.assert_allclose(bn.moving_mean.data().asnumpy(),
                               0.1 * X.asnumpy().mean(axis=0), rtol=1e-5)


def test_train_flag_is_decided_when_the_graph_runs():
    class Flag(nn.HybridBlock):
        def hybrid_forward(self, F, x):
            return _train_flag(F, x)
    f = Flag()
    f.hybridize()
    x = nd.ones((16,))
    assert f(x).asnumpy().tolist() == [0.0] * 16
    with autograd.record():
        assert f(x).asnumpy().tolist() == [1.0] * 16
    assert f(x).asnumpy().tolist() == [0.0] * 16


def test_scratch_batchnorm_rejects_bad_num_dims():
    with pytest.raises(GluonNotesError, match="num_dims"):
        BatchNorm(num_dims=3)


def test_lenet_bn_scratch_trains_like_lenet_bn_when_hybridized():
    """A whole hybridized LeNet: same parameters, two SGD steps, same net afterwards."""
    X, y = nd.random.uniform(shape=(8, 1, 28, 28)), nd.array([0, 1, 2, 3, 4, 5, 6, 7])
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    nets = [get_model("lenet_bn_scratch"), get_model("lenet_bn")]
    for net in nets:
        net.initialize(mx.init.Xavier())
        net(X)
        net.hybridize()
    for p_s, p_r in zip(nets[0].collect_params().values(), nets[1].collect_params().values()):
        p_r.set_data(p_s.data())
    trainers = [gluon.Trainer(n.collect_params(), "sgd", {"learning_rate": 1.0}) for n in nets]
    for _ in range(2):
        for net, trainer in zip(nets, trainers):
            with autograd.record():
                l = loss(net(X), y)
            l.backward()
            trainer.step(len(y))
    for p_s, p_r in zip(nets[0].collect_params().values(), nets[1].collect_params().values()):
        np.testing.assert_allclose(p_s.data().asnumpy(), p_r.data().asnumpy(),
                                   rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(nets[0](X).asnumpy(), nets[1](X).asnumpy(), rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("hybridize_kw", [None, {}, {"static_alloc": True},
                                          {"static_alloc": True, "static_shape": True}])
def test_scratch_moving_statistics_under_every_hybridize_mode(hybridize_kw):
    """Three training steps of a whole LeNet: the same statistics as nn.BatchNorm's."""
    X = nd.random.uniform(shape=(8, 1, 28, 28))
    stats = []
    for name in ("lenet_bn_scratch", "lenet_bn"):
        mx.random.seed(0)
        net = get_model(name)
        net.initialize(mx.init.Xavier())
        net(X)  # initialize before any training-mode draw, so both nets start equal
        if hybridize_kw is not None:
            net.hybridize(**hybridize_kw)
        for _ in range(3):
            with autograd.record():
                l = net(X).sum()
            l.backward()
        mx.nd.waitall()  # needed under static_shape (see gluon_notes.layers.cnn)
        stats.append(np.concatenate([p.data().asnumpy().ravel() for p in
                                     net.collect_params().values() if p.grad_req == "null"]))
    np.testing.assert_allclose(stats[0], stats[1], rtol=1e-4, atol=1e-5)
