"""Gradient descent variants: epoch / batch / iteration accounting and per-update loss traces.

Design
------
* An *update* is one ``trainer.step``: one batch. An epoch of N samples in batches of B takes
  ``ceil(N / B)`` iterations (``floor`` when the short last batch is dropped), so full-batch GD
  makes one update per epoch and SGD (B = 1) makes N.
* ``iterations_per_epoch`` / ``total_updates`` are the arithmetic; ``UpdateCounter`` counts what
  the loop really did (``on_batch_end`` per update, the epoch's ``n`` samples from its logs) and
  prints one line per epoch, so a test can hold the two together.
* ``LossTrace`` records the full training loss after each of the first ``every`` updates and
  then every ``every`` updates, with the training time so far; the time spent measuring the
  loss is excluded from the clock.
* Both are ``Callback`` objects passed to ``fit(callbacks=[...])``: the loop itself is unchanged.
"""
import math
import sys
import time

from .callbacks import Callback
from .errors import GluonNotesError


def iterations_per_epoch(num_samples, batch_size, last_batch="keep"):
    """Batches (= updates) per epoch: ``ceil(N / B)``, or ``floor`` with ``last_batch='discard'``.

    >>> iterations_per_epoch(50000, 500), iterations_per_epoch(1000, 64, "discard")
    (100, 15)
    """
    if num_samples < 1 or batch_size < 1:
        raise GluonNotesError("num_samples and batch_size must be >= 1, got %r and %r."
                              % (num_samples, batch_size))
    if last_batch == "discard" and num_samples >= batch_size:
        return num_samples // batch_size
    return math.ceil(num_samples / batch_size)


def total_updates(num_samples, batch_size, num_epochs, last_batch="keep"):
    """Updates in ``num_epochs`` epochs, e.g. 50,000 samples, batch 500, 10 epochs -> 1,000."""
    return num_epochs * iterations_per_epoch(num_samples, batch_size, last_batch)


class UpdateCounter(Callback):
    """Counts updates (batches) and samples per epoch, and prints the accounting.

    Attributes
    ----------
    updates : int
        Updates so far, over all epochs.
    epochs : list of dict
        Per finished epoch: ``epoch``, ``iterations``, ``samples``, ``updates`` (running total).
    """

    def __init__(self, batch_size=None, label="", log_every=1, file=None):
        self.batch_size, self.label, self.log_every, self.file = batch_size, label, log_every, file
        self.updates, self.epochs, self._in_epoch = 0, [], 0

    def on_epoch_begin(self, epoch, logs):
        self._in_epoch = 0

    def on_batch_end(self, batch, logs):
        self._in_epoch += 1
        self.updates += 1

    def on_epoch_end(self, epoch, logs):
        row = dict(epoch=epoch + 1, iterations=self._in_epoch, samples=logs.get("n"),
                   updates=self.updates)
        self.epochs.append(row)
        last = self.state is not None and epoch + 1 == self.state.num_epochs
        if self.log_every and (epoch == 0 or last or (epoch + 1) % self.log_every == 0):
            print(self.format(row), file=self.file or sys.stdout)

    def format(self, row):
        batch = " of batch %d" % self.batch_size if self.batch_size else ""
        return ("%sepoch %d: %s samples in %d iteration(s)%s; %s update(s) so far"
                % (self.label + ": " if self.label else "", row["epoch"],
                   "{:,}".format(row["samples"]) if row["samples"] is not None else "?",
                   row["iterations"], batch, "{:,}".format(row["updates"])))


class LossTrace(Callback):
    """The mean training loss over ``(X, y)`` at the start, after each of the first ``every``
    updates, then after every ``every``-th update and at the end.

    Attributes
    ----------
    points : list of (updates, seconds, loss)
        ``seconds`` is the training time so far, without the time spent in this callback.
    """

    def __init__(self, X, y, loss, every=1):
        self.X, self.y, self.loss, self.every = X, y, loss, max(1, int(every))
        self.points, self.updates = [], 0
        self._start = self._paused = None

    def _record(self):
        t = time.perf_counter()
        net = self.state.net
        value = self.loss(net(self.X), self.y).mean().asscalar()  # one host read (syncs)
        self.points.append((self.updates, t - self._start - self._paused, float(value)))
        self._paused += time.perf_counter() - t

    def on_train_begin(self, logs):
        self._start, self._paused = time.perf_counter(), 0.0

    def on_epoch_begin(self, epoch, logs):
        if not self.points:  # the initial loss, once the net is initialized
            self._record()

    def on_batch_end(self, batch, logs):
        self.updates += 1
        if self.updates % self.every == 0 or self.updates < self.every:  # and all the first
            self._record()

    def on_train_end(self, logs):
        if self.points and self.points[-1][0] != self.updates:
            self._record()


def least_squares_loss(X, y):
    """The smallest mean ``0.5 * (Xw + b - y)^2`` over ``w, b`` (numpy ``lstsq``, float64)."""
    import numpy as np
    A = np.hstack([X.asnumpy().astype(np.float64), np.ones((X.shape[0], 1))])  # (n, d + 1)
    t = y.asnumpy().astype(np.float64)
    coef, *_ = np.linalg.lstsq(A, t, rcond=None)
    return float(0.5 * np.mean((A @ coef - t) ** 2))


__all__ = ["iterations_per_epoch", "total_updates", "UpdateCounter", "LossTrace",
           "least_squares_loss"]
