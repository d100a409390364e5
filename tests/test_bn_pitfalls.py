"""BatchNorm pitfalls: batch 1 gives beta and no gradient, batch 2 gives +-1; LayerNorm doesn't."""
import json

import numpy as np
import pytest
from mxnet import autograd, nd
from mxnet.gluon import nn

from conftest import require
from gluon_notes.bn_pitfalls import batch_of_one, batch_of_two, norm_layer, norm_mlp, train_mode
from gluon_notes.cli import main as cli
from gluon_notes.errors import GluonNotesError
from parity import assert_train_parity


def test_batch_of_one_outputs_beta_and_blocks_the_gradient():
    X, y, grad = batch_of_one(num_features=5, beta=0.5)
    assert np.abs(X.asnumpy()).sum() > 0
    np.testing.assert_array_equal(y.asnumpy(), np.full((1, 5), 0.5, np.float32))
    np.testing.assert_array_equal(grad.asnumpy(), np.zeros((1, 5), np.float32))


def test_batch_of_one_image_is_normalized_over_its_positions_not_zero():
    """On (1, C, H, W) the statistics come from H x W positions: not degenerate, one image."""
    bn = nn.BatchNorm()
    bn.initialize()
    y, _ = train_mode(bn, nd.random.normal(shape=(1, 3, 4, 4)))
    per_channel = y.asnumpy()[0].reshape(3, -1)
    np.testing.assert_allclose(per_channel.mean(axis=1), 0, atol=1e-5)
    np.testing.assert_allclose(per_channel.std(axis=1), 1, atol=1e-3)


def test_pytorch_refuses_what_mxnet_computes_silently():
    torch = require("torch")
    bn = torch.nn.BatchNorm1d(4).train()
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        bn(torch.randn(1, 4))


def test_batch_of_two_gives_plus_minus_one_per_feature():
    out = batch_of_two(num_features=6)
    bn = out["bn"].asnumpy()                                        # (2, 6)
    np.testing.assert_allclose(np.abs(bn), 1, atol=1e-3)            # +-|d| / sqrt(d^2 + 4 eps)
    np.testing.assert_allclose(bn[0], -bn[1], rtol=1e-6)
    X = out["X"].asnumpy()
    np.testing.assert_array_equal(np.sign(bn[0]), np.sign(X[0] - X[1]))  # only the order is left


def test_layernorm_does_not_depend_on_the_rest_of_the_batch():
    out = batch_of_two(num_features=6)
    np.testing.assert_array_equal(out["ln"].asnumpy()[0], out["ln_other"].asnumpy()[0])
    ln = out["ln"].asnumpy()[0]
    assert abs(ln.mean()) < 1e-5 and abs(ln.std() - 1) < 1e-3
    layer = norm_layer("layernorm")
    layer.initialize()
    X = out["X"]
    with autograd.predict_mode():
        infer = layer(X)
    np.testing.assert_allclose(infer.asnumpy(), out["ln"].asnumpy(), rtol=1e-6)  # no modes


def test_batchnorm_moving_variance_from_pairs_is_about_half_the_population():
    """Two-sample biased variances average sigma^2 / 2: the moving variance learns half."""
    bn = nn.BatchNorm(momentum=0.0)  # keep the last batch's statistics only
    bn.initialize()
    X = nd.random.normal(shape=(4000, 2, 1)) * 2.0  # population variance 4
    variances = []
    for i in range(2000):
        with autograd.record():
            y = bn(X[2 * i:2 * i + 2].reshape((2, 2)))
        y.backward()
        variances.append(bn.running_var.data().asnumpy())
    assert abs(np.mean(variances) - 2.0) < 0.25


@pytest.mark.parametrize("kind", ["batchnorm", "layernorm"])
def test_norm_mlp_hybrid_parity(kind):
    y, g = assert_train_parity(lambda: norm_mlp(kind), nd.random.uniform(shape=(4, 1, 28, 28)))
    assert y.shape == (4, 10) and np.abs(g).sum() > 0


def test_unknown_norm_is_refused():
    with pytest.raises(GluonNotesError, match="norm must be one of"):
        norm_layer("groupnorm")


@pytest.mark.realdata
@pytest.mark.needs("data")
def test_chapter_trains_both_with_batch_two(tmp_path, capsys):
    out = tmp_path / "bn"
    assert cli(["run", "bn-pitfalls", "--limit", "40", "--epochs", "1", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "BatchNorm output [+0.500, +0.500, +0.500, +0.500]" in text
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["settings"]["batch_size"] == 2
    assert metrics["demos"]["batch2_ln_change"] == 0
    for kind in ("batchnorm", "layernorm"):
        assert 0 <= metrics["test_acc_%s_mean" % kind] <= 1
        assert len(metrics["runs"][0]["history_" + kind]) == 1
    assert (out / "curves.png").stat().st_size > 0
