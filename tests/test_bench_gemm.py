"""The bench's FLOP counts (against hand computations from the layer formula), its fp32 GEMM
rate, and the CNNs' achieved GFLOP/s in bench.json, the table and the figure (no timing
asserts)."""
import json

import pytest
from mxnet.gluon import nn

from gluon_notes import bench
from gluon_notes.bench import core as bench_core
from gluon_notes.bench.flops import (TRAIN_FACTOR, add_achieved, forward_flops, layer_macs,
                                     model_flops)
from gluon_notes.bench.gemm import METHODS, gemm_rates, summarize
from gluon_notes.bench.models import DEFAULT_MODELS, MODELS
from gluon_notes.bench.report import bench_figure, format_table
from gluon_notes.models import get_model


def conv_macs(c_in, c_out, k, side, stride=1, pad=0, groups=1):
    """Multiply-adds of a square convolution on one example, and its output side."""
    out = (side + 2 * pad - k) // stride + 1
    return c_out * out * out * (c_in // groups) * k * k, out


def test_lenet_flops_by_hand():
    """LeNet (book 5.5): conv 5x5 1->6 on 28 px, pool /2, conv 5x5 6->16, pool /2, dense
    256-120-84-10."""
    conv1, side = conv_macs(1, 6, 5, 28)               # 24 px
    conv2, side = conv_macs(6, 16, 5, side // 2)       # 12 -> 8 px
    flat = 16 * (side // 2) ** 2                       # 16 x 4 x 4
    dense = flat * 120 + 120 * 84 + 84 * 10
    assert forward_flops(get_model("lenet"), (1, 28, 28)) == (2 * (conv1 + conv2 + dense), 2)
    assert model_flops(MODELS["lenet"]) == dict(forward=2 * (conv1 + conv2 + dense),
                                               train=TRAIN_FACTOR * 2 * (conv1 + conv2 + dense),
                                               convolutions=2)


def test_small_conv_with_stride_padding_groups_by_hand():
    net = nn.HybridSequential()
    net.add(nn.Conv2D(4, kernel_size=3, strides=2, padding=1, groups=2),
            nn.Dense(7, flatten=False))  # on the last axis: (1, 4, 5, 5) -> (1, 4, 5, 7)
    conv, side = conv_macs(6, 4, 3, 9, stride=2, pad=1, groups=2)
    layers = layer_macs(net, (6, 9, 9))
    assert [(l.kind, l.output_shape) for l in layers] == [
        ("Conv2D", (1, 4, side, side)), ("Dense", (1, 4, side, 7))]
    assert [l.macs for l in layers] == [conv, 4 * side * side * 7]


def test_resnet18_96_counts_every_nested_convolution():
    """Residual blocks are opened: 17 3x3/7x7 convolutions, 3 1x1 shortcuts and the dense
    layer; the stem's count follows the formula (7x7/2, padding 3, on 96 px)."""
    layers = layer_macs(MODELS["resnet18_96"].make(), (1, 96, 96))
    kinds = [l.kind for l in layers]
    assert kinds.count("Conv2D") == 20 and kinds[-1] == "Dense" and len(kinds) == 21
    stem, side = conv_macs(1, 64, 7, 96, stride=2, pad=3)
    assert layers[0].macs == stem and layers[0].output_shape == (1, 64, side, side)
    assert layers[-1].macs == 512 * 10


def test_achieved_gflops_and_fraction():
    """Inference rows count the forward pass, training workloads a training step; models
    without a count are left alone."""
    flops = {"cnn": dict(forward=2e9, train=TRAIN_FACTOR * 2e9, convolutions=1)}
    rows = [dict(model="cnn", workload=w, mode="static", throughput=10.0)
            for w in ("inference", "train", "loop")]
    rows += [dict(model="mlp", workload="loop", mode="static", throughput=10.0),
             dict(model="cnn", workload="loop", mode="torch", status="not installed")]
    add_achieved(rows, flops, gemm_gflops=100.0)
    assert [r.get("gflops") for r in rows] == [20.0, 20.0 * TRAIN_FACTOR, 20.0 * TRAIN_FACTOR,
                                               None, None]
    assert [r.get("gemm_fraction") for r in rows[:3]] == pytest.approx(
        [0.2, 0.2 * TRAIN_FACTOR, 0.2 * TRAIN_FACTOR])


def test_gemm_rates_on_a_small_size():
    rates = gemm_rates(64, repeats=2)
    assert list(rates) == list(METHODS)
    for r in rates.values():
        assert len(r["seconds"]) == 2 and min(r["seconds"]) > 0
        assert r["gflops"] == pytest.approx(2 * 64 ** 3 / min(r["seconds"]) / 1e9)
    doc = summarize(rates, 64, 2)
    assert doc["best_gflops"] == max(r["gflops"] for r in rates.values())
    assert rates[doc["best"]]["gflops"] == doc["best_gflops"]


def test_resnet18_96_is_opt_in_with_its_own_loop_settings():
    """A default run leaves it out; naming it with --models puts it in the loop, with batch 64,
    256 samples and 4 epochs unless the command line says otherwise."""
    default = bench_core.parse_args([])
    assert "resnet18_96" not in default.models and default.models == DEFAULT_MODELS
    assert default.loop_models == list(bench_core.LOOP_MODELS)
    assert bench_core.loop_settings(default, MODELS["lenet"]) == (256, 30720, 9)
    args = bench_core.parse_args(["--models", "resnet18_96,book_net", "--workloads", "loop"])
    assert args.loop_models == ["resnet18_96"]
    assert bench_core.loop_settings(args, MODELS["resnet18_96"]) == (64, 256, 4)
    args = bench_core.parse_args(["--models", "resnet18_96", "--loop-batch-size", "8"])
    assert bench_core.loop_settings(args, MODELS["resnet18_96"]) == (8, 256, 4)


def test_bench_reports_gemm_and_cnn_fraction(tmp_path, capsys):
    """A run that times a CNN measures the GEMM rate (in a child, with the compute profile) and
    gives each CNN row its GFLOP/s and fraction; the table prints them, the figure gets a
    panel."""
    out = tmp_path / "bench"
    bench.main(["--models", "lenet,softmax", "--workloads", "inference", "--modes", "static",
                "--number", "2", "--repeats", "2", "--peer", "none", "--gemm-size", "48",
                "--out", str(out)])
    doc = json.loads((out / "bench.json").read_text())
    gemm = doc["gemm"]
    assert gemm["size"] == 48 and set(gemm["rates"]) == set(METHODS)
    assert gemm["cpu"]["profile"] == "compute" or "GLUON_NOTES_PERF" in doc["machine"]["threads"]
    assert set(doc["flops"]) == {"lenet"}  # softmax regression has no convolution
    printed = capsys.readouterr().out
    assert "fp32 GEMM 48^3, GFLOP/s" in printed
    for r in doc["results"]:
        if r["model"] == "softmax" or "throughput" not in r:
            assert "gflops" not in r
            continue
        assert r["gflops"] == pytest.approx(r["throughput"] * doc["flops"]["lenet"]["forward"]
                                            / 1e9)
        assert r["gemm_fraction"] == pytest.approx(r["gflops"] / gemm["best_gflops"])
    line = next(l for l in printed.splitlines() if l.startswith("  lenet, inference"))
    static = next(r for r in doc["results"] if r["model"] == "lenet" and r["mode"] == "static")
    assert "%.1f (%.2f)" % (static["gflops"], static["gemm_fraction"]) in line


def test_table_and_figure_without_gemm(tmp_path):
    """Without a GEMM rate (--gemm-size 0) the CNN rows show GFLOP/s alone."""
    rows = [dict(model="lenet", workload="loop", mode=m, batch_size=b, throughput=1e3)
            for m, b in (("static", 256), ("torch", 256))]
    rows.append(dict(model="resnet18_96", workload="loop", mode="static", batch_size=64,
                     throughput=10.0))
    add_achieved(rows, {"lenet": dict(forward=1e6, train=3e6, convolutions=2),
                        "resnet18_96": dict(forward=1e9, train=3e9, convolutions=20)})
    table = format_table(rows)
    assert "loop, batch 256 (resnet18_96: 64): samples/s" in table
    assert "fp32 GEMM" not in table and "fraction" not in table
    assert "  resnet18_96, loop" in table and "30.0" in table
    path = tmp_path / "b.png"
    bench_figure(rows, "t")(str(path))
    assert path.stat().st_size > 1000
