"""From-scratch pieces against Gluon built-ins and numpy formulas; scratch and Gluon agree."""
import numpy as np
import mxnet as mx
import pytest
from mxnet import autograd, gluon, nd
from mxnet.gluon import nn

from gluon_notes import scratch
from gluon_notes.data import ArrayLoader
from gluon_notes.models import get_model
from gluon_notes.models.basic import (DropoutMLPScratch, LinRegScratch, MLPScratch,
                                      SoftmaxRegScratch)
from gluon_notes.train import fit
from parity import assert_deferred_init, assert_hybrid_parity


def test_softmax_matches_builtin_and_sums_to_one():
    X = nd.random.normal(shape=(4, 5)) * 30  # large logits: no overflow
    P = scratch.softmax(X)
    np.testing.assert_allclose(P.asnumpy(), nd.softmax(X).asnumpy(), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(P.sum(axis=1).asnumpy(), np.ones(4), rtol=1e-6)


def test_cross_entropy_matches_gluon_loss():
    logits, y = nd.random.normal(shape=(6, 4)), nd.array([0, 1, 2, 3, 0, 1])
    ours = scratch.cross_entropy(scratch.softmax(logits), y)
    ref = gluon.loss.SoftmaxCrossEntropyLoss()(logits, y)
    np.testing.assert_allclose(ours.asnumpy(), ref.asnumpy(), rtol=1e-5)


def test_squared_loss_matches_l2loss():
    y_hat, y = nd.random.normal(shape=(5, 1)), nd.random.normal(shape=(5,))
    np.testing.assert_allclose(scratch.squared_loss(y_hat, y).asnumpy().ravel(),
                               gluon.loss.L2Loss()(y_hat, y).asnumpy(), rtol=1e-6)


def test_relu_and_l2_penalty_formulas():
    X = nd.array([[-1.5, 0, 2]])
    np.testing.assert_array_equal(scratch.relu(X).asnumpy(), [[0, 0, 2]])
    assert scratch.l2_penalty(nd.array([3, 4])).asscalar() == pytest.approx(12.5)


def test_dropout_keeps_expectation_and_is_identity_in_predict_mode():
    X = nd.ones((200, 500))
    with autograd.train_mode():
        out = scratch.dropout(X, 0.5).asnumpy()
    assert set(np.unique(out)) <= {0.0, 2.0}
    assert abs((out == 0).mean() - 0.5) < 0.01 and abs(out.mean() - 1) < 0.02
    np.testing.assert_array_equal(scratch.dropout(X, 0.5).asnumpy(), X.asnumpy())
    with autograd.train_mode():
        assert scratch.dropout(X, 1.0).sum().asscalar() == 0


def test_dropout_probability_outside_0_1_is_one_sentence():
    from gluon_notes.errors import GluonNotesError
    with pytest.raises(GluonNotesError, match=r"drop_prob must be in \[0, 1\], got 1.5"):
        scratch.dropout(nd.ones((2, 2)), 1.5)


def test_scratch_sgd_matches_gluon_trainer():
    X, y = nd.random.normal(shape=(8, 3)), nd.random.normal(shape=(8,))
    nets = [nn.Dense(1) for _ in range(2)]
    for net in nets:
        net.initialize(mx.init.Constant(0.5))
    trainers = [scratch.ScratchSGD(nets[0].collect_params(), 0.1),
                gluon.Trainer(nets[1].collect_params(), "sgd", {"learning_rate": 0.1})]
    for net, trainer in zip(nets, trainers):
        with autograd.record():
            l = gluon.loss.L2Loss()(net(X), y)
        l.backward()
        trainer.step(8)
    for a, b in zip(nets[0].collect_params().values(), nets[1].collect_params().values()):
        np.testing.assert_allclose(a.data().asnumpy(), b.data().asnumpy(), rtol=1e-6)


def copy_weights_into_dense(scratch_net, dense_net, names):
    """Gluon Dense keeps (out, in) weights; the scratch nets keep (in, out)."""
    dense_params = list(dense_net.collect_params().values())
    for (w_name, b_name), i in zip(names, range(0, len(dense_params), 2)):
        dense_params[i].set_data(getattr(scratch_net, w_name).data().T)
        dense_params[i + 1].set_data(getattr(scratch_net, b_name).data())


@pytest.mark.parametrize("scratch_factory, gluon_name, names, loss_pair", [
    (SoftmaxRegScratch, "softmax_regression", [("W", "b")], "softmax"),
    (MLPScratch, "mlp", [("W1", "b1"), ("W2", "b2")], "logits"),
])
def test_scratch_and_gluon_models_train_identically(scratch_factory, gluon_name, names,
                                                    loss_pair):
    X = nd.random.uniform(shape=(40, 1, 4, 4))
    y = nd.array(np.random.randint(0, 10, size=40))
    s_net, g_net = scratch_factory(), get_model(gluon_name)
    s_net.initialize()
    g_net.initialize()
    s_net(X), g_net(X)
    copy_weights_into_dense(s_net, g_net, names)
    s_loss = scratch.cross_entropy if loss_pair == "softmax" else None
    hs = fit(s_net, ArrayLoader(X, y, 16, shuffle=True), ArrayLoader(X, y, 40), loss=s_loss,
             num_epochs=2, seed=0, verbose=False,
             trainer=scratch.ScratchSGD(s_net.collect_params(), 0.5))
    hg = fit(g_net, ArrayLoader(X, y, 16, shuffle=True), ArrayLoader(X, y, 40), num_epochs=2,
             lr=0.5, seed=0, verbose=False)
    np.testing.assert_allclose(hs["loss"], hg["loss"], rtol=1e-4)
    assert hs["test_acc"] == hg["test_acc"]
    copy_back = get_model(gluon_name)
    copy_back.initialize()
    copy_back(X)
    copy_weights_into_dense(s_net, copy_back, names)
    np.testing.assert_allclose(copy_back(X).asnumpy(), g_net(X).asnumpy(), rtol=1e-4, atol=1e-5)


def test_dropout_scratch_equals_gluon_dropout_mlp_in_predict_mode():
    X = nd.random.uniform(shape=(5, 1, 3, 3))
    s_net, g_net = DropoutMLPScratch(num_hiddens1=7, num_hiddens2=6), get_model(
        "mlp_dropout", num_hiddens1=7, num_hiddens2=6)
    s_net.initialize()
    g_net.initialize()
    s_net(X), g_net(X)
    copy_weights_into_dense(s_net, g_net, [("W1", "b1"), ("W2", "b2"), ("W3", "b3")])
    np.testing.assert_allclose(s_net(X).asnumpy(), g_net(X).asnumpy(), rtol=1e-5, atol=1e-6)
    assert s_net.W1.shape == (9, 7)


@pytest.mark.parametrize("factory, X", [
    (LinRegScratch, nd.random.normal(shape=(4, 2))),
    (SoftmaxRegScratch, nd.random.uniform(shape=(3, 1, 4, 4))),
    (MLPScratch, nd.random.uniform(shape=(3, 1, 4, 4))),
    (lambda: get_model("softmax_regression"), nd.random.uniform(shape=(3, 1, 4, 4))),
    (lambda: get_model("mlp"), nd.random.uniform(shape=(3, 1, 4, 4))),
    (lambda: get_model("mlp_dropout"), nd.random.uniform(shape=(3, 1, 4, 4))),
])
def test_chapter3_models_hybrid_parity_and_deferred_init(factory, X):
    assert_hybrid_parity(factory, X)
    assert_deferred_init(factory, X)


def test_linreg_scratch_formula():
    net = LinRegScratch()
    net.initialize()
    X = nd.random.normal(shape=(5, 2))
    y = net(X)
    expected = X.asnumpy() @ net.w.data().asnumpy() + net.b.data().asnumpy()
    np.testing.assert_allclose(y.asnumpy(), expected, rtol=1e-6)
