"""THE training loop: every chapter trains through ``fit`` (book: train_ch3, train_ch5, train).

Design
------
* ``ctx`` is one context or a list; over a list the batch is split with ``split_and_load`` and
  gradients are summed by the KVStore, so the result equals one device's for the same global batch.
* The net may be un-initialized with unknown input shapes: ``fit`` initializes it on ``ctx`` and the
  shapes are inferred on the first batch.
* Nothing is read back to the host per batch: each batch leaves scalar NDArrays on the device and
  the epoch's figures are read once, at its end (where a NaN/inf loss is also detected). To bound
  memory, the loop waits for the batch ``LAG`` steps back to finish (it does not read it).
* A *step* does the work of one batch. ``SupervisedStep`` is forward/loss/backward/update; a custom
  step (a GAN's two Trainers) is any callable ``step(X, y) -> dict`` of scalar NDArrays plus ``n``.
* ``kvstore`` goes to ``gluon.Trainer`` ('device', 'local', or a ``dist_sync`` KVStore); output
  callbacks run only on rank 0.
"""
import os
import random
import sys
import time
from dataclasses import dataclass, field
from typing import Any, List

import numpy as np
import mxnet as mx
from mxnet import autograd, gluon, nd

from .callbacks import Checkpoint, EpochLogger, History, ProgressBar
from .context import as_ctx_list
from .devices import ContextError
from .errors import GluonNotesError, NonFiniteLossError
from .fused import fuse_step, hybridize_flags
from .optim import BucketedSGD  # noqa: F401  (registers 'bucketedsgd')
from .precise_bn import PreciseBN

LAG = 4  # batches the host may run ahead of the device
#: parameters updated by one multi-tensor optimizer call (MXNet's default is 4, its maximum 60);
#: the environment variable, when set, wins
AGGREGATION_SIZE, AGGREGATION_ENV = 60, "MXNET_OPTIMIZER_AGGREGATION_SIZE"


def seed_everything(seed):
    """Seed Python's, numpy's and MXNet's (all devices) random number generators."""
    random.seed(seed)
    np.random.seed(seed)
    mx.random.seed(seed)


def _param_state(p):
    if p._data is not None:        # noqa: SLF001  (MXNet has no public query for this)
        return "ready"
    return "deferred" if p._deferred_init else "none"  # noqa: SLF001


def prepare_net(net, ctx, init=None):
    """Initialize the parameters of ``net`` that are not yet, and place all of them on ``ctx``.

    Parameters with unknown shapes stay deferred until the first forward pass.
    """
    ctx = as_ctx_list(ctx)
    init = init if init is not None else mx.init.Xavier()
    for p in net.collect_params().values():
        state = _param_state(p)
        if state == "none":
            p.initialize(None, ctx=ctx, default_init=init)
        elif state == "ready" and set(p.list_ctx()) != set(ctx):
            p.reset_ctx(ctx)
        elif state == "deferred" and set(p._deferred_init[1]) != set(ctx):  # noqa: SLF001
            p.reset_ctx(ctx)
    return net


def check_net_ctx(net, ctx=None):
    """Return ``ctx`` as a list (default: where the net's parameters are), after checking that
    every initialized parameter lives on exactly those devices."""
    ready = [p for p in net.collect_params().values() if _param_state(p) == "ready"]
    if ctx is None:
        return ready[0].list_ctx() if ready else as_ctx_list(None)
    ctx = as_ctx_list(ctx)
    for p in ready:
        if set(p.list_ctx()) != set(ctx):
            raise ContextError(
                "parameter %s lives on %s but the data goes to %s; pass ctx=%s or move the net "
                "with net.collect_params().reset_ctx(%s)." % (p.name, p.list_ctx(), ctx,
                                                               p.list_ctx(), ctx))
    return ctx


def _split(batch, ctx):
    """Split an NDArray batch over the contexts (one slice per device, uneven allowed)."""
    if len(ctx) == 1:
        return [batch.as_in_context(ctx[0])]
    return gluon.utils.split_and_load(batch, ctx, even_split=False)


def _reduce(parts, ctx0):
    """Sum scalar NDArrays living on several devices onto ``ctx0``."""
    if len(parts) == 1:
        return parts[0]
    return nd.add_n(*[p.as_in_context(ctx0) for p in parts])


def _correct(y_hat, y):
    # y_hat (B, classes), y (B,) -> number of correct predictions, a (1,) NDArray
    return (y_hat.argmax(axis=1) == y.astype(y_hat.dtype)).sum()


