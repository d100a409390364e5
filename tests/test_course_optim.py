"""gluon_notes.course_optim: StepLR, parameter groups, gradient accumulation, stale gradients."""
import numpy as np
import pytest

from conftest import require
from mxnet import autograd, gluon, nd
from mxnet.gluon import nn

from gluon_notes.course_optim import StepLR, StepScheduler, accumulate, param_groups, \
    step_lr_values
from gluon_notes.errors import GluonNotesError
from gluon_notes.train import fit


def torch_step_lr(base_lr, step_size, gamma, num_epochs):
    torch = require("torch")
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=base_lr)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=step_size, gamma=gamma)
    lrs = []
    for _ in range(num_epochs):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return lrs


def sgd_lrs_used(trainer, param, num_updates):
    """The learning rate of each SGD update, read from the weight's change (gradient 1)."""
    used = []
    for _ in range(num_updates):
        before = param.data().asnumpy().copy()
        with autograd.record():
            l = param.data().sum()                   # d l / d w = 1
        l.backward()
        trainer.step(1)
        used.append(float((before - param.data().asnumpy())[0]))
    return used


def one_param_trainer(**optimizer_params):
    p = gluon.Parameter("w", shape=(1,))
    p.initialize(init="zeros")
    return p, gluon.Trainer([p], "sgd", dict(learning_rate=0.5, **optimizer_params))


def test_step_lr_values_equal_torch():
    for step_size, gamma in ((3, 0.1), (1, 0.5), (4, 0.9)):
        ours = step_lr_values(0.5, step_size, gamma, 12)
        np.testing.assert_allclose(ours, torch_step_lr(0.5, step_size, gamma, 12), rtol=1e-12)
    assert step_lr_values(1.0, 2, 0.5, 5) == [1.0, 1.0, 0.5, 0.5, 0.25]


def test_step_scheduler_drives_a_trainer_like_torch_step_lr():
    upe, epochs = 4, 9
    p, trainer = one_param_trainer(lr_scheduler=StepScheduler(upe, step_size=3, gamma=0.1))
    used = sgd_lrs_used(trainer, p, upe * epochs)    # base_lr 0.5 comes from the Trainer
    expected = np.repeat(torch_step_lr(0.5, 3, 0.1, epochs), upe)
    np.testing.assert_allclose(used, expected, rtol=1e-4)


def test_step_lr_callback_in_the_loop_and_by_hand():
    X, y = nd.random.normal(shape=(40, 3)), nd.array(np.arange(40) % 2)
    batches = [(X[i:i + 10], y[i:i + 10]) for i in range(0, 40, 10)]
    net = nn.Dense(2, in_units=3)
    h = fit(net, batches, None, num_epochs=7, lr=0.2, verbose=False,
            callbacks=[StepLR(step_size=2, gamma=0.5)])
    np.testing.assert_allclose(h["lr"], torch_step_lr(0.2, 2, 0.5, 7), rtol=1e-12)
    p, trainer = one_param_trainer()
    sched = StepLR(2, gamma=0.1, trainer=trainer)
    used = []
    for _ in range(5):                               # PyTorch's pattern: train, then step()
        used += sgd_lrs_used(trainer, p, 3)
        sched.step()
    np.testing.assert_allclose(used, np.repeat(torch_step_lr(0.5, 2, 0.1, 5), 3), rtol=1e-4)
    with pytest.raises(GluonNotesError, match="no trainer"):
        StepLR(2).step()
    with pytest.raises(GluonNotesError, match="step_size"):
        StepScheduler(10, step_size=0)


def two_layer_net(like=None):
    """A small MLP; ``like``: start from that net's parameter values."""
    net = nn.Sequential()
    net.add(nn.Dense(4, in_units=3), nn.Dense(2, in_units=4))
    net.initialize(init="xavier")
    if like is not None:
        for src, dst in zip(like.collect_params().values(), net.collect_params().values()):
            dst.set_data(src.data())
    return net


LOSS = gluon.loss.SoftmaxCrossEntropyLoss()


def one_sgd_step(net, X, y, lr=0.1, wd=0.0):
    """One SGD step on ``(X, y)``; return ``{name: change}`` and ``{name: value before}``."""
    before = {k: v.data().asnumpy().copy() for k, v in net.collect_params().items()}
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": lr, "wd": wd})
    with autograd.record():
        l = LOSS(net(X), y)
    l.backward()
    trainer.step(X.shape[0])
    return [v.data().asnumpy() - before[k] for k, v in net.collect_params().items()], before


def test_param_groups_scale_the_update():
    X, y = nd.random.normal(shape=(8, 3)), nd.array([0, 1] * 4)
    base = two_layer_net()
    net = two_layer_net(like=base)
    groups = param_groups(net, {net[0].prefix + ".*": {"lr_mult": 0},
                                net[1].prefix + ".*": {"lr_mult": 2}})
    assert groups[net[0].prefix + ".*"] == [net[0].weight.name, net[0].bias.name]
    ref, _ = one_sgd_step(base, X, y)
    moved, _ = one_sgd_step(net, X, y)
    assert all(r.any() for r in ref)
    for i, (m, r) in enumerate(zip(moved, ref)):
        if i < 2:                                    # dense 0: weight, bias
            assert not m.any(), "lr_mult 0: frozen"
        else:
            np.testing.assert_allclose(m, 2 * r, rtol=1e-5, atol=1e-7)
    with pytest.raises(GluonNotesError, match="no parameter"):
        param_groups(net, {"nothing_here.*": {"lr_mult": 1}})
    with pytest.raises(GluonNotesError, match="lr_mult and wd_mult"):
        param_groups(net, {".*": {"lr": 1}})


