"""Model construction (book 4.1): Block and HybridBlock forms, parity, shapes, numpy maths."""
import numpy as np
import mxnet as mx
import pytest
from mxnet import autograd, gluon, nd
from mxnet.gluon import nn

from gluon_notes.models.construction import (MLP, FancyMLP, HybridMLP, HybridNestMLP,
                                             MyHybridSequential, MySequential, NestMLP, chimera,
                                             shared_mlp)
from parity import assert_deferred_init, assert_hybrid_parity

pytestmark = pytest.mark.filterwarnings("ignore:All children of this Sequential")

X = nd.random.uniform(shape=(2, 20))  # (B, d) as in the book


def my_sequential():
    net = MySequential()
    net.add(nn.Dense(256, activation="relu"), nn.Dense(10))
    return net


def my_hybrid_sequential():
    net = MyHybridSequential()
    net.add(nn.Dense(256, activation="relu"), nn.Dense(10))
    return net


FACTORIES = dict(mlp=MLP, hybrid_mlp=HybridMLP, my_sequential=my_sequential,
                 my_hybrid_sequential=my_hybrid_sequential, fancy_mlp=FancyMLP,
                 nest_mlp=NestMLP, hybrid_nest_mlp=HybridNestMLP, chimera=chimera,
                 shared_mlp=shared_mlp)


@pytest.mark.parametrize("make_net", FACTORIES.values(), ids=FACTORIES.keys())
def test_hybrid_parity(make_net):
    y, g = assert_hybrid_parity(make_net, X)
    assert np.abs(g).sum() > 0


@pytest.mark.parametrize("make_hybrid, make_block", [
    (HybridMLP, MLP), (my_hybrid_sequential, my_sequential), (HybridNestMLP, NestMLP),
], ids=["mlp", "sequential", "nest"])
def test_hybridized_form_equals_book_block_form(make_hybrid, make_block):
    hybrid, block = make_hybrid(), make_block()
    for net in (hybrid, block):
        net.initialize(mx.init.Normal(0.1))
        net(X)
    for p_h, p_b in zip(hybrid.collect_params().values(), block.collect_params().values()):
        p_h.set_data(p_b.data())
    hybrid.hybridize()
    outs = []
    for net in (hybrid, block):
        x = X.copy()
        x.attach_grad()
        with autograd.record():
            y = net(x)
        y.backward()
        outs.append((y.asnumpy(), x.grad.asnumpy()))
    for got, want in zip(*outs):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert isinstance(hybrid(mx.sym.var("data")), mx.sym.Symbol)  # really traceable


def test_fancy_mlp_is_not_traceable():
    net = FancyMLP()
    net.initialize()
    assert not isinstance(net, nn.HybridBlock)
    assert "no ``HybridBlock`` counterpart" in FancyMLP.__doc__
    with pytest.raises(AttributeError):  # a Symbol has no value (nor context)
        net(mx.sym.var("data"))  # the loop needs a value


@pytest.mark.parametrize("make_net, layers", [
    (MLP, lambda n: [(n.hidden, (256, 20)), (n.output, (10, 256))]),
    (HybridMLP, lambda n: [(n.hidden, (256, 20)), (n.output, (10, 256))]),
    (my_sequential, lambda n: [(n._children["0"], (256, 20)), (n._children["1"], (10, 256))]),
    (my_hybrid_sequential, lambda n: [(n._children["0"], (256, 20))]),
    (FancyMLP, lambda n: [(n.dense, (20, 20))]),
    (NestMLP, lambda n: [(n.net[0], (64, 20)), (n.net[1], (32, 64)), (n.dense, (16, 32))]),
    (HybridNestMLP, lambda n: [(n.net[0], (64, 20)), (n.dense, (16, 32))]),
    (chimera, lambda n: [(n[0].net[0], (64, 20)), (n[1], (20, 16)), (n[2].dense, (20, 20))]),
    (shared_mlp, lambda n: [(n[0], (8, 20)), (n[1], (8, 8)), (n[2], (8, 8)), (n[3], (10, 8))]),
], ids=["mlp", "hybrid_mlp", "my_sequential", "my_hybrid_sequential", "fancy", "nest",
        "hybrid_nest", "chimera", "shared_mlp"])
