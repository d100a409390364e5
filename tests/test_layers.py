"""Custom layers (book 4.4, 5.1): hybrid parity, deferred shapes, numpy references."""
import numpy as np
import mxnet as mx
import pytest
from mxnet import autograd, nd
from mxnet.gluon import nn

from gluon_notes.errors import GluonNotesError
from gluon_notes.layers import (CenteredLayer, CenteredLayerBlock, Conv2D, Conv2DBlock,
                                MyDense, MyDenseBlock, MyInit, corr2d, corr2d_loop)
from parity import assert_deferred_init, assert_hybrid_parity



def container(*make_layers):
    """A HybridSequential of fresh layers: hybridizing it compiles them into one graph."""
    def make():
        net = nn.HybridSequential()
        net.add(*(make_layer() for make_layer in make_layers))
        return net
    return make


@pytest.mark.parametrize("make_net, X", [
    (CenteredLayer, nd.random.normal(shape=(3, 4))),
    (lambda: MyDense(3), nd.random.normal(shape=(4, 5))),
    (lambda: MyDense(3, in_units=5, activation=None), nd.random.normal(shape=(4, 5))),
    (lambda: Conv2D((1, 2)), nd.random.normal(shape=(6, 8))),
    (lambda: Conv2D(3), nd.random.normal(shape=(2, 3, 7, 6))),  # (N, C, H, W)
    (container(lambda: Conv2D((2, 3)), CenteredLayer), nd.random.normal(shape=(2, 1, 6, 8))),
    (container(lambda: MyDense(8), CenteredLayer, lambda: MyDense(2, activation=None)),
     nd.random.normal(shape=(4, 5))),
], ids=["centered", "mydense", "mydense-linear", "conv2d-2d", "conv2d-4d", "conv2d-centered",
        "mydense-centered-mydense"])
def test_hybrid_parity(make_net, X):
    y, g = assert_hybrid_parity(make_net, X)
    assert g.shape == X.shape and np.abs(g).sum() > 0


def _outputs_and_grads(net, X):
    x = X.copy()
    x.attach_grad()
    with autograd.record():
        y = net(x)
    y.backward(nd.arange(y.size).reshape(y.shape) / y.size)
    return y.asnumpy(), x.grad.asnumpy()


@pytest.mark.parametrize("make_hybrid, make_block, X", [
    (CenteredLayer, CenteredLayerBlock, nd.random.normal(shape=(3, 4))),
    (lambda: MyDense(3, in_units=5), lambda: MyDenseBlock(3, in_units=5),
     nd.random.normal(shape=(4, 5))),
    (lambda: Conv2D((2, 2)), lambda: Conv2DBlock((2, 2)), nd.random.normal(shape=(5, 6))),
], ids=["centered", "mydense", "conv2d"])
def test_book_block_form_matches_hybrid_form(make_hybrid, make_block, X):
    hybrid, block = make_hybrid(), make_block()
    hybrid.initialize(mx.init.Normal(1))
    block.initialize()
    for p_h, p_b in zip(hybrid.collect_params().values(), block.collect_params().values()):
        p_b.set_data(p_h.data() + 0.5)  # non-zero bias too
        p_h.set_data(p_b.data())
    hybrid.hybridize()
    for got, want in zip(_outputs_and_grads(block, X), _outputs_and_grads(hybrid, X)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_mydense_deferred_shape():
    net = assert_deferred_init(lambda: MyDense(3), nd.ones((2, 7)), {"weight": (7, 3),
                                                                     "bias": (3,)})
    assert net.weight.shape == (7, 3)


@pytest.mark.parametrize("hybridize", [False, True])
def test_mydense_deferred_inside_container(hybridize):
    def make_net():
        net = nn.HybridSequential()
        net.add(MyDense(8), MyDense(2, activation=None))
        if hybridize:
            net.hybridize()  # only the container's shape inference runs here
        return net
    net = assert_deferred_init(make_net, nd.ones((3, 5)))
    assert [layer.weight.shape for layer in net] == [(5, 8), (8, 2)]
    assert_hybrid_parity(make_net, nd.random.normal(shape=(3, 5)))


@pytest.mark.parametrize("make_net, shapes", [
    (lambda: MyDense(3, in_units=7), {"weight": (7, 3), "bias": (3,)}),
    (lambda: MyDenseBlock(3, in_units=7), {"weight": (7, 3), "bias": (3,)}),
    (lambda: Conv2D((1, 2)), {"weight": (1, 2), "bias": (1,)}),
    (lambda: Conv2DBlock(2), {"weight": (2, 2), "bias": (1,)}),
    (CenteredLayer, {}),
], ids=["mydense-in-units", "mydense-block", "conv2d", "conv2d-block", "centered"])
def test_shapes_known_without_forward(make_net, shapes):
    net = make_net()
    net.initialize()
    params = net.collect_params()
    got = {name.rsplit("_", 1)[1]: p.shape for name, p in params.items()}
    assert got == shapes
    assert all(p.data().shape == p.shape for p in params.values())  # allocated, not deferred


def test_centered_layer_numpy_reference():
    X = nd.random.normal(shape=(4, 6))
    y = CenteredLayer()(X).asnumpy()
    np.testing.assert_allclose(y, X.asnumpy() - X.asnumpy().mean(), rtol=1e-5, atol=1e-6)
    assert abs(y.mean()) < 1e-5 and not list(CenteredLayer().collect_params().keys())


@pytest.mark.parametrize("activation", ["relu", None])
def test_mydense_numpy_reference(activation):
    net = MyDense(4, activation=activation)
    net.initialize(mx.init.Normal(1))
    X = nd.random.normal(shape=(3, 5))
    y = net(X).asnumpy()
    net.bias.set_data(nd.array([1, -1, 2, -2]))
    y = net(X).asnumpy()
    want = X.asnumpy() @ net.weight.data().asnumpy() + np.array([1, -1, 2, -2])
    want = np.maximum(want, 0) if activation else want
    np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-5)


