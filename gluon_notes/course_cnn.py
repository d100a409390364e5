"""The PyTorch course's CNN lessons as functions: ``Normalize``, 1x1-convolution cost, parameters.

Design
------
* ``Normalize`` is torchvision's ``transforms.Normalize(mean, std)`` with the statistics
  computed once from the training split (``Normalize.fit``) and applied to a whole NDArray at
  once (the loaded split or a batch), never sample by sample.
* ``conv_mults`` / ``bottleneck_cost``: the course's count of multiplications of a convolution
  that keeps H x W (``c_in * k * k * c_out * H * W``) and of the same mapping through a 1x1
  bottleneck. The notes add 2,408,448 + 10,035,200 and print 12,433,648; the sum is 12,443,648.
* ``conv_params`` (``c_in * k * k * c_out + c_out``), ``dense_params`` and the course blocks'
  totals; ``rule_params(rows)`` applies them row by row to a ``summary`` table so a test can
  hold the arithmetic against the parameters MXNet actually allocated.
"""
import math

import numpy as np
from mxnet import nd

from .errors import GluonNotesError
from .models.course import INCEPTION_BRANCHES

#: the sum the course's notes print for the bottleneck (an addition slip: 12,443,648 is right)
NOTES_PRINTED_BOTTLENECK = 12_433_648


class Normalize:
    """``(X - mean) / std`` per channel over an NCHW NDArray (torchvision ``Normalize``).

    Parameters
    ----------
    mean, std : sequence of float
        One value per channel (one for Fashion-MNIST and MNIST).
    """

    def __init__(self, mean, std):
        self.mean, self.std = [float(m) for m in mean], [float(s) for s in std]
        if len(self.mean) != len(self.std) or not self.mean:
            raise GluonNotesError("Normalize needs one mean and one std per channel, got %d "
                                  "and %d." % (len(self.mean), len(self.std)))
        if min(self.std) <= 0:
            raise GluonNotesError("Normalize's std must be > 0, got %s; the training images "
                                  "are constant." % (self.std,))

    @classmethod
    def fit(cls, X, chunk=10000):
        """Mean and (population) std of each channel of ``X`` (N, C, H, W), in float64."""
        if X.ndim != 4:
            raise GluonNotesError("Normalize.fit needs NCHW images, got shape %s." % (X.shape,))
        s = np.zeros(X.shape[1])
        s2 = np.zeros(X.shape[1])
        for lo in range(0, X.shape[0], chunk):  # bounded host memory for 60,000 images
            part = X[lo:lo + chunk].asnumpy().astype(np.float64)  # (n, C, H, W)
            s += part.sum(axis=(0, 2, 3))
            s2 += (part ** 2).sum(axis=(0, 2, 3))
        count = X.shape[0] * X.shape[2] * X.shape[3]
        mean = s / count
        return cls(mean, np.sqrt(np.maximum(s2 / count - mean ** 2, 0)))

    def __call__(self, X):
        """The normalized copy of ``X`` (N, C, H, W), computed as one array operation."""
        if X.ndim != 4 or X.shape[1] != len(self.mean):
            raise GluonNotesError("Normalize has %d channel(s) but got an array of shape %s."
                                  % (len(self.mean), X.shape))
        shape = (1, len(self.mean), 1, 1)
        mean = nd.array(self.mean, ctx=X.context).reshape(shape)
        std = nd.array(self.std, ctx=X.context).reshape(shape)
        return nd.broadcast_div(nd.broadcast_sub(X, mean), std)  # (N, C, H, W)

    def __repr__(self):
        return "Normalize(mean=%s, std=%s)" % (tuple(round(m, 4) for m in self.mean),
                                               tuple(round(s, 4) for s in self.std))


# --- cost of a convolution and of a 1x1 bottleneck --------------------------------------------

def conv_mults(c_in, c_out, k, h, w):
    """Multiplications of a k x k convolution producing ``c_out`` maps of h x w from ``c_in``."""
    return c_in * k * k * c_out * h * w


def bottleneck_cost(c_in=192, c_out=32, k=5, mid=16, h=28, w=28):
    """The course's example: a 5x5 conv 192x28x28 -> 32x28x28, direct and via a 1x1 to 16.

    Returns
    -------
    dict with ``direct``, ``reduce`` (the 1x1), ``expand`` (the k x k on ``mid`` channels),
    ``bottleneck`` (their sum), ``ratio`` (direct / bottleneck) and ``notes_printed``.
    """
    direct = conv_mults(c_in, c_out, k, h, w)
    reduce = conv_mults(c_in, mid, 1, h, w)
    expand = conv_mults(mid, c_out, k, h, w)
    return dict(direct=direct, reduce=reduce, expand=expand, bottleneck=reduce + expand,
                ratio=direct / (reduce + expand), notes_printed=NOTES_PRINTED_BOTTLENECK)


def format_bottleneck(cost):
    """The chapter's text for ``bottleneck_cost()``, with the notes' slip named."""
    return ("5x5 conv 192x28x28 -> 32x28x28: {direct:,} multiplications\n"
            "1x1 conv to 16 channels, then 5x5 conv to 32: {reduce:,} + {expand:,} = "
            "{bottleneck:,} ({ratio:.1f}x fewer)\n"
            "(the course's notes print {notes_printed:,}: an addition slip; "
            "{reduce:,} + {expand:,} is {bottleneck:,})").format(**cost)


# --- parameter counts -------------------------------------------------------------------------

def conv_params(c_in, k, c_out, bias=True):
    """``c_in * k * k * c_out + c_out``: weights plus one bias per output channel."""
    return c_in * k * k * c_out + (c_out if bias else 0)


def dense_params(n_in, n_out):
    """``n_in * n_out + n_out``."""
    return n_in * n_out + n_out


def inception_params(c_in):
    """Parameters of the course's ``InceptionA`` on ``c_in`` input channels."""
    widths = dict(INCEPTION_BRANCHES)
    return (conv_params(c_in, 1, widths["1x1"])
            + conv_params(c_in, 1, 16) + conv_params(16, 5, widths["5x5"])
            + conv_params(c_in, 1, 16) + conv_params(16, 3, 24) + conv_params(24, 3, widths["3x3"])
            + conv_params(c_in, 1, widths["pool"]))


def residual_params(c):
    """Parameters of the course's ``ResidualBlock(c)``: two 3x3 convolutions c -> c."""
    return 2 * conv_params(c, 3, c)


def rule_params(rows, in_shape=(1, 1, 28, 28), conv_kernel=5):
    """The parameters each ``summary`` row should have by the rules above.

    ``rows`` come from ``summary(net, input_shape=in_shape)`` of a course net, whose
    convolutions outside the blocks are all ``conv_kernel`` x ``conv_kernel``.
    """
    counts, shape = [], tuple(in_shape)
    for r in rows:
        if r.kind == "Conv2D":
            n = conv_params(shape[1], conv_kernel, r.output_shape[1])
        elif r.kind == "Dense":
            n = dense_params(math.prod(shape[1:]), r.output_shape[1])
        elif r.kind == "InceptionA":
            n = inception_params(shape[1])
        elif r.kind == "ResidualBlock":
            n = residual_params(shape[1])
        else:
            n = 0
        counts.append(n)
        shape = r.output_shape
    return counts


__all__ = ["Normalize", "conv_mults", "bottleneck_cost", "format_bottleneck", "conv_params",
           "dense_params", "inception_params", "residual_params", "rule_params",
           "NOTES_PRINTED_BOTTLENECK"]
