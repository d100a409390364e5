"""Parameters: access by name and regex, built-in and custom initializers, sharing (book 4.2).

A ``Dense(256, relu) -> Dense(10)`` MLP on a (2, 20) batch shows each step; the shared-layer
net then takes one SGD step to show that shared parameters get the summed gradient and stay
identical. That step is the point shown, not a training run, so it is written out here
rather than run through ``fit`` and the per-seed runner (a single ``--seed`` is taken).
"""
from mxnet import autograd, gluon, init, nd
from mxnet.gluon import nn

from ..layers import MyInit
from ..models.construction import shared_mlp
from ..train import seed_everything
from ._common import parse_args, save_results

DEFAULTS = dict(lr=0.1)


def mlp():
    net = nn.HybridSequential()
    net.add(nn.Dense(256, activation="relu"), nn.Dense(10))
    return net


def main(argv=None):
    args = parse_args("parameters", DEFAULTS, __doc__, argv, seeds="one")
    seed_everything(args.seed[0])
    ctx = args.ctx[0]
    X = nd.random.uniform(shape=(2, 20), ctx=ctx)  # (B, d)
    net = mlp()
    net.initialize(ctx=ctx)
    net(X)
    print("net[0].params:", net[0].params)
    print("net[0].weight.data()[0, :4]:", net[0].weight.data()[0, :4].asnumpy())
    names = list(net.collect_params().keys())
    weights = list(net.collect_params(".*weight").keys())
    print("collect_params():", names)
    print("collect_params('.*weight'):", weights)

    stats = {}
    net.initialize(init.Normal(sigma=0.01), force_reinit=True)
    stats["normal_std"] = float(net[0].weight.data().asnumpy().std())
    net.initialize(init.Constant(1), force_reinit=True)
    stats["constant_values"] = sorted(set(net[0].weight.data().asnumpy().ravel().tolist()))
    net[0].weight.initialize(init=init.Xavier(), force_reinit=True)
    stats["xavier_max_abs"] = float(net[0].weight.data().abs().max().asscalar())
    stats["xavier_bound"] = (6 / (20 + 256)) ** 0.5
    print("Normal(0.01): std %.4f; Constant(1): values %s; Xavier on net[0] only: max |w| "
          "%.4f <= %.4f" % (stats["normal_std"], stats["constant_values"],
                            stats["xavier_max_abs"], stats["xavier_bound"]))
    net.initialize(MyInit(verbose=True), force_reinit=True)
    w = net[0].weight.data().abs().asnumpy()
    stats["myinit_zero_fraction"] = float((w == 0).mean())
    print("MyInit: %.0f%% of net[0].weight is 0, the rest has 5 <= |w| <= 10"
          % (100 * stats["myinit_zero_fraction"]))

    shared = shared_mlp()
    shared.initialize(ctx=ctx)
    shared(X)
    trainer = gluon.Trainer(shared.collect_params(), "sgd", {"learning_rate": args.lr})
    with autograd.record():
        loss = (shared(X) ** 2).sum()
    loss.backward()
    trainer.step(1)
    same = bool((shared[1].weight.data() == shared[2].weight.data()).min().asscalar())
    print("shared layers 2 and 3: one Parameter object: %s; identical after an SGD step: %s"
          % (shared[1].weight is shared[2].weight, same))
    save_results(args, dict(param_names=names, weight_names=weights, init=stats,
                            shared_identical_after_step=same,
                            shared_is_same_object=shared[1].weight is shared[2].weight))
    return stats
