"""Multi-class losses with PyTorch's semantics: NLL, cross-entropy, additive-margin softmax.

Design
------
* One function, ``class_nll``, computes the per-example loss and weight for all three losses,
  so weights, ``ignore_index`` and label smoothing mean the same thing in each.
* PyTorch's ``'mean'`` with class weights divides by the sum of the weights of the non-ignored
  targets, not by the batch size; with every target ignored it is 0/0 = NaN, as in PyTorch.
* Label smoothing is PyTorch's: ``(1 - eps) * nll + eps / C * sum_c w_c * (-log p_c)``; the
  smoothing term is weighted by every class's weight, the mean divides by the same sum.
* AM-softmax is two pieces: ``CosineDense`` (the net's last layer, cosines of L2-normalized
  embeddings and class weights, so the loop trains its weights and scores its argmax) and
  ``AMSoftmaxLoss`` (margin and scale on those cosines).
"""
from mxnet import gluon, nd

from ..errors import GluonNotesError
from ._base import Loss, check_class_labels


def class_nll(F, logp, label, weight=None, ignore_index=None, label_smoothing=0.0):
    """Per-example losses and target weights from log-probabilities (PyTorch's formula).

    Parameters
    ----------
    F : mxnet.nd or mxnet.sym
    logp : (N, C) log-probabilities
    label : (N,) class indices (any float or int dtype)
    weight : (C,) class weights, optional
    ignore_index : int, optional
        Targets equal to it get loss 0 and weight 0.
    label_smoothing : float in [0, 1]

    Returns
    -------
    loss : (N,) per-example losses, weighted
    w_y : (N,) the weight of each example's target (0 where ignored)
    """
    label = F.reshape(F.cast(label, "float32"), (-1,))              # (N,)
    nll = -F.pick(logp, label, axis=1)                                # (N,)
    if weight is None:
        w_y = F.ones_like(nll)                                        # (N,)
        smooth = -F.mean(logp, axis=1)                                # (N,) sum_c / C
    else:
        w_y = F.take(weight, label)                                   # (N,)
        nll = nll * w_y
        smooth = -F.mean(F.broadcast_mul(logp, F.reshape(weight, (1, -1))), axis=1)  # (N,)
    loss = nll
    if label_smoothing:
        loss = (1 - label_smoothing) * nll + label_smoothing * smooth
    if ignore_index is not None:
        keep = label != ignore_index                                  # (N,) 1 or 0
        loss = F.where(keep, loss, F.zeros_like(loss))
        w_y = F.where(keep, w_y, F.zeros_like(w_y))
    return loss, w_y


class NLLLoss(Loss):
    """Negative log-likelihood of class indices, on log-probabilities (``torch.nn.NLLLoss``).

    ``loss_i = -weight[y_i] * input[i, y_i]``, 0 where ``y_i == ignore_index``.

    Parameters
    ----------
    weight : sequence of C floats, optional
        Class weights.
    ignore_index : int, optional
        A target value that contributes nothing (PyTorch's default is -100; here None: every
        label must be a class index).
    reduction : {'mean', 'sum', 'none'}
        ``'mean'`` divides by the sum of the non-ignored targets' weights (PyTorch's rule).
        Pass ``'none'`` to ``train.fit``: it sums the per-example losses and divides the gradient
        by the batch size itself, so ``'mean'`` would shrink the step by the batch size again.

    Notes
    -----
    Inputs: ``(N, C)`` log-probabilities and ``(N,)`` labels, float32. In imperative mode a label
    outside ``0..C-1`` (other than ``ignore_index``) raises ``GluonNotesError``; a hybridized
    graph cannot check, and clips such a label into range.
    """

    name_ = "NLLLoss"
    label_smoothing = 0.0

    def __init__(self, weight=None, ignore_index=None, reduction="mean", **kwargs):
        super().__init__(reduction, **kwargs)
        self.ignore_index = ignore_index
        self.weight = self._constant("weight", weight, ndim=1)

    def _log_probs(self, F, pred):
        return pred

    def hybrid_forward(self, F, pred, label, weight=None):
        if F is nd:
            check_class_labels(self.name_, pred, label, self.ignore_index, weight)
        loss, w_y = class_nll(F, self._log_probs(F, pred), label, weight, self.ignore_index,
                              self.label_smoothing)                   # (N,), (N,)
        return self._reduce(F, loss, F.sum(w_y))


