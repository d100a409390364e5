"""The loop's direct SGD update (``fast_update.DirectUpdate``) against ``gluon.Trainer.step``."""
import copy

import numpy as np
import mxnet as mx
import pytest
from mxnet import gluon, nd
from mxnet.gluon import nn

from gluon_notes.compat import trainer_internals
from gluon_notes.fused import fuse_step
from gluon_notes.optim import make_trainer
from gluon_notes.steps import SupervisedStep, prepare_net

BATCHES = (8, 8, 8, 5)  # the last one short, as an epoch's last batch can be


def mixed_net():
    """300 x 64 = 19.2k, ... and a 64 x 1100 = 70.4k tensor (>= 65,536: an update of its own)."""
    net = nn.HybridSequential(prefix="mixed_")  # the same names (the Trainer's order) each time
    with net.name_scope():
        net.add(nn.Dense(64, activation="relu"), nn.Dense(1100, activation="relu"),
                nn.Dense(10))
    return net


def data(seed=0):
    rng = np.random.RandomState(seed)
    X = nd.array(rng.uniform(size=(sum(BATCHES), 300)))
    y = nd.array(rng.randint(0, 10, size=sum(BATCHES)))
    return X, y


def build(ctx, direct, trainer_kw, nominal=None):
    """A loop step over a fresh net (same initial weights every call); ``direct=False`` makes
    it update through ``trainer.step`` as before."""
    mx.random.seed(1)
    net, loss = mixed_net(), gluon.loss.SoftmaxCrossEntropyLoss()
    prepare_net(net, ctx)
    net(nd.zeros((1, 300), ctx=ctx[0]))  # shapes known: the same initial draw on every device
    kw = copy.deepcopy(trainer_kw)  # a scheduler counts: each trainer gets its own
    opt = kw.pop("optimizer", "sgd")
    trainer = make_trainer(net, opt, **kw)
    step = SupervisedStep(net, loss, trainer, ctx, graph=fuse_step(net, loss, True, True),
                          nominal_batch_size=nominal)
    if not direct:
        step.one_graph, step.direct = False, None
    return net, trainer, step


def train(step, X, y, batches=BATCHES):
    start, outs = 0, []
    for b in batches:
        outs.append(step(X[start:start + b], y[start:start + b]))
        start += b
    return outs


def weights(net):
    return [p.data().asnumpy() for p in net.collect_params().values()]


def sgd_instance():
    opt = mx.optimizer.SGD(learning_rate=0.05, momentum=0.5)
    opt.aggregate_num = 4  # MXNet's default chunks: several multi-tensor calls
    return opt


@pytest.mark.parametrize("trainer_kw", [
    dict(lr=0.1),
    dict(lr=0.05, wd=1e-3, optimizer_params={"momentum": 0.9}),
    dict(lr=0.1, clip_gradient=0.01, lr_scheduler=mx.lr_scheduler.FactorScheduler(2, 0.5)),
    dict(optimizer=sgd_instance()),
], ids=["plain", "momentum-wd", "clip-schedule", "mxnet-sgd-aggregate-4"])
@pytest.mark.parametrize("nominal", [None, 8])
def test_direct_update_gives_trainer_steps_weights_bit_for_bit(trainer_kw, nominal):
    X, y = data()
    ref_net, ref_trainer, ref_step = build([mx.cpu()], False, trainer_kw, nominal)
    net, trainer, step = build([mx.cpu()], True, trainer_kw, nominal)
    ref_outs, outs = train(ref_step, X, y), train(step, X, y)
    assert step.direct.direct  # every step after the first skipped trainer.step
    for a, b in zip(weights(ref_net), weights(net)):
        assert np.array_equal(a, b)
    for a, b in zip(ref_outs, outs):
        assert a["n"] == b["n"] and a["loss"].asscalar() == b["loss"].asscalar()
        assert a["correct"].asscalar() == b["correct"].asscalar()
    # the optimizer's state is the trainer's: update counts and momentum buffers
    assert trainer.optimizer.num_update == ref_trainer.optimizer.num_update == len(BATCHES)
    assert trainer.optimizer.rescale_grad == ref_trainer.optimizer.rescale_grad
    ref_states, states = (trainer_internals(t)["updaters"][0].states
                          for t in (ref_trainer, trainer))
    assert sorted(ref_states) == sorted(states)
    for k in states:
        if states[k] is not None:
            assert np.array_equal(states[k].asnumpy(), ref_states[k].asnumpy())


def test_several_devices_keep_trainer_step_and_match_one_device():
    X, y = data()
    kw = dict(lr=0.05, wd=1e-3, optimizer_params={"momentum": 0.9})
    net1, _, step1 = build([mx.cpu(0)], True, kw)
    net2, _, step2 = build([mx.cpu(0), mx.cpu(1)], True, kw)
    assert step2.direct is None  # the KVStore sums the devices' gradients: trainer.step
    train(step1, X, y)
    train(step2, X, y)
    assert step1.direct.direct
    for a, b in zip(weights(net1), weights(net2)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_load_states_is_followed_by_trainer_step_and_the_same_weights(tmp_path):
    X, y = data()
    kw = dict(lr=0.05, optimizer_params={"momentum": 0.9})
    nets = []
    for direct in (False, True):
        net, trainer, step = build([mx.cpu()], direct, kw)
        train(step, X, y, (8, 8))
        trainer.save_states(str(tmp_path / ("s%d" % direct)))
        train(step, X, y, (8,))
        trainer.load_states(str(tmp_path / ("s%d" % direct)))  # new momentum arrays
        if direct:
            assert not step.direct.direct  # planned arrays are stale: replan after a step
        train(step, X, y, (8, 5))
        if direct:
            assert step.direct.direct
        nets.append(net)
    for a, b in zip(*map(weights, nets)):
        assert np.array_equal(a, b)


def test_a_wrapped_trainer_step_is_called_every_step():
    X, y = data()
    net, trainer, step = build([mx.cpu()], True, dict(lr=0.1))
    train(step, X, y, (8, 8))
    calls, inner = [], trainer.step

    def wrapped(batch_size, *args, **kwargs):  # as a timing callback wraps it
        calls.append(batch_size)
        inner(batch_size, *args, **kwargs)
    trainer.step = wrapped
    train(step, X, y, (8, 5))
    assert calls == [8, 5]


def test_other_optimizers_and_trainers_go_through_step():
    X, y = data()
    ref_net, _, ref_step = build([mx.cpu()], False, dict(optimizer="adam", lr=0.01))
    net, _, step = build([mx.cpu()], True, dict(optimizer="adam", lr=0.01))
    train(ref_step, X, y)
    train(step, X, y)
    assert step.direct.plan is False and not step.direct.direct
    for a, b in zip(weights(ref_net), weights(net)):
        assert np.array_equal(a, b)
