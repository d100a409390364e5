"""Custom layers: CenteredLayer (no parameters) and MyDense (its own weight and bias) (book 4.4).

Shows the centered output and its mean, ``CenteredLayer`` inside a network, ``MyDense``'s
parameters before and after shape inference, and that hybridizing changes no output.
"""
from mxnet import nd
from mxnet.gluon import nn

from ..layers import CenteredLayer, MyDense
from ..train import seed_everything
from ._common import parse_args, save_results

DEFAULTS = dict()


def main(argv=None):
    args = parse_args("custom-layer", DEFAULTS, __doc__, argv, seeds="one")
    seed_everything(args.seed[0])
    ctx = args.ctx[0]
    layer = CenteredLayer()
    if args.hybridize:
        layer.hybridize()
    centered = layer(nd.array([1, 2, 3, 4, 5], ctx=ctx))
    print("CenteredLayer()([1, 2, 3, 4, 5]) =", centered.asnumpy().tolist())

    net = nn.HybridSequential()
    net.add(nn.Dense(128), CenteredLayer())
    net.initialize(ctx=ctx)
    X = nd.random.uniform(shape=(4, 8), ctx=ctx)   # (B, d)
    y = net(X)
    mean = float(y.mean().asscalar())
    print("Dense(128) -> CenteredLayer on a (4, 8) batch: output mean %.2g" % mean)

    dense = MyDense(units=3)
    dense.initialize(ctx=ctx)
    shape_before = list(dense.weight.shape)
    out = dense(nd.random.uniform(shape=(2, 5), ctx=ctx))  # (2, 3)
    print("MyDense(units=3): weight shape %s before the first forward, %s after; bias %s"
          % (tuple(shape_before), dense.weight.shape, dense.bias.shape))
    print("MyDense output (relu, so >= 0):\n%s" % out.asnumpy())

    stacked = nn.HybridSequential()
    stacked.add(MyDense(8, in_units=64), MyDense(1, in_units=8))
    stacked.initialize(ctx=ctx)
    X64 = nd.random.uniform(shape=(2, 64), ctx=ctx)
    imperative = stacked(X64)
    stacked.hybridize()
    diff = float((stacked(X64) - imperative).abs().max().asscalar())
    print("MyDense(8) -> MyDense(1): hybridized vs imperative max |difference| %.2g" % diff)
    save_results(args, dict(centered=centered.asnumpy().tolist(), centered_net_mean=mean,
                            mydense_weight_shape_before=shape_before,
                            mydense_weight_shape_after=list(dense.weight.shape),
                            hybrid_vs_imperative_max_diff=diff))
    return diff
