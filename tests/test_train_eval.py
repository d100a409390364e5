"""Train vs eval mode in Gluon: autograd scopes on Dropout and BatchNorm, and the pitfall."""
import numpy as np

from conftest import require
from mxnet import autograd, nd
from mxnet.gluon import nn

from gluon_notes.chapters import train_eval as te


def test_mode_table():
    t = te.mode_table()
    expect = {  # training, recording, dropout active, BN on batch stats, MM by fwd, MM by bwd
        "plain call": (False, False, False, False, False, False),
        "record()": (True, True, True, True, False, True),
        "record(train_mode=False)": (False, True, False, False, False, False),
        "train_mode()": (True, False, True, True, False, False),
        "record() + predict_mode()": (False, True, False, False, False, False),
    }
    for name, values in expect.items():
        assert tuple(t[name].values()) == values, name


def test_dropout_rescales_in_train_mode_and_is_identity_in_predict_mode():
    drop = nn.Dropout(0.25)
    drop.initialize()
    X = nd.random.uniform(1, 2, shape=(200, 50))
    np.testing.assert_array_equal(drop(X).asnumpy(), X.asnumpy())
    with autograd.record():
        y = drop(X)
    kept = y.asnumpy() != 0
    assert 0.7 < kept.mean() < 0.8
    np.testing.assert_allclose(y.asnumpy()[kept], X.asnumpy()[kept] / 0.75, rtol=1e-6)


def bn_reference(X, mean, var, eps=1e-5):
    return (X - mean) / np.sqrt(var + eps)


def test_batchnorm_batch_stats_vs_moving_averages_and_when_they_update():
    bn = nn.BatchNorm(in_channels=3, momentum=0.9)
    bn.initialize()
    X = nd.random.normal(2, 3, shape=(64, 3))
    x = X.asnumpy()
    np.testing.assert_allclose(bn(X).asnumpy(), bn_reference(x, 0, 1), rtol=1e-4, atol=1e-5)
    with autograd.record():
        y = bn(X)
    np.testing.assert_allclose(y.asnumpy(), bn_reference(x, x.mean(0), x.var(0)),
                               rtol=1e-3, atol=1e-4)
    assert not bn.running_mean.data().asnumpy().any()   # MXNet 1.9.1 CPU: not in the forward
    y.backward()
    np.testing.assert_allclose(bn.running_mean.data().asnumpy(), 0.1 * x.mean(0), rtol=1e-4)
    with autograd.train_mode():                          # train mode, no graph, no backward
        bn(X)
    np.testing.assert_allclose(bn.running_mean.data().asnumpy(), 0.1 * x.mean(0), rtol=1e-4)


def test_torch_updates_running_stats_in_the_forward():
    torch = require("torch")
    bn = torch.nn.BatchNorm1d(3, momentum=0.1)        # torch's momentum = 1 - MXNet's
    X = torch.randn(64, 3) * 3 + 2
    bn.train()
    with torch.no_grad():
        bn(X)
    np.testing.assert_allclose(bn.running_mean.numpy(), 0.1 * X.mean(0).numpy(), rtol=1e-4)
    bn.eval()
    np.testing.assert_allclose(bn(X).detach().numpy(), bn_reference(
        X.numpy(), bn.running_mean.numpy(), bn.running_var.numpy()), rtol=1e-4, atol=1e-5)


def test_use_global_stats_is_a_frozen_batchnorm_while_training():
    bn = nn.BatchNorm(in_channels=3, use_global_stats=True)   # PyTorch: bn.eval() in train()
    bn.initialize()
    X = nd.random.normal(2, 3, shape=(16, 3))
    with autograd.record():
        y = bn(X)
    np.testing.assert_allclose(y.asnumpy(), bn_reference(X.asnumpy(), 0, 1), rtol=1e-4,
                               atol=1e-5)


def test_small_batches_in_train_mode_give_wrong_predictions():
    net = te.bn_mlp(num_hiddens=16, num_outputs=4)
    net.initialize()
    X = nd.random.normal(shape=(8, 10))
    with autograd.record():                              # one step so gamma/beta matter less
        net(X).backward()
    singles = []
    for i in range(4):
        with autograd.train_mode():
            singles.append(net(X[i:i + 1]).asnumpy())
    for s in singles[1:]:                                # batch of 1: the same output for all
        np.testing.assert_allclose(s, singles[0], rtol=1e-5, atol=1e-6)
    whole = net(X).asnumpy()                             # predict mode: batch-size independent
    np.testing.assert_allclose(np.concatenate([net(X[i:i + 1]).asnumpy() for i in range(8)]),
                               whole, rtol=1e-5, atol=1e-6)
    assert not np.allclose(whole[0], whole[1])


def test_score_depends_on_batch_size_only_in_train_mode():
    X, y = te.blobs(300, seed=1)
    net = te.bn_mlp(num_hiddens=32)
    net.initialize()
    with autograd.record():
        net(X[:200]).backward()
    evals = {b: te.score(net, X[200:], y[200:], b) for b in (1, 7, 100)}
    assert len(set(evals.values())) == 1
    assert te.score(net, X[200:], y[200:], 1, train=True) <= 0.2   # one class for every image
