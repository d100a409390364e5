"""Variance propagation: each layer's output std in a 100-layer MLP, per initialization (course).

A Dense layer computes ``H = sum_{i=1..n} X_i W_i``. With ``X_i`` and ``W_i`` independent and of
mean zero, ``D(X_i W_i) = E[X_i^2] E[W_i^2] = D(X) D(W)``, and the ``n`` terms are independent, so

    D(H) = n D(X) D(W).

* (a) ``W ~ N(0, 1)``, no activation: ``D(H) = n D(X)``, the std grows ``sqrt(n)`` times per
  layer (x20 for n = 400) until float32 overflows to inf and then NaN (inf - inf).
* (b) ``W ~ N(0, 1/n)``: ``D(H) = D(X)``, the std stays 1.
* (c) tanh: PyTorch's default Linear init, U(-1/sqrt(n), 1/sqrt(n)), has ``D(W) = 1/(3n)`` and
  tanh contracts as well, so the std shrinks towards 0; Xavier, ``D(W) = gain^2 * 2 / (n_in +
  n_out)`` with ``gain = calculate_gain('tanh') = 5/3``, compensates tanh's contraction.
* (d) ReLU zeroes half of its input: ``E[relu(H)^2] = D(H) / 2``, so Kaiming (He) doubles the
  weight variance, ``D(W) = 2 / n``, and ``E[X^2]`` stays constant layer after layer.

The backward pass obeys the same rule with ``n = fan_out`` (``dX = W^T dH``), times the
activation's slope: a sigmoid's is at most 1/4, so a deep sigmoid MLP multiplies its gradient by
a small factor per layer and the first layers barely learn (the vanishing-gradient chain
product, second panel), while ReLU with Kaiming keeps the gradient's scale.

Each curve pools ``--nets`` independent networks (the formula is an expectation over the
weights). One finite-width ReLU network alone wanders: the log of its squared activation length
has a variance that grows with ``sum 1 / n_l`` over the layers (Hanin & Rolnick, 2018); the
shaded band shows the single networks' spread.
"""
import math

import numpy as np
from mxnet import autograd, nd
from mxnet.gluon import nn

from ..init import KaimingNormal, KaimingUniform, TorchNormal, XavierUniform, calculate_gain
from ..train import seed_everything
from ._common import parse_args, positive_int, save_results
from ._course import figure, save_figure

DEFAULTS = dict(batch_size=64, num_layers=100, num_hiddens=400, nets=8, grad_depth=30)

#: key: (label, initializer for width n, activation)
EXPERIMENTS = {
    "a_normal": ("(a) N(0, 1), no activation", lambda n: TorchNormal(0.0, 1.0), None),
    "b_scaled": ("(b) N(0, 1/n), no activation", lambda n: TorchNormal(0.0, 1 / math.sqrt(n)),
                 None),
    "c_tanh_default": ("(c) tanh, PyTorch's default Linear init",
                       lambda n: KaimingUniform(a=math.sqrt(5)), "tanh"),
    "c_tanh_xavier": ("(c) tanh, Xavier with gain 5/3",
                      lambda n: XavierUniform(gain=calculate_gain("tanh")), "tanh"),
    "d_relu_kaiming": ("(d) ReLU, Kaiming (fan_in)",
                       lambda n: KaimingNormal(nonlinearity="relu"), "relu"),
}


def _extra(p):
    for name, help_text in (("num_layers", "layers of the MLP"), ("num_hiddens", "units per layer"),
                            ("nets", "independent networks pooled per curve"),
                            ("grad_depth", "layers of the sigmoid/ReLU gradient MLPs")):
        p.add_argument("--" + name.replace("_", "-"), type=positive_int, default=DEFAULTS[name],
                       help="%s (default %%(default)s)" % help_text)


