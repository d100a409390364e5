"""The book's call patterns, written for this project, run against ``gluon_notes.d2l``.

Each test calls the facade the way a chapter of the MXNet book calls ``d2lzh``: hand-made
parameters with ``d2l.sgd``, a Gluon net with a ``Trainer``, ``train_ch5`` with a ctx.
"""
import inspect
import re

import numpy as np
import mxnet as mx
import pytest
from mxnet import autograd, gluon, init, nd
from mxnet.gluon import loss as gloss, nn

from gluon_notes import d2l

BOOK_LINE = re.compile(r"^epoch (\d+), loss (\d+\.\d{4}), train acc (\d\.\d{3}), "
                       r"test acc (\d\.\d{3})(, time \d+\.\d sec)?$")


def book_lines(out):
    lines = [line for line in out.splitlines() if line.startswith("epoch")]
    parsed = [BOOK_LINE.match(line) for line in lines]
    assert lines and all(parsed), out
    return [(int(m.group(1)), float(m.group(2)), float(m.group(3)), float(m.group(4)))
            for m in parsed]


def test_every_name_the_chapters_use_exists_with_the_books_signature():
    book = {
        "load_data_fashion_mnist": ["batch_size", "resize", "root"],
        "data_iter": ["batch_size", "features", "labels"],
        "linreg": ["X", "w", "b"], "squared_loss": ["y_hat", "y"],
        "sgd": ["params", "lr", "batch_size"],
        "train_ch3": ["net", "train_iter", "test_iter", "loss", "num_epochs", "batch_size",
                      "params", "lr", "trainer"],
        "train_ch5": ["net", "train_iter", "test_iter", "batch_size", "trainer", "ctx",
                      "num_epochs"],
        "evaluate_accuracy": ["data_iter", "net", "ctx"], "try_gpu": None, "try_all_gpus": [],
        "corr2d": ["X", "K"], "Residual": ["num_channels", "use_1x1conv", "strides"],
        "resnet18": ["num_classes"], "get_fashion_mnist_labels": ["labels"],
        "show_fashion_mnist": ["images", "labels"], "use_svg_display": [],
        "set_figsize": ["figsize"], "semilogy": ["x_vals", "y_vals", "x_label", "y_label",
                                                 "x2_vals", "y2_vals", "legend", "figsize"],
        "Benchmark": ["prefix"],
    }
    for name, params in book.items():
        obj = getattr(d2l, name)
        if params is None:
            continue
        sig = inspect.signature(obj.__init__ if inspect.isclass(obj) else obj)
        names = [p for p in sig.parameters if p not in ("self", "kwargs")]
        assert names[:len(params)] == params, name
    assert d2l.plt.__name__ == "matplotlib.pyplot"


def test_linear_regression_from_scratch_the_books_way():
    true_w, true_b = [2, -3.4], 4.2
    features = nd.random.normal(scale=1, shape=(1000, 2))
    labels = true_w[0] * features[:, 0] + true_w[1] * features[:, 1] + true_b
    labels += nd.random.normal(scale=0.01, shape=labels.shape)
    w, b = nd.random.normal(scale=0.01, shape=(2, 1)), nd.zeros(shape=(1,))
    w.attach_grad()
    b.attach_grad()
    lr, batch_size, net, loss = 0.03, 10, d2l.linreg, d2l.squared_loss
    losses = []
    for _ in range(3):
        for X, y in d2l.data_iter(batch_size, features, labels):
            with autograd.record():
                l = loss(net(X, w, b), y)
            l.backward()
            d2l.sgd([w, b], lr, batch_size)
        losses.append(loss(net(features, w, b), labels).mean().asscalar())
    assert losses[-1] < losses[0] and losses[-1] < 1e-3
    np.testing.assert_allclose(w.asnumpy().ravel(), true_w, atol=0.01)
    assert abs(b.asscalar() - true_b) < 0.01