def test_deferred_shapes(make_net, layers):
    net = assert_deferred_init(make_net, X)
    for layer, shape in layers(net):
        assert layer.weight.shape == shape


def _dense(x, layer, relu=False):
    y = x @ layer.weight.data().asnumpy().T + layer.bias.data().asnumpy()
    return np.maximum(y, 0) if relu else y


def _init(net):
    net.initialize(mx.init.Normal(0.5))
    net(X)
    for p in net.collect_params(".*bias").values():
        p.set_data(nd.random.normal(shape=p.shape))
    return net, X.asnumpy()


@pytest.mark.parametrize("make_net", [MLP, HybridMLP], ids=["block", "hybrid"])
def test_mlp_numpy_reference(make_net):
    net, x = _init(make_net())
    want = _dense(_dense(x, net.hidden, relu=True), net.output)
    np.testing.assert_allclose(net(X).asnumpy(), want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("make_net", [my_sequential, my_hybrid_sequential],
                         ids=["block", "hybrid"])
def test_my_sequential_chains_in_order(make_net):
    net, x = _init(make_net())
    first, second = net._children["0"], net._children["1"]
    want = _dense(_dense(x, first, relu=True), second)
    np.testing.assert_allclose(net(X).asnumpy(), want, rtol=1e-5, atol=1e-5)
    assert len(net.collect_params().keys()) == 4


def test_my_hybrid_sequential_rejects_blocks():
    with pytest.raises(TypeError, match="MySequential"):
        MyHybridSequential().add(MLP())


@pytest.mark.parametrize("make_net", [NestMLP, HybridNestMLP], ids=["block", "hybrid"])
def test_nest_mlp_numpy_reference(make_net):
    net, x = _init(make_net())
    h = _dense(_dense(x, net.net[0], relu=True), net.net[1], relu=True)
    np.testing.assert_allclose(net(X).asnumpy(), _dense(h, net.dense, relu=True),
                               rtol=1e-5, atol=1e-5)


def test_shared_mlp_numpy_reference():
    net, x = _init(shared_mlp())
    h = _dense(x, net[0], relu=True)
    h = _dense(_dense(h, net[1], relu=True), net[1], relu=True)  # the shared layer, twice
    np.testing.assert_allclose(net(X).asnumpy(), _dense(h, net[3]), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("scale, bias_scale", [(0.0, 0.01), (0.01, 1.0), (1.0, 1.0),
                                               (100.0, 1.0)])
def test_fancy_mlp_numpy_reference(scale, bias_scale):
    net, x = _init(FancyMLP())
    net.dense.weight.set_data(net.dense.weight.data() * scale)
    net.dense.bias.set_data(net.dense.bias.data() * bias_scale)
    h = _dense(x, net.dense, relu=True)
    h = np.maximum(h @ net.rand_weight.data().asnumpy() + 1, 0)
    h = _dense(h, net.dense, relu=True)
    halvings = 0
    while np.linalg.norm(h) > 1:
        h, halvings = h / 2, halvings + 1
    if np.linalg.norm(h) < 0.8:
        h = h * 10
    assert (halvings == 0) == (scale == 0)  # the first case takes only the `if` branch
    np.testing.assert_allclose(net(X).asnumpy(), [h.sum()], rtol=1e-5, atol=1e-5)


def test_fancy_mlp_constant_weight_is_not_trained():
    net = FancyMLP()
    net.initialize()
    net(X)
    rand_before = net.rand_weight.data().copy()
    dense_before = net.dense.weight.data().copy()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.5})
    with autograd.record():
        y = net(X)
    y.backward()
    trainer.step(1)
    assert net.rand_weight.grad_req == "null"
    assert (net.rand_weight.data() == rand_before).asnumpy().all()
    assert not (net.dense.weight.data() == dense_before).asnumpy().all()
