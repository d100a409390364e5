"""BucketedSGD: MXNet's SGD updates, dispatched in size buckets."""
import numpy as np
import mxnet as mx
import pytest
from mxnet import autograd, gluon, nd
from mxnet.gluon import nn

from gluon_notes.optim import BucketedSGD, size_buckets
from gluon_notes.train import fit, make_trainer


def test_size_buckets_single_out_large_tensors_and_group_similar_sizes():
    singles, groups = size_buckets([200704, 256, 2560, 10])
    assert singles == [0] and groups == [[3, 1, 2]]
    singles, groups = size_buckets([1, 2, 3, 10 ** 6, 50000], single_update_size=10 ** 5,
                                   slack=0)
    assert singles == [3]
    assert groups == [[0, 1, 2], [4]]  # 50000 x 4 would be > 2 x the total: a call of its own
    every = sorted(singles + [k for g in groups for k in g])
    assert every == list(range(5))



def test_dispatch_names_the_update_calls_its_update_makes():
    opt = BucketedSGD()
    weights = [nd.zeros((n,)) for n in (200704, 256, 2560, 10)]  # MLP 784-256-10
    calls = opt.dispatch([0, 1, 2, 3], weights, weights)
    assert calls == [("multi", [3, 1, 2]), ("single", [0])]
    small = [nd.zeros((n,)) for n in (150, 6, 2400, 16)]  # one similar-size group: MXNet's own
    assert opt.dispatch([4, 5, 6, 7], small, small) == [("mxnet", [0, 1, 2, 3])]

def net_with_mixed_sizes():
    net = nn.HybridSequential()  # 300 x 256 = 76.8k (single), 256, 256 x 10, 10: two kinds
    net.add(nn.Dense(256, activation="relu", in_units=300), nn.Dense(10, in_units=256))
    return net


@pytest.mark.parametrize("settings", [
    dict(learning_rate=0.1),
    dict(learning_rate=0.05, momentum=0.9, wd=1e-3),
    dict(learning_rate=0.1, clip_gradient=0.01,
         lr_scheduler=mx.lr_scheduler.FactorScheduler(step=2, factor=0.5)),
])
def test_same_weights_as_mxnet_sgd(settings):
    X = nd.random.uniform(shape=(32, 300))
    y = nd.random.randint(0, 10, shape=(32,)).astype("float32")
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    results = []
    for cls in (mx.optimizer.SGD, BucketedSGD):
        mx.random.seed(0)
        net = net_with_mixed_sizes()
        net.initialize(mx.init.Xavier())
        kw = dict(settings)
        if "lr_scheduler" in kw:  # a scheduler keeps state: one per run
            kw["lr_scheduler"] = mx.lr_scheduler.FactorScheduler(step=2, factor=0.5)
        opt = cls(**kw)
        opt.aggregate_num = 60
        trainer = gluon.Trainer(net.collect_params(), opt)
        for _ in range(5):
            with autograd.record():
                l = loss(net(X), y)
            l.backward()
            trainer.step(32)
        results.append([p.data().asnumpy() for p in net.collect_params().values()])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert not np.allclose(results[0][0], 0)


def test_the_loop_uses_it_for_sgd_and_other_optimizers_unchanged():
    net = net_with_mixed_sizes()
    net.initialize()
    assert isinstance(make_trainer(net, "sgd", 0.1)._optimizer, BucketedSGD)
    assert type(make_trainer(net, "adam", 0.1)._optimizer) is mx.optimizer.Adam


def test_checkpoint_resume_with_it_is_exact(tmp_path):
    from gluon_notes.data import ArrayLoader
    X = nd.random.uniform(shape=(64, 300))
    y = nd.random.randint(0, 10, shape=(64,)).astype("float32")
    kw = dict(num_epochs=3, lr=0.1, optimizer_params=dict(momentum=0.9), seed=1, verbose=False)
    full = net_with_mixed_sizes()
    fit(full, ArrayLoader(X, y, 16, shuffle=True), **kw)
    part = net_with_mixed_sizes()
    fit(part, ArrayLoader(X, y, 16, shuffle=True), **dict(kw, num_epochs=2),
        checkpoint=str(tmp_path))
    resumed = net_with_mixed_sizes()
    fit(resumed, ArrayLoader(X, y, 16, shuffle=True), **kw, checkpoint=str(tmp_path),
        resume=True)
    for a, b in zip(full.collect_params().values(), resumed.collect_params().values()):
        np.testing.assert_allclose(a.data().asnumpy(), b.data().asnumpy(), rtol=1e-5, atol=1e-6)


def test_update_benchmark_times_every_variant():
    from gluon_notes.bench.update import VARIANTS, main
    results = main(["--models", "softmax,mlp", "--number", "2", "--repeats", "1"])
    assert set(results) == {"softmax", "mlp"}
    assert results["mlp"]["tensors"] == 4 and results["mlp"]["elements"] == 784 * 256 + 256 + 2570
    for r in results.values():
        assert set(r["ms"]) == set(VARIANTS) and all(v > 0 for v in r["ms"].values())


@pytest.mark.parametrize("name", ["adam", "rmsprop", "nag", "adagrad", "adadelta", "sgd"])
def test_fit_trains_with_every_named_optimizer(name):
    # Adam & co. update one tensor at a time: the multi-tensor aggregation is for SGD only
    from gluon_notes.data import ArrayLoader
    from gluon_notes.models import get_model
    from gluon_notes.train import fit
    X = mx.nd.random.uniform(shape=(64, 1, 28, 28))
    y = mx.nd.array([i % 10 for i in range(64)])
    h = fit(get_model("mlp"), ArrayLoader(X, y, 16, classes=10), None, num_epochs=3,
            optimizer=name, lr=0.01, seed=0, verbose=False)
    assert h["loss"][-1] < h["loss"][0]
