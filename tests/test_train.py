"""The one loop: devices, deferred init, NaN guard, checkpoints, schedules, no per-batch sync."""
import numpy as np
import mxnet as mx
import pytest
from mxnet import gluon, nd
from mxnet.gluon import nn

from gluon_notes.callbacks import Callback, EarlyStopping
from gluon_notes.data import ArrayLoader
from gluon_notes.errors import GluonNotesError, NonFiniteLossError
from gluon_notes.train import evaluate, evaluate_accuracy, fit


def toy_classification(n=96, d=12, classes=3, seed=0):
    rng = np.random.RandomState(seed)
    centers = rng.normal(scale=3, size=(classes, d))
    y = rng.randint(0, classes, size=n)
    X = centers[y] + rng.normal(size=(n, d))
    return nd.array(X), nd.array(y)


def make_mlp():
    net = nn.HybridSequential()
    net.add(nn.Dense(16, activation="relu"), nn.Dense(3))
    return net


def params_of(net):
    return [p.data().asnumpy() for p in net.collect_params().values()]


def test_two_devices_match_one_device():
    X, y = toy_classification()
    results = []
    for ctx in ([mx.cpu(0)], [mx.cpu(0), mx.cpu(1)]):
        net = make_mlp()
        h = fit(net, ArrayLoader(X, y, 20, shuffle=True), ArrayLoader(X, y, 32), num_epochs=3,
                lr=0.2, ctx=ctx, seed=7, verbose=False)
        for p in net.collect_params().values():
            assert set(p.list_ctx()) == set(ctx)
        results.append((params_of(net), h))
    (p1, h1), (p2, h2) = results
    for a, b in zip(p1, p2):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h1["loss"], h2["loss"], rtol=1e-5)
    assert h1["test_acc"] == h2["test_acc"]


def test_uninitialized_net_is_initialized_and_shapes_inferred():
    X, y = toy_classification()
    net = make_mlp()
    assert net[0].weight.shape == (16, 0)
    h = fit(net, ArrayLoader(X, y, 16, shuffle=True), ArrayLoader(X, y, 32), num_epochs=5,
            lr=0.2, seed=0, verbose=False)
    assert net[0].weight.shape == (16, 12)
    assert h["loss"][-1] < h["loss"][0] and h.last["test_acc"] > 0.9


def test_initialized_net_is_moved_to_the_loop_ctx():
    X, y = toy_classification()
    net = make_mlp()
    net.initialize(ctx=mx.cpu(0))
    net(X[:2])
    fit(net, ArrayLoader(X, y, 32), num_epochs=1, ctx=[mx.cpu(1)], verbose=False)
    assert net[0].weight.list_ctx() == [mx.cpu(1)]


def test_nan_loss_stops_with_epoch_and_batch():
    X, y = toy_classification()
    X[40:41] = np.inf  # the third batch of 16 holds a bad sample (ArrayLoader would refuse it)
    batches = [(X[i:i + 16], y[i:i + 16]) for i in range(0, 96, 16)]
    with pytest.raises(NonFiniteLossError, match=r"epoch 1, batch 3 of 6; make sure the data "
                                                 r"holds no NaN/inf .* then lower the learning"):
        fit(nn.Dense(3), batches, num_epochs=2, lr=0.1, verbose=False)


def test_divergence_is_reported_as_nonfinite_loss():
    X, y = nd.random.normal(shape=(64, 3)) * 100, nd.random.normal(shape=(64,)) * 1e4
    with pytest.raises(NonFiniteLossError, match="smaller|lower the learning rate"):
        fit(nn.Dense(1), ArrayLoader(X, y, 8), loss=gluon.loss.L2Loss(), num_epochs=20, lr=10.0,
            accuracy=False, verbose=False)


class StepSizes:
    """A trainer stand-in recording the batch sizes the loop passes to ``step``."""

    def __init__(self):
        self.sizes = []

    def step(self, batch_size):
        self.sizes.append(batch_size)


def test_step_gets_the_real_batch_size():
    X, y = toy_classification(n=10)
    net = make_mlp()
    rec = StepSizes()
    fit(net, ArrayLoader(X, y, 4), num_epochs=1, trainer=rec, verbose=False)
    assert rec.sizes == [4, 4, 2]


