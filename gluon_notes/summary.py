"""Layer-by-layer output shapes and parameter counts of a network on a sample input.

The book prints ``for layer in net: X = layer(X); print(layer.name, X.shape)`` (5.5-5.12);
``summary`` does the same for nested networks: plain ``(Hybrid)Sequential`` containers are
opened and every other block (a layer, ``Residual``, ``Inception``, ...) is one row. A
convolution's count is ``in_channels * k_h * k_w * out_channels + out_channels``.
"""
from collections import namedtuple

import mxnet as mx
from mxnet import nd
from mxnet.gluon import nn

from .compat import children, param_state
from .errors import GluonNotesError, InputShapeError
from .inputs import forward_checked

Row = namedtuple("Row", "name kind output_shape params")
Row.__doc__ = "One line of the table: block name, class name, output shape, trainable params."


def _rows_of(block):
    """The blocks that get a row: children of Sequential containers, recursively."""
    if isinstance(block, (nn.Sequential, nn.HybridSequential)):
        return [leaf for child in children(block) for leaf in _rows_of(child)]
    return [block]


def count_params(block, trainable=True):
    """Number of scalars in ``block``'s parameters with (or without) a gradient."""
    return sum(int(p.data().size) for p in block.collect_params().values()
               if (p.grad_req != "null") == trainable)


def summary(net, X=None, input_shape=(1, 1, 28, 28), ctx=None):
    """Run ``net`` on ``X`` (zeros of ``input_shape`` by default) and list each block's output.

    The net is initialized (Xavier) if it is not, and run imperatively (a hybridized net is
    switched back), so that each block's output can be seen.

    Returns
    -------
    list of Row
    """
    ctx = ctx or mx.cpu()
    X = X if X is not None else nd.zeros(input_shape, ctx=ctx)
    blocks = _rows_of(net)
    seen = {}

    def hook(block, inputs, output):
        out = output[0] if isinstance(output, (list, tuple)) else output
        seen.setdefault(id(block), tuple(out.shape))

    handles = [b.register_forward_hook(hook) for b in blocks]
    try:
        net.hybridize(active=False)
        if any(param_state(p) == "none" for p in net.collect_params().values()):
            net.initialize(mx.init.Xavier(), ctx=ctx)
        try:
            forward_checked(net, X)
        except InputShapeError as err:
            raise GluonNotesError("this network cannot take an input of shape %s (%s); give a "
                                  "larger --resize." % (X.shape, err.reason or "a layer's output "
                                                        "would be empty")) from None
    finally:
        for h in handles:
            h.detach()
    return [Row(b.name, type(b).__name__, seen[id(b)], count_params(b))
            for b in blocks if id(b) in seen]


def format_summary(rows, net=None):
    """The rows as a text table, with the totals (trainable and moving statistics)."""
    lines = ["%-24s %-18s %-22s %12s" % ("layer", "type", "output shape", "params"),
             "-" * 79]
    for r in rows:
        lines.append("%-24s %-18s %-22s %12s" % (r.name, r.kind, str(r.output_shape),
                                                 "{:,}".format(r.params)))
    lines.append("-" * 79)
    if net is not None:
        fixed = count_params(net, trainable=False)
        lines.append("trainable params: {:,}".format(count_params(net))
                     + ("   non-trainable (moving statistics): {:,}".format(fixed)
                        if fixed else ""))
    return "\n".join(lines)


def print_summary(net, X=None, input_shape=(1, 1, 28, 28)):
    """Print ``format_summary(summary(net, ...))`` and return the rows."""
    rows = summary(net, X, input_shape)
    print(format_summary(rows, net))
    return rows


__all__ = ["Row", "summary", "format_summary", "print_summary", "count_params"]