def mlp(num_layers, num_hiddens, activation=None, init=None, ctx=None):
    """``num_layers`` x (``Dense(num_hiddens)``, ``Activation``), initialized with ``init``;
    the activation is a layer of its own so that each Dense output ``H`` can be read."""
    net = nn.Sequential()
    for _ in range(num_layers):
        net.add(nn.Dense(num_hiddens, in_units=num_hiddens))
        if activation:
            net.add(nn.Activation(activation))
    net.initialize(init=init, ctx=ctx)
    return net


def dense_layers(net):
    """The Dense layers of ``mlp(...)``, in order."""
    return [layer for layer in net if isinstance(layer, nn.Dense)]


def _layer_moments(net, X):
    """``(num_layers, 3)``: mean, mean square (float64) and all-finite flag of each Dense
    output ``H`` (before the activation)."""
    stats = []
    for layer in net:
        X = layer(X)                                 # (batch_size, num_hiddens)
        if not isinstance(layer, nn.Dense):
            continue
        X64 = X.astype("float64")
        stats.append(nd.concat(X64.mean(), (X64 * X64).mean(),
                               nd.contrib.isfinite(X).min().astype("float64"), dim=0))
    return nd.stack(*stats).asnumpy()                # one read per network


def layer_stds(init, activation, num_layers=100, num_hiddens=400, batch_size=64, nets=8,
               ctx=None):
    """Std of each layer's output ``H`` (the Dense output, before the activation: the ``H`` of
    ``D(H) = n D(X) D(W)``), pooled over ``nets`` MLPs fed N(0, 1) input.

    Returns
    -------
    dict
        ``std`` (list, NaN from the first layer with inf/NaN in any network on),
        ``per_net`` (nets x layers array of single-network stds), ``overflow_layer`` (1-based
        first layer with inf/NaN, or None).
    """
    moments = np.stack([_layer_moments(mlp(num_layers, num_hiddens, activation, init, ctx),
                                       nd.random.normal(shape=(batch_size, num_hiddens),
                                                        ctx=ctx))
                        for _ in range(nets)])       # (nets, num_layers, 3)
    with np.errstate(invalid="ignore", over="ignore"):
        finite = moments[:, :, 2].min(axis=0) == 1   # (num_layers,)
        per_net = np.sqrt(np.maximum(moments[:, :, 1] - moments[:, :, 0] ** 2, 0))
        pooled = np.sqrt(np.maximum(moments[:, :, 1].mean(0) - moments[:, :, 0].mean(0) ** 2, 0))
    finite &= np.isfinite(pooled)
    bad = np.flatnonzero(~finite)
    overflow = int(bad[0]) + 1 if bad.size else None
    if overflow:
        pooled[overflow - 1:] = np.nan
        per_net[:, overflow - 1:] = np.nan
    return dict(std=pooled.tolist(), per_net=per_net, overflow_layer=overflow)


def gradient_norms(activation, init, depth=30, num_hiddens=400, batch_size=64, ctx=None):
    """``||dL/dW_l||`` for each layer ``l = 1..depth`` of a deep MLP (L2 loss, random targets)."""
    net = mlp(depth, num_hiddens, activation, init, ctx)
    head = nn.Dense(10, in_units=num_hiddens)
    head.initialize(init=XavierUniform(), ctx=ctx)
    X = nd.random.normal(shape=(batch_size, num_hiddens), ctx=ctx)
    y = nd.random.normal(shape=(batch_size, 10), ctx=ctx)
    with autograd.record():
        loss = ((head(net(X)) - y) ** 2).mean()
    loss.backward()
    return nd.concat(*[layer.weight.grad().norm() for layer in dense_layers(net)], dim=0).asnumpy().tolist()


