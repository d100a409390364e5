"""Optimizers and learning-rate schedules through gluon.Trainer, as torch.optim teaches (course).

* Seven optimizers by their MXNet names: ``sgd``, ``sgd`` + ``momentum``, ``nag`` (Nesterov),
  ``adagrad``, ``rmsprop`` (``gamma1`` is PyTorch's ``alpha``), ``adadelta`` (MXNet's has no
  learning rate: PyTorch's default ``lr=1`` is the same update) and ``adam``; first on the 2-D
  toy ``f(x) = 0.1 x1^2 + 2 x2^2`` (book 7.2), whose trajectories say more than a loss curve,
  then on the MLP on a Fashion-MNIST subset through the one loop, ``fit(optimizer=...)``.
* Schedules: MXNet's ``FactorScheduler``, ``MultiFactorScheduler``, ``PolyScheduler``,
  ``CosineScheduler`` with warm-up, and ``course_optim.StepScheduler``, PyTorch's epoch-wise
  ``StepLR`` (``StepLR`` is the same as a callback with ``step()`` once per epoch).
* Parameter groups (``lr_mult`` via ``course_optim.param_groups``), gradient accumulation with
  ``grad_req='add'`` and ``zero_grad()``, and stale gradients (``ignore_stale_grad``).
"""
import numpy as np
import mxnet as mx
from mxnet import autograd, gluon, nd
from mxnet.gluon import nn

from ..course_optim import StepScheduler, accumulate, param_groups
from ..models import get_model
from ..train import fit, seed_everything
from ._common import parse_args, positive_int, save_results
from ._course import figure, save_figure

DEFAULTS = dict(batch_size=256, num_epochs=4, limit=6000, toy_steps=20, mlp=True)

#: label: (MXNet optimizer, toy settings, MLP learning rate, MLP extra settings)
OPTIMIZERS = {
    "SGD": ("sgd", dict(learning_rate=0.4), 0.1, {}),
    "momentum": ("sgd", dict(learning_rate=0.4, momentum=0.5), 0.05, dict(momentum=0.9)),
    "Nesterov": ("nag", dict(learning_rate=0.25, momentum=0.5), 0.05, dict(momentum=0.9)),
    "Adagrad": ("adagrad", dict(learning_rate=1.0), 0.01, {}),
    "RMSProp": ("rmsprop", dict(learning_rate=0.4, gamma1=0.9), 0.001, dict(gamma1=0.99)),
    "AdaDelta": ("adadelta", dict(rho=0.9), 1.0, dict(rho=0.9)),
    "Adam": ("adam", dict(learning_rate=0.4), 0.001, {}),
}
START = (-5.0, -2.0)


def _extra(p):
    p.add_argument("--limit", type=positive_int, default=DEFAULTS["limit"],
                   help="Fashion-MNIST samples per split for the MLP (default %(default)s)")
    p.add_argument("--toy-steps", type=positive_int, default=DEFAULTS["toy_steps"],
                   help="steps on the 2-D toy function (default %(default)s)")
    p.add_argument("--no-mlp", dest="mlp", action="store_false",
                   help="skip the Fashion-MNIST comparison (toy, schedules and semantics only)")


def toy_f(x):
    """``0.1 x1^2 + 2 x2^2`` on a (2,) NDArray."""
    return 0.1 * x[0] ** 2 + 2 * x[1] ** 2


def toy_trajectory(optimizer, settings, steps=20, start=START):
    """Minimize ``toy_f`` with ``gluon.Trainer(optimizer, settings)``; return ``(points, f)``."""
    x = gluon.Parameter("x", shape=(2,))
    x.initialize(init=mx.init.Constant(nd.array(start)))
    trainer = gluon.Trainer([x], optimizer, dict(settings))
    points, values = [list(start)], []
    for _ in range(steps):
        with autograd.record():
            f = toy_f(x.data())
        f.backward()
        trainer.step(1)
        values.append(float(f.asscalar()))
        points.append(x.data().asnumpy().tolist())
    values.append(float(toy_f(x.data()).asscalar()))
    return points, values


