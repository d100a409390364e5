"""INT8 inference: quantize a trained CNN, its agreement with fp32, its errors, ``--quantize``."""
import json
import sys

import numpy as np
import mxnet as mx
import pytest
from mxnet import nd
from mxnet.gluon import nn

from gluon_notes.cli import main as cli
from gluon_notes.errors import GluonNotesError, InputShapeError
from gluon_notes.quantize import (agreement, batch_of, compare, frozen, layer_report, quantize,
                                  speeds)
from gluon_notes.train import evaluate_accuracy, fit


def tiny_cnn():
    net = nn.HybridSequential()
    net.add(nn.Conv2D(8, 3, activation="relu"), nn.BatchNorm(), nn.MaxPool2D(),
            nn.Flatten(), nn.Dense(16, activation="relu"), nn.Dense(3))
    return net


def batches_of(X, y, size=64):
    return [(X[i:i + size], y[i:i + size]) for i in range(0, X.shape[0], size)]


@pytest.fixture(scope="module")
def trained():
    """A tiny CNN trained to tell three bands of brightness apart (12x12 images)."""
    mx.random.seed(0)
    rng = np.random.RandomState(0)
    y = rng.randint(0, 3, size=256)
    X = rng.uniform(size=(256, 1, 12, 12)) * 0.5 + y[:, None, None, None] * 0.25
    data = batches_of(nd.array(X), nd.array(y))
    net = tiny_cnn()
    fit(net, data, None, None, 4, lr=0.1, hybridize=True, seed=0, verbose=False)
    return net, data


def test_int8_predictions_agree_with_fp32(trained):
    net, data = trained
    qnet = quantize(net, data, "naive", num_calib_batches=2)
    X = data[0][0]
    assert qnet(X).shape == net(X).shape == (64, 3)
    fp32_acc = evaluate_accuracy(net, data)
    assert fp32_acc > 0.9  # trained: the comparison means something
    assert agreement(net, qnet, data) >= 0.95
    assert abs(evaluate_accuracy(qnet, data) - fp32_acc) <= 0.05


def test_quantize_leaves_the_fp32_network_as_it_was(trained):
    net, data = trained
    X = data[0][0]
    before = net(X).asnumpy()
    quantize(net, data, "naive", num_calib_batches=1)
    np.testing.assert_array_equal(net(X).asnumpy(), before)
    np.testing.assert_allclose(frozen(net)(X).asnumpy(), before, rtol=1e-5, atol=1e-6)


def test_layer_report_names_quantized_and_excluded_layers(trained):
    net, data = trained
    full = layer_report(quantize(net, data, "naive", num_calib_batches=1))
    assert any("conv" in n for n in full["int8"]) and any("fully_connected" in n
                                                         for n in full["int8"])
    assert full["float"] == []
    last = net[-1].name  # e.g. dense1
    kept = layer_report(quantize(net, data, "naive", num_calib_batches=1, exclude=(last,)))
    assert len(kept["int8"]) < len(full["int8"]) and kept["float"]


def test_compare_reports_both_accuracies_and_speeds(trained):
    net, data = trained
    qnet = quantize(net, data, "naive", num_calib_batches=1)
    fast = dict(repeats=1, target_seconds=0.001)
    rec = compare(frozen(net), qnet, data[:1], data[0][0], batch_sizes=(1, 2), **fast)
    assert rec["fp32_test_acc"] == evaluate_accuracy(net, data[:1])
    assert rec["int8_speedup_b2"] == pytest.approx(
        rec["int8_images_per_sec_b2"] / rec["fp32_images_per_sec_b2"])
    assert [b for b, _, _ in speeds(net, qnet, data[0][0][:3], (1, 5), **fast)] == [1, 5]
    assert batch_of(data[0][0][:3], 7).shape == (7, 1, 12, 12)


@pytest.mark.parametrize("kw, match", [
    (dict(mode="fast"), "unknown quantization mode 'fast'"),
    (dict(ctx=mx.gpu(0)), "runs on the CPU"),
    (dict(num_calib_batches=0), "num_calib_batches must be a positive integer"),
])
def test_bad_settings_are_one_sentence(trained, kw, match):
    net, data = trained
    with pytest.raises(GluonNotesError, match=match):
        quantize(net, data, **kw)


