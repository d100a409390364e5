"""Precise BN: recomputed BatchNorm statistics equal numpy's, and change evaluation only."""
import numpy as np
import mxnet as mx
import pytest
from mxnet import autograd, nd
from mxnet.gluon import nn

from gluon_notes.data import ArrayLoader
from gluon_notes.errors import GluonNotesError
from gluon_notes.models import get_model
from gluon_notes.precise_bn import batchnorm_layers, recalibrate_bn
from gluon_notes.train import fit

BN_MODELS = ["lenet_bn", "lenet_bn_scratch", "lenet_relu_bn"]


def images(n, seed=0):
    rng = np.random.RandomState(seed)
    X = nd.array(rng.uniform(size=(n, 1, 28, 28)))
    y = nd.array(rng.randint(0, 10, size=n))
    return X, y


def ready(name, X, hybridize=True):
    net = get_model(name)
    net.initialize(mx.init.Xavier())
    if hybridize:
        net.hybridize(static_alloc=True, static_shape=True)
    with autograd.record():  # one training-mode call: moving statistics move away from 0 / 1
        net(X).sum().backward()
    return net


@pytest.mark.parametrize("name", BN_MODELS)
def test_statistics_of_several_batches_equal_numpy_over_their_union(name):
    X, y = images(80)
    net = ready(name, X[:16])
    batches = [(X[:32], y[:32]), (X[32:48], y[32:48]), (X[48:], y[48:])]  # unequal sizes
    assert recalibrate_bn(net, batches, num_batches=10) == 4
    first = net[0](X).asnumpy()  # the first convolution's output feeds the first BatchNorm
    _, mean, var, _ = batchnorm_layers(net)[0]
    np.testing.assert_allclose(mean.data().asnumpy(), first.mean(axis=(0, 2, 3)), atol=1e-5)
    np.testing.assert_allclose(var.data().asnumpy(), first.var(axis=(0, 2, 3)), rtol=1e-4,
                               atol=1e-6)


@pytest.mark.parametrize("name", BN_MODELS)
def test_after_one_batch_inference_equals_training_mode_on_it(name):
    X, _ = images(64)
    net = ready(name, X)
    with autograd.train_mode():
        expected = net(X).asnumpy()
    assert not np.allclose(net(X).asnumpy(), expected, atol=1e-3)  # the moving stats differ
    recalibrate_bn(net, [X], num_batches=1)
    np.testing.assert_allclose(net(X).asnumpy(), expected, rtol=1e-3, atol=1e-4)


def test_hybridized_net_stays_hybridized_and_only_num_batches_are_read():
    X, y = images(64)
    net = ready("lenet_bn", X[:16])
    seen = []

    def data():
        for i in range(4):
            seen.append(i)
            yield X[16 * i:16 * (i + 1)], y[16 * i:16 * (i + 1)]

    recalibrate_bn(net, data(), num_batches=2)
    assert seen == [0, 1]
    blocks = []
    net.apply(blocks.append)
    assert all(b._active for b in blocks if isinstance(b, mx.gluon.HybridBlock))
    assert net._cached_op is not None  # the compiled graph was kept, not rebuilt


def test_every_device_gets_the_statistics():
    X, _ = images(32)
    ctx = [mx.cpu(0), mx.cpu(1)]
    net = get_model("lenet_bn")
    net.initialize(mx.init.Xavier(), ctx=ctx)
    recalibrate_bn(net, [X], num_batches=1, ctx=ctx[1])
    for _, mean, var, _ in batchnorm_layers(net):
        np.testing.assert_array_equal(mean.data(ctx[0]).asnumpy(), mean.data(ctx[1]).asnumpy())
        assert np.abs(var.data(ctx[0]).asnumpy() - 1).max() > 1e-3  # not the initial ones


def test_frozen_statistics_are_left_alone():
    X, _ = images(32)
    net = nn.HybridSequential()
    net.add(nn.Conv2D(4, 3), nn.BatchNorm(use_global_stats=True), nn.Conv2D(4, 3), nn.BatchNorm())
    net.initialize()
    net(X)
    frozen, trained = net[1], net[3]
    assert [layer[0] for layer in batchnorm_layers(net)] == [trained]
    recalibrate_bn(net, [X], num_batches=1)
    np.testing.assert_array_equal(frozen.running_mean.data().asnumpy(), np.zeros(4))
    assert np.abs(trained.running_mean.data().asnumpy()).max() > 0


