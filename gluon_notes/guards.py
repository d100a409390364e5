"""What ``fit`` checks while it trains: seeds, the first batch, and NaN/inf at each epoch's end.

Design
------
* Seeds: ``seed`` is an integer in ``[0, 2**32)`` (numpy's range). Epoch ``e`` is trained from
  ``epoch_seed(seed, e)``, a function of ``(seed, e)`` only, so a resumed run draws the same
  numbers as an uninterrupted one.
* The first batch (``FirstBatch``): the network's output gives the number of classes, against
  which the labels are checked; an iterator that is not a validated loader (no ``label_info``)
  has that batch's features and labels checked as ``ArrayLoader`` checks its data. A wrong
  input shape is one sentence (``inputs.output_shape``, which leaves the random stream alone).
* Each epoch's end (``EpochReader``): every batch's loss and one flag for the parameters
  (``weights_flag``: one ``multi_sum_sq`` over all of them on the device, times 0: 0 or NaN) are
  read together, in the one transfer the loss needs anyway. A non-finite loss names its batch;
  non-finite weights under a finite loss name the parameter. The advice blames the learning
  rate only when the data was checked.
"""
import hashlib

import numpy as np
from mxnet import nd

from .compat import param_state
from .data.validate import check_batch
from .errors import GluonNotesError, NonFiniteLossError, NonFiniteWeightsError
from .inputs import output_shape
from .steps import check_labels_for, split

SEED_LIMIT = 2 ** 32


def check_seed(seed):
    """Raise one sentence unless ``seed`` is None or an integer in ``[0, 2**32)``."""
    if seed is None:
        return
    if (not isinstance(seed, (int, np.integer)) or isinstance(seed, bool)
            or not 0 <= seed < SEED_LIMIT):
        raise GluonNotesError("seed must be an integer from 0 to 2**32 - 1, got %r." % (seed,))


def epoch_seed(seed, epoch):
    """The seed of epoch ``epoch`` (from 0) of a run seeded with ``seed``, in ``[0, 2**32)``.

    ``seed * 1000 + epoch`` while that is below ``2**32`` (the rule of earlier versions, so that
    their figures reproduce); above, the first 32 bits of a BLAKE2b hash of ``(seed, epoch)``.
    """
    legacy = int(seed) * 1000 + int(epoch)
    if legacy < SEED_LIMIT:
        return legacy
    digest = hashlib.blake2b(b"%d/%d" % (int(seed), int(epoch)), digest_size=4).digest()
    return int.from_bytes(digest, "little")


def _ready_arrays(net):
    return [(p.name, p.list_data()[0]) for p in net.collect_params().values()
            if param_state(p) == "ready"]


def weights_flag(net):
    """A (1,) float32 NDArray: 0 when every parameter of ``net`` is finite, NaN (or, after an
    overflow of the squares, a false alarm that ``first_bad_weight`` clears) otherwise.
    Computed on the device of the first parameter; nothing is read."""
    arrays = [a for _, a in _ready_arrays(net)]
    if not arrays:
        return None
    ctx0, by_dtype = arrays[0].context, {}
    for a in arrays:
        by_dtype.setdefault(a.dtype, []).append(a.as_in_context(ctx0))
    sums = [nd.multi_sum_sq(*group, num_arrays=len(group)) for group in by_dtype.values()]
    sums = sums[0] if len(sums) == 1 else nd.concat(*sums, dim=0)   # (num_params,)
    return nd.sum(sums * 0).reshape((1,))                            # 0 or NaN


def first_bad_weight(net):
    """``(name, value)`` of the first parameter holding NaN/inf, or None (read on the host)."""
    for name, a in _ready_arrays(net):
        values = a.asnumpy().ravel()
        bad = ~np.isfinite(values)
        if bad.any():
            return name, values[bad][0]
    return None


def _advice(lr, data_checked):
    fix = "lower the learning rate (it is %s) or clip gradients (clip_gradient / clip_norm)" % lr
    if data_checked:
        return fix
    return ("make sure the data holds no NaN/inf (fit checks only the first batch of this "
            "iterator; ArrayLoader checks all of its data), then " + fix)


class EpochReader:
    """Reads an epoch's losses and the weights' flag in one transfer and raises on NaN/inf."""

    def __init__(self, net, data_checked):
        self.net, self.data_checked = net, data_checked

    def total_loss(self, batch_losses, epoch, lr):
        """Sum of the batch losses; raises ``NonFiniteLossError`` / ``NonFiniteWeightsError``."""
        ctx0 = batch_losses[0].context
        flag = weights_flag(self.net)
        parts = [l.reshape((1,)) if l.dtype == np.float32 else l.reshape((1,)).astype("float32")
                 for l in batch_losses]
        if flag is not None:
            parts.append(flag.as_in_context(ctx0))
        values = nd.concat(*parts, dim=0).asnumpy()                 # (batches [+ 1],)
        losses = values[:len(batch_losses)]
        bad = np.flatnonzero(~np.isfinite(losses))
        if bad.size:
            raise NonFiniteLossError(
                "the training loss became %s at epoch %d, batch %d of %d; %s."
                % (losses[bad[0]], epoch + 1, bad[0] + 1, len(losses),
                   _advice(lr, self.data_checked)))
        if flag is not None and not np.isfinite(values[-1]):
            found = first_bad_weight(self.net)
            if found is not None:
                raise NonFiniteWeightsError(
                    "parameter %s became %s during epoch %d while the loss stayed finite; %s."
                    % (found[0], found[1], epoch + 1, _advice(lr, self.data_checked)))
        return float(losses.sum())


class FirstBatch:
    """``fit``'s checks of the run's first batch (see the module's Design)."""

    def __init__(self, net, ctx, train_iter, test_iter, accuracy, supervised):
        self.net, self.ctx, self.train_iter, self.test_iter = net, ctx, train_iter, test_iter
        self.accuracy, self.supervised = accuracy, supervised

    def __call__(self, X, y):
        checked = getattr(self.train_iter, "label_info", None) is not None
        info = None if checked else check_batch(X, y)
        if not self.supervised:   # a custom step: its net need not take X
            return
        shape = output_shape(self.net, split(X, self.ctx)[0])   # (B, classes), nothing trained
        classes = check_labels_for(shape, self.train_iter, self.accuracy)
        if classes is not None:
            if info is not None:
                info.check(classes)
            check_labels_for(shape, self.test_iter, self.accuracy)


__all__ = ["check_seed", "epoch_seed", "weights_flag", "first_bad_weight", "EpochReader",
           "FirstBatch", "SEED_LIMIT"]
