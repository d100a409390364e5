"""How long one ``trainer.step`` takes with each way of dispatching the SGD update.

``python -m gluon_notes.bench.update`` prints, for each bench model, the time of
``gluon.Trainer.step`` (the parameter update alone: gradients are computed once and re-marked
fresh before every step) with MXNet's ``SGD`` at ``aggregate_num`` 1, 4 (MXNet's default) and 60,
and with the loop's ``optim.BucketedSGD``. Figures: docs/performance.md.
"""
import sys
import time

import mxnet as mx
from mxnet import autograd, gluon, nd

from ..cliargs import ArgumentParser, positive_int
from ..compat import mark_grad_fresh
from ..optim import BucketedSGD
from ..train import prepare_net
from .models import get_bench_model
from .script import run_script

#: label -> (optimizer class, aggregate_num)
VARIANTS = {"SGD, aggregate 1": (mx.optimizer.SGD, 1),
            "SGD, aggregate 4": (mx.optimizer.SGD, 4),
            "SGD, aggregate 60": (mx.optimizer.SGD, 60),
            "BucketedSGD": (BucketedSGD, 60)}


def time_step(net, variant, batch_size=256, number=100, repeats=5):
    """Best-of-``repeats`` milliseconds per ``trainer.step`` over ``number`` steps."""
    cls, aggregate = VARIANTS[variant]
    opt = cls(learning_rate=0.01)
    opt.aggregate_num = aggregate
    trainer = gluon.Trainer(net.collect_params(), opt)
    data = [p.data() for p in net.collect_params().values() if p.grad_req != "null"]

    def step():
        for d in data:  # the same gradients again: mark them fresh, as backward would
            mark_grad_fresh(d)
        trainer.step(batch_size)

    step()
    nd.waitall()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            step()
        nd.waitall()
        best = min(best, (time.perf_counter() - start) / number)
    return best * 1e3


def run(models=("softmax", "mlp", "lenet", "resnet18"), number=100, repeats=5):
    """``{model: {variant: ms}}`` plus each model's parameter count and size."""
    results = {}
    for name in models:
        model = get_bench_model(name)
        net = model.make()
        prepare_net(net, [mx.cpu()])
        with autograd.record():
            net(nd.random.uniform(shape=(2,) + model.input_shape)).sum().backward()
        params = [p for p in net.collect_params().values() if p.grad_req != "null"]
        n = max(1, number // 20) if name == "resnet18" else number
        results[name] = dict(tensors=len(params), elements=sum(p.data().size for p in params),
                             ms={v: time_step(net, v, number=n, repeats=repeats)
                                 for v in VARIANTS})
    return results


def main(argv=None):
    p = ArgumentParser(prog="python -m gluon_notes.bench.update", description=__doc__)
    p.add_argument("--models", default="softmax,mlp,lenet,resnet18")
    p.add_argument("--number", type=positive_int, default=100, help="steps per repeat")
    p.add_argument("--repeats", type=positive_int, default=5)
    args = p.parse_args(argv)
    results = run(args.models.split(","), args.number, args.repeats)
    print("trainer.step, ms (best of %d)" % args.repeats)
    print("%-10s %8s %11s" % ("model", "tensors", "elements")
          + "".join("%20s" % v for v in VARIANTS))
    for name, r in results.items():
        print("%-10s %8d %11d" % (name, r["tensors"], r["elements"])
              + "".join("%20.3f" % r["ms"][v] for v in VARIANTS))
    return results


if __name__ == "__main__":
    sys.exit(run_script(main))
