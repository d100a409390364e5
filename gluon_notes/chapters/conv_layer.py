"""Convolutional layer from scratch: learn the edge kernel [1, -1] with corr2d (book 5.1).

The image ``X`` is white (1) with a black (0) band in columns 2-5; ``Y = corr2d(X, [[1, -1]])``
marks its edges with 1 and -1. A ``Conv2D((1, 2))`` (weight and bias) learns the kernel back by
gradient descent on the summed squared error, with the book's hand-written update
``param -= lr * grad``. The bias's gradient sums over all 42 output pixels, so at the book's
lr it would overshoot (lr * 2 * 42 > 2) and diverge; its ``lr_mult`` is set to 1/42 (a per-pixel
mean), which leaves the kernel's update exactly the book's.

The descent runs through the one loop (``fit`` with a custom step; one iteration is an "epoch"
of the single image) and the per-seed runner. It takes no ``--checkpoint``: a run is a few
iterations on one 6x8 image.
"""
from mxnet import autograd, nd

from ..layers import Conv2D, corr2d
from ..train import fit, seed_everything
from ._common import parse_args, positive_int, run_seeds

DEFAULTS = dict(lr=0.03, num_iters=10)


def _extra(p):
    p.add_argument("--iters", dest="num_iters", type=positive_int, default=DEFAULTS["num_iters"],
                   help="gradient steps (default %(default)s)")


def edge_data(ctx=None):
    """The book's 6x8 image with a vertical black band, and its edges ``corr2d(X, [[1, -1]])``."""
    X = nd.ones((6, 8), ctx=ctx)
    X[:, 2:6] = 0
    K = nd.array([[1, -1]], ctx=ctx)
    return X, K, corr2d(X, K)


def learn_kernel(X, Y, kernel_size=(1, 2), lr=0.03, num_iters=10, hybridize=False, ctx=None,
                 seed=None):
    """Fit a ``Conv2D(kernel_size)`` so ``conv2d(X)`` matches ``Y``; return it and the History
    (its ``loss`` column is the summed squared error before each step)."""
    conv2d = Conv2D(kernel_size)
    conv2d.initialize(ctx=ctx)
    conv2d.bias.lr_mult = 1.0 / Y.size  # see the module docstring

    def step(X, Y):
        with autograd.record():
            Y_hat = conv2d(X)                    # (6, 7)
            l = ((Y_hat - Y) ** 2).sum()
        l.backward()
        for p in (conv2d.weight, conv2d.bias):
            p.data()[:] -= lr * p.lr_mult * p.grad()
        return dict(loss=l, n=1)

    h = fit(conv2d, [(X, Y)], None, None, num_iters, ctx=ctx, step=step, seed=seed,
            hybridize=hybridize, accuracy=False, verbose=False, progress=False)
    return conv2d, h


def main(argv=None):
    args = parse_args("conv-layer", DEFAULTS, __doc__, argv, extra=_extra)
    ctx = args.ctx[0]
    example = corr2d(nd.arange(9).reshape((3, 3)), nd.array([[0, 1], [2, 3]]))
    print("corr2d(arange(9) as 3x3, [[0, 1], [2, 3]]) =", example.asnumpy().tolist())
    X, K, Y = edge_data(ctx)
    print("edges Y = corr2d(X, [[1, -1]]):\n%s" % Y.asnumpy().astype(int))
    print("the same kernel on X.T finds no edges: |corr2d(X.T, K)|.sum() = %g"
          % corr2d(X.T, K).abs().sum().asscalar())

    def train_one(seed):
        seed_everything(seed)  # the kernel's initial values
        conv2d, h = learn_kernel(X, Y, (1, 2), args.lr, args.num_iters, args.hybridize, ctx,
                                 seed)
        losses = h["loss"]
        for i in range(1, len(losses), 2):
            print("seed %d, iteration %d: loss %.3f" % (seed, i + 1, losses[i]))
        kernel = conv2d.weight.data().asnumpy().ravel().tolist()
        bias = float(conv2d.bias.data().asscalar())
        err = max(abs(k - t) for k, t in zip(kernel, [1, -1]))
        print("seed %d: learned kernel [%.4f, %.4f] (true [1, -1], max |error| %.4f), "
              "bias %.4f" % (seed, kernel[0], kernel[1], err, bias))
        return h, dict(kernel=kernel, bias=bias, kernel_error=err, losses=losses,
                       iterations=len(losses))

    return run_seeds(args, train_one, means=("kernel_error",), summarize=lambda runs: dict(
        true_kernel=[1, -1], max_kernel_error=max(r["kernel_error"] for r in runs),
        max_abs_bias=max(abs(r["bias"]) for r in runs)))
