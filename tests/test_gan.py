"""gan: two Trainers in one custom step of the loop; the discriminator's step does not reach the
generator, the generator's step leaves the discriminator bitwise unchanged."""
import numpy as np
import mxnet as mx
import pytest
from mxnet import gluon, nd

from gluon_notes import gan
from gluon_notes.errors import GluonNotesError


def _setup(hybridize=False):
    net = gan.GAN()
    net.initialize(mx.init.Xavier())
    if hybridize:
        net.generator.hybridize()
        net.discriminator.hybridize()
    d_tr = gluon.Trainer(net.discriminator.collect_params(), "adam", {"learning_rate": 1e-2})
    g_tr = gluon.Trainer(net.generator.collect_params(), "adam", {"learning_rate": 1e-2})
    step = gan.GANStep(net, d_tr, g_tr, mx.cpu())
    net.sample(4)                                    # finish deferred initialization
    net.discriminate(nd.zeros((4, 1)))
    return net, step


def _values(block):
    return {k: v.data().asnumpy().copy() for k, v in block.collect_params().items()}


@pytest.mark.parametrize("hybridize", [False, True])
def test_a_generator_step_leaves_the_discriminator_bitwise_unchanged(hybridize):
    net, step = _setup(hybridize)
    step.discriminator_step(gan.real_data(32))       # the Adam states of D exist now
    d0, g0 = _values(net.discriminator), _values(net.generator)
    step.generator_step(32)
    for k, v in _values(net.discriminator).items():
        assert np.array_equal(v, d0[k]), k
    assert any(not np.array_equal(v, g0[k]) for k, v in _values(net.generator).items())


def test_the_discriminator_step_uses_the_generator_output_detached():
    net, step = _setup()
    for p in net.generator.collect_params().values():
        p.grad()[:] = 0
    d0, g0 = _values(net.discriminator), _values(net.generator)
    step.discriminator_step(gan.real_data(32))
    for k, p in net.generator.collect_params().items():
        assert not p.grad().asnumpy().any(), k     # no gradient reached the generator
        assert np.array_equal(p.data().asnumpy(), g0[k])
    assert any(not np.array_equal(v, d0[k]) for k, v in _values(net.discriminator).items())


def test_the_step_reports_what_the_loop_needs():
    net, step = _setup()
    out = step(gan.real_data(16), nd.zeros(16))
    assert set(out) == {"loss", "g_loss", "n"} and out["n"] == 16
    assert out["loss"].size == 1 and out["g_loss"].size == 1
    d, g = step.curves()
    assert d.shape == g.shape == (1,)
    assert d[0] == pytest.approx(out["loss"].asscalar() / 16)


def test_train_gan_runs_through_fit_with_both_losses():
    net, h, step = gan.train_gan(num_epochs=2, num_samples=200, batch_size=50, seed=0)
    assert len(h) == 2 and all(e["n"] == 200 for e in h.epochs)
    assert all(np.isfinite(e["loss"]) and np.isfinite(e["g_loss"]) for e in h.epochs)
    d, g = step.curves()
    assert len(d) == len(g) == 8                     # 2 epochs x 4 batches
    np.testing.assert_allclose(d[:4].mean(), h.epochs[0]["loss"], rtol=1e-5)
    again = gan.train_gan(num_epochs=2, num_samples=200, batch_size=50, seed=0)[2].curves()[0]
    np.testing.assert_array_equal(d, again)         # seeded: repeatable


def test_bad_learning_rate_is_one_sentence():
    with pytest.raises(GluonNotesError, match="learning rates must be > 0"):
        gan.train_gan(num_epochs=1, d_lr=0.0)


def test_the_averaged_generator_is_put_in_place():
    net, _ = _setup()
    d_tr = gluon.Trainer(net.discriminator.collect_params(), "adam", {"learning_rate": 1e-2})
    g_tr = gluon.Trainer(net.generator.collect_params(), "adam", {"learning_rate": 1e-2})
    step = gan.GANStep(net, d_tr, g_tr, mx.cpu(), average=0.5)
    history = []
    for _ in range(3):
        step(gan.real_data(16), nd.zeros(16))
        history.append(_values(net.generator))
    step.use_average()
    for k, v in _values(net.generator).items():      # 0.5-average of the three iterates
        expected = 0.25 * history[0][k] + 0.25 * history[1][k] + 0.5 * history[2][k]
        np.testing.assert_allclose(v, expected, rtol=1e-5, atol=1e-6)
