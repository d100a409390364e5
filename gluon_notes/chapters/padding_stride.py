"""Padding and stride: output shapes of nn.Conv2D on an 8x8 input, as printed in the book (5.2)."""
from mxnet import nd
from mxnet.gluon import nn

from ._common import ArgumentParser

DEFAULTS = {}

#: (description, Conv2D settings) in the book's order; the book prints (8, 8), (8, 8), (4, 4), (2, 2)
CASES = (
    ("3x3 kernel, padding 1", dict(kernel_size=3, padding=1)),
    ("5x3 kernel, padding (2, 1)", dict(kernel_size=(5, 3), padding=(2, 1))),
    ("3x3 kernel, padding 1, stride 2", dict(kernel_size=3, padding=1, strides=2)),
    ("3x5 kernel, padding (0, 1), stride (3, 4)",
     dict(kernel_size=(3, 5), padding=(0, 1), strides=(3, 4))),
)


def comp_conv2d(conv2d, X):
    """Run ``conv2d`` on a 2-D array as a (1, 1, h, w) batch; return the (h', w') output."""
    conv2d.initialize()
    Y = conv2d(X.reshape((1, 1) + X.shape))  # (1, 1, h', w')
    return Y.reshape(Y.shape[2:])


def main(argv=None):
    ArgumentParser(prog="gluon-notes run padding-stride",
                   description=__doc__.splitlines()[0]).parse_args(argv)
    X = nd.random.uniform(shape=(8, 8))
    shapes = {}
    for text, kw in CASES:
        shapes[text] = comp_conv2d(nn.Conv2D(1, **kw), X).shape
        print("%-44s -> %s" % (text, shapes[text]))
    return shapes