def test_mydense_rejects_unknown_activation():
    with pytest.raises(GluonNotesError, match="activation"):
        MyDense(3, activation="tanh")


@pytest.mark.parametrize("x_shape, k_shape", [((6, 8), (1, 2)), ((5, 7), (3, 2)),
                                              ((4, 4), (4, 4)), ((5, 6), (1, 1))])
def test_corr2d_matches_book_loop(x_shape, k_shape):
    X, K = nd.random.normal(shape=x_shape), nd.random.normal(shape=k_shape)
    np.testing.assert_allclose(corr2d(X, K).asnumpy(), corr2d_loop(X, K).asnumpy(),
                               rtol=1e-5, atol=1e-5)


def test_corr2d_gradients_match_builtin_convolution():
    """Output and gradients (w.r.t. X and K) agree with MXNet's own Convolution."""
    X, K = nd.random.normal(shape=(5, 6)), nd.random.normal(shape=(2, 3))
    results = []
    for fn in (corr2d, lambda x, k: nd.Convolution(
            x.reshape((1, 1, 5, 6)), k.reshape((1, 1, 2, 3)), kernel=(2, 3), num_filter=1,
            no_bias=True).reshape((4, 4))):
        x, k = X.copy(), K.copy()
        x.attach_grad()
        k.attach_grad()
        with autograd.record():
            y = fn(x, k)
        y.backward(nd.arange(y.size).reshape(y.shape))
        results.append((y.asnumpy(), x.grad.asnumpy(), k.grad.asnumpy()))
    for got, want in zip(*results):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-4)


def test_corr2d_batched_numpy_reference():
    X, K = np.random.normal(size=(2, 3, 5, 6)), np.random.normal(size=(2, 3))
    want = np.zeros((2, 3, 4, 4))
    for i in range(4):
        for j in range(4):
            want[..., i, j] = (X[..., i:i + 2, j:j + 3] * K).sum(axis=(-2, -1))
    got = corr2d(nd.array(X), nd.array(K)).asnumpy()
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_corr2d_book_example_and_edge():
    X = nd.array([[0, 1, 2], [3, 4, 5], [6, 7, 8]])
    assert corr2d(X, nd.array([[0, 1], [2, 3]])).asnumpy().tolist() == [[19, 25], [37, 43]]
    X = nd.ones((6, 8))
    X[:, 2:6] = 0
    Y = corr2d(X, nd.array([[1, -1]])).asnumpy()
    assert (Y[:, 1] == 1).all() and (Y[:, 5] == -1).all() and np.abs(Y).sum() == 12


def test_corr2d_errors_are_one_sentence():
    with pytest.raises(GluonNotesError, match="smaller than the 3x3 kernel"):
        corr2d(nd.ones((2, 5)), nd.ones((3, 3)))
    with pytest.raises(GluonNotesError, match="kernel_size"):
        corr2d(mx.sym.var("x"), mx.sym.var("k"))
    with pytest.raises(GluonNotesError, match="kernel_size"):
        Conv2D((0, 2))


def test_conv2d_numpy_reference():
    net = Conv2D((2, 3))
    net.initialize(mx.init.Normal(1))
    net.bias.set_data(nd.array([0.25]))
    X = nd.random.normal(shape=(5, 6))
    want = corr2d_loop(X, net.weight.data()).asnumpy() + 0.25
    np.testing.assert_allclose(net(X).asnumpy(), want, rtol=1e-5, atol=1e-5)


def test_public_imports_have_examples():
    from gluon_notes.layers import CenteredLayer, Conv2D, MyDense, corr2d  # noqa: F811
    for obj in (CenteredLayer, MyDense, Conv2D, corr2d, MyInit):
        assert "Examples" in obj.__doc__ and ">>>" in obj.__doc__, obj
