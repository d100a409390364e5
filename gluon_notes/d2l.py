"""A drop-in for ``import d2lzh as d2l``: the book's own chapter 3-5 code runs offline.

Change one line of a notebook of the MXNet edition (动手学深度学习, 1st ed.)::

    import d2lzh as d2l              # before: downloads Fashion-MNIST, needs IPython < 8
    from gluon_notes import d2l      # after: the verified local files, this suite's loop

Design
------
* Every name chapters 3-5 use, with the book's signature and the book's printed lines
  (``epoch 1, loss 0.7880, train acc 0.748, test acc 0.803``).
* ``train_ch3`` and ``train_ch5`` run the one loop (``gluon_notes.train.fit``): metrics stay on
  the device during an epoch, where the book reads the loss back after every batch. The book's
  update rule is kept: the trainer (or ``sgd``) is stepped with the *nominal* ``batch_size``,
  also for the last, smaller batch, and nothing is reseeded or re-initialized.
* ``net`` may be a plain Python function with hand-made parameters (the scratch chapters); it is
  wrapped in a parameterless Block so the loop can call it.
* Importing this module makes ``mxnet.gluon.data.vision.FashionMNIST`` read the files
  ``gluon_notes.data`` has found and verified (payload MD5), instead of downloading and checking
  its mirror's ``.gz`` SHA-1. The patch lives in memory only; MXNet's files are not touched.
"""
import os
import time

import numpy as np
import mxnet as mx
from matplotlib import pyplot as plt
from mxnet import gluon, nd
from mxnet.gluon import loss as gloss

from . import compat, data as _data
from .callbacks import Callback
from .context import try_all_gpus, try_gpu
from .data import get_fashion_mnist_labels
from .layers.cnn import Residual
from .layers.conv import corr2d
from .models.resnet import resnet18_small
from .scratch import squared_loss

__all__ = ["load_data_fashion_mnist", "data_iter", "linreg", "squared_loss", "sgd", "train_ch3",
           "train_ch5", "evaluate_accuracy", "try_gpu", "try_all_gpus", "corr2d", "Residual",
           "resnet18", "get_fashion_mnist_labels", "show_fashion_mnist", "use_svg_display",
           "set_figsize", "semilogy", "plt", "Benchmark"]

_BOOK_ROOT = os.path.join("~", ".mxnet", "datasets", "fashion-mnist")


# ---------------------------------------------------------------------------- data (3.2, 3.5)
def _root_or_search(root):
    """The book's ``root`` when it holds the four files, else wherever gluon_notes finds them."""
    folder = os.path.expanduser(root) if root else None
    if folder and all(os.path.isfile(os.path.join(folder, n)) for n in _data.fashion_mnist
                      .PAYLOAD_MD5):
        return folder
    return None


def load_data_fashion_mnist(batch_size, resize=None, root=_BOOK_ROOT):
    """Fashion-MNIST as ``(train_iter, test_iter)``, as the book's (book section 3.5.3).

    The book's ``DataLoader`` keeps the last, smaller training batch; so does this one. Batches
    are ``(X, y)`` with X float32 ``(B, 1, 28, 28)`` in [0, 1] (or ``resize`` pixels).
    """
    return _data.load_data_fashion_mnist(batch_size, resize=resize, root=_root_or_search(root),
                                         train_last_batch="keep")


def data_iter(batch_size, features, labels):
    """Shuffled mini-batches of ``features`` and ``labels`` (book section 3.2.2)."""
    return iter(_data.ArrayLoader(features, labels, batch_size, shuffle=True))


def linreg(X, w, b):
    """The linear regression model ``Xw + b`` (book section 3.2.4)."""
    return nd.dot(X, w) + b


def sgd(params, lr, batch_size):
    """Minibatch SGD on hand-made NDArray parameters (book section 3.2.6)."""
    for param in params:
        param[:] = param - lr * param.grad / batch_size


# ---------------------------------------------------------------------------- training (3.6, 5.5)
class _FunctionNet(gluon.Block):
    """A plain function ``net(X)`` with hand-made parameters, seen by the loop as a Block."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, X):
        return self.fn(X)


class _BookSGD:
    """The book's ``sgd(params, lr, batch_size)`` as a trainer (``step(batch_size)``) for the
    loop; ``fit(nominal_batch_size=...)`` passes it the book's nominal batch size."""

    def __init__(self, params, lr):
        self.params, self.learning_rate = params, lr

    def step(self, batch_size):
        sgd(self.params, self.learning_rate, batch_size)


class _BookLine(Callback):
    """Prints the book's line per epoch (``time`` only for ``train_ch5``)."""

    def __init__(self, timed):
        self.timed = timed

    def on_epoch_end(self, epoch, logs):
        line = "epoch %d, loss %.4f, train acc %.3f, test acc %.3f" % (
            epoch + 1, logs["loss"], logs["train_acc"], logs["test_acc"])
        if self.timed:
            line += ", time %.1f sec" % (logs["seconds"] + logs.get("eval_seconds", 0.0))
        print(line)