def test_nominal_batch_size_steps_every_batch_with_it():
    X, y = toy_classification(n=10)
    rec = StepSizes()
    fit(make_mlp(), ArrayLoader(X, y, 4), num_epochs=1, trainer=rec, nominal_batch_size=4,
        verbose=False)
    assert rec.sizes == [4, 4, 4]  # the short last batch of 2 too: the book's rule


def test_nominal_batch_size_makes_the_short_batch_step_smaller():
    """With the book's rule a batch of 2 moves the weights by lr * (sum of its 2 gradients) / 4."""
    X, y = toy_classification(n=2)
    grads, moved = {}, {}
    for rule in (None, 4):
        mx.random.seed(0)
        net = nn.Dense(3, in_units=12)
        net.initialize(mx.init.Normal(0.1))
        before = net.weight.data().copy()
        with mx.autograd.record():
            loss = gluon.loss.SoftmaxCrossEntropyLoss()(net(X), y)
        loss.backward()
        grads[rule] = net.weight.grad().asnumpy().copy()  # the sum over the 2 samples
        mx.random.seed(0)
        net = nn.Dense(3, in_units=12)
        net.initialize(mx.init.Normal(0.1))
        fit(net, ArrayLoader(X, y, 4), num_epochs=1, lr=0.5, nominal_batch_size=rule,
            verbose=False)
        moved[rule] = (before - net.weight.data()).asnumpy()
    np.testing.assert_allclose(moved[None], 0.5 * grads[None] / 2, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(moved[4], 0.5 * grads[4] / 4, rtol=1e-4, atol=1e-6)


def test_nominal_batch_size_with_a_custom_step_is_refused():
    X, y = toy_classification(n=8)
    with pytest.raises(GluonNotesError, match="nominal_batch_size"):
        fit(make_mlp(), ArrayLoader(X, y, 4), num_epochs=1, nominal_batch_size=4,
            step=lambda Xb, yb: {"loss": nd.array([0.0]), "n": 4}, verbose=False)


def test_metrics_are_read_from_the_device_once_per_epoch(monkeypatch):
    """The number of device-to-host reads does not grow with the number of batches."""
    reads = {"n": 0}
    original = nd.NDArray.asnumpy

    def counting(self):
        reads["n"] += 1
        return original(self)

    monkeypatch.setattr(nd.NDArray, "asnumpy", counting)
    X, y = toy_classification(n=200)
    counts = []
    for batch_size in (100, 10):  # 2 vs 20 batches per epoch
        reads["n"] = 0
        fit(make_mlp(), ArrayLoader(X, y, batch_size), ArrayLoader(X, y, 100), num_epochs=2,
            verbose=False)
        counts.append(reads["n"])
    assert counts[0] == counts[1]


def test_evaluate_accuracy_matches_numpy():
    X, y = toy_classification()
    net = make_mlp()
    net.initialize()
    expected = (net(X).asnumpy().argmax(1) == y.asnumpy()).mean()
    assert evaluate_accuracy(net, ArrayLoader(X, y, 25)) == pytest.approx(expected)
    with pytest.raises(GluonNotesError, match=r"reset_ctx"):
        evaluate(net, ArrayLoader(X, y, 25), [mx.cpu(0), mx.cpu(1)])
    net.collect_params().reset_ctx([mx.cpu(0), mx.cpu(1)])
    both = evaluate(net, ArrayLoader(X, y, 25), [mx.cpu(0), mx.cpu(1)],
                    loss=gluon.loss.SoftmaxCrossEntropyLoss())
    ref = gluon.loss.SoftmaxCrossEntropyLoss()(net(X), y).mean().asscalar()
    assert both["acc"] == pytest.approx(expected) and both["loss"] == pytest.approx(ref, rel=1e-5)


def test_checkpoint_resume_ends_where_an_uninterrupted_run_ends(tmp_path):
    X, y = toy_classification()
    sched = lambda: mx.lr_scheduler.FactorScheduler(step=5, factor=0.5)  # noqa: E731
    kw = dict(num_epochs=4, lr=0.3, seed=3, verbose=False, optimizer="sgd",
              optimizer_params={"momentum": 0.9})
    full = make_mlp()
    h_full = fit(full, ArrayLoader(X, y, 16, shuffle=True), ArrayLoader(X, y, 32),
                 lr_scheduler=sched(), **kw)

    class Interrupt(Callback):
        def on_epoch_end(self, epoch, logs):
            if epoch == 1:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fit(make_mlp(), ArrayLoader(X, y, 16, shuffle=True), ArrayLoader(X, y, 32),
            lr_scheduler=sched(), checkpoint=str(tmp_path), callbacks=[Interrupt()], **kw)
    resumed = make_mlp()
    h_res = fit(resumed, ArrayLoader(X, y, 16, shuffle=True), ArrayLoader(X, y, 32),
                lr_scheduler=sched(), checkpoint=str(tmp_path), resume=True, **kw)
    assert len(h_res) == 4 and h_res["epoch"] == [1, 2, 3, 4]
    for a, b in zip(params_of(full), params_of(resumed)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(h_res["loss"], h_full["loss"], rtol=1e-6)


def test_lr_scheduler_and_weight_decay_reach_the_optimizer():
    X, y = toy_classification(n=64)
    h = fit(make_mlp(), ArrayLoader(X, y, 16), num_epochs=3, lr=0.4, wd=1e-3, verbose=False,
            lr_scheduler=mx.lr_scheduler.FactorScheduler(step=4, factor=0.5))
    assert h["lr"][0] > h["lr"][-1]


def test_clip_norm_bounds_each_update():
    X, y = toy_classification(n=32)
    net = make_mlp()
    net.initialize()
    net(X)
    before = params_of(net)
    fit(net, ArrayLoader(X, y, 32), num_epochs=1, lr=1.0, clip_norm=1e-3, verbose=False)
    step = np.sqrt(sum(((a - b) ** 2).sum() for a, b in zip(params_of(net), before)))
    assert 0 < step <= 1e-3 * (1 + 1e-4)


def test_early_stopping_sets_the_flag():
    X, y = toy_classification()
    stopper = EarlyStopping(monitor="test_acc", patience=1, min_delta=1.0)  # never "improves"
    h = fit(make_mlp(), ArrayLoader(X, y, 32), ArrayLoader(X, y, 32), num_epochs=10,
            callbacks=[stopper], verbose=False)
    assert len(h) == 2 and stopper.stopped_epoch == 1


def test_custom_step_plugs_in():
    """A custom step (e.g. a GAN's two Trainers) reports any scalars; the loop averages them."""
    X, y = toy_classification(n=30)
    calls = []

    def step(Xb, yb):
        calls.append(Xb.shape[0])
        return {"loss": nd.array([2.0 * Xb.shape[0]]), "d_loss": nd.array([Xb.shape[0]]),
                "n": Xb.shape[0]}

    h = fit(make_mlp(), ArrayLoader(X, y, 8), num_epochs=1, step=step, verbose=False)
    assert calls == [8, 8, 8, 6]
    assert h.last["loss"] == pytest.approx(2.0) and h.last["d_loss"] == pytest.approx(1.0)


def test_hybridize_gives_the_same_training():
    X, y = toy_classification()
    hs = [fit(make_mlp(), ArrayLoader(X, y, 16, shuffle=True), num_epochs=2, seed=1,
              hybridize=hyb, verbose=False)["loss"] for hyb in (False, {"static_alloc": True})]
    np.testing.assert_allclose(hs[0], hs[1], rtol=1e-5)


@pytest.mark.parametrize("kw, match", [
    (dict(num_epochs=0), "num_epochs"),
    (dict(lr=0.0), "learning rate"),
    (dict(lr=-1.0), "learning rate"),
])
def test_bad_settings_are_one_sentence(kw, match):
    X, y = toy_classification(n=8)
    with pytest.raises(GluonNotesError, match=match):
        fit(make_mlp(), ArrayLoader(X, y, 4), **{"num_epochs": 1, **kw})


def test_empty_data_is_an_error():
    with pytest.raises(GluonNotesError, match="empty"):
        fit(make_mlp(), [], num_epochs=1, verbose=False)
