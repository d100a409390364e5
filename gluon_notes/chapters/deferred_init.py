"""Deferred initialization: parameter shapes are inferred at the first forward pass (book 4.3).

``initialize()`` on a net without ``in_units`` only records the initializer: shapes hold 0 and
``MyInit._init_weight`` has not run; the first forward pass fills in the shapes and runs it.
With ``in_units`` everything happens at ``initialize()``.
"""
from mxnet import nd
from mxnet.gluon import nn

from ..layers import MyInit
from ..train import seed_everything
from ._common import parse_args, save_results

DEFAULTS = dict()


def mlp(in_units=0):
    net = nn.HybridSequential()
    net.add(nn.Dense(256, activation="relu", in_units=in_units),
            nn.Dense(10, in_units=256 if in_units else 0))
    return net


def shapes(net):
    return {name: list(p.shape) for name, p in net.collect_params().items()}


def show(title, net, X, ctx, hybridize):
    """Initialize ``net`` with a ``MyInit``; report shapes and init calls before and after."""
    my_init = MyInit(verbose=True)
    net.initialize(my_init, ctx=ctx)
    if hybridize:
        net.hybridize()
    before, calls_before = shapes(net), list(my_init.calls)
    print("%s, after initialize(): shapes %s, MyInit ran for %s"
          % (title, list(before.values()), calls_before))
    net(X)
    after = shapes(net)
    print("%s, after the first forward: shapes %s, MyInit ran for %s"
          % (title, list(after.values()), my_init.calls))
    return dict(before=before, after=after, init_calls_at_initialize=calls_before,
                init_calls_at_forward=my_init.calls[len(calls_before):])


def main(argv=None):
    args = parse_args("deferred-init", DEFAULTS, __doc__, argv, seeds="one")
    seed_everything(args.seed[0])
    ctx = args.ctx[0]
    X = nd.random.uniform(shape=(2, 20), ctx=ctx)  # (B, d)
    deferred = show("deferred", mlp(), X, ctx, args.hybridize)
    given = show("in_units=20", mlp(in_units=20), X, ctx, args.hybridize)
    save_results(args, dict(deferred=deferred, in_units=given))
    return deferred, given
