"""Variance propagation: each layer's output std in a 100-layer MLP per initialization (course).

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
  weight variance, ``D(W) = 2 / n``: ``D(H) = n (2 / n) D(H_prev) / 2`` stays at the first
  layer's 2 (std sqrt 2), layer after layer.

What is plotted is ``H``, each Dense output before its activation.

The backward pass obeys the same rule with ``n = fan_out`` (``dX = W^T dH``), times the
activation's slope: a sigmoid's is at most 1/4, so a deep sigmoid MLP multiplies its gradient by
a small factor per layer and the first layers barely learn (the vanishing-gradient chain
product, second panel), while ReLU with Kaiming keeps the gradient's scale.

The formula is an expectation over the weights, and one finite-width ReLU network wanders
around it: the log of its squared activation length has a variance that grows with the sum of
``1 / n_l`` over the layers (Hanin & Rolnick, 2018), so at 100 layers of 400 units single
networks spread by a factor of a few. Each curve is therefore the typical network, the geometric
mean over ``--nets`` independent networks of their stds, and the shaded band spans the single
networks (min to max).
"""
import math

import numpy as np
from mxnet import autograd, nd
from mxnet.gluon import nn

from ..init import KaimingNormal, KaimingUniform, TorchNormal, XavierUniform, calculate_gain
from ..train import seed_everything
from ._common import parse_args, positive_int, save_results
from ._course import figure, save_figure

DEFAULTS = dict(batch_size=32, num_layers=100, num_hiddens=400, nets=4, grad_depth=30)

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


#: the experiments whose scale is kept (zoomed in the figure's second panel)
STABLE = ("b_scaled", "c_tanh_xavier", "d_relu_kaiming")


def _extra(p):
    for name, help_text in (("num_layers", "layers of the MLP"), ("num_hiddens", "units per layer"),
                            ("nets", "independent networks pooled per curve"),
                            ("grad_depth", "layers of the sigmoid/ReLU gradient MLPs")):
        p.add_argument("--" + name.replace("_", "-"), type=positive_int, default=DEFAULTS[name],
                       help="%s (default %%(default)s)" % help_text)


def mlp(num_layers, num_hiddens, activation=None, init=None, ctx=None, grad_req="write"):
    """``num_layers`` x (``Dense(num_hiddens)``, ``Activation``), initialized with ``init``;
    the activation is a layer of its own so that each Dense output ``H`` can be read."""
    net = nn.Sequential()
    for _ in range(num_layers):
        net.add(nn.Dense(num_hiddens, in_units=num_hiddens))
        if activation:
            net.add(nn.Activation(activation))
    net.collect_params().setattr("grad_req", grad_req)   # 'null': forward only, no gradients
    net.initialize(init=init, ctx=ctx)
    return net


def dense_layers(net):
    """The Dense layers of ``mlp(...)``, in order."""
    return [layer for layer in net if isinstance(layer, nn.Dense)]


def _layer_moments(net, X):
    """``(num_layers, 3)``: mean, mean square (float64) and all-finite flag of each Dense
    output ``H`` (before the activation), read once per network."""
    outputs = []
    for layer in net:
        X = layer(X)                                 # (batch_size, num_hiddens)
        if isinstance(layer, nn.Dense):
            outputs.append(X)
    H = nd.stack(*outputs).reshape((len(outputs), -1)).astype("float64")  # (layers, B * n)
    finite = nd.contrib.isfinite(H).min(axis=1)
    return nd.stack(H.mean(axis=1), (H * H).mean(axis=1), finite, axis=1).asnumpy()


