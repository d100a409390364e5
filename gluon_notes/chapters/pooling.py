"""Pooling: max and average pooling from scratch, then nn.MaxPool2D padding, stride, channels (5.4)."""
from mxnet import nd
from mxnet.gluon import nn

from ..layers.cnn import pool2d
from ._common import ArgumentParser

DEFAULTS = {}


def main(argv=None):
    ArgumentParser(prog="gluon-notes run pooling",
                   description=__doc__.splitlines()[0]).parse_args(argv)
    out = {}
    X = nd.array([[0, 1, 2], [3, 4, 5], [6, 7, 8]])
    out["max"], out["avg"] = pool2d(X, (2, 2)), pool2d(X, (2, 2), "avg")
    print("pool2d max:\n%s\npool2d avg:\n%s" % (out["max"].asnumpy(), out["avg"].asnumpy()))
    X = nd.arange(16).reshape((1, 1, 4, 4))                 # (1, 1, 4, 4)
    cases = (("MaxPool2D(3)", nn.MaxPool2D(3)),
             ("MaxPool2D(3, padding=1, strides=2)", nn.MaxPool2D(3, padding=1, strides=2)),
             ("MaxPool2D((2, 3), padding=(1, 2), strides=(2, 3))",
              nn.MaxPool2D((2, 3), padding=(1, 2), strides=(2, 3))))
    for text, pool in cases:
        out[text] = pool(X)
        print("%s on arange(16):\n%s" % (text, out[text].asnumpy()))
    X = nd.concat(X, X + 1, dim=1)                          # (1, 2, 4, 4)
    out["two channels"] = nn.MaxPool2D(3, padding=1, strides=2)(X)
    print("two channels in, two out:\n%s" % out["two channels"].asnumpy())
    return out