def test_bad_uses_are_one_sentence_errors():
    X, y = images(16)
    net = nn.HybridSequential()
    net.add(nn.Dense(10))
    net.initialize()
    with pytest.raises(GluonNotesError, match="no BatchNorm layer"):
        recalibrate_bn(net, [X])
    with pytest.raises(GluonNotesError, match="has none"):
        fit(net, ArrayLoader(X, y, 8), num_epochs=1, precise_bn=2, verbose=False)
    bn_net = ready("lenet_bn", X)
    with pytest.raises(GluonNotesError, match="empty"):
        recalibrate_bn(bn_net, [])
    with pytest.raises(GluonNotesError, match="positive integer"):
        recalibrate_bn(bn_net, [X], num_batches=0)
    with pytest.raises(GluonNotesError, match="precise_bn must be"):
        fit(bn_net, ArrayLoader(X, y, 8), num_epochs=1, precise_bn=-1, verbose=False)


def test_fit_with_precise_bn_trains_the_same_and_reports_the_book_score_beside_it():
    X, y = images(96)
    nets, histories = [], []
    for precise_bn in (0, 3):
        net = get_model("lenet_bn")
        h = fit(net, ArrayLoader(X, y, 32, shuffle=True), ArrayLoader(X, y, 48), num_epochs=3,
                lr=0.5, hybridize=True, seed=3, precise_bn=precise_bn, verbose=False)
        nets.append(net)
        histories.append(h)
    trained = [[p.data().asnumpy() for p in net.collect_params().values()
                if p.grad_req != "null"] for net in nets]
    for a, b in zip(*trained):
        np.testing.assert_array_equal(a, b)  # the same weights
    plain, precise = histories
    assert "test_acc_moving" not in plain.last
    for e_plain, e_precise in zip(plain.epochs, precise.epochs):
        assert e_precise["loss"] == e_plain["loss"]  # training is untouched
        # every epoch, the moving-average score is exactly what the plain run reported
        assert e_precise["test_acc_moving"] == e_plain["test_acc"]
        assert e_precise["test_loss_moving"] == pytest.approx(e_plain["test_loss"], rel=1e-6)
        assert e_precise["test_loss"] != pytest.approx(e_plain["test_loss"], rel=1e-5)
    # the returned network keeps the recomputed statistics: it scores the reported test loss
    from gluon_notes.train import evaluate
    res = evaluate(nets[1], ArrayLoader(X, y, 48), loss=mx.gluon.loss.SoftmaxCrossEntropyLoss())
    assert res["loss"] == pytest.approx(precise.last["test_loss"], rel=1e-5)


def test_fit_without_test_data_still_leaves_recomputed_statistics():
    X, y = images(64)
    net = get_model("lenet_bn")
    fit(net, ArrayLoader(X, y, 32), num_epochs=1, lr=0.5, precise_bn=2, verbose=False)
    _, mean, _, _ = batchnorm_layers(net)[0]
    first = net[0](X).asnumpy()  # the two batches are all the data
    np.testing.assert_allclose(mean.data().asnumpy(), first.mean(axis=(0, 2, 3)), atol=1e-5)


def test_fit_on_two_devices_with_precise_bn():
    X, y = images(64)
    ctx = [mx.cpu(0), mx.cpu(1)]
    net = get_model("lenet_bn")
    h = fit(net, ArrayLoader(X, y, 32), ArrayLoader(X, y, 32), num_epochs=1, lr=0.5, ctx=ctx,
            hybridize=True, precise_bn=2, verbose=False)
    assert "test_acc_moving" in h.last
    from gluon_notes.train import evaluate  # the net keeps the statistics the score was made with
    assert evaluate(net, ArrayLoader(X, y, 32), ctx)["acc"] == pytest.approx(h.last["test_acc"])
    for _, mean, var, _ in batchnorm_layers(net):  # the recomputed statistics, on both devices
        for p in (mean, var):
            np.testing.assert_array_equal(p.data(ctx[0]).asnumpy(), p.data(ctx[1]).asnumpy())
