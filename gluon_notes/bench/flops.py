"""Floating-point work of a network, counted from its layer shapes, and the rate a run achieved.

Design
------
* ``layer_macs`` runs the network once on one example and records, for every convolution and
  dense layer (at any depth: residual and inception blocks are opened), its output shape and
  multiply-adds per example: output elements x (weight elements / output channels), i.e.
  ``C_out H_out W_out x C_in/groups k_h k_w`` for a convolution and ``units x in_units`` for a
  dense layer. Other layers (batch norm, activations, pooling, the loss) are not counted.
* One multiply-add is two FLOPs; a training step counts ``TRAIN_FACTOR`` (3) times the forward
  pass: the forward, the input gradient and the weight gradient each cost about one forward.
* ``add_achieved`` turns a row's throughput (examples/s) into GFLOP/s and, given the machine's
  best fp32 GEMM rate (``bench.gemm``), into a fraction of it: how close the run came to what
  this CPU multiplies matrices at.
"""
from collections import namedtuple

import mxnet as mx
from mxnet import nd
from mxnet.gluon import nn

from ..compat import children, param_state

#: a training step's FLOPs over the forward pass's (forward + input and weight gradients)
TRAIN_FACTOR = 3
COUNTED = (nn.Conv1D, nn.Conv2D, nn.Conv3D, nn.Dense)  # not the transposed convolutions

Layer = namedtuple("Layer", "name kind output_shape macs")
Layer.__doc__ = "A counted layer: block name, class, output shape (batch 1), multiply-adds."


def _blocks(block):
    yield block
    for child in children(block):
        yield from _blocks(child)


def layer_macs(net, input_shape, ctx=None):
    """Run ``net`` (initialized here if it is not) on zeros of shape ``(1,) + input_shape``;
    return a ``Layer`` per convolution and dense layer called, in call order."""
    ctx = ctx or mx.cpu()
    seen = []

    def hook(block, inputs, output):
        out = output[0] if isinstance(output, (list, tuple)) else output
        w = block.weight.data(ctx)                     # (C_out, C_in / groups, k...) or (units, in)
        per_out = w.size // w.shape[0]                 # multiply-adds per output element
        seen.append(Layer(block.name, type(block).__name__, tuple(out.shape),
                          int(out.size // out.shape[0]) * per_out))

    handles = [b.register_forward_hook(hook) for b in _blocks(net) if type(b) in COUNTED]
    try:
        if any(param_state(p) == "none" for p in net.collect_params().values()):
            net.initialize(mx.init.Xavier(), ctx=ctx)
        net(nd.zeros((1,) + tuple(input_shape), ctx=ctx)).wait_to_read()
    finally:
        for h in handles:
            h.detach()
    return seen


def forward_flops(net, input_shape):
    """FLOPs (2 x multiply-adds) of one example's forward pass through ``net``'s convolutions
    and dense layers, and how many of those layers are convolutions."""
    layers = layer_macs(net, input_shape)
    return 2 * sum(l.macs for l in layers), sum(l.kind != "Dense" for l in layers)


_CACHE = {}


def model_flops(model):
    """``{'forward': FLOPs, 'train': FLOPs, 'convolutions': n}`` per example of a bench model
    (``BenchModel``) at its input shape; cached by name."""
    if model.name not in _CACHE:
        forward, convs = forward_flops(model.make(), model.input_shape)
        _CACHE[model.name] = dict(forward=forward, train=TRAIN_FACTOR * forward,
                                  convolutions=convs)
    return _CACHE[model.name]


def add_achieved(rows, flops, gemm_gflops=None):
    """Add ``gflops`` (and, given the best GEMM rate, ``gemm_fraction``) to each row with a
    throughput whose model is in ``flops`` (``{model: model_flops(...)}``): inference rows
    count the forward pass, the training workloads ('train', 'loop') a training step."""
    for r in rows:
        counts = flops.get(r["model"])
        if counts is None or not r.get("throughput"):
            continue
        per_example = counts["forward"] if r["workload"] == "inference" else counts["train"]
        r["gflops"] = r["throughput"] * per_example / 1e9
        if gemm_gflops:
            r["gemm_fraction"] = r["gflops"] / gemm_gflops
    return rows
