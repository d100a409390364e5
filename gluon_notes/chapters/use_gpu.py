"""GPU computing: put arrays and parameters on a context, and the error when they differ (book 4.6).

Uses --ctx (default: the first GPU, or the CPU without one) and a second context (the second
--ctx entry, else ``cpu(1)``, or ``cpu(0)`` when --ctx is a GPU); two CPU contexts run the same
code as a GPU and a CPU.
"""
import mxnet as mx
from mxnet import nd
from mxnet.gluon import nn

from ..context import (ContextError, check_same_context, checked_forward, num_gpus,
                       try_all_gpus, try_gpu)
from ..layers import MyDense
from ..train import seed_everything
from ._common import parse_args, save_results

DEFAULTS = dict(gpu=True)


def other_context(ctx_list):
    if len(ctx_list) > 1:
        return ctx_list[1]
    return mx.cpu(1) if ctx_list[0] == mx.cpu(0) else mx.cpu(0)


def main(argv=None):
    args = parse_args("use-gpu", DEFAULTS, __doc__, argv, seeds="one")
    seed_everything(args.seed[0])
    ctx, other = args.ctx[0], other_context(args.ctx)
    print("GPUs: %d; try_gpu() = %s; try_all_gpus() = %s; using %s and %s"
          % (num_gpus(), try_gpu(), try_all_gpus(), ctx, other))
    x = nd.array([1, 2, 3], ctx=ctx)
    y = nd.random.uniform(shape=(2, 3), ctx=other)
    z = x.as_in_context(other)
    print("x on %s, y on %s, x.as_in_context(%s) on %s; y + z on %s"
          % (x.context, y.context, other, z.context, (y + z).context))
    print("x.as_in_context(x.context) is x (no copy): %s" % (x.as_in_context(ctx) is x))

    net = nn.HybridSequential()
    net.add(MyDense(1, in_units=3, activation=None))
    net.initialize(ctx=ctx)
    if args.hybridize:
        net.hybridize()
    print("net(x) on %s; weight on %s" % (net(x.reshape((1, 3))).context,
                                           net[0].weight.list_ctx()))
    try:
        checked_forward(net, y)  # MyDense checks itself, but not inside a hybridized container
        mismatch = None
    except ContextError as err:
        mismatch = str(err)
    print("checked_forward(net, y) with y on %s: %s" % (other, mismatch))
    try:
        check_same_context(x, y)
    except ContextError as err:
        print("check_same_context(x, y): %s" % err)
    net.collect_params().reset_ctx(other)
    moved = net(y).context
    print("after net.collect_params().reset_ctx(%s): net(y) on %s" % (other, moved))
    save_results(args, dict(ctx=str(ctx), other=str(other), mismatch_error=mismatch,
                            output_ctx_after_reset=str(moved)))
    return mismatch