def _plot(results, grads, args):
    fig, axes = figure(1, 2, width=6.0, height=4.2)
    ax = axes[0, 0]
    layers = np.arange(1, args.num_layers + 1)
    for i, (key, r) in enumerate(results.items()):
        color, std = "C%d" % i, np.array(r["std"], dtype=float)
        shown = np.isfinite(std) & (std > 0)
        ax.semilogy(layers[shown], std[shown], color=color, label=EXPERIMENTS[key][0])
        per_net = np.where(r["per_net"] > 0, r["per_net"], np.nan)
        with np.errstate(invalid="ignore"):
            ax.fill_between(layers, np.nanmin(per_net, 0), np.nanmax(per_net, 0), color=color,
                            alpha=0.15, linewidth=0)
        if r["overflow_layer"]:
            last = r["overflow_layer"] - 1           # the last layer with a finite std
            ax.semilogy([last], [std[last - 1]], "x", color=color, ms=10, mew=2)
            ax.annotate("inf/NaN from layer %d" % r["overflow_layer"], (last, std[last - 1]),
                        textcoords="offset points", xytext=(6, -4), fontsize=8, color=color)
    ax.set(xlabel="layer", ylabel="std of the layer's output",
           title="forward: %d x Dense(%d), %d nets pooled (band: single nets)"
           % (args.num_layers, args.num_hiddens, args.nets))
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, loc="lower left")
    ax = axes[0, 1]
    for i, (label, norms) in enumerate(grads.items()):
        ax.semilogy(np.arange(1, len(norms) + 1), norms, "-o", ms=3, color="C%d" % (i + 5),
                    label=label)
    ax.set(xlabel="layer (1 = next to the input)", ylabel="||dL/dW|| of the layer",
           title="backward: the chain product in a %d-layer MLP" % args.grad_depth)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    return save_figure(fig, args, "init_variance.png")


def main(argv=None):
    args = parse_args("init-variance", DEFAULTS, __doc__, argv, extra=_extra)
    ctx, seed = args.ctx[0], args.seed[0]
    seed_everything(seed)
    results, at = {}, sorted({1, 10, 25, 50, args.num_layers} & set(range(1, args.num_layers + 1)))
    print("std of each layer's output (%d nets of %d-unit layers pooled, batch %d)"
          % (args.nets, args.num_hiddens, args.batch_size))
    print("%-42s %s  overflow" % ("experiment", " ".join("%9s" % ("layer %d" % l) for l in at)))
    for key, (label, make_init, activation) in EXPERIMENTS.items():
        r = layer_stds(make_init(args.num_hiddens), activation, args.num_layers,
                       args.num_hiddens, args.batch_size, args.nets, ctx)
        std = np.array(r["std"])
        results[key] = r
        print("%-42s %s  %s" % (label, " ".join("%9.3g" % std[l - 1] for l in at),
                                "layer %d" % r["overflow_layer"] if r["overflow_layer"] else "-"))
    grads = {"sigmoid, Xavier": gradient_norms("sigmoid", XavierUniform(), args.grad_depth,
                                               args.num_hiddens, args.batch_size, ctx),
             "ReLU, Kaiming": gradient_norms("relu", KaimingNormal(nonlinearity="relu"),
                                             args.grad_depth, args.num_hiddens,
                                             args.batch_size, ctx)}
    for label, g in grads.items():
        print("%-16s ||dL/dW|| layer 1: %.3g, layer %d: %.3g (ratio %.3g)"
              % (label, g[0], len(g), g[-1], g[0] / g[-1]))
    path = _plot(results, grads, args)
    metrics = dict(figure=path.name, gradient_norms=grads, experiments={})
    for key, r in results.items():
        std = np.array(r["std"])
        finite = std[np.isfinite(std)]
        per_net = r["per_net"][np.isfinite(r["per_net"])]
        metrics["experiments"][key] = dict(
            label=EXPERIMENTS[key][0], std=r["std"], overflow_layer=r["overflow_layer"],
            min_std=float(finite.min()) if finite.size else None,
            max_std=float(finite.max()) if finite.size else None, last_std=r["std"][-1],
            single_net_min_std=float(per_net.min()) if per_net.size else None,
            single_net_max_std=float(per_net.max()) if per_net.size else None)
    save_results(args, metrics)
    return metrics