class SupervisedStep:
    """One batch of supervised training over one or several devices.

    Returns ``{'loss': sum of the batch's losses, 'correct': correct predictions (if accuracy is
    measured), 'n': batch size}``; values are NDArrays on ``ctx[0]``, nothing is synced.

    With ``graph`` (a hybridized ``TrainGraph``), forward, loss and accuracy are one cached
    graph call per device instead of about ten imperative operator calls.
    """

    def __init__(self, net, loss, trainer, ctx, accuracy=True, clip_norm=None, graph=None):
        self.net, self.loss, self.trainer, self.ctx = net, loss, trainer, ctx
        self.accuracy, self.clip_norm, self.graph = accuracy, clip_norm, graph

    def __call__(self, X, y):
        Xs, ys = _split(X, self.ctx), _split(y, self.ctx)
        if self.graph is not None:
            return self._fused(Xs, ys, X.shape[0])
        with autograd.record():
            y_hats = [self.net(Xi) for Xi in Xs]
            losses = [self.loss(y_hat, yi) for y_hat, yi in zip(y_hats, ys)]
        autograd.backward(losses)
        n = X.shape[0]
        self._update(n)
        out = {"loss": _reduce([l.sum() for l in losses], self.ctx[0]), "n": n}
        if self.accuracy:
            out["correct"] = _reduce([_correct(a, b) for a, b in zip(y_hats, ys)], self.ctx[0])
        return out

    def _update(self, n):
        if self.clip_norm:
            self.trainer.allreduce_grads()
            for c in self.ctx:  # gradients are sums over the batch: scale the bound to match
                grads = [p.grad(c) for p in self.net.collect_params().values()
                         if p.grad_req != "null"]
                gluon.utils.clip_global_norm(grads, self.clip_norm * n, check_isfinite=False)
            self.trainer.update(n)
        else:
            self.trainer.step(n)  # the real batch size, also for the last, smaller batch

    def _fused(self, Xs, ys, n):
        with autograd.record():
            outs = [self.graph(Xi, yi) for Xi, yi in zip(Xs, ys)]
        outs = [o if isinstance(o, (list, tuple)) else [o] for o in outs]
        autograd.backward([o[0] for o in outs])
        self._update(n)
        out = {"loss": _reduce([o[0] for o in outs], self.ctx[0]), "n": n}
        if self.accuracy:
            out["correct"] = _reduce([o[1] for o in outs], self.ctx[0])
        return out


def evaluate(net, data_iter, ctx=None, loss=None, accuracy=True):
    """Mean loss and/or accuracy of ``net`` over ``data_iter``, read from the device once.

    Returns
    -------
    dict with ``acc`` (if ``accuracy``), ``loss`` (if ``loss`` is given) and ``n``.
    """
    ctx = check_net_ctx(net, ctx)
    sums, n = {"loss": [], "correct": []}, 0
    for i, (X, y) in enumerate(data_iter):
        Xs, ys = _split(X, ctx), _split(y, ctx)
        y_hats = [net(Xi) for Xi in Xs]
        if loss is not None:
            sums["loss"].append(_reduce([loss(a, b).sum() for a, b in zip(y_hats, ys)], ctx[0]))
        if accuracy:
            sums["correct"].append(_reduce([_correct(a, b) for a, b in zip(y_hats, ys)], ctx[0]))
        n += X.shape[0]
        if i >= LAG:
            next(iter(v[i - LAG] for v in sums.values() if v)).wait_to_read()
    if n == 0:
        raise GluonNotesError("the evaluation data is empty; give at least one batch.")
    out = {"n": n}
    if loss is not None:
        out["loss"] = nd.add_n(*sums["loss"]).asscalar() / n
    if accuracy:
        out["acc"] = nd.add_n(*sums["correct"]).asscalar() / n
    return out


def evaluate_accuracy(net, data_iter, ctx=None):
    """Classification accuracy of ``net`` on ``data_iter`` (book section 3.6.5).

    ``ctx`` defaults to the devices holding the net's parameters."""
    return evaluate(net, data_iter, ctx, accuracy=True)["acc"]


@dataclass
class TrainState:
    """What callbacks see: the objects being trained and the stop flag."""
    net: Any
    trainer: Any
    ctx: List[Any]
    num_epochs: int
    history: History
    is_main: bool = True
    epoch: int = 0
    stop_training: bool = False
    extra: dict = field(default_factory=dict)


