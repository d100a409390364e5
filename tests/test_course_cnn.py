"""The PyTorch course's CNNs: nets, InceptionA / ResidualBlock, Normalize, cost and parameter rules,
the MNIST folder reader and the two chapters."""
import gzip
import json

import numpy as np
import mxnet as mx
import pytest
from mxnet import gluon, nd

from gluon_notes.cli import main as cli
from gluon_notes.course_cnn import (NOTES_PRINTED_BOTTLENECK, Normalize, bottleneck_cost,
                                    conv_mults, conv_params, format_bottleneck, rule_params)
from gluon_notes.data import mnist
from gluon_notes.errors import DataError, GluonNotesError
from gluon_notes.models.course import (INCEPTION_CHANNELS, InceptionA, ResidualBlock, course_cnn,
                                       course_inception, course_residual)
from gluon_notes.summary import count_params, summary
from parity import assert_deferred_init, assert_train_parity

X8 = (8, 1, 28, 28)
# net: {parameter-name suffix: shape after inference}
NETS = {
    course_cnn: {"cnn_conv0_weight": (10, 1, 5, 5), "cnn_conv1_weight": (20, 10, 5, 5),
                 "dense0_weight": (10, 320)},
    course_inception: {"inception_conv1_weight": (20, 88, 5, 5), "dense0_weight": (10, 1408),
                       "inceptiona0_conv6_weight": (24, 10, 1, 1),
                       "inceptiona1_conv2_weight": (24, 16, 5, 5)},
    course_residual: {"residual_conv1_weight": (32, 16, 5, 5),
                      "residualblock1_conv1_weight": (32, 32, 3, 3), "dense0_weight": (10, 512)},
}


@pytest.mark.parametrize("make_net", list(NETS), ids=lambda f: f.__name__)
def test_deferred_init_infers_the_course_shapes(make_net):
    assert_deferred_init(make_net, nd.random.uniform(shape=X8), NETS[make_net])


@pytest.mark.parametrize("make_net", list(NETS), ids=lambda f: f.__name__)
def test_hybrid_parity_of_the_course_nets(make_net):
    """Pooling nets are compared in training mode (the oneDNN quirk in tests/parity.py)."""
    assert isinstance(make_net(), gluon.HybridBlock)
    y, g = assert_train_parity(make_net, nd.random.uniform(shape=X8), rtol=1e-4, atol=1e-5)
    assert y.shape == (8, 10) and np.abs(g).sum() > 0


@pytest.mark.parametrize("make_block,channels", [(InceptionA, 10), (lambda: ResidualBlock(6), 6)],
                         ids=["inception", "residual"])
def test_blocks_keep_the_size_and_are_hybrid_parity(make_block, channels):
    X = nd.random.uniform(shape=(2, channels, 7, 7))
    y, _ = assert_train_parity(make_block, X)
    out_channels = INCEPTION_CHANNELS if channels == 10 else channels
    assert y.shape == (2, out_channels, 7, 7)
    assert INCEPTION_CHANNELS == 88


def test_inception_matches_a_numpy_formula_branch_by_branch():
    """Concatenation order 1x1 | 5x5 | 3x3 | pool, and the pool branch counts the padding (/9)."""
    blk = InceptionA()
    blk.initialize(mx.init.Xavier())
    X = nd.random.uniform(shape=(1, 3, 5, 5))
    y = blk(X).asnumpy()
    w = blk.branch_pool.weight.data().asnumpy()[:, :, 0, 0]      # (24, 3)
    b = blk.branch_pool.bias.data().asnumpy()
    padded = np.pad(X.asnumpy()[0], ((0, 0), (1, 1), (1, 1)))    # (3, 7, 7)
    avg = sum(padded[:, i:i + 5, j:j + 5] for i in range(3) for j in range(3)) / 9
    expected_pool = np.einsum("oc,chw->ohw", w, avg) + b[:, None, None]
    np.testing.assert_allclose(y[0, 64:], expected_pool, rtol=1e-5, atol=1e-6)
    w1 = blk.branch1x1.weight.data().asnumpy()[:, :, 0, 0]
    expected_1x1 = np.einsum("oc,chw->ohw", w1, X.asnumpy()[0]) \
        + blk.branch1x1.bias.data().asnumpy()[:, None, None]
    np.testing.assert_allclose(y[0, :16], expected_1x1, rtol=1e-5, atol=1e-6)


def test_residual_block_is_relu_of_x_plus_f_x():
    blk = ResidualBlock(4)
    blk.initialize(mx.init.Xavier())
    X = nd.random.normal(shape=(2, 4, 6, 6))
    f = blk.conv2(nd.relu(blk.conv1(X)))
    np.testing.assert_allclose(blk(X).asnumpy(), nd.relu(X + f).asnumpy(), rtol=1e-6)


def test_bottleneck_cost_gives_the_right_sum_not_the_notes_slip():
    cost = bottleneck_cost()
    assert cost["direct"] == 120_422_400 == conv_mults(192, 32, 5, 28, 28)
    assert (cost["reduce"], cost["expand"]) == (2_408_448, 10_035_200)
    assert cost["bottleneck"] == 12_443_648 == 2_408_448 + 10_035_200
    assert NOTES_PRINTED_BOTTLENECK == 12_433_648 != cost["bottleneck"]
    text = format_bottleneck(cost)
    assert "= 12,443,648" in text and "12,433,648: an addition slip" in text


@pytest.mark.parametrize("make_net", list(NETS), ids=lambda f: f.__name__)
def test_parameter_rule_matches_what_mxnet_allocates(make_net):
    net = make_net()
    rows = summary(net, input_shape=(1, 1, 28, 28))
    assert [r.params for r in rows] == rule_params(rows)
    assert sum(rule_params(rows)) == count_params(net)


