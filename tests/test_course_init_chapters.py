"""The PyTorch-course chapters init-variance, optimizers and train-eval, run through the CLI."""
import json
import math

import numpy as np
import pytest
from mxnet import nd

from gluon_notes import cli
from gluon_notes.chapters import list_chapters, summary
from gluon_notes.chapters import init_variance as iv
from gluon_notes.init import TorchNormal

PNG = b"\x89PNG\r\n\x1a\n"


def run(chapter, out, *argv):
    assert cli.main(["run", chapter, "--out", str(out)] + list(argv)) == 0
    return json.loads((out / "metrics.json").read_text())


def test_listed_with_summaries():
    for chapter in ("init-variance", "optimizers", "train-eval"):
        assert chapter in list_chapters() and "(course)" in summary(chapter)


# --------------------------------------------------------------------- init-variance
@pytest.fixture(scope="module")
def variance(tmp_path_factory):
    """The chapter with its default net, 100 layers of 400 units; 2 networks per curve (the
    default pools 4) halve the cost and keep every figure the tests check."""
    out = tmp_path_factory.mktemp("init-variance")
    return run("init-variance", out, "--nets", "2"), out


def test_variance_experiments(variance):
    m, out = variance
    e = m["experiments"]
    assert m["settings"]["num_layers"] == 100 and m["settings"]["num_hiddens"] == 400
    assert m["settings"]["nets"] == 2
    a = e["a_normal"]                                # x sqrt(400) = 20 per layer, then inf/NaN
    assert a["overflow_layer"] is not None and a["overflow_layer"] <= 40
    assert a["std"][0] == pytest.approx(20, rel=0.05)
    assert a["std"][9] == pytest.approx(20 ** 10, rel=0.5)
    assert a["std"][a["overflow_layer"] - 1] is None     # NaN is written as null
    for key in ("b_scaled", "d_relu_kaiming"):       # kept scale over all 100 layers
        assert e[key]["overflow_layer"] is None and len(e[key]["std"]) == 100
        assert 0.5 <= e[key]["min_std"] and e[key]["max_std"] <= 2, key
    assert e["d_relu_kaiming"]["std"][0] == pytest.approx(math.sqrt(2), rel=0.05)
    assert e["c_tanh_default"]["last_std"] < 0.1     # no gain: tanh's signal dies out
    assert e["c_tanh_xavier"]["min_std"] > 0.5       # the gain 5/3 keeps it
    # single networks wander around the kept scale; a ReLU net more than a linear one
    d, b = e["d_relu_kaiming"], e["b_scaled"]
    assert (d["single_net_max_std"] / d["single_net_min_std"]
            > b["single_net_max_std"] / b["single_net_min_std"])


def test_vanishing_gradient_chain_product(variance):
    m, out = variance
    sig, relu = m["gradient_norms"]["sigmoid, Xavier"], m["gradient_norms"]["ReLU, Kaiming"]
    assert len(sig) == len(relu) == 30
    assert sig[0] / sig[-1] < 1e-10                  # sigmoid' <= 1/4, once per layer
    assert 0.01 < relu[0] / relu[-1] < 100
    assert all(x > y for x, y in zip(sig[1:], sig[:-1]))  # shrinks layer after layer to the input
    assert (out / m["figure"]).read_bytes().startswith(PNG)


def test_layer_stds_pools_networks_and_flags_overflow():
    r = iv.layer_stds(TorchNormal(0, 1), None, num_layers=8, num_hiddens=400, batch_size=16,
                      nets=2)
    assert r["per_net"].shape == (2, 8) and r["overflow_layer"] is None
    np.testing.assert_allclose(r["std"], np.exp(np.log(r["per_net"]).mean(0)), rtol=1e-12)
    np.testing.assert_allclose(np.diff(np.log(r["std"])), math.log(20), atol=0.15)  # sqrt(400)
    r = iv.layer_stds(TorchNormal(0, 1), None, num_layers=36, num_hiddens=400, batch_size=4,
                      nets=1)   # 20^l passes float32's 3.4e38 near layer 30
    assert 28 <= r["overflow_layer"] <= 31
    assert all(math.isnan(v) for v in r["std"][r["overflow_layer"] - 1:])
    assert math.isfinite(r["std"][r["overflow_layer"] - 2])


