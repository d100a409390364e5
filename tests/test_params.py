"""Parameters (book 4.2) and deferred initialization (book 4.3)."""
import warnings

import numpy as np
import pytest
from mxnet import autograd, gluon, init, nd
from mxnet.gluon import nn

from gluon_notes.layers import MyDense, MyInit
from gluon_notes.models.construction import shared_mlp

X = nd.random.uniform(shape=(2, 20))  # (B, d)


def mlp(in_units=0):
    net = nn.HybridSequential()
    net.add(nn.Dense(256, activation="relu", in_units=in_units),
            nn.Dense(10, in_units=256 if in_units else 0))
    return net


def test_access_by_name_and_regex():
    net = mlp()
    net.initialize()
    net(X)
    weight = net[0].params[net[0].prefix + "weight"]
    assert weight is net[0].weight and weight.data().shape == (256, 20)
    all_params = net.collect_params()
    assert len(all_params.keys()) == 4
    weights = net.collect_params(".*weight")
    assert list(weights.keys()) == [net[0].weight.name, net[1].weight.name]
    assert all(name.endswith("weight") for name in weights.keys())
    assert list(net.collect_params(net[1].prefix + ".*").keys()) == [net[1].weight.name,
                                                                       net[1].bias.name]


def test_grad_and_set_data():
    net = mlp()
    net.initialize()
    with autograd.record():
        y = net(X).sum()
    y.backward()
    assert net[0].weight.grad().shape == (256, 20) and net[0].weight.grad().abs().sum() > 0
    before = net[0].weight.data().copy()
    net[0].weight.set_data(net[0].weight.data() + 1)
    np.testing.assert_allclose(net[0].weight.data().asnumpy(), before.asnumpy() + 1)


def test_builtin_initializers():
    net = mlp()
    net.initialize(init.Normal(sigma=0.01))
    net(X)
    w = net[0].weight.data().asnumpy()
    assert abs(w.std() - 0.01) < 0.001 and abs(w.mean()) < 0.001
    assert (net[0].bias.data().asnumpy() == 0).all()  # biases start at zero
    net.initialize(init.Constant(1), force_reinit=True)
    assert all((p.data().asnumpy() == 1).all() for p in net.collect_params(".*weight").values())
    net[0].weight.initialize(init=init.Xavier(), force_reinit=True)
    w = net[0].weight.data().asnumpy()
    bound = np.sqrt(6 / (20 + 256))  # uniform, 3 / ((fan_in + fan_out) / 2)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert (net[1].weight.data().asnumpy() == 1).all()  # only the first layer re-initialized


def test_custom_initializer():
    net = mlp()
    net.initialize(MyInit())
    net(X)
    w = np.abs(net[0].weight.data().asnumpy())
    assert ((w == 0) | ((w >= 5) & (w <= 10))).all()
    assert 0.4 < (w == 0).mean() < 0.6  # half of uniform[-10, 10] falls inside (-5, 5)


def test_force_reinit():
    net = mlp(in_units=20)
    net.initialize()
    before = net[0].weight.data().copy()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        net.initialize()  # already initialized: warns, keeps the values
    assert any("already" in str(w.message) for w in caught)
    assert (net[0].weight.data() == before).asnumpy().all()
    net.initialize(init.Normal(1), force_reinit=True)
    assert not (net[0].weight.data() == before).asnumpy().all()


def test_shared_parameters_are_one_object():
    net = shared_mlp()
    net.initialize()
    net(X)
    assert net[1].weight is net[2].weight and net[1].bias is net[2].bias
    assert len(net.collect_params().keys()) == 6  # 4 layers, 3 distinct sets


def _unshared_copy(shared):
    """The same net with layers 2 and 3 holding separate copies of the shared values."""
    net = nn.HybridSequential()
    net.add(*(nn.Dense(8, activation="relu") for _ in range(3)), nn.Dense(10))
    net.initialize()
    net(X)
    src = [shared[0], shared[1], shared[1], shared[3]]
    for layer, s in zip(net, src):
        layer.weight.set_data(s.weight.data())
        layer.bias.set_data(s.bias.data())
    return net


def test_shared_gradients_accumulate_and_values_stay_identical():
    net = shared_mlp()
    net.initialize(init.Normal(0.5))
    net(X)
    twin = _unshared_copy(net)
    for n in (net, twin):
        with autograd.record():
            loss = (n(X) ** 2).sum()
        loss.backward()
    np.testing.assert_allclose(net[1].weight.grad().asnumpy(),
                               (twin[1].weight.grad() + twin[2].weight.grad()).asnumpy(),
                               rtol=1e-5, atol=1e-6)
    before = net[1].weight.data().copy()
    gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1}).step(1)
    assert not (net[1].weight.data() == before).asnumpy().all()
    assert (net[1].weight.data() == net[2].weight.data()).asnumpy().all()
    assert (net[1].bias.data() == net[2].bias.data()).asnumpy().all()


# deferred initialization (book 4.3)

@pytest.mark.parametrize("make_net, first_shape", [
    (mlp, (256, 0)), (lambda: MyDense(5), (0, 5)),
], ids=["dense", "mydense"])
def test_shapes_contain_zero_until_first_forward(make_net, first_shape):
    net = make_net()
    net.initialize()
    params = list(net.collect_params().values())
    assert params[0].shape == first_shape
    with pytest.raises(RuntimeError):  # no data yet
        params[0].data()
    net(X)
    assert all(0 not in p.shape for p in params)
    assert params[0].data().shape == tuple(20 if d == 0 else d for d in first_shape)


@pytest.mark.parametrize("make_net", [lambda: mlp(in_units=20), lambda: MyDense(5, in_units=20)],
                         ids=["dense", "mydense"])
def test_in_units_avoids_deferral(make_net):
    my_init = MyInit()
    net = make_net()
    net.initialize(my_init)
    assert all(0 not in p.shape for p in net.collect_params().values())
    assert my_init.calls  # ran at initialize()
    calls = list(my_init.calls)
    net(X)
    assert my_init.calls == calls  # and not again at the forward pass


def test_custom_init_runs_at_first_forward_not_at_initialize():
    my_init = MyInit()
    net = mlp()
    net.initialize(my_init)
    assert my_init.calls == []
    net(X)
    assert my_init.calls == [net[0].weight.name, net[1].weight.name]
    net(X)
    assert len(my_init.calls) == 2  # once per weight, at the first forward only
    net.initialize(my_init, force_reinit=True)  # shapes known now: runs immediately
    assert len(my_init.calls) == 4


def test_custom_init_prints_when_verbose(capsys):
    net = nn.Dense(3, in_units=2)
    net.initialize(MyInit(verbose=True))
    assert "Init %s (3, 2)" % net.weight.name in capsys.readouterr().out
