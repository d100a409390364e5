"""Binary cross-entropy with PyTorch's semantics, on probabilities and on logits.

Design
------
* ``BCELoss`` reproduces PyTorch's forward (each log clamped at -100, so p = 0 or 1 gives the
  finite loss 100) and PyTorch's own backward formula, ``w * (p - y) / max(p * (1 - p), 1e-12)``,
  which is the loss's derivative wherever neither clamp nor floor is active.
* ``BCEWithLogitsLoss`` is ``y * softplus(-x) * pos_weight + (1 - y) * softplus(x)``; MXNet's
  ``softrelu`` is stable (it returns x for x > 20), so |logit| = 100 gives finite values and the
  gradient ``sigmoid(x) * (1 + (pos_weight - 1) * y) - pos_weight * y`` (times the weight).
* ``'mean'`` is over all elements, the weights included in the sum, as in PyTorch.
* The target may have the input's size in another shape (a ``(N,)`` target for an ``(N, 1)``
  input, as ``train.fit`` delivers it): it is reshaped to the input's shape. PyTorch requires
  equal shapes.
"""
from mxnet import nd

from ..errors import GluonNotesError
from ._base import Loss, check_same_size

#: PyTorch's floor under ``p * (1 - p)`` in BCE's backward, and its clamp of each log
BCE_GRAD_EPS, LOG_CLAMP = 1e-12, -100.0


class BCELoss(Loss):
    """Binary cross-entropy of probabilities (``torch.nn.BCELoss``).

    ``loss = -weight * (y * max(log p, -100) + (1 - y) * max(log(1 - p), -100))``, elementwise.

    Parameters
    ----------
    weight : array broadcastable to the input's shape, optional
        Rescales each element's loss (e.g. one weight per output column).
    reduction : {'mean', 'sum', 'none'}
        ``'mean'`` averages over all elements. Pass ``'none'`` to ``train.fit``.

    Notes
    -----
    In imperative mode an input outside [0, 1] (or NaN) raises ``GluonNotesError``, as PyTorch
    raises; a hybridized graph cannot check and returns NaN for such inputs. No gradient flows to
    the target.
    """

    def __init__(self, weight=None, reduction="mean", **kwargs):
        super().__init__(reduction, **kwargs)
        self.weight = self._constant("weight", weight)

    def hybrid_forward(self, F, pred, label, weight=None):
        if F is nd:
            check_same_size("BCELoss", pred, label, weight)
            p = pred.asnumpy()
            if not ((p >= 0) & (p <= 1)).all():
                raise GluonNotesError("BCELoss needs probabilities in [0, 1] but got %g; apply "
                                      "a sigmoid first or use BCEWithLogitsLoss on the logits."
                                      % p[~((p >= 0) & (p <= 1))][0])
        y = F.BlockGrad(F.reshape_like(label, pred))                  # pred's shape
        p = F.BlockGrad(pred)                                         # the value path: no grad
        loss = -(y * F.maximum(F.log(p), LOG_CLAMP) + (1 - y) * F.maximum(F.log1p(-p), LOG_CLAMP))
        grad = (p - y) / F.maximum(p * (1 - p), BCE_GRAD_EPS)         # PyTorch's backward
        if weight is not None:
            loss = F.broadcast_mul(loss, weight)
            grad = F.broadcast_mul(grad, weight)
        # value: loss; derivative w.r.t. pred: grad (pred - p is exactly 0, its derivative 1)
        loss = loss + F.BlockGrad(grad) * (pred - p)
        return self._reduce(F, loss)


class BCEWithLogitsLoss(Loss):
    """Sigmoid and binary cross-entropy in one stable step (``torch.nn.BCEWithLogitsLoss``).

    ``loss = weight * (pos_weight * y * softplus(-x) + (1 - y) * softplus(x))``, elementwise,
    where ``softplus(-x) = -log sigmoid(x)``.

    Parameters
    ----------
    weight : array broadcastable to the input's shape, optional
        Rescales each element's loss.
    pos_weight : array broadcastable to the input's shape, optional
        Weight of the positive term, usually one per class (the last dimension): > 1 raises
        recall, < 1 precision.
    reduction : {'mean', 'sum', 'none'}
        ``'mean'`` averages over all elements. Pass ``'none'`` to ``train.fit``.
    """

    def __init__(self, weight=None, pos_weight=None, reduction="mean", **kwargs):
        super().__init__(reduction, **kwargs)
        self.weight = self._constant("weight", weight)
        self.pos_weight = self._constant("pos_weight", pos_weight)

    def hybrid_forward(self, F, pred, label, weight=None, pos_weight=None):
        if F is nd:
            check_same_size("BCEWithLogitsLoss", pred, label, weight)
            check_same_size("BCEWithLogitsLoss", pred, label, pos_weight)
        y = F.BlockGrad(F.reshape_like(label, pred))                  # pred's shape
        pos = y * F.Activation(-pred, act_type="softrelu")            # y * -log sigmoid(x)
        if pos_weight is not None:
            pos = F.broadcast_mul(pos, pos_weight)
        loss = pos + (1 - y) * F.Activation(pred, act_type="softrelu")  # + (1-y) * -log(1-s)
        if weight is not None:
            loss = F.broadcast_mul(loss, weight)
        return self._reduce(F, loss)