def test_mlp_reads_dense_outputs_before_activation():
    net = iv.mlp(3, 5, "relu", TorchNormal(0, 1))
    assert len(iv.dense_layers(net)) == 3 and len(net) == 6
    moments = iv._layer_moments(net, nd.random.normal(shape=(64, 5)))
    assert moments.shape == (3, 3) and (moments[:, 2] == 1).all()
    assert (moments[:, 0] < 0).any()                 # H before ReLU can have a negative mean


# --------------------------------------------------------------------- optimizers
def test_optimizers_toy_schedules_and_semantics(tmp_path):
    m = run("optimizers", tmp_path, "--no-mlp", "--toy-steps", "30")
    toy = m["toy"]
    assert set(toy) == {"SGD", "momentum", "Nesterov", "Adagrad", "RMSProp", "AdaDelta", "Adam"}
    start = 0.1 * 25 + 2 * 4
    for label, r in toy.items():
        assert len(r["f"]) == 31 and r["f"][0] == pytest.approx(start)
        assert r["final_f"] < start, label
    assert toy["momentum"]["final_f"] < toy["SGD"]["final_f"]   # momentum damps x2's zigzag
    assert toy["AdaDelta"]["final_f"] > 1                        # no lr: tiny first steps
    s = m["schedules"]
    assert s["StepLR(step_size=3, 0.3)"]["every_50"] == pytest.approx(
        [0.1] * 3 + [0.03] * 3 + [0.009] * 3 + [0.0027])
    cosine = s["Cosine, 50 warm-up"]
    assert cosine["first"] < 0.01 and cosine["every_50"][1] == pytest.approx(0.1, rel=1e-3)
    assert cosine["last"] == pytest.approx(0.001, rel=1e-3)
    sem = m["semantics"]
    assert sem["group_change_ratio"] == pytest.approx([0, 0, 2, 2], abs=1e-5)
    assert sem["accumulate_vs_big_batch_max_diff"] < 1e-6 and sem["stale_param_unchanged"]
    assert m["mlp"] == {}
    for name in m["figures"]:
        assert (tmp_path / name).read_bytes().startswith(PNG)


@pytest.mark.realdata
@pytest.mark.needs("data")
def test_optimizers_mlp_on_fashion_mnist(tmp_path):
    m = run("optimizers", tmp_path, "--limit", "1024", "--epochs", "2", "--toy-steps", "2")
    assert len(m["mlp"]) == 7
    for label, r in m["mlp"].items():
        assert len(r["loss"]) == 2 and r["loss"][1] < r["loss"][0], label
        assert r["test_acc"][-1] > 0.3, label


# --------------------------------------------------------------------- train-eval
def test_train_eval_table_and_pitfall(tmp_path, capsys):
    m = run("train-eval", tmp_path, "--synthetic", "--limit", "1024", "--score-limit", "256",
            "--epochs", "2")
    assert m["modes"]["record()"]["moving_mean_updated_by_backward"]
    assert m["modes"]["train_mode()"]["dropout_active"]
    acc, sizes = m["accuracy"], m["batch_sizes"]
    assert sizes[0] == 1 and len(set(acc["eval"])) == 1   # predict mode: batch-size independent
    assert acc["eval"][0] > 0.6                            # it learned the blobs
    assert acc["train"][0] < 0.25                          # batch of 1: one class for all
    assert acc["train"][1] < acc["eval"][0] - 0.1          # batch of 2: still far off
    assert m["moving_averages_unchanged_by_train_mode_scoring"]
    assert (tmp_path / m["figure"]).read_bytes().startswith(PNG)
    assert "record(train_mode=False)" in capsys.readouterr().out