def test_untrained_or_imperative_networks_are_refused(trained):
    _, data = trained
    with pytest.raises(GluonNotesError, match="uninitialized parameters"):
        quantize(tiny_cnn(), data)
    deferred = tiny_cnn()
    deferred.initialize()  # shapes unknown until the first batch
    with pytest.raises(GluonNotesError, match="train it"):
        quantize(deferred, data)
    seq = nn.Sequential()
    seq.add(nn.Dense(3))
    seq.initialize()
    seq(data[0][0])
    with pytest.raises(GluonNotesError, match="needs a HybridBlock"):
        quantize(seq, data)


def test_bad_calibration_data_is_one_sentence(trained):
    net, data = trained
    with pytest.raises(GluonNotesError, match="gave no batch"):
        quantize(net, [])
    with pytest.raises(GluonNotesError, match="iterable of"):
        quantize(net, 3)
    with pytest.raises(InputShapeError):
        quantize(net, [(nd.ones((4, 1, 2, 2)), nd.zeros(4))])


def test_entropy_without_scipy_says_to_install_it(trained, monkeypatch):
    net, data = trained
    monkeypatch.setitem(sys.modules, "scipy.stats", None)  # import scipy.stats -> ImportError
    with pytest.raises(GluonNotesError, match="needs scipy"):
        quantize(net, data, "entropy")


def test_quantize_with_a_distributed_kvstore_is_refused_before_training(tmp_path, capsys):
    assert cli(["run", "batchnorm", "--quantize", "--ctx", "cpu", "--kvstore", "dist_sync",
                "--out", str(tmp_path)]) == 2
    assert "--quantize scores in one process" in capsys.readouterr().err
    assert not (tmp_path / "metrics.json").exists()


@pytest.mark.realdata
@pytest.mark.needs("data")
def test_run_batchnorm_quantize_writes_int8_next_to_fp32(tmp_path, capsys):
    assert cli(["run", "batchnorm", "--limit", "256", "--epochs", "1", "--precise-bn", "0",
                "--quantize", "--calib-images", "128", "--out", str(tmp_path)]) == 0
    m = json.loads((tmp_path / "metrics.json").read_text())
    run = m["runs"][0]
    assert run["fp32_test_acc"] == pytest.approx(run["test_acc"])  # the same fp32 scoring
    assert abs(run["int8_test_acc"] - run["fp32_test_acc"]) <= 0.1
    assert m["int8_mode"] == "naive" and m["int8_calib_images"] == 128
    assert m["int8_speedup_b64_mean"] == run["int8_speedup_b64"] > 0
    assert "sg_mkldnn_conv_bn_0" in m["int8_layers"]["int8"]
    out = capsys.readouterr().out
    assert out.count("int8 (naive) seed 0: test acc") == 1


def test_int8_bench_rows_relate_their_columns():
    from gluon_notes.bench.int8 import format_int8_table, run_int8
    rows = run_int8(["softmax"], batch_sizes=(1, 2), calib="synthetic", calib_images=8,
                    repeats=1, target_seconds=0.001)
    assert [(r["model"], r["batch"]) for r in rows] == [("softmax", 1), ("softmax", 2)]
    for r in rows:
        assert r["speedup"] == pytest.approx(r["fp32_ms"] / r["int8_ms"])
        assert 0 <= r["unchanged"] <= 1 and r["calib"] == "synthetic" and r["mode"] == "naive"
    table = format_int8_table(rows).splitlines()
    assert len(table) == 3 and table[0].split()[:2] == ["model", "batch"]
    assert table[2].split()[:2] == ["softmax", "2"]


@pytest.mark.parametrize("kw, match", [
    (dict(models=["book_net"], calib="fashion-mnist"), "not Fashion-MNIST images"),
    (dict(models=["softmax"], calib="imagenet"), "unknown calibration source"),
    (dict(models=["nope"]), "unknown bench model"),
])
def test_int8_bench_bad_arguments_are_one_sentence(kw, match):
    from gluon_notes.bench.int8 import run_int8
    with pytest.raises(GluonNotesError, match=match):
        run_int8(**kw)


def test_int8_bench_script_prints_the_cpu_and_the_table(capsys):
    from gluon_notes.bench.int8 import cpu_int8_support, main
    main(["--models", "softmax", "--calib", "synthetic", "--calib-images", "8",
          "--repeats", "1", "--batch-sizes", "1"])
    out = capsys.readouterr().out.splitlines()
    vnni = cpu_int8_support()["vnni"]
    assert ("VNNI: %s" % ("yes" if vnni else "no")) in out[0] and "OpenMP thread" in out[0]
    assert out[1].split()[0] == "model" and out[2].split()[:2] == ["softmax", "1"]