def make_trainer(net, optimizer="sgd", lr=0.1, wd=0.0, lr_scheduler=None, clip_gradient=None,
                 optimizer_params=None, kvstore="device", clip_norm=None):
    """A ``gluon.Trainer`` over all parameters of ``net`` with the loop's options.

    ``optimizer='sgd'`` is ``optim.BucketedSGD``: MXNet's SGD, with large tensors updated one by
    one instead of through the slow multi-tensor kernel (see ``gluon_notes.optim``).
    """
    params = dict(learning_rate=lr, wd=wd)
    if lr_scheduler is not None:
        params["lr_scheduler"] = lr_scheduler
    if clip_gradient is not None:
        params["clip_gradient"] = clip_gradient
    params.update(optimizer_params or {})
    if isinstance(optimizer, str):
        name = "bucketedsgd" if optimizer.lower() == "sgd" else optimizer
        optimizer = mx.optimizer.create(name, **params)
        params = None
    if hasattr(optimizer, "aggregate_num") and AGGREGATION_ENV not in os.environ:
        optimizer.aggregate_num = AGGREGATION_SIZE  # one multi-tensor update call, not n/4
    return gluon.Trainer(net.collect_params(), optimizer, params, kvstore=kvstore,
                         update_on_kvstore=False if clip_norm else None)


def _check_finite(batch_losses, epoch, lr):
    losses = nd.concat(*[l.reshape((1,)) for l in batch_losses], dim=0).asnumpy()
    bad = np.flatnonzero(~np.isfinite(losses))
    if bad.size:
        raise NonFiniteLossError(
            "the training loss became %s at epoch %d, batch %d of %d; lower the learning rate "
            "(it is %s) or clip gradients (clip_gradient / clip_norm)."
            % (losses[bad[0]], epoch + 1, bad[0] + 1, len(losses), lr))
    return float(losses.sum())


def fit(net, train_iter, test_iter=None, loss=None, num_epochs=5, *, lr=0.1, ctx=None,
        optimizer="sgd", optimizer_params=None, wd=0.0, lr_scheduler=None, clip_gradient=None,
        clip_norm=None, trainer=None, step=None, init=None, hybridize=False, seed=None,
        accuracy=True, eval_loss=None, callbacks=(), progress=None, verbose=True,
        checkpoint=None, resume=False, kvstore="device", precise_bn=0):
    """Train ``net`` and return its ``History`` (book: ``train_ch3`` / ``train_ch5``).

    Parameters
    ----------
    net : Block
        May be un-initialized; it is initialized with ``init`` (Xavier by default) on ``ctx``.
    train_iter, test_iter : iterables of ``(X, y)`` NDArray batches
    loss : callable ``loss(y_hat, y) -> per-example losses``
        Default ``SoftmaxCrossEntropyLoss``.
    num_epochs : int
    lr, optimizer, optimizer_params, wd, lr_scheduler, clip_gradient
        Settings of the ``gluon.Trainer`` built when ``trainer`` is not given.
    clip_norm : float, optional
        Clip the global gradient norm (per example) to this value.
    trainer : object with ``step(batch_size)``, optional
        E.g. a ``gluon.Trainer`` or the book's from-scratch SGD.
    step : callable ``step(X, y) -> dict``, optional
        Replaces ``SupervisedStep`` (e.g. a GAN step with two Trainers).
    ctx : Context, list of Context or str
    hybridize : bool or dict
        ``net.hybridize(**hybridize)`` when a dict; when True, ``HYBRIDIZE_DEFAULTS``
        (static_alloc and static_shape). When the net and the loss are HybridBlocks, the
        training step then runs net, loss and accuracy count as one graph (``TrainGraph``).
    seed : int, optional
        Makes the run repeatable; each epoch reseeds from ``(seed, epoch)`` so resuming is exact.
    accuracy : bool
        Measure classification accuracy (False for regression).
    eval_loss : callable, optional
        Loss for the test set (default: ``loss``).
    callbacks : list of Callback
    progress : bool, optional
        tqdm bar per epoch; by default only when stderr is a terminal.
    checkpoint : str, optional
        Folder for a checkpoint written every epoch; ``resume=True`` continues from it.
    kvstore : str or KVStore
    precise_bn : int
        Score the test set with BatchNorm statistics recomputed from this many training batches
        (``precise_bn.PreciseBN``); the scores with the book's moving averages are kept as
        ``test_acc_moving`` / ``test_loss_moving``, and the moving averages go on exactly as
        without it, as do the weights. The returned network keeps the recomputed statistics.
        0 (default) evaluates with the moving averages, as the book does.

    Returns
    -------
    History
    """
    if not isinstance(num_epochs, int) or num_epochs < 1:
        raise GluonNotesError("num_epochs must be a positive integer, got %r." % (num_epochs,))
    if trainer is None and step is None and not lr > 0:
        raise GluonNotesError("the learning rate must be > 0, got %r." % (lr,))
    if not isinstance(precise_bn, int) or precise_bn < 0:
        raise GluonNotesError("precise_bn must be a number of batches >= 0, got %r."
                              % (precise_bn,))
    ctx = as_ctx_list(ctx)
    loss = loss if loss is not None else gluon.loss.SoftmaxCrossEntropyLoss()
    if seed is not None:
        seed_everything(seed)
    prepare_net(net, ctx, init)
    pbn = PreciseBN(net, train_iter, precise_bn, ctx[0]) if precise_bn else None
    if hybridize:
        net.hybridize(**hybridize_flags(hybridize))
    if trainer is None and step is None:
        trainer = make_trainer(net, optimizer, lr, wd, lr_scheduler, clip_gradient,
                               optimizer_params, kvstore, clip_norm)
    step = step or SupervisedStep(net, loss, trainer, ctx, accuracy, clip_norm,
                                  graph=fuse_step(net, loss, accuracy, hybridize))

    history, start = History(), 0
    if resume:
        start = Checkpoint.restore(checkpoint, net, trainer, ctx, history)
    kv = getattr(trainer, "_kvstore", None)
    state = TrainState(net, trainer, ctx, num_epochs, history,
                       is_main=getattr(kv, "rank", 0) == 0)
    if progress is None:
        progress = sys.stderr.isatty()
    cbs = [history] + ([ProgressBar(_len(train_iter))] if progress else []) \
        + ([EpochLogger()] if verbose else []) + list(callbacks) \
        + ([Checkpoint(checkpoint)] if checkpoint else [])
    cbs = [c for c in cbs if state.is_main or not c.main_only]
    for c in cbs:
        c.state = state

    def hook(name, *args):
        for c in cbs:
            getattr(c, name)(*args)

    hook("on_train_begin", {})
    try:
        for epoch in range(start, num_epochs):
            state.epoch = epoch
            if seed is not None:
                seed_everything(seed * 1000 + epoch)
            hook("on_epoch_begin", epoch, {})
            logs = _train_epoch(step, train_iter, epoch, hook, _lr(trainer))
            if test_iter is not None:
                t = time.time()
                logs.update(_score(net, test_iter, ctx, eval_loss or loss, accuracy, pbn),
                            eval_seconds=time.time() - t)
            hook("on_epoch_end", epoch, logs)
            if state.stop_training:
                break
        if pbn is not None:
            pbn.finish()
    finally:
        hook("on_train_end", {})
    return history


