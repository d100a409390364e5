"""What every loss here shares: the reduction, fixed tensors (class weights), input checks.

Design
------
* A loss is a ``HybridBlock``; the checks that need values (label range, probabilities in
  [0, 1]) run only in imperative mode (``F is nd``): a hybridized graph cannot raise.
* Fixed tensors (``weight``, ``pos_weight``) are ``Constant`` parameters, initialized when the
  loss is built on the current context and copied to any other context an imperative input
  arrives on. Inside a hybridized training graph (``fit(hybridize=True)``) on other devices,
  place them first: ``loss.collect_params().reset_ctx(ctx)``.
* ``reduction`` is PyTorch's: ``'none'`` per-element losses, ``'sum'``, ``'mean'`` (a ``(1,)``
  array, where PyTorch returns a 0-d tensor).
"""
import numpy as np
import mxnet as mx
from mxnet import gluon, nd

from ..errors import GluonNotesError

REDUCTIONS = ("mean", "sum", "none")


class Loss(gluon.HybridBlock):
    """Base class: validates ``reduction`` and holds the loss's constant tensors.

    Parameters
    ----------
    reduction : {'mean', 'sum', 'none'}
    """

    def __init__(self, reduction="mean", **kwargs):
        super().__init__(**kwargs)
        if reduction not in REDUCTIONS:
            raise GluonNotesError("reduction must be 'mean', 'sum' or 'none', got %r."
                                  % (reduction,))
        self.reduction = reduction
        self._constants = []

    def _constant(self, name, value, ndim=None):
        """A fixed float32 tensor as a ``Constant`` parameter (None stays None)."""
        if value is None:
            return None
        arr = np.asarray(value.asnumpy() if isinstance(value, nd.NDArray) else value,
                         dtype="float32")
        if not np.all(np.isfinite(arr)) or (ndim is not None and arr.ndim != ndim):
            raise GluonNotesError("%s must be a %s of finite floats, got one of shape %s%s."
                                  % (name, "vector" if ndim == 1 else "array", arr.shape,
                                     "" if np.all(np.isfinite(arr)) else " holding inf or NaN"))
        with self.name_scope():
            param = self.params.get_constant(name, nd.array(arr))
        param.initialize(ctx=mx.current_context())
        self._constants.append(param)
        return param

    def forward(self, x, *args):
        if isinstance(x, nd.NDArray):  # imperative call or a cached graph's first call
            for param in self._constants:
                if x.context not in param.list_ctx():
                    param.reset_ctx(param.list_ctx() + [x.context])
        return super().forward(x, *args)

    def _reduce(self, F, loss, denominator=None):
        """``loss`` (any shape) reduced as ``self.reduction`` says; ``'mean'`` divides the sum by
        ``denominator`` (the weights' sum) when given, else by the number of elements."""
        if self.reduction == "none":
            return loss
        total = F.sum(loss)                                          # (1,)
        if self.reduction == "sum":
            return total
        return total / denominator if denominator is not None else F.mean(loss)


def check_class_labels(name, scores, label, ignore_index, weight=None):
    """Imperative-mode checks of ``(batch, classes)`` scores and their class-index labels."""
    if scores.ndim != 2:
        raise GluonNotesError("%s expects (batch, classes) scores, got shape %s; reshape "
                              "K-dimensional scores to (batch * d, classes)."
                              % (name, scores.shape))
    n, classes = scores.shape
    if label.size != n:
        raise GluonNotesError("%s got %d labels for %d examples; give one class index per "
                              "example." % (name, label.size, n))
    if weight is not None and weight.shape != (classes,):
        raise GluonNotesError("%s has %d class weights but the scores have %d classes; give one "
                              "weight per class." % (name, weight.size, classes))
    y = label.asnumpy().ravel()
    valid = (y >= 0) & (y < classes) & (y == np.round(y))
    if ignore_index is not None:
        valid |= y == ignore_index
    if not valid.all():
        i = int(np.flatnonzero(~valid)[0])
        raise GluonNotesError(
            "%s got label %g at position %d, but labels must be class indices 0..%d%s; fix the "
            "labels or pass ignore_index." % (name, y[i], i, classes - 1,
                                              "" if ignore_index is None
                                              else " or ignore_index=%g" % ignore_index))


def check_same_size(name, pred, label, weight=None):
    """Imperative-mode check: one target per input element, and a weight that broadcasts."""
    if label.size != pred.size:
        raise GluonNotesError("%s got a target of shape %s for an input of shape %s; give one "
                              "target per input element." % (name, label.shape, pred.shape))
    if weight is not None:
        try:
            shape = np.broadcast_shapes(weight.shape, pred.shape)
        except ValueError:
            shape = None
        if shape != pred.shape:
            raise GluonNotesError("%s's weight of shape %s does not broadcast to the input's "
                                  "shape %s; give a weight of that shape or its last dimensions."
                                  % (name, weight.shape, pred.shape))