def test_conv_params_rule():
    assert conv_params(1, 5, 10) == 260 and conv_params(10, 5, 20) == 5020
    net = gluon.nn.Conv2D(20, kernel_size=5)
    net.initialize()
    net(nd.zeros((1, 10, 8, 8)))
    assert count_params(net) == conv_params(10, 5, 20)


def test_normalize_is_fitted_once_and_applied_to_the_whole_array():
    X = nd.random.uniform(shape=(50, 1, 4, 4)) * 0.5 + 0.2
    norm = Normalize.fit(X, chunk=7)  # chunked sums equal the one-pass statistics
    x = X.asnumpy()
    np.testing.assert_allclose(norm.mean, [x.mean()], rtol=1e-6)
    np.testing.assert_allclose(norm.std, [x.std()], rtol=1e-5)
    Z = norm(X).asnumpy()
    assert abs(Z.mean()) < 1e-5 and abs(Z.std() - 1) < 1e-4
    per_sample = np.stack([(s - norm.mean[0]) / norm.std[0] for s in x])  # torchvision's way
    np.testing.assert_allclose(Z, per_sample, rtol=1e-5, atol=1e-6)
    with pytest.raises(GluonNotesError, match="channel"):
        norm(nd.zeros((2, 3, 4, 4)))
    with pytest.raises(GluonNotesError, match="std must be > 0"):
        Normalize.fit(nd.ones((4, 1, 2, 2)))


# --- a local MNIST folder --------------------------------------------------------------------

def _idx(array):
    header = bytes([0, 0, 8, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_fake_mnist(folder, n_train=96, n_test=32, max_label=9):
    rng = np.random.RandomState(0)
    folder.mkdir(parents=True, exist_ok=True)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = rng.randint(0, 256, size=(n, 28, 28))
        labels = np.arange(n) % (max_label + 1)
        (folder / ("%s-images-idx3-ubyte.gz" % prefix)).write_bytes(gzip.compress(_idx(images)))
        (folder / ("%s-labels-idx1-ubyte.gz" % prefix)).write_bytes(gzip.compress(_idx(labels)))
    return folder


@pytest.fixture
def small_splits(monkeypatch):
    """MNIST's split sizes scaled down so that a fake folder passes the shape checks."""
    monkeypatch.setattr(mnist, "SPLITS", {
        "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", 96),
        "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", 32)})
    monkeypatch.setattr(mnist, "_CACHE", {})


def test_mnist_folder_is_read_and_checked(tmp_path, small_splits):
    X, y = mnist.load_mnist("train", write_fake_mnist(tmp_path / "ok"))
    assert X.shape == (96, 1, 28, 28) and y.shape == (96,)
    assert 0 <= X.min().asscalar() and X.max().asscalar() <= 1
    with pytest.raises(DataError, match="expected \\(96, 28, 28\\)"):
        mnist.load_mnist("train", write_fake_mnist(tmp_path / "short", n_train=95))
    with pytest.raises(DataError, match="labels are 0-9"):
        mnist.load_mnist("train", write_fake_mnist(tmp_path / "labels", max_label=11))
    bad = write_fake_mnist(tmp_path / "corrupt")
    (bad / "t10k-images-idx3-ubyte.gz").write_bytes(b"not gzip")
    with pytest.raises(DataError, match="corrupt"):
        mnist.load_mnist("test", bad)
    with pytest.raises(DataError, match="cannot be downloaded"):
        mnist.load_mnist("train", None)


def test_course_cnn_chapter_on_a_local_mnist_folder(tmp_path, small_splits, capsys):
    root = write_fake_mnist(tmp_path / "mnist")
    out = tmp_path / "run"
    assert cli(["run", "course-cnn", "--dataset", "mnist", "--data-root", str(root),
                "--epochs", "1", "--batch-size", "32", "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    X = mnist.load_mnist("train", root)[0].asnumpy()
    np.testing.assert_allclose(metrics["normalize"]["mean"], [X.mean()], rtol=1e-5)
    np.testing.assert_allclose(metrics["normalize"]["std"], [X.std()], rtol=1e-4)
    assert metrics["train_size"] == 96 and metrics["test_size"] == 32
    assert metrics["settings"]["momentum"] == 0.5 and metrics["settings"]["lr"] == 0.01
    assert len(metrics["runs"][0]["history"]) == 1 and (out / "curves.png").stat().st_size > 0
    assert "mnist: 96 training / 32 test images" in capsys.readouterr().out
    assert cli(["run", "course-cnn", "--dataset", "mnist", "--out", str(tmp_path / "x")]) == 2


@pytest.mark.realdata
@pytest.mark.needs("data")
def test_course_chapters_on_real_data(tmp_path, capsys):
    out = tmp_path / "inc"
    assert cli(["run", "course-inception", "--limit", "128", "--epochs", "1",
                "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "2,408,448 + 10,035,200 = 12,443,648" in text and "addition slip" in text
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["bottleneck"]["bottleneck"] == 12_443_648
    for label in ("inception", "residual"):
        assert 0 <= metrics["test_acc_%s_mean" % label] <= 1
        assert all(r["rule"] == r["allocated"] for r in metrics["params"][label])
    assert (out / "curves.png").stat().st_size > 0
    out = tmp_path / "cnn"
    assert cli(["run", "course-cnn", "--limit", "640", "--epochs", "1", "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert abs(metrics["normalize"]["mean"][0] - 0.286) < 0.01  # first 640 training images
    assert metrics["settings"]["batch_size"] == 64
    assert metrics["runs"][0]["history"][0]["test_loss"] < np.log(10)  # better than chance