class CrossEntropyLoss(NLLLoss):
    """Softmax cross-entropy on logits (``torch.nn.CrossEntropyLoss``, class-index targets).

    ``NLLLoss`` of ``log_softmax(logits)``, with PyTorch's label smoothing: each example's loss
    is ``(1 - eps) * weight[y] * (-log p_y) + eps / C * sum_c weight[c] * (-log p_c)``.

    Parameters
    ----------
    weight, ignore_index, reduction
        As in ``NLLLoss`` (pass ``reduction='none'`` to ``train.fit``).
    label_smoothing : float in [0, 1]

    Notes
    -----
    ``log_softmax`` keeps logits of any size finite (|logit| = 100 or 1e4 included). Probability
    targets (PyTorch's other target form) are not supported.
    """

    name_ = "CrossEntropyLoss"

    def __init__(self, weight=None, ignore_index=None, reduction="mean", label_smoothing=0.0,
                 **kwargs):
        super().__init__(weight, ignore_index, reduction, **kwargs)
        if not 0.0 <= label_smoothing <= 1.0:
            raise GluonNotesError("label_smoothing must lie in [0, 1], got %r."
                                  % (label_smoothing,))
        self.label_smoothing = float(label_smoothing)

    def _log_probs(self, F, pred):
        return F.log_softmax(pred, axis=1)                             # (N, C)


class AMSoftmaxLoss(Loss):
    """Additive-margin softmax loss on cosines (Wang et al. 2018, "Additive Margin Softmax").

    ``CrossEntropyLoss`` of ``scale * (cos - margin * onehot(y))``: the target's cosine must
    beat the others by ``margin`` before its loss gets small, which pulls each class's
    embeddings into a tighter cone. PyTorch has no built-in counterpart; the same loss there is
    ``F.cross_entropy(scale * (cos - margin * F.one_hot(y, C)), y)``.

    Parameters
    ----------
    margin : float >= 0
        Subtracted from the target class's cosine (the paper uses 0.35).
    scale : float > 0
        Multiplies the cosines (the paper uses 30).
    reduction : {'mean', 'sum', 'none'}
        Pass ``'none'`` to ``train.fit``.

    Notes
    -----
    Input: ``(N, C)`` cosines, e.g. from ``CosineDense``; in imperative mode values outside
    [-1, 1] raise ``GluonNotesError``, as do labels outside ``0..C-1``.
    """

    def __init__(self, margin=0.35, scale=30.0, reduction="mean", **kwargs):
        super().__init__(reduction, **kwargs)
        if not margin >= 0 or not scale > 0:
            raise GluonNotesError("AMSoftmaxLoss needs margin >= 0 and scale > 0, got margin=%r, "
                                  "scale=%r." % (margin, scale))
        self.margin, self.scale = float(margin), float(scale)

    def hybrid_forward(self, F, cos, label):
        if F is nd:
            check_class_labels("AMSoftmaxLoss", cos, label, None)
            worst = float(cos.abs().max().asscalar()) if cos.size else 0.0
            if worst > 1 + 1e-4:
                raise GluonNotesError("AMSoftmaxLoss expects cosines in [-1, 1] but got %g; feed "
                                      "it the output of CosineDense, not logits." % worst)
        classes = F.reshape(F.contrib.arange_like(cos, axis=1), (1, -1))     # (1, C)
        onehot = F.broadcast_equal(classes, F.reshape(F.cast(label, "float32"), (-1, 1)))  # (N, C)
        logits = self.scale * (cos - self.margin * onehot)                   # (N, C)
        loss, w_y = class_nll(F, F.log_softmax(logits, axis=1), label)        # (N,), (N,)
        return self._reduce(F, loss, F.sum(w_y))


class CosineDense(gluon.HybridBlock):
    """Cosines between L2-normalized inputs and L2-normalized class weights (AM-softmax's layer).

    ``out[i, c] = <x_i / |x_i|, w_c / |w_c|>``; no bias. In PyTorch:
    ``F.linear(F.normalize(x), F.normalize(W))``.

    Parameters
    ----------
    units : int
        Number of classes.
    in_units : int, optional
        Embedding size (inferred on the first batch when 0).
    """

    def __init__(self, units, in_units=0, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        with self.name_scope():
            self.weight = self.params.get("weight", shape=(units, in_units),
                                          allow_deferred_init=True)

    def hybrid_forward(self, F, x, weight):
        x = F.L2Normalization(F.flatten(x), mode="instance")         # (N, D), rows of norm 1
        dots = F.FullyConnected(x, weight, no_bias=True, num_hidden=self.units)  # (N, C)
        # divide column c by |w_c| after the product, so the weight feeds FullyConnected
        # directly and its shape is inferred on the first batch (deferred init)
        w_norm = F.sqrt(F.sum(F.square(weight), axis=1) + 1e-12)     # (C,)
        return F.broadcast_div(dots, F.reshape(w_norm, (1, -1)))      # (N, C)