def layer_stds(init, activation, num_layers=100, num_hiddens=400, batch_size=32, nets=6,
               ctx=None):
    """Std of each layer's output ``H`` (the Dense output, before the activation: the ``H`` of
    ``D(H) = n D(X) D(W)``) in ``nets`` independent MLPs fed N(0, 1) input.

    Returns
    -------
    dict
        ``std``: per layer, the geometric mean over the networks of their stds (the typical
        network; NaN from the first layer with inf/NaN in any network on);
        ``per_net``: ``(nets, num_layers)`` array of the single networks' stds;
        ``overflow_layer``: 1-based first layer with inf/NaN, or None.
    """
    moments = []
    for _ in range(nets):
        net = mlp(num_layers, num_hiddens, activation, init, ctx, grad_req="null")
        moments.append(_layer_moments(net, nd.random.normal(shape=(batch_size, num_hiddens),
                                                            ctx=ctx)))
    moments = np.stack(moments)                      # (nets, num_layers, 3)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        per_net = np.sqrt(np.maximum(moments[:, :, 1] - moments[:, :, 0] ** 2, 0))
        typical = np.exp(np.log(per_net).mean(axis=0))
    finite = (moments[:, :, 2].min(axis=0) == 1) & np.isfinite(typical)
    bad = np.flatnonzero(~finite)
    overflow = int(bad[0]) + 1 if bad.size else None
    if overflow:
        typical[overflow - 1:] = np.nan
        per_net[:, overflow - 1:] = np.nan
    return dict(std=typical.tolist(), per_net=per_net, overflow_layer=overflow)


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
    norms = [layer.weight.grad().norm() for layer in dense_layers(net)]
    return nd.concat(*norms, dim=0).asnumpy().tolist()


def _plot(results, grads, args):
    fig, axes = figure(1, 3, width=5.2, height=4.2)
    layers = np.arange(1, args.num_layers + 1)
    for i, (key, r) in enumerate(results.items()):
        color, std = "C%d" % i, np.array(r["std"], dtype=float)
        shown = np.isfinite(std) & (std > 0)         # a log axis cannot show 0, inf or NaN
        axes[0, 0].semilogy(layers[shown], std[shown], color=color, label=EXPERIMENTS[key][0])
        if r["overflow_layer"]:
            last = r["overflow_layer"] - 1           # the last layer with a finite std
            axes[0, 0].semilogy([last], [std[last - 1]], "x", color=color, ms=10, mew=2)
            axes[0, 0].annotate("inf/NaN from layer %d" % r["overflow_layer"],
                                (last, std[last - 1]), textcoords="offset points",
                                xytext=(6, -4), fontsize=8, color=color)
        if key in STABLE:
            axes[0, 1].semilogy(layers, std, color=color, label=EXPERIMENTS[key][0])
            axes[0, 1].fill_between(layers, r["per_net"].min(0), r["per_net"].max(0),
                                    color=color, alpha=0.15, linewidth=0)
    axes[0, 0].set(xlabel="layer", ylabel="std of H (Dense output)",
                   title="forward: %d x Dense(%d), N(0, 1) input"
                   % (args.num_layers, args.num_hiddens))
    axes[0, 1].set(xlabel="layer", ylabel="std of H (Dense output)", ylim=(0.25, 4),
                   title="the kept scales: typical of %d nets, band = single nets" % args.nets)
    for bound in (0.5, 2):
        axes[0, 1].axhline(bound, color="gray", ls="--", lw=0.8)
    axes[0, 1].set_yticks([0.25, 0.5, 1, 2, 4], ["0.25", "0.5", "1", "2", "4"])
    for i, (label, norms) in enumerate(grads.items()):
        axes[0, 2].semilogy(np.arange(1, len(norms) + 1), norms, "-o", ms=3,
                            color="C%d" % (i + 5), label=label)
    axes[0, 2].set(xlabel="layer (1 = next to the input)", ylabel="||dL/dW|| of the layer",
                   title="backward: the chain product, %d layers" % args.grad_depth)
    for ax, loc in zip(axes[0], ("lower left", "lower left", "center right")):
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=7, loc=loc)
    return save_figure(fig, args, "init_variance.png")


def main(argv=None):
    args = parse_args("init-variance", DEFAULTS, __doc__, argv, extra=_extra)
    ctx, seed = args.ctx[0], args.seed[0]
    seed_everything(seed)
    results, at = {}, sorted({1, 10, 25, 50, args.num_layers} & set(range(1, args.num_layers + 1)))
    print("std of each layer's output H, geometric mean over %d nets of %d-unit layers, "
          "batch %d"
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