def schedules(updates_per_epoch=50, num_epochs=10, base_lr=0.1):
    """``{label: [lr of update 1..N]}`` for MXNet's schedulers and the StepLR one."""
    n = updates_per_epoch * num_epochs
    s = mx.lr_scheduler
    made = {
        "Factor(step=100, 0.5)": s.FactorScheduler(step=100, factor=0.5, base_lr=base_lr),
        "MultiFactor([250, 350, 450], 0.5)": s.MultiFactorScheduler([250, 350, 450], 0.5,
                                                                    base_lr=base_lr),
        "Poly(pwr=2)": s.PolyScheduler(n, base_lr=base_lr, pwr=2),
        "Cosine, %d warm-up" % updates_per_epoch: s.CosineScheduler(
            n, base_lr=base_lr, final_lr=base_lr / 100, warmup_steps=updates_per_epoch),
        "StepLR(step_size=3, 0.3)": StepScheduler(updates_per_epoch, 3, 0.3, base_lr=base_lr),
    }
    return {label: [float(sch(k)) for k in range(1, n + 1)] for label, sch in made.items()}


def _small_net(like=None):
    net = nn.Sequential()
    net.add(nn.Dense(8, in_units=4, activation="relu"), nn.Dense(3, in_units=8))
    net.initialize(init=mx.init.Xavier())
    if like is not None:
        for a, b in zip(like.collect_params().values(), net.collect_params().values()):
            b.set_data(a.data())
    return net


def _sgd_change(net, X, y, lr=0.1):
    """``[||change||]`` of each parameter after one SGD step on ``(X, y)``."""
    before = [p.data().copy() for p in net.collect_params().values()]
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": lr})
    with autograd.record():
        l = gluon.loss.SoftmaxCrossEntropyLoss()(net(X), y)
    l.backward()
    trainer.step(X.shape[0])
    return [float((p.data() - b).norm().asscalar())
            for p, b in zip(net.collect_params().values(), before)]


def semantics():
    """Parameter groups, accumulation and stale gradients, each as a measured number."""
    X, y = nd.random.normal(shape=(32, 4)), nd.array(np.arange(32) % 3)
    base = _small_net()
    grouped = _small_net(like=base)
    param_groups(grouped, {grouped[0].prefix + ".*": {"lr_mult": 0},
                           grouped[1].prefix + ".*": {"lr_mult": 2}})
    ref, moved = _sgd_change(_small_net(like=base), X, y), _sgd_change(grouped, X, y)
    acc, big = _small_net(like=base), _small_net(like=base)
    accumulate(acc, gluon.loss.SoftmaxCrossEntropyLoss(),
               gluon.Trainer(acc.collect_params(), "sgd", {"learning_rate": 0.1}),
               [(X[i:i + 8], y[i:i + 8]) for i in range(0, 32, 8)])
    _sgd_change(big, X, y)
    diff = max(float((a.data() - b.data()).abs().max().asscalar())
               for a, b in zip(acc.collect_params().values(), big.collect_params().values()))
    two = nn.Sequential()                            # a second layer that the loss never uses
    two.add(nn.Dense(3, in_units=4), nn.Dense(3, in_units=4))
    two.initialize()
    w_unused = two[1].weight.data().copy()
    trainer = gluon.Trainer(two.collect_params(), "sgd", {"learning_rate": 0.1, "wd": 0.1})
    with autograd.record():
        l = gluon.loss.SoftmaxCrossEntropyLoss()(two[0](X), y)
    l.backward()
    trainer.step(32, ignore_stale_grad=True)
    return dict(group_lr_mult=[0, 0, 2, 2], group_change_ratio=[m / r for m, r in
                                                                zip(moved, ref)],
                accumulate_vs_big_batch_max_diff=diff,
                stale_param_unchanged=bool((two[1].weight.data() == w_unused).min().asscalar()))


def mlp_runs(args):
    """Train ``get_model('mlp')`` once per optimizer; ``{label: History}``."""
    from ..data import load_data_fashion_mnist
    train_iter, test_iter = load_data_fashion_mnist(args.batch_size, limit=args.limit)
    runs = {}
    for label, (name, _, lr, extra) in OPTIMIZERS.items():
        net = get_model("mlp")
        net.initialize(init=mx.init.Xavier(), ctx=args.ctx)
        net(nd.zeros((1, 1, 28, 28), ctx=args.ctx[0]))  # shapes known before the Trainer
        # the Trainer is built here rather than by fit(optimizer=name): the loop's trainer
        # factory turns on multi-tensor updates, which MXNet 1.9.1 has for SGD only
        trainer = gluon.Trainer(net.collect_params(), name, dict(learning_rate=lr, **extra))
        runs[label] = fit(net, train_iter, test_iter, num_epochs=args.num_epochs,
                          trainer=trainer, ctx=args.ctx, seed=args.seed[0],
                          hybridize=args.hybridize, verbose=False)
        h = runs[label]
        print("%-9s %-9s lr %-6g train loss %s  test acc %.3f" % (
            label, name, lr, " ".join("%.3f" % v for v in h["loss"]), h.last["test_acc"]))
    return runs


