"""Re-estimate BatchNorm's inference statistics from training data ("precise BN").

In training mode a BatchNorm layer normalises with the statistics of the current batch; at test
time it uses ``running_mean`` / ``running_var``, exponential moving averages (momentum 0.9, so
roughly the last ten batches) of statistics computed with the weights *of those batches*. With a
large learning rate the weights move faster than the averages can follow, and the test accuracy
measured with them swings from epoch to epoch. The book's LeNet + BatchNorm (lr 1.0) shows it:
with the same weights, scoring after each epoch with statistics recomputed from 20 training
batches gives a higher and steadier test accuracy than the moving averages (the figures, and the
command that produces them, are in the README).

``recalibrate_bn`` recomputes them: it runs ``num_batches`` training batches through the network
in training mode (each BatchNorm normalises with its batch, as during training), pools the
per-channel means and biased variances of every BatchNorm input over those batches, and writes
them into the running statistics. Training itself never reads the running statistics, so this
changes the evaluation only, never the training trajectory. ``fit(precise_bn=N)`` scores each
epoch both ways and then puts the moving averages back (``PreciseBN``).
(Wu & Johnson, "Rethinking 'Batch' in BatchNorm", 2021, section 3.)
"""
import contextlib

from mxnet import autograd, nd
from mxnet.gluon import HybridBlock, nn

from .compat import block_kwargs, is_active, set_active
from .errors import GluonNotesError
from .layers.batchnorm import BatchNorm as ScratchBatchNorm


def batchnorm_layers(net):
    """``[(block, mean_param, var_param, axis)]`` for every BatchNorm in ``net`` whose statistics
    training updates, in registration order.

    Recognises ``nn.BatchNorm`` (and subclasses such as ``SyncBatchNorm``) and the from-scratch
    ``layers.BatchNorm``; layers with ``use_global_stats=True`` (frozen statistics, e.g. when
    fine-tuning) are left out.
    """
    found = []

    def visit(block):
        if isinstance(block, nn.BatchNorm):
            if block_kwargs(block).get("use_global_stats"):
                return
            found.append((block, block.running_mean, block.running_var,
                          block_kwargs(block).get("axis", 1)))
        elif isinstance(block, ScratchBatchNorm):
            found.append((block, block.moving_mean, block.moving_var, 1))

    net.apply(visit)
    return found


@contextlib.contextmanager
def _imperative(net):
    """Run ``net`` imperatively (so forward hooks fire) without dropping its cached graphs."""
    blocks = []
    net.apply(blocks.append)
    saved = [(b, is_active(b)) for b in blocks if isinstance(b, HybridBlock)]
    for b, _ in saved:
        set_active(b, False)
    try:
        yield
    finally:
        for b, active in saved:
            set_active(b, active)


class _Moments:
    """Pooled per-channel mean and biased variance of a BatchNorm input over several batches."""

    def __init__(self, axis):
        self.axis, self.n, self.sums = axis, 0, None

    def __call__(self, block, inputs):
        X = inputs[0]
        channel = self.axis % X.ndim
        axes = tuple(a for a in range(X.ndim) if a != channel)
        count = X.size // X.shape[channel]                                # values per channel
        mean = X.mean(axis=axes)                                          # (C,)
        shape = [1] * X.ndim
        shape[channel] = -1
        var = nd.square(nd.broadcast_sub(X, mean.reshape(shape))).mean(axis=axes)  # (C,) biased
        # pooled over batches: mean of means, mean of variances + variance of the means
        terms = [mean * count, var * count, nd.square(mean) * count]
        self.sums = terms if self.sums is None else [s + t for s, t in zip(self.sums, terms)]
        self.n += count

    def result(self):
        s_mean, s_var, s_sq = (s / self.n for s in self.sums)
        return s_mean, s_var + nd.maximum(s_sq - nd.square(s_mean), 0)


def recalibrate_bn(net, data_iter, num_batches=20, ctx=None):
    """Set every BatchNorm's running statistics to their values over ``num_batches`` batches.

    Parameters
    ----------
    net : Block
        An initialized network with BatchNorm layers (hybridized or not).
    data_iter : iterable of ``(X, y)`` or ``X`` batches
        Usually the training data; labels are ignored.
    num_batches : int
        How many batches to pool (fewer if the iterator is shorter).
    ctx : Context, optional
        Where to run (default: the context of the first parameter).

    Returns
    -------
    int
        The number of BatchNorm layers updated.
    """
    if not isinstance(num_batches, int) or num_batches < 1:
        raise GluonNotesError("num_batches must be a positive integer, got %r." % (num_batches,))
    layers = batchnorm_layers(net)
    if not layers:
        raise GluonNotesError("the network has no BatchNorm layer to recalibrate; "
                              "turn precise BN off (precise_bn=0) for it.")
    if ctx is None:
        ctx = next(iter(net.collect_params().values())).list_ctx()[0]
    moments = [_Moments(axis) for _, _, _, axis in layers]
    handles = [block.register_forward_pre_hook(m) for (block, _, _, _), m in zip(layers, moments)]
    seen = 0
    try:
        with _imperative(net), autograd.train_mode():
            for batch in data_iter:
                X = batch[0] if isinstance(batch, (tuple, list)) else batch
                net(X.as_in_context(ctx))
                seen += 1
                if seen == num_batches:
                    break
    finally:
        for h in handles:
            h.detach()
    if seen == 0:
        raise GluonNotesError("the data for BatchNorm recalibration is empty; give at least one "
                              "batch.")
    for (_, mean_param, var_param, _), m in zip(layers, moments):
        mean, var = m.result()
        mean_param.set_data(mean)
        var_param.set_data(var)
    return len(layers)


def snapshot_running_stats(net):
    """Copies of every BatchNorm's running statistics, per device (they may differ)."""
    return [(p, [a.copy() for a in p.list_data()])
            for _, mean, var, _ in batchnorm_layers(net) for p in (mean, var)]


def restore_running_stats(snapshot):
    """Put back what ``snapshot_running_stats`` copied."""
    for param, copies in snapshot:
        for arr, saved in zip(param.list_data(), copies):
            saved.copyto(arr)


class PreciseBN:
    """``fit(precise_bn=N)``: score each epoch with recomputed BatchNorm statistics.

    ``evaluate(score)`` calls ``score()`` with the moving averages (the book's evaluation), then
    recomputes the statistics from ``num_batches`` training batches, calls ``score()`` again, and
    puts the moving averages back, so that they evolve exactly as without precise BN.
    ``finish()`` leaves the last recomputed statistics in the network for the user.
    """

    def __init__(self, net, train_iter, num_batches, ctx):
        if not batchnorm_layers(net):
            raise GluonNotesError("precise_bn needs BatchNorm layers and the network has none; "
                                  "leave precise_bn (--precise-bn) at 0.")
        self.net, self.train_iter, self.num_batches, self.ctx = net, train_iter, num_batches, ctx
        self.recomputed = None

    def _recompute(self):
        recalibrate_bn(self.net, self.train_iter, self.num_batches, self.ctx)

    def evaluate(self, score):
        """``(score with recomputed statistics, score with the moving averages)``."""
        moving = score()
        saved = snapshot_running_stats(self.net)
        self._recompute()
        precise = score()
        self.recomputed = snapshot_running_stats(self.net)
        restore_running_stats(saved)
        return precise, moving

    def finish(self):
        """Leave statistics recomputed for the final weights in the network."""
        if self.recomputed is None:
            self._recompute()
        else:
            restore_running_stats(self.recomputed)
