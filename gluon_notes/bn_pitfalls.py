"""Batch normalization's pitfalls: batch size 1, batch size 2, and LayerNorm as the alternative.

Design
------
* ``train_mode(layer, X)`` runs a layer as training does (``autograd.record()``, batch
  statistics) and returns its output and the input's gradient, so each pitfall is a measurement.
* Batch size 1 on ``(1, C)`` features: the batch mean is the sample itself and the variance 0,
  so ``(x - mean) / sqrt(var + eps) = 0`` and the output is ``beta`` whatever the input, with a
  zero gradient for everything below. MXNet says nothing (PyTorch raises); on ``(1, C, H, W)``
  images the statistics come from the H x W positions of one image instead.
* Batch size 2: ``x - mean = +-d/2`` and ``var = d^2 / 4``, so each feature becomes
  ``+-|d| / sqrt(d^2 + 4 eps)``: about +-1, only which of the two samples is larger survives.
  The moving variance averages these two-sample variances, half the population's on average.
* ``nn.LayerNorm`` normalizes each sample over its own features: its output for a sample does not
  depend on the rest of the batch, in training or inference, which is also what a recurrent
  network needs (one statistic per sample and time step, whatever the batch or the length).
* ``norm_mlp(kind)`` is the measured example: Dense(128) -> BatchNorm or LayerNorm -> ReLU ->
  Dense(10), trained with batch 2.
"""
from mxnet import autograd, init, nd
from mxnet.gluon import nn

from .errors import GluonNotesError

NORMS = ("batchnorm", "layernorm")


def train_mode(layer, X):
    """``(output, input gradient)`` of ``layer`` on ``X`` recorded in training mode.

    The head gradient is random, so a zero input gradient means the layer really blocks it.
    """
    x = X.copy()
    x.attach_grad()
    with autograd.record():  # train_mode=True: batch statistics
        y = layer(x)
    y.backward(nd.random.normal(shape=y.shape, ctx=y.context))
    return y, x.grad


def norm_layer(kind):
    """``nn.BatchNorm()`` (statistics over the batch) or ``nn.LayerNorm()`` (over the features)."""
    if kind == "batchnorm":
        return nn.BatchNorm()
    if kind == "layernorm":
        return nn.LayerNorm()
    raise GluonNotesError("norm must be one of %s, got %r." % (", ".join(NORMS), kind))


def norm_mlp(kind, num_hiddens=128, classes=10):
    """Flatten -> Dense(num_hiddens) -> BatchNorm / LayerNorm -> ReLU -> Dense(classes)."""
    net = nn.HybridSequential(prefix="%s_mlp_" % kind)
    with net.name_scope():
        net.add(nn.Dense(num_hiddens),  # (N, num_hiddens), flattens its input
                norm_layer(kind),
                nn.Activation("relu"),
                nn.Dense(classes))      # (N, classes)
    return net


def batch_of_one(num_features=4, beta=0.5):
    """BatchNorm on one sample in training mode: returns ``(X, output, input gradient)``."""
    bn = nn.BatchNorm(beta_initializer=init.Constant(beta))
    bn.initialize()
    X = nd.random.normal(shape=(1, num_features))  # (1, C)
    y, grad = train_mode(bn, X)
    return X, y, grad


def batch_of_two(num_features=6):
    """BatchNorm and LayerNorm in training mode on two samples; the second sample is then
    replaced. Returns a dict of the outputs (``bn``, ``ln``, ``ln_other``: LayerNorm on the
    changed batch)."""
    X = nd.random.normal(shape=(2, num_features)) * 3 + 1  # (2, C)
    other = X.copy()
    other[1] = nd.random.normal(shape=(num_features,)) * 10
    out = {"X": X}
    for kind in NORMS:
        layer = norm_layer(kind)
        layer.initialize()
        out["bn" if kind == "batchnorm" else "ln"] = train_mode(layer, X)[0]
        if kind == "layernorm":
            out["ln_other"] = train_mode(layer, other)[0]
    return out


__all__ = ["train_mode", "norm_layer", "norm_mlp", "batch_of_one", "batch_of_two", "NORMS"]