def _plot(toy, mlp, args):
    fig, axes = figure(1, 3, width=5.0, height=4.0)
    ax = axes[0, 0]
    g1, g2 = np.meshgrid(np.linspace(-5.5, 1.5, 120), np.linspace(-3, 3, 120))
    ax.contour(g1, g2, 0.1 * g1 ** 2 + 2 * g2 ** 2, levels=15, colors="lightgray")
    for i, (label, (points, values)) in enumerate(toy.items()):
        p = np.clip(np.array(points), -6, 6)
        ax.plot(p[:, 0], p[:, 1], "-o", ms=2.5, lw=1, color="C%d" % i, label=label)
        axes[0, 1].semilogy(np.maximum(values, 1e-12), color="C%d" % i, label=label)
    ax.set(xlim=(-5.5, 1.5), ylim=(-3, 3), xlabel="x1", ylabel="x2",
           title="f = 0.1 x1^2 + 2 x2^2, from (-5, -2)")
    axes[0, 1].set(xlabel="step", ylabel="f(x)", title="toy: f per step")
    if mlp:
        for i, (label, h) in enumerate(mlp.items()):
            axes[0, 2].plot(h["epoch"], h["loss"], "-o", ms=3, color="C%d" % i, label=label)
        axes[0, 2].set(xlabel="epoch", ylabel="training loss", title="MLP on %d Fashion-MNIST "
                       "images" % args.limit)
    else:
        axes[0, 2].set_axis_off()
    for ax in axes[0][:3 if mlp else 2]:
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    return save_figure(fig, args, "optimizers.png")


def _plot_schedules(curves, args):
    fig, axes = figure(1, 1, width=7.0, height=3.8)
    for label, lrs in curves.items():
        axes[0, 0].plot(np.arange(1, len(lrs) + 1), lrs, label=label)
    axes[0, 0].set(xlabel="update (50 per epoch)", ylabel="learning rate",
                   title="learning-rate schedules (base 0.1)")
    axes[0, 0].grid(alpha=0.3)
    axes[0, 0].legend(fontsize=8)
    return save_figure(fig, args, "lr_schedules.png")


def main(argv=None):
    args = parse_args("optimizers", DEFAULTS, __doc__, argv, extra=_extra)
    seed_everything(args.seed[0])
    toy = {label: toy_trajectory(name, settings, args.toy_steps)
           for label, (name, settings, _, _) in OPTIMIZERS.items()}
    print("toy f after %d steps: %s" % (args.toy_steps, ", ".join(
        "%s %.3g" % (label, values[-1]) for label, (_, values) in toy.items())))
    curves = schedules()
    sem = semantics()
    print("one SGD step, change / change at lr_mult 1 (w0 b0 w1 b1 at lr_mult 0 0 2 2): %s"
          % " ".join("%.3f" % r for r in sem["group_change_ratio"]))
    print("4 accumulated batches of 8 vs one batch of 32: max |difference| %.2g"
          % sem["accumulate_vs_big_batch_max_diff"])
    print("a parameter without gradient, ignore_stale_grad=True, wd 0.1: unchanged = %s"
          % sem["stale_param_unchanged"])
    mlp = mlp_runs(args) if args.mlp else {}
    figures = [_plot(toy, mlp, args).name, _plot_schedules(curves, args).name]
    save_results(args, dict(
        figures=figures, semantics=sem,
        toy={label: dict(final_f=values[-1], f=values, points=points)
             for label, (points, values) in toy.items()},
        schedules={label: dict(first=lrs[0], last=lrs[-1], every_50=lrs[::50])
                   for label, lrs in curves.items()},
        mlp={label: dict(loss=h["loss"], test_acc=h["test_acc"]) for label, h in mlp.items()}))
    return sem