def test_wd_mult_zero_leaves_the_bias_undecayed():
    X, y = nd.random.normal(shape=(8, 3)), nd.array([0, 1] * 4)
    decayed = two_layer_net()
    net = two_layer_net(like=decayed)
    param_groups(net, {".*bias": {"wd_mult": 0}})
    d_all, before = one_sgd_step(decayed, X, y, wd=0.5)
    d_weights, _ = one_sgd_step(net, X, y, wd=0.5)
    for (name, w), a, b in zip(before.items(), d_all, d_weights):
        decay = -0.1 * 0.5 * w if name.endswith("bias") else 0 * w   # lr * wd * w
        np.testing.assert_allclose(a - b, decay, atol=1e-6)


def test_accumulating_k_batches_equals_one_k_times_larger_batch():
    X, y = nd.random.normal(shape=(32, 3)), nd.array(np.arange(32) % 2)
    acc = two_layer_net()
    big, last = two_layer_net(like=acc), two_layer_net(like=acc)
    batches = [(X[i:i + 8], y[i:i + 8]) for i in range(0, 32, 8)]
    n = accumulate(acc, LOSS, gluon.Trainer(acc.collect_params(), "sgd", {"learning_rate": 1}),
                   batches)
    assert n == 32 and all(p.grad_req == "add" for p in acc.collect_params().values())
    assert all(not p.grad().asnumpy().any() for p in acc.collect_params().values())  # zeroed
    one_sgd_step(big, X, y, lr=1)
    for a, b in zip(acc.collect_params().values(), big.collect_params().values()):
        np.testing.assert_allclose(a.data().asnumpy(), b.data().asnumpy(), rtol=1e-5, atol=1e-6)
    # with grad_req='write' only the last batch's gradient survives: not the same update
    for Xb, yb in batches:
        with autograd.record():
            l = LOSS(last(Xb), yb)
        l.backward()
    gluon.Trainer(last.collect_params(), "sgd", {"learning_rate": 1}).step(32)
    assert not np.allclose(last[0].weight.data().asnumpy(), acc[0].weight.data().asnumpy())


def test_add_accumulates_like_torch_and_zero_grad_clears():
    torch = require("torch")
    net = nn.Dense(2, in_units=3)
    net.initialize()
    net.collect_params().setattr("grad_req", "add")
    tnet = torch.nn.Linear(3, 2)
    with torch.no_grad():
        tnet.weight.copy_(torch.tensor(net.weight.data().asnumpy()))
        tnet.bias.copy_(torch.tensor(net.bias.data().asnumpy()))
    X = np.random.normal(size=(5, 3)).astype(np.float32)
    for _ in range(2):                               # two backward passes, no zeroing
        with autograd.record():
            out = (net(nd.array(X)) ** 2).sum()
        out.backward()
        (tnet(torch.tensor(X)) ** 2).sum().backward()
    np.testing.assert_allclose(net.weight.grad().asnumpy(), tnet.weight.grad.numpy(), rtol=1e-5)
    net.collect_params().zero_grad()                 # optimizer.zero_grad()
    assert not net.weight.grad().asnumpy().any()


class TwoBranches(gluon.Block):
    def __init__(self):
        super().__init__()
        self.used, self.unused = nn.Dense(2, in_units=3), nn.Dense(2, in_units=3)

    def forward(self, x):
        return self.used(x)                          # 'unused' gets no gradient


def test_a_parameter_without_gradient_is_skipped():
    net = TwoBranches()
    net.initialize(init="xavier")
    trainer = gluon.Trainer(net.collect_params(), "sgd",
                            {"learning_rate": 0.1, "wd": 0.1, "momentum": 0.9})
    before = {k: v.data().asnumpy().copy() for k, v in net.collect_params().items()}

    def backward():
        with autograd.record():
            l = net(nd.ones((4, 3))).sum()
        l.backward()

    backward()
    with pytest.raises(UserWarning, match="has not been updated by backward"):
        trainer.step(4)
    # MXNet 1.9.1: the refused step has already marked the used branch's gradient as consumed,
    # so a retry without a new backward would update nothing: run backward again
    backward()
    trainer.step(4, ignore_stale_grad=True)
    for name, p in net.collect_params().items():
        moved = not np.array_equal(p.data().asnumpy(), before[name])
        assert moved == name.startswith(net.used.prefix), name   # even wd skips the stale one


def test_torch_skips_a_parameter_without_gradient_too():
    torch = require("torch")
    used, unused = torch.nn.Linear(3, 2), torch.nn.Linear(3, 2)
    w = unused.weight.detach().clone()
    opt = torch.optim.SGD(list(used.parameters()) + list(unused.parameters()), lr=0.1,
                          weight_decay=0.1, momentum=0.9)
    used(torch.ones(4, 3)).sum().backward()
    opt.step()
    assert unused.weight.grad is None and torch.equal(unused.weight, w)