def _tiny_fashion(n=512, seed=0):
    """Separable 10-class images standing in for Fashion-MNIST in the unit tests."""
    rng = np.random.RandomState(seed)
    y = rng.randint(0, 10, size=n)
    X = rng.uniform(0, 0.2, size=(n, 1, 28, 28)).astype(np.float32)
    for i, c in enumerate(y):
        X[i, 0, c * 2:c * 2 + 4, :] += 0.8
    return nd.array(X), nd.array(y)


def _iters(batch_size, n=512):
    from gluon_notes.data import ArrayLoader
    X, y = _tiny_fashion(n)
    return (ArrayLoader(X, y, batch_size, shuffle=True), ArrayLoader(X[:256], y[:256], 256))


def test_softmax_from_scratch_with_train_ch3_prints_the_books_lines(capsys):
    train_iter, test_iter = _iters(batch_size=100)
    num_inputs, num_outputs = 784, 10
    W = nd.random.normal(scale=0.01, shape=(num_inputs, num_outputs))
    b = nd.zeros(num_outputs)
    W.attach_grad()
    b.attach_grad()

    def softmax(X):
        X_exp = X.exp()
        return X_exp / X_exp.sum(axis=1, keepdims=True)

    def net(X):
        return softmax(nd.dot(X.reshape((-1, num_inputs)), W) + b)

    def cross_entropy(y_hat, y):
        return -nd.pick(y_hat, y).log()

    d2l.train_ch3(net, train_iter, test_iter, cross_entropy, 3, 100, [W, b], 0.1)
    rows = book_lines(capsys.readouterr().out)
    assert [r[0] for r in rows] == [1, 2, 3]
    assert rows[-1][1] < rows[0][1] and rows[-1][3] > 0.5  # loss down, accuracy above chance
    assert d2l.evaluate_accuracy(test_iter, net) == pytest.approx(rows[-1][3], abs=5e-4)


def test_the_nominal_batch_size_steps_the_last_batch_as_the_book_does():
    X, y = _tiny_fashion(10)
    from gluon_notes.data import ArrayLoader
    w = nd.zeros((784, 10))
    w.attach_grad()
    seen = []

    class Spy:
        learning_rate = 0.1

        def step(self, batch_size):
            seen.append(batch_size)

    d2l.train_ch3(lambda X: nd.dot(X.reshape((-1, 784)), w), ArrayLoader(X, y, 4),
                  ArrayLoader(X, y, 4), gloss.SoftmaxCrossEntropyLoss(), 1, 4, trainer=Spy())
    assert seen == [4, 4, 4]  # batches of 4, 4 and 2, each stepped with the nominal 4


def test_mlp_and_dropout_with_a_gluon_trainer(capsys):
    train_iter, test_iter = _iters(batch_size=64)
    net = nn.Sequential()
    net.add(nn.Dense(256, activation="relu"), nn.Dropout(0.5), nn.Dense(10))
    net.initialize(init.Normal(sigma=0.01))
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.5})
    d2l.train_ch3(net, train_iter, test_iter, gloss.SoftmaxCrossEntropyLoss(), 3, 64, None, None,
                  trainer)
    rows = book_lines(capsys.readouterr().out)
    assert rows[-1][1] < rows[0][1] and rows[-1][3] > 0.5


def test_lenet_with_train_ch5_on_a_ctx(capsys):
    train_iter, test_iter = _iters(batch_size=64)
    net = nn.Sequential()
    net.add(nn.Conv2D(channels=6, kernel_size=5, activation="relu"),
            nn.MaxPool2D(pool_size=2, strides=2),
            nn.Conv2D(channels=16, kernel_size=5, activation="relu"),
            nn.MaxPool2D(pool_size=2, strides=2),
            nn.Dense(120, activation="relu"), nn.Dense(84, activation="relu"), nn.Dense(10))
    ctx = d2l.try_gpu()
    net.initialize(force_reinit=True, ctx=ctx, init=init.Xavier())
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.3})
    d2l.train_ch5(net, train_iter, test_iter, 64, trainer, ctx, 3)
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "training on %s" % ctx
    rows = book_lines(out)
    assert all(", time " in line for line in out.splitlines()[1:])
    assert rows[-1][1] < rows[0][1] and rows[-1][3] > 0.5


