"""Pooling: max and average pooling from scratch, then nn.MaxPool2D's padding, stride (5.4)."""
from mxnet import nd
from mxnet.gluon import nn

from ..layers.cnn import pool2d
from ._common import parse_args, save_results

DEFAULTS = dict()


def main(argv=None):
    args = parse_args("pooling", DEFAULTS, __doc__, argv, seeds="one")  # no randomness
    ctx = args.ctx[0]
    out = {}
    X = nd.array([[0, 1, 2], [3, 4, 5], [6, 7, 8]], ctx=ctx)
    out["max"], out["avg"] = pool2d(X, (2, 2)), pool2d(X, (2, 2), "avg")
    print("pool2d max:\n%s\npool2d avg:\n%s" % (out["max"].asnumpy(), out["avg"].asnumpy()))
    X = nd.arange(16, ctx=ctx).reshape((1, 1, 4, 4))                 # (1, 1, 4, 4)
    cases = (("MaxPool2D(3)", nn.MaxPool2D(3)),
             ("MaxPool2D(3, padding=1, strides=2)", nn.MaxPool2D(3, padding=1, strides=2)),
             ("MaxPool2D((2, 3), padding=(1, 2), strides=(2, 3))",
              nn.MaxPool2D((2, 3), padding=(1, 2), strides=(2, 3))))
    for text, pool in cases:
        if args.hybridize:
            pool.hybridize()
        out[text] = pool(X)
        print("%s on arange(16):\n%s" % (text, out[text].asnumpy()))
    X = nd.concat(X, X + 1, dim=1)                                    # (1, 2, 4, 4)
    pool = nn.MaxPool2D(3, padding=1, strides=2)
    if args.hybridize:
        pool.hybridize()
    out["two channels"] = pool(X)                                     # (1, 2, 2, 2)
    print("two channels in, two out:\n%s" % out["two channels"].asnumpy())
    save_results(args, {k: v.asnumpy().tolist() for k, v in out.items()})
    return out
