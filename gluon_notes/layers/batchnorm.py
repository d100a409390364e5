"""Batch normalization from scratch (book 5.10): the book's ``batch_norm`` and a hybridizable
``BatchNorm`` layer with moving statistics.

Design
------
* ``batch_norm`` is the book's function on NDArrays; ``BatchNorm`` is a ``HybridBlock`` whose
  forward uses ``F`` operators only and updates its moving statistics in place, imperatively
  and inside a hybridized graph (below).
* Training or inference is decided when the graph runs, not when it is traced.
* The one private MXNet entry point it needs (building an update operator's symbol by handle)
  goes through ``gluon_notes.compat``.

Scratch ``BatchNorm`` and its moving statistics
-----------------------------------------------
A hybridized graph receives parameters as inputs, so ``moving_mean[:] = ...`` cannot be written
inside it. MXNet does let an operator *mutate* an input in place (that is how its own BatchNorm
updates ``running_mean``): such inputs become auxiliary states of the graph and the cached op
writes them back into the parameter's array. ``_add_inplace`` uses the SGD-momentum update
operator as a plain in-place ``state += delta`` (momentum 1, lr 1, rescale 1, wd 0), which works
identically imperatively and hybridized. MXNet 1.9.1's Python symbol API cannot compose the
update operators (they lack input names), so the symbol is created positionally through
``compat.symbol_creator``; that private call is the one place tied to the pinned mxnet
version.

Training or inference is decided when the graph *runs*, not when it is traced: ``_train_flag``
is ``|Dropout(1, p=0.5) - 1|``, exactly 1 in training (dropout outputs 0 or 2) and exactly 0 in
inference (dropout is the identity). It draws one random number per channel in training.

Differences from ``nn.BatchNorm`` (checked in ``tests/test_cnn_layers.py``): both normalise
with the biased batch variance and update ``moving = 0.9 * moving + 0.1 * batch`` with the
biased variance, but MXNet 1.9.1's operator performs that update in its *backward* pass,
whereas the scratch layer (like the book's ``batch_norm``) updates in the forward pass of
training mode. After a training step (forward and backward) both hold the same statistics.

One limit: with ``hybridize(static_alloc=True, static_shape=True)`` the engine does not order a
Python read of the moving statistics after the in-place update of the call just made; call
``mx.nd.waitall()`` before reading them (plain ``hybridize()`` and ``static_alloc=True`` alone
need nothing). Values used inside later graphs are correct either way.
"""
import functools

from mxnet import autograd, init, nd
from mxnet.gluon import nn

from ..compat import op_handle, symbol_creator
from ..errors import GluonNotesError

def batch_norm(X, gamma, beta, moving_mean, moving_var, eps=1e-5, momentum=0.9):
    """The book's batch normalization on NDArrays (book 5.10.1).

    ``X`` is (N, C) after a dense layer or (N, C, H, W) after a convolution (statistics per
    channel). In training mode (``autograd.is_training()``) it normalises with the batch mean and
    biased variance and returns updated moving statistics; otherwise it uses the moving ones.

    Returns
    -------
    (Y, moving_mean, moving_var)
    """
    if X.ndim not in (2, 4):
        raise GluonNotesError("batch_norm takes (N, C) or (N, C, H, W) inputs, got shape %s."
                              % (X.shape,))
    if not autograd.is_training():
        X_hat = (X - moving_mean) / nd.sqrt(moving_var + eps)
    else:
        axes = (0,) if X.ndim == 2 else (0, 2, 3)
        mean = X.mean(axis=axes, keepdims=True)                  # (1, C) or (1, C, 1, 1)
        var = ((X - mean) ** 2).mean(axis=axes, keepdims=True)
        X_hat = (X - mean) / nd.sqrt(var + eps)
        moving_mean = momentum * moving_mean + (1.0 - momentum) * mean
        moving_var = momentum * moving_var + (1.0 - momentum) * var
    return gamma * X_hat + beta, moving_mean, moving_var


@functools.lru_cache(maxsize=None)
def _op_handle(name):
    return op_handle(name)


_SGD_MOM = dict(lr=1.0, momentum=1.0, wd=0.0, rescale_grad=1.0)


