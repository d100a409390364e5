"""Checks of a data set, run once where it is loaded (``ArrayLoader``, ``load_data_*``).

Design
------
* Features: NaN or inf anywhere in a sample is refused with one sentence naming the first bad
  sample; the check is one matrix-vector product on the device (each sample's sum) and one
  read of ``(N,)`` values; only samples whose sum is not finite are looked at again.
* Labels: non-finite labels are always refused. Whether they must be class indices depends on
  the task, so ``LabelInfo`` records what the labels are (integral, range, one-hot rows, first
  offending sample) and ``LabelInfo.check(classes)`` refuses them for a classifier: fractional,
  negative, ``>= classes`` or one-hot labels. ``fit`` calls it with the classes it reads from the
  network's output, so the data is read once, when it is loaded.
* An iterator that is not an ``ArrayLoader`` is unknown to these checks: ``fit`` runs them on its
  first batch only (``check_batch``).
"""
import numpy as np
from mxnet import nd

from ..errors import DataError


def _host(a):
    return a.asnumpy() if isinstance(a, nd.NDArray) else np.asarray(a)


def check_finite(X, what="X"):
    """Raise ``DataError`` naming the first sample of ``X`` (N, ...) holding NaN or inf."""
    if len(X) == 0 or np.issubdtype(np.dtype(X.dtype), np.integer):
        return
    if isinstance(X, nd.NDArray):
        flat = X.reshape((X.shape[0], -1))                           # (N, D)
        ones = nd.ones((flat.shape[1], 1), ctx=X.context, dtype=X.dtype)
        # (N,) row sums as one matrix-vector product (far faster than MXNet's sum on a CPU):
        # non-finite when one of the row's values is
        sums = nd.dot(flat, ones).asnumpy().ravel()
        suspects = np.flatnonzero(~np.isfinite(sums))
        if not suspects.size:
            return
        # a sum of finite values can overflow: confirm the suspects on their own values
        rows = nd.take(flat, nd.array(suspects, ctx=X.context, dtype="int32"))
        confirmed = nd.min(nd.contrib.isfinite(rows), axis=1).asnumpy() == 0
        bad = suspects[confirmed]
    else:
        values = np.asarray(X, dtype=np.float64).reshape((len(X), -1))
        bad = np.flatnonzero(~np.isfinite(values).all(axis=1))
    if len(bad):
        i = int(bad[0])
        sample = _host(X[i]).ravel()
        value = sample[~np.isfinite(sample)][0]
        raise DataError("%s holds %s in sample %d (%d sample(s) in all hold NaN or inf); remove "
                        "or repair them before training." % (what, value, i, len(bad)))


class LabelInfo:
    """What the labels of a data set are, read once from the host copy of ``y``.

    Attributes
    ----------
    n : int
        Number of samples.
    one_hot : bool
        ``y`` is ``(N, k)`` with k > 1 and each row a one-hot vector.
    integral : bool
        Every label is a whole number.
    low, high : float
        Smallest and largest label.
    first_fractional, first_negative, first_max : int or None
        Index of the first sample with a fractional label, a negative one, and the largest one.
    """

    def __init__(self, y, what="y"):
        labels = _host(y)
        self.what, self.n, self.shape = what, len(labels), tuple(labels.shape)
        flat = labels.reshape((len(labels), -1)).astype(np.float64)
        finite = np.isfinite(flat).all(axis=1)
        if not finite.all():
            i = int(np.flatnonzero(~finite)[0])
            raise DataError("%s holds %s at sample %d; give every sample a finite label."
                            % (what, flat[i][~np.isfinite(flat[i])][0], i))
        self.one_hot = bool(flat.shape[1] > 1 and flat.size and np.isin(flat, (0, 1)).all()
                            and (flat.sum(axis=1) == 1).all())
        whole = flat == np.round(flat)
        self.integral = bool(whole.all())
        self.first_fractional = None if self.integral else int(np.flatnonzero(~whole.all(1))[0])
        self.low = float(flat.min()) if flat.size else 0.0
        self.high = float(flat.max()) if flat.size else 0.0
        negative = np.flatnonzero((flat < 0).any(axis=1))
        self.first_negative = int(negative[0]) if negative.size else None
        self.first_max = int(np.argmax(flat.max(axis=1))) if flat.size else None

    def check(self, classes):
        """Raise ``DataError`` unless the labels are class indices in ``[0, classes)``."""
        what = self.what
        if self.one_hot:
            raise DataError("%s holds one-hot rows of shape %s; pass class indices instead "
                            "(e.g. y.argmax(axis=1))." % (what, self.shape))
        if len(self.shape) > 1 and int(np.prod(self.shape[1:])) != 1:
            raise DataError("%s has shape %s but a classifier takes one class index per sample; "
                            "pass labels of shape (%d,)." % (what, self.shape, self.n))
        if not self.integral:
            raise DataError("%s holds a fractional label at sample %d; class labels are whole "
                            "numbers 0 to %d." % (what, self.first_fractional, classes - 1))
        if self.first_negative is not None:
            raise DataError("%s holds a negative label at sample %d; class labels are 0 to %d."
                            % (what, self.first_negative, classes - 1))
        if self.high >= classes:
            raise DataError("%s holds label %d at sample %d but the network has %d outputs; "
                            "give labels 0 to %d or a network with more outputs."
                            % (what, self.high, self.first_max, classes, classes - 1))


def check_batch(X, y, what="the first batch"):
    """``check_finite`` on a batch's features and ``LabelInfo`` of its labels (fit's check of an
    iterator it does not know)."""
    check_finite(X, "%s's X" % what)
    return LabelInfo(y, "%s's y" % what)


__all__ = ["check_finite", "LabelInfo", "check_batch"]
