"""Model construction: MLP, MySequential, FancyMLP, NestMLP; Block vs HybridBlock (book 4.1).

Each model runs on a (2, 20) batch; each Block is compared with its HybridBlock twin (same
parameters, hybridized), which must give the same output.
"""
from mxnet import nd
from mxnet.gluon import nn

from ..models.construction import (MLP, FancyMLP, HybridMLP, HybridNestMLP, MyHybridSequential,
                                   MySequential, NestMLP, chimera)
from ..train import seed_everything
from .. import compat
from ._common import parse_args, save_results

DEFAULTS = dict()


def _sequential(cls):
    net = cls()
    net.add(nn.Dense(256, activation="relu"), nn.Dense(10))
    return net


def twin_difference(block, hybrid, X):
    """Copy ``block``'s parameters into ``hybrid``, hybridize it, return max |output difference|."""
    for net in (block, hybrid):
        net.initialize(ctx=X.context)
        net(X)
    for p_h, p_b in zip(hybrid.collect_params().values(), block.collect_params().values()):
        p_h.set_data(p_b.data())
    hybrid.hybridize()
    return float((block(X) - hybrid(X)).abs().max().asscalar())


def main(argv=None):
    args = parse_args("model-construction", DEFAULTS, __doc__, argv, seeds="one")
    seed_everything(args.seed[0])
    ctx = args.ctx[0]
    X = nd.random.uniform(shape=(2, 20), ctx=ctx)  # (B, d)
    shapes, outputs = {}, {}
    for name, make in [("MLP", MLP), ("MySequential", lambda: _sequential(MySequential)),
                       ("FancyMLP", FancyMLP), ("NestMLP", NestMLP), ("chimera", chimera)]:
        net = make()
        net.initialize(ctx=ctx)
        if args.hybridize:
            net.hybridize()  # compiles the HybridBlock children only
        y = net(X)
        shapes[name] = list(y.shape)
        print("%-13s %-60s output %s" % (name, type(net).__name__ + ": " + ", ".join(
            type(c).__name__ for c in compat.children(net)), y.shape))
        if name in ("FancyMLP", "chimera"):
            outputs[name] = float(y.asscalar())
            print("%-13s value %.4f (Python while/if on x.norm(): no HybridBlock twin)"
                  % ("", outputs[name]))
    diffs = {}
    for name, block, hybrid in [
            ("MLP", MLP(), HybridMLP()),
            ("MySequential", _sequential(MySequential), _sequential(MyHybridSequential)),
            ("NestMLP", NestMLP(), HybridNestMLP())]:
        diffs[name] = twin_difference(block, hybrid, X)
        print("%s vs %s, hybridized: max |difference| %.2g"
              % (name, type(hybrid).__name__, diffs[name]))
    save_results(args, dict(output_shapes=shapes, scalar_outputs=outputs,
                            block_vs_hybrid_max_diff=diffs))
    return diffs
