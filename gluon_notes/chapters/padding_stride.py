"""Padding and stride: output shapes of nn.Conv2D on an 8x8 input, as printed in the book (5.2)."""
from mxnet import nd
from mxnet.gluon import nn

from ..train import seed_everything
from ._common import parse_args, save_results

DEFAULTS = dict()

#: (description, Conv2D settings) in the book's order; the book prints
#: (8, 8), (8, 8), (4, 4), (2, 2)
CASES = (
    ("3x3 kernel, padding 1", dict(kernel_size=3, padding=1)),
    ("5x3 kernel, padding (2, 1)", dict(kernel_size=(5, 3), padding=(2, 1))),
    ("3x3 kernel, padding 1, stride 2", dict(kernel_size=3, padding=1, strides=2)),
    ("3x5 kernel, padding (0, 1), stride (3, 4)",
     dict(kernel_size=(3, 5), padding=(0, 1), strides=(3, 4))),
)


def comp_conv2d(conv2d, X, hybridize=False):
    """Run ``conv2d`` on a 2-D array as a (1, 1, h, w) batch; return the (h', w') output."""
    conv2d.initialize(ctx=X.context)
    if hybridize:
        conv2d.hybridize()
    Y = conv2d(X.reshape((1, 1) + X.shape))  # (1, 1, h', w')
    return Y.reshape(Y.shape[2:])


def main(argv=None):
    args = parse_args("padding-stride", DEFAULTS, __doc__, argv, seeds="one")
    seed_everything(args.seed[0])  # the input's and the kernels' values (the shapes never vary)
    X = nd.random.uniform(shape=(8, 8), ctx=args.ctx[0])
    shapes = {}
    for text, kw in CASES:
        shapes[text] = comp_conv2d(nn.Conv2D(1, **kw), X, args.hybridize).shape
        print("%-44s -> %s" % (text, shapes[text]))
    save_results(args, dict(output_shapes={k: list(v) for k, v in shapes.items()}))
    return shapes
