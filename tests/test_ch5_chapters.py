"""Chapter-5 scripts: the book's printed shapes, --summary tables, short real-data runs."""
import json

import numpy as np
import pytest

from gluon_notes.chapters import get_chapter, list_chapters
from gluon_notes.cli import main as cli

# chapter id: (registered model, book resize, batch size, lr)
TRAINING = {
    "lenet": ("lenet", None, 256, 0.9),
    "alexnet": ("alexnet", 224, 128, 0.01),
    "vgg": ("vgg11", 224, 128, 0.05),
    "nin": ("nin", 224, 128, 0.1),
    "googlenet": ("googlenet", 96, 128, 0.1),
    "batchnorm-scratch": ("lenet_bn_scratch", None, 256, 1.0),
    "batchnorm": ("lenet_bn", None, 256, 1.0),
    "resnet18": ("resnet18", 96, 256, 0.05),
    "densenet": ("densenet", 96, 256, 0.1),
    "lenet-improved": ("lenet_relu_bn", None, 128, 0.1),
}
realdata = pytest.mark.needs("data")


def test_chapters_are_listed_with_the_book_settings():
    assert set(TRAINING) | {"padding-stride", "channels", "pooling"} <= set(list_chapters())
    for chapter, (_, resize, batch_size, lr) in TRAINING.items():
        d = get_chapter(chapter).DEFAULTS
        assert (d["resize"], d["batch_size"], d["lr"]) == (resize, batch_size, lr), chapter


def test_chapters_with_batchnorm_score_with_precise_bn_by_default():
    from gluon_notes.models import get_model
    from gluon_notes.precise_bn import batchnorm_layers
    for chapter, (model, *_) in TRAINING.items():
        has_bn = bool(batchnorm_layers(get_model(model)))
        assert (get_chapter(chapter).DEFAULTS.get("precise_bn", 0) > 0) == has_bn, chapter


def test_padding_stride_shapes_match_the_book(capsys):
    shapes = get_chapter("padding-stride").main([])
    assert list(shapes.values()) == [(8, 8), (8, 8), (4, 4), (2, 2)]
    assert "(2, 2)" in capsys.readouterr().out


def test_channels_match_the_book():
    out = get_chapter("channels").main([])
    np.testing.assert_allclose(out["multi_in"].asnumpy(), [[56, 72], [104, 120]])
    np.testing.assert_allclose(out["multi_out"].asnumpy(),
                               [[[56, 72], [104, 120]], [[76, 100], [148, 172]],
                                [[96, 128], [192, 224]]])
    assert out["one_by_one_gap"] < 1e-6


def test_pooling_matches_the_book():
    out = get_chapter("pooling").main([])
    np.testing.assert_allclose(out["max"].asnumpy(), [[4, 5], [7, 8]])
    np.testing.assert_allclose(out["avg"].asnumpy(), [[2, 3], [5, 6]])
    np.testing.assert_allclose(out["MaxPool2D(3)"].asnumpy(), [[[[10]]]])
    np.testing.assert_allclose(out["MaxPool2D(3, padding=1, strides=2)"].asnumpy(),
                               [[[[5, 7], [13, 15]]]])
    np.testing.assert_allclose(out["MaxPool2D((2, 3), padding=(1, 2), strides=(2, 3))"]
                               .asnumpy(), [[[[0, 3], [8, 11], [12, 15]]]])
    np.testing.assert_allclose(out["two channels"].asnumpy(),
                               [[[[5, 7], [13, 15]], [[6, 8], [14, 16]]]])