def _score(net, test_iter, ctx, loss, accuracy, pbn=None):
    """The epoch's test metrics: ``test_acc``, ``test_loss`` (+ ``*_moving`` with precise BN)."""
    def score():
        res = evaluate(net, test_iter, ctx, loss, accuracy)
        return {k: v for k, v in res.items() if k != "n"}
    if pbn is None:
        return {"test_" + k: v for k, v in score().items()}
    precise, moving = pbn.evaluate(score)
    return dict({"test_" + k: v for k, v in precise.items()},
                **{"test_%s_moving" % k: v for k, v in moving.items()})


def _train_epoch(step, train_iter, epoch, hook, lr):
    start, sums, n = time.time(), {}, 0
    for i, (X, y) in enumerate(train_iter):
        out = step(X, y)
        n += out.pop("n")
        for k, v in out.items():
            sums.setdefault(k, []).append(v)
        if i >= LAG:  # back-pressure only: wait, don't read
            sums["loss"][i - LAG].wait_to_read()
        hook("on_batch_end", i, {})
    if n == 0:
        raise GluonNotesError("the training data is empty; give at least one batch.")
    logs = {"epoch": epoch + 1, "loss": _check_finite(sums.pop("loss"), epoch, lr) / n}
    if "correct" in sums:
        logs["train_acc"] = nd.add_n(*sums.pop("correct")).asscalar() / n
    for k, v in sums.items():  # whatever a custom step reports, averaged per sample
        logs[k] = nd.add_n(*v).asscalar() / n
    seconds = time.time() - start
    logs.update(seconds=seconds, samples_per_sec=n / seconds, lr=lr, n=n)
    return logs


def _lr(trainer):
    return getattr(trainer, "learning_rate", None)


def _len(it):
    try:
        return len(it)
    except TypeError:
        return None