def _as_block(net):
    return net if isinstance(net, gluon.Block) else _FunctionNet(net)


def train_ch3(net, train_iter, test_iter, loss, num_epochs, batch_size, params=None, lr=None,
              trainer=None):
    """Train and evaluate a classifier on the CPU (book section 3.6.7); returns the History.

    ``net`` is a Block or a function of ``X``; without ``trainer``, ``sgd(params, lr,
    batch_size)`` updates the hand-made ``params``.
    """
    from .train import fit
    if trainer is None and (params is None or lr is None):
        raise ValueError("train_ch3 needs either trainer= or both params= and lr=, as in the book.")
    return fit(_as_block(net), train_iter, test_iter, loss, num_epochs,
               trainer=trainer or _BookSGD(params, lr), nominal_batch_size=batch_size,
               ctx=mx.cpu(), callbacks=[_BookLine(timed=False)], verbose=False, progress=False)


def train_ch5(net, train_iter, test_iter, batch_size, trainer, ctx, num_epochs):
    """Train and evaluate a CNN on ``ctx`` with softmax cross-entropy (book section 5.5.2)."""
    from .train import fit
    print("training on", ctx)
    return fit(net, train_iter, test_iter, gloss.SoftmaxCrossEntropyLoss(), num_epochs,
               trainer=trainer, nominal_batch_size=batch_size, ctx=ctx,
               callbacks=[_BookLine(timed=True)], verbose=False, progress=False)


def evaluate_accuracy(data_iter, net, ctx=None):
    """Accuracy of ``net`` on ``data_iter`` (book section 3.6.5; the book's argument order)."""
    from .train import evaluate_accuracy as _evaluate_accuracy
    ctx = ctx if ctx is not None else [mx.cpu()]
    return _evaluate_accuracy(_as_block(net), data_iter, ctx)


def resnet18(num_classes):
    """ResNet-18 for small images (book section 5.11.3): 3x3 stem without max-pooling."""
    return resnet18_small(classes=num_classes)


# ---------------------------------------------------------------------------- figures, timing
def use_svg_display():
    """Show figures as SVG in Jupyter (IPython 8 moved the book's call to matplotlib_inline)."""
    try:
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:  # not in Jupyter: nothing to set
        return
    set_matplotlib_formats("svg")


def set_figsize(figsize=(3.5, 2.5)):
    """Set matplotlib's figure size (book section 3.1)."""
    use_svg_display()
    plt.rcParams["figure.figsize"] = figsize


def semilogy(x_vals, y_vals, x_label, y_label, x2_vals=None, y2_vals=None, legend=None,
             figsize=(3.5, 2.5)):
    """Plot ``y`` on a log scale against ``x`` (book section 3.11)."""
    set_figsize(figsize)
    plt.xlabel(x_label)
    plt.ylabel(y_label)
    plt.semilogy(x_vals, y_vals)
    if x2_vals is not None and y2_vals is not None:
        plt.semilogy(x2_vals, y2_vals, linestyle=":")
        plt.legend(legend)
    if plt.get_backend().lower() != "agg":
        plt.show()


def show_fashion_mnist(images, labels):
    """A row of images with their text labels (book section 3.5.1); returns the axes."""
    use_svg_display()
    _, figs = plt.subplots(1, len(images), figsize=(12, 12))
    figs = np.atleast_1d(figs)
    for f, img, lbl in zip(figs, images, labels):
        img = img.asnumpy() if hasattr(img, "asnumpy") else np.asarray(img)
        f.imshow(img.reshape((28, 28)))
        f.set_title(lbl)
        f.axes.get_xaxis().set_visible(False)
        f.axes.get_yaxis().set_visible(False)
    return figs


class Benchmark:
    """``with Benchmark('label'):`` prints the wall time of the block (book section 8.1)."""

    def __init__(self, prefix=None):
        self.prefix = prefix + " " if prefix else ""

    def __enter__(self):
        self.start = time.time()

    def __exit__(self, *args):
        print("%stime: %.4f sec" % (self.prefix, time.time() - self.start))


# ---------------------------------------------------------------------------- FashionMNIST patch
def _verified_get_data(self):
    """``FashionMNIST._get_data`` reading the files gluon_notes verified (no download)."""
    X, y = _data.load_fashion_mnist("train" if self._train else "test",
                                    _root_or_search(self._root))
    images = np.rint(X.asnumpy() * 255).astype(np.uint8)            # (N, 1, 28, 28)
    self._data = nd.array(images.transpose(0, 2, 3, 1), dtype=np.uint8)  # (N, 28, 28, 1)
    self._label = y.asnumpy().astype(np.int32)                         # (N,)


def patch_fashion_mnist():
    """Make ``gluon.data.vision.FashionMNIST`` read the verified local files (idempotent)."""
    compat.override_get_data(gluon.data.vision.FashionMNIST, _verified_get_data)


patch_fashion_mnist()