@pytest.mark.parametrize("chapter", sorted(TRAINING))
def test_summary_prints_the_table_without_training(chapter, tmp_path, capsys):
    assert cli(["run", chapter, "--summary", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "output shape" in out and "trainable params:" in out
    assert "(1, 10)" in out.splitlines()[-3]  # the last layer's row: 10 logits
    assert not (tmp_path / "metrics.json").exists()
    assert cli(["run", chapter, "--summary", "--out", str(tmp_path / "new")]) == 0
    assert not (tmp_path / "new").exists()  # a --summary run creates no folder


def test_cnn_chapters_hybridize_unless_imperative():
    from gluon_notes.chapters._common import make_parser
    p = make_parser("lenet", dict(lr=0.9, hybridize=True), "doc")
    assert p.parse_args([]).hybridize is True
    assert p.parse_args(["--imperative"]).hybridize is False


def test_summary_rows_follow_the_conv_rule_for_lenet(tmp_path, capsys):
    rows = get_chapter("lenet").main(["--summary", "--out", str(tmp_path)])
    assert [r.params for r in rows if r.kind == "Conv2D"] == [1 * 25 * 6 + 6, 6 * 25 * 16 + 16]


@pytest.mark.parametrize("argv, match", [
    (["alexnet", "--summary", "--resize", "28"], "too small for alexnet: layer alexnet_pool1"),
    (["lenet", "--summary", "--resize", "4"], "too small for lenet: layer lenet_conv0"),
    (["alexnet", "--resize", "8"], "too small for alexnet: layer alexnet_conv0"),
    (["lenet", "--summary", "--resize", "100000"], "too large for lenet: the weight of layer "
                                                   "lenet_dense0"),
    (["lenet", "--resize", "2000"], "too large for lenet: the output of layer lenet_conv0"),
], ids=["alexnet-28-summary", "lenet-4-summary", "alexnet-8-train", "lenet-huge-summary",
        "lenet-2000-train"])
def test_resize_the_model_cannot_take_is_a_one_line_error(argv, match, tmp_path, capsys):
    """Before a summary or any training (no data is loaded): the failing layer and the range."""
    assert cli(["run"] + argv + ["--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert match in err and "use --resize between" in err and "Traceback" not in err
    assert err.count("\n") == 1 and not (tmp_path / "metrics.json").exists()


def test_the_resize_range_named_is_right(tmp_path, capsys):
    """The smallest side named works and the one below it fails, for --summary (batch 1)."""
    import re
    assert cli(["run", "lenet", "--summary", "--resize", "4"]) == 2
    low, high = map(int, re.search(r"between (\d+) and (\d+)", capsys.readouterr().err).groups())
    assert cli(["run", "lenet", "--summary", "--resize", str(low)]) == 0
    assert cli(["run", "lenet", "--summary", "--resize", str(low - 1)]) == 2
    assert cli(["run", "lenet", "--summary", "--resize", str(high + 1)]) == 2
    assert "too large" in capsys.readouterr().err


def run(chapter, tmp_path, *argv):
    get_chapter(chapter).main(list(argv) + ["--out", str(tmp_path)])
    return json.loads((tmp_path / "metrics.json").read_text())


@pytest.mark.realdata
@realdata
def test_lenet_short_run_on_real_data(tmp_path):
    m = run("lenet", tmp_path, "--limit", "512", "--epochs", "1", "--ctx", "gpu")
    s = m["settings"]
    assert (s["lr"], s["batch_size"], s["limit"], s["hybridize"]) == (0.9, 256, 512, True)
    assert s["ctx"] in ("[cpu(0)]", "[gpu(0)]")  # --ctx gpu falls back to the CPU without one
    correct = m["test_acc_mean"] * 512  # scored on the first 512 test images
    assert abs(correct - round(correct)) < 1e-6 and len(m["runs"][0]["history"]) == 1
    assert m["cpu"]["profile"] in ("default", "compute") and m["cpu"]["mxnet_omp_threads"] >= 1
    assert (tmp_path / "curves.png").stat().st_size > 0


@pytest.mark.realdata
@realdata
def test_batchnorm_scratch_trains_like_gluon_batchnorm_on_real_data(tmp_path):
    """Same initial weights and batches: the scratch layer's run follows nn.BatchNorm's."""
    argv = ("--limit", "1024", "--epochs", "2")
    scratch = run("batchnorm-scratch", tmp_path / "scratch", *argv)
    gluon_bn = run("batchnorm", tmp_path / "gluon", *argv)
    assert scratch["settings"]["hybridize"] is True
    for e_s, e_g in zip(scratch["runs"][0]["history"], gluon_bn["runs"][0]["history"]):
        assert e_s["loss"] == pytest.approx(e_g["loss"], rel=1e-3)
        assert e_s["test_loss"] == pytest.approx(e_g["test_loss"], rel=1e-2)
        assert abs(e_s["test_acc"] - e_g["test_acc"]) <= 0.01
    assert scratch["runs"][0]["history"][-1]["train_acc"] > 0.3  # it learns
    for m in (scratch, gluon_bn):  # precise BN by default; the book's evaluation kept beside it
        assert m["settings"]["precise_bn"] == 20
        moving = [e["test_acc_moving"] for e in m["runs"][0]["history"]]
        assert moving[-1] == m["test_acc_moving_mean"]
        # after a few steps at lr 1.0 the moving averages lag: the recomputed ones score higher
        assert m["test_acc_mean"] > m["test_acc_moving_mean"]
    assert abs(scratch["test_acc_moving_mean"] - gluon_bn["test_acc_moving_mean"]) <= 0.01


@pytest.mark.realdata
@realdata
def test_lenet_improved_schedule_on_real_data(tmp_path):
    m = run("lenet-improved", tmp_path, "--limit", "1024", "--epochs", "2")
    lrs = [e["lr"] for e in m["runs"][0]["history"]]
    assert lrs[0] < lrs[1] <= 0.1  # one epoch of linear warm-up, then the cosine from 0.1
    assert m["test_acc_mean"] > 0.3


@pytest.mark.realdata
@realdata
def test_precise_bn_on_a_net_without_batchnorm_is_a_one_line_error(tmp_path, capsys):
    assert cli(["run", "lenet", "--precise-bn", "5", "--limit", "256", "--epochs", "1",
                "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "has none" in err and "--precise-bn" in err and "Traceback" not in err
    assert not (tmp_path / "metrics.json").exists()
    assert cli(["run", "lenet", "--precise-bn", "-1", "--summary", "--out", str(tmp_path)]) == 2
    assert "at least 0" in capsys.readouterr().err
