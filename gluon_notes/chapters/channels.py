"""Multiple input and output channels: multi-channel cross-correlation and 1x1 convolution (5.3)."""
from mxnet import nd

from ..layers.cnn import corr2d_multi_in, corr2d_multi_in_out, corr2d_multi_in_out_1x1
from ..train import seed_everything
from ._common import parse_args, save_results

DEFAULTS = dict(hybridize=None)  # plain functions on NDArrays: nothing to hybridize


def main(argv=None):
    args = parse_args("channels", DEFAULTS, __doc__, argv, seeds="one")
    seed_everything(args.seed[0])  # the random 1x1 check
    ctx = args.ctx[0]
    X = nd.array([[[0, 1, 2], [3, 4, 5], [6, 7, 8]],
                  [[1, 2, 3], [4, 5, 6], [7, 8, 9]]], ctx=ctx)       # (2, 3, 3)
    K = nd.array([[[0, 1], [2, 3]], [[1, 2], [3, 4]]], ctx=ctx)      # (2, 2, 2)
    multi_in = corr2d_multi_in(X, K)
    print("corr2d_multi_in(X, K):\n%s" % multi_in.asnumpy())
    K3 = nd.stack(K, K + 1, K + 2)                                    # (3, 2, 2, 2)
    multi_out = corr2d_multi_in_out(X, K3)
    print("K.shape: %s\ncorr2d_multi_in_out(X, K):\n%s" % (K3.shape, multi_out.asnumpy()))
    X1 = nd.random.uniform(shape=(3, 3, 3), ctx=ctx)                  # (c_i, h, w)
    K1 = nd.random.uniform(shape=(2, 3, 1, 1), ctx=ctx)               # (c_o, c_i, 1, 1)
    gap = (corr2d_multi_in_out_1x1(X1, K1) - corr2d_multi_in_out(X1, K1)).norm().asscalar()
    print("1x1 convolution == matrix product: %s" % (gap < 1e-6))
    save_results(args, dict(multi_in=multi_in.asnumpy().tolist(),
                            multi_out=multi_out.asnumpy().tolist(), one_by_one_gap=float(gap)))
    return dict(multi_in=multi_in, multi_out=multi_out, one_by_one_gap=gap)