def test_residual_shapes_and_resnet18_trains(capsys):
    blk = d2l.Residual(3)
    blk.initialize()
    X = nd.random.uniform(shape=(4, 3, 6, 6))
    assert blk(X).shape == (4, 3, 6, 6)
    blk = d2l.Residual(6, use_1x1conv=True, strides=2)
    blk.initialize()
    assert blk(X).shape == (4, 6, 3, 3)
    net = d2l.resnet18(10)
    net.initialize(init=init.Xavier())
    assert net(nd.zeros((2, 1, 28, 28))).shape == (2, 10)
    X, y = _tiny_fashion(32)  # one batch: the book's loop runs an epoch and prints its line
    from gluon_notes.data import ArrayLoader
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.05})
    d2l.train_ch5(net, ArrayLoader(X, y, 32), ArrayLoader(X, y, 32), 32, trainer, mx.cpu(), 1)
    assert len(book_lines(capsys.readouterr().out)) == 1


def test_corr2d_labels_benchmark_and_figures(capsys):
    X = nd.array([[0, 1, 2], [3, 4, 5], [6, 7, 8]])
    K = nd.array([[0, 1], [2, 3]])
    np.testing.assert_array_equal(d2l.corr2d(X, K).asnumpy(), [[19, 25], [37, 43]])
    assert d2l.get_fashion_mnist_labels([0, 9]) == ["t-shirt", "ankle boot"]
    with d2l.Benchmark("work"):
        nd.ones((2, 2)).wait_to_read()
    assert re.match(r"^work time: \d+\.\d{4} sec$", capsys.readouterr().out.strip())
    d2l.set_figsize((2, 1))
    assert tuple(d2l.plt.rcParams["figure.figsize"]) == (2, 1)
    axes = d2l.show_fashion_mnist([nd.zeros((1, 28, 28))] * 2, ["a", "b"])
    assert [a.get_title() for a in axes] == ["a", "b"]
    d2l.semilogy(range(1, 4), [1, 0.1, 0.01], "epochs", "loss", range(1, 4), [1, 0.5, 0.2],
                 ["train", "test"])
    assert d2l.plt.gca().get_yscale() == "log"
    d2l.plt.close("all")


@pytest.mark.realdata
@pytest.mark.needs("data")
def test_fashion_mnist_dataset_and_the_books_loader_run_offline(monkeypatch, tmp_path):
    def no_download(*args, **kwargs):
        raise AssertionError("MXNet tried to download %s" % (args,))
    monkeypatch.setattr(gluon.data.vision.datasets, "download", no_download)
    mnist_train = gluon.data.vision.FashionMNIST(root=str(tmp_path / "mx"), train=True)
    mnist_test = gluon.data.vision.FashionMNIST(train=False)
    assert (len(mnist_train), len(mnist_test)) == (60000, 10000)
    feature, label = mnist_train[0]
    assert feature.shape == (28, 28, 1) and feature.dtype == np.uint8
    assert d2l.get_fashion_mnist_labels([label]) == ["ankle boot"]  # the first training image
    train_iter, test_iter = d2l.load_data_fashion_mnist(256)
    X, y = next(iter(test_iter))
    assert X.shape == (256, 1, 28, 28) and float(X.max().asscalar()) <= 1.0
    # the book's DataLoader keeps the last, smaller batch: 60000 = 234 * 256 + 96
    assert len(train_iter) == 235
    np.testing.assert_array_equal(
        mnist_test[0][0].asnumpy().reshape(28, 28),
        np.rint(X[0].asnumpy().reshape(28, 28) * 255).astype(np.uint8))