def _add_inplace(F, state, delta):
    """``state += delta`` in place, imperatively and inside a hybridized graph.

    Returns an output that must feed the block's result (through ``BlockGrad``), or the graph
    would drop the update. See the module docstring for how this works.
    """
    if F is nd:
        return nd.sgd_mom_update(nd.zeros_like(state), -delta, state, **_SGD_MOM)
    return symbol_creator()(_op_handle("sgd_mom_update"), [F.zeros_like(state), -delta, state],
                            {}, list(_SGD_MOM), list(_SGD_MOM.values()), None, False)


def _train_flag(F, like):
    """1 in training mode and 0 in inference mode, decided when the graph runs (shape of
    ``like``)."""
    return F.abs(F.Dropout(F.ones_like(like), p=0.5) - 1)


class BatchNorm(nn.HybridBlock):
    """Batch normalization from scratch with moving statistics (book 5.10.2).

    Parameters
    ----------
    num_features : int
        Channels (outputs of the previous layer); 0 infers them from the first input.
    num_dims : {2, 4}
        2 after a dense layer, 4 after a convolution.
    momentum, eps : float
        As ``nn.BatchNorm`` (0.9, 1e-5).

    Parameters ``gamma``, ``beta`` are learned; ``moving_mean``, ``moving_var`` have
    ``grad_req='null'`` and are updated in the forward pass of training mode, also when
    hybridized (see the module docstring).
    """

    def __init__(self, num_features=0, num_dims=4, momentum=0.9, eps=1e-5, **kwargs):
        super().__init__(**kwargs)
        if num_dims not in (2, 4):
            raise GluonNotesError("num_dims must be 2 (after Dense) or 4 (after Conv2D), got %r."
                                  % (num_dims,))
        self._axes = (0,) if num_dims == 2 else (0, 2, 3)
        self._bshape = (1, -1) if num_dims == 2 else (1, -1, 1, 1)
        self._momentum, self._eps = momentum, eps
        shape = (num_features,)
        self.gamma = self.params.get("gamma", shape=shape, init=init.One(),
                                     allow_deferred_init=True)
        self.beta = self.params.get("beta", shape=shape, init=init.Zero(),
                                    allow_deferred_init=True)
        self.moving_mean = self.params.get("moving_mean", shape=shape, init=init.Zero(),
                                           grad_req="null", allow_deferred_init=True,
                                           differentiable=False)
        self.moving_var = self.params.get("moving_var", shape=shape, init=init.One(),
                                          grad_req="null", allow_deferred_init=True,
                                          differentiable=False)

    def hybrid_forward(self, F, X, gamma, beta, moving_mean, moving_var):
        mean = F.mean(X, axis=self._axes)                                  # (C,)
        var = F.mean(F.square(F.broadcast_sub(X, F.reshape(mean, self._bshape))),
                     axis=self._axes)                                      # (C,) biased
        flag = _train_flag(F, mean)                                        # (C,) 1 or 0
        old_mean, old_var = F.BlockGrad(moving_mean), F.BlockGrad(moving_var)
        use_mean = flag * mean + (1 - flag) * old_mean                     # (C,)
        use_var = flag * var + (1 - flag) * old_var
        # elementwise (C,) ops let a hybridized parent infer the deferred (C,) parameter shapes
        scale = gamma / F.sqrt(use_var + self._eps)                        # (C,)
        shift = beta - use_mean * scale
        Y = F.broadcast_add(F.broadcast_mul(X, F.reshape(scale, self._bshape)),
                            F.reshape(shift, self._bshape))                # like X
        k = 1.0 - self._momentum  # moving += (1 - momentum) * (batch - moving), in training only
        done_m = _add_inplace(F, moving_mean, F.BlockGrad(flag * k * (mean - old_mean)))
        done_v = _add_inplace(F, moving_var, F.BlockGrad(flag * k * (var - old_var)))
        keep = F.reshape(F.BlockGrad(done_m + done_v) * 0, self._bshape)  # ties the updates in
        return F.broadcast_add(Y, keep)


__all__ = ["batch_norm", "BatchNorm"]
