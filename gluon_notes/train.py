"""THE training loop: every chapter trains through ``fit`` (book: train_ch3, train_ch5, train).

Design
------
* ``ctx`` is one context or a list; over a list the batch is split with ``split_and_load`` and
  gradients are summed by the KVStore, so the result equals one device's for the same global batch.
* The net may be un-initialized with unknown input shapes: ``fit`` initializes it on ``ctx`` and the
  shapes are inferred on the first batch.
* Nothing is read back to the host per batch: each batch leaves scalar NDArrays on the device and
  the epoch's figures are read once, at its end, together with a flag for NaN/inf in the weights
  (``guards``). To bound memory, the loop waits for the batch ``LAG`` steps back to finish.
* A *step* does the work of one batch. ``SupervisedStep`` is forward/loss/backward/update; a custom
  step (a GAN's two Trainers) is any callable ``step(X, y) -> dict`` of scalar NDArrays plus ``n``.
* Bad input is one sentence before training (data: ``data.validate``; the first batch's shape and
  labels: ``guards.FirstBatch``); Ctrl-C raises ``TrainingInterrupted`` carrying the epochs that
  finished. Output callbacks run only on rank 0 of a distributed KVStore.
"""
import random
import sys
import time
from dataclasses import dataclass, field
from typing import Any, List

import numpy as np
import mxnet as mx
from mxnet import gluon, nd

from .callbacks import EpochLogger, History, ProgressBar
from .checkpoint import Checkpoint
from .compat import trainer_kvstore
from .context import as_ctx_list
from .errors import GluonNotesError, TrainingInterrupted
from .fused import fuse_step, hybridize_flags
from .guards import EpochReader, FirstBatch, check_seed, epoch_seed
from .optim import OptimizerSettings, check_lr, make_trainer
from .precise_bn import PreciseBN
from .steps import (LAG, SupervisedStep, check_net_ctx, evaluate, evaluate_accuracy,
                    prepare_net)

__all__ = ["fit", "evaluate", "evaluate_accuracy", "make_trainer", "SupervisedStep",
           "seed_everything", "prepare_net", "check_net_ctx", "TrainState", "OptimizerSettings"]


def seed_everything(seed):
    """Seed Python's, numpy's and MXNet's (all devices) random number generators.

    ``seed`` is an integer in ``[0, 2**32)``; anything else is one sentence.
    """
    check_seed(seed)
    random.seed(seed)
    np.random.seed(seed)
    mx.random.seed(seed)


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


def fit(net, train_iter, test_iter=None, loss=None, num_epochs=5, *, lr=None, ctx=None,
        seed=None, hybridize=False, init=None, accuracy=True, eval_loss=None, precise_bn=0,
        trainer=None, step=None, kvstore="device", checkpoint=None, resume=False, callbacks=(),
        progress=None, verbose=True, nominal_batch_size=None, **optimizer_settings):
    """Train ``net`` and return its ``History`` (book: ``train_ch3`` / ``train_ch5``).

    Parameters
    ----------
    net : Block
        May be un-initialized; it is initialized with ``init`` (Xavier by default) on ``ctx``.
    train_iter, test_iter : iterables of ``(X, y)`` NDArray batches
        An ``ArrayLoader`` was checked when built; of another iterable the first batch is checked.
    loss : callable ``loss(y_hat, y) -> per-example losses``
        Default ``SoftmaxCrossEntropyLoss``.
    num_epochs : int
    lr : float, optional
        Learning rate of the Trainer ``fit`` builds (default ``optim.DEFAULT_LR``, 0.1; for an
        optimizer instance, its own).
    ctx : Context, list of Context or str
    seed : int, optional
        In ``[0, 2**32)``; makes the run repeatable. Each epoch reseeds from ``(seed, epoch)``
        (``guards.epoch_seed``), so resuming is exact.
    hybridize : bool or dict
        ``net.hybridize(**hybridize)`` when a dict; when True, ``fused.HYBRIDIZE_DEFAULTS``.
        When the net and the loss are HybridBlocks, the training step then runs net, loss and
        accuracy count as one graph (``fused.TrainGraph``).
    init : Initializer, optional
    accuracy : bool
        Measure classification accuracy (False for regression). When True the labels must be
        class indices of the net's outputs (checked before training).
    eval_loss : callable, optional
        Loss for the test set (default: ``loss``).
    precise_bn : int
        Score the test set with BatchNorm statistics recomputed from this many training batches
        (``precise_bn.PreciseBN``); the scores with the book's moving averages are kept as
        ``test_acc_moving`` / ``test_loss_moving``, and the moving averages go on exactly as
        without it, as do the weights. The returned network keeps the recomputed statistics.
        0 (default) evaluates with the moving averages, as the book does.
    trainer : object with ``step(batch_size)``, optional
        E.g. a ``gluon.Trainer`` or the book's from-scratch SGD; then no optimizer settings.
    step : callable ``step(X, y) -> dict``, optional
        Replaces ``SupervisedStep`` (e.g. a GAN step with two Trainers).
    kvstore : str or KVStore
        For the Trainer ``fit`` builds ('device', 'local', or a ``dist_sync`` KVStore).
    checkpoint : str, optional
        Folder for a checkpoint written every epoch; ``resume=True`` continues from it (a
        checkpoint that has finished ``num_epochs`` trains nothing: its history is returned).
    callbacks : list of Callback
    progress : bool, optional
        tqdm bar per epoch; by default only when stderr is a terminal.
    verbose : bool
        Print one line per epoch.
    nominal_batch_size : int, optional
        The batch size every update divides the summed gradient by. None (default): each
        batch's own size. An int: that size for every batch, the book's rule (``train_ch3``
        calls ``trainer.step(batch_size)``), so a short last batch takes a proportionally
        smaller step. Not with ``step``.
    **optimizer_settings
        The settings of the Trainer ``fit`` builds (``optim.OptimizerSettings``):
        ``optimizer`` (name, 'sgd' by default, or an ``mx.optimizer.Optimizer`` instance, which
        brings its own settings and is never changed), ``wd``, ``lr_scheduler``,
        ``clip_gradient``, ``clip_norm`` (global norm per example, also with ``trainer``) and
        ``optimizer_params`` (e.g. ``{'momentum': 0.9}``).

    Returns
    -------
    History

    Raises
    ------
    GluonNotesError
        One sentence for bad settings, data, labels or input shapes, and ``NonFiniteError``
        when the loss or the weights become NaN/inf.
    TrainingInterrupted
        On Ctrl-C; its ``history`` holds the epochs that finished.
    """
    settings = OptimizerSettings.from_kwargs(optimizer_settings)
    if not isinstance(num_epochs, int) or isinstance(num_epochs, bool) or num_epochs < 1:
        raise GluonNotesError("num_epochs must be a positive integer, got %r." % (num_epochs,))
    if lr is not None:
        check_lr(lr)
    if (trainer is not None or step is not None) and set(settings.given()) - {"clip_norm"}:
        raise GluonNotesError("%s apply to the Trainer fit builds; with trainer= or step= set "
                              "them on your own trainer." % ", ".join(settings.given()))
    if not isinstance(precise_bn, int) or precise_bn < 0:
        raise GluonNotesError("precise_bn must be a number of batches >= 0, got %r."
                              % (precise_bn,))
    check_seed(seed)
    ctx = as_ctx_list(ctx)
    loss = loss if loss is not None else gluon.loss.SoftmaxCrossEntropyLoss()
    if seed is not None:
        seed_everything(seed)
    prepare_net(net, ctx, init)
    for block in (loss, eval_loss):  # a loss with parameters (class weights) lives on ctx too
        if isinstance(block, gluon.Block):
            prepare_net(block, ctx)
    pbn = PreciseBN(net, train_iter, precise_bn, ctx[0]) if precise_bn else None
    if hybridize:
        net.hybridize(**hybridize_flags(hybridize))
    supervised = step is None
    if trainer is None and step is None:
        if isinstance(kvstore, str) and kvstore.startswith("dist"):
            kvstore = mx.kv.create(kvstore)  # the rank is known before the first step
        trainer = settings.make_trainer(net, lr, kvstore)
        if not isinstance(kvstore, str) and "sync" in getattr(kvstore, "type", ""):
            from .dist import SyncTrainer  # the servers sum the workers' gradients
            trainer = SyncTrainer(trainer, kvstore)
    if step is not None and nominal_batch_size is not None:
        raise GluonNotesError("nominal_batch_size applies to fit's own step; a custom step= "
                              "chooses its batch size itself, so drop one of the two.")
    step = step or SupervisedStep(net, loss, trainer, ctx, accuracy, settings.clip_norm,
                                  graph=fuse_step(net, loss, accuracy, hybridize),
                                  nominal_batch_size=nominal_batch_size)

    history, start = History(), 0
    if resume:
        start = Checkpoint.restore(checkpoint, net, trainer, ctx, history, num_epochs=num_epochs)
    kv = trainer_kvstore(trainer) or (None if isinstance(kvstore, str) else kvstore)
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

    first = FirstBatch(net, ctx, train_iter, test_iter, accuracy, supervised)
    reader = EpochReader(net, getattr(train_iter, "label_info", None) is not None)
    hook("on_train_begin", {})
    try:
        for epoch in range(start, num_epochs):
            state.epoch = epoch
            if seed is not None:
                seed_everything(epoch_seed(seed, epoch))
            if hasattr(train_iter, "set_epoch"):  # a sharded loader deals this epoch's part
                train_iter.set_epoch(epoch)
            hook("on_epoch_begin", epoch, {})
            logs = _train_epoch(step, train_iter, epoch, hook, first, reader, _lr(trainer))
            first = None
            if test_iter is not None:
                t = time.time()
                logs.update(_score(net, test_iter, ctx, eval_loss or loss, accuracy, pbn),
                            eval_seconds=time.time() - t)
            hook("on_epoch_end", epoch, logs)
            if state.stop_training:
                break
        if pbn is not None:
            pbn.finish()
    except KeyboardInterrupt as err:
        if isinstance(err, TrainingInterrupted):
            raise
        raise TrainingInterrupted(history) from err
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


def _train_epoch(step, train_iter, epoch, hook, first, reader, lr):
    """One pass over ``train_iter``; ``first(X, y)`` checks the run's first batch (or None)."""
    start, sums, n = time.time(), {}, 0
    for i, (X, y) in enumerate(train_iter):
        if first is not None and i == 0:
            first(X, y)
        out = step(X, y)
        n += out.pop("n")
        for k, v in out.items():
            sums.setdefault(k, []).append(v)
        if i >= LAG:  # back-pressure only: wait, don't read
            sums["loss"][i - LAG].wait_to_read()
        hook("on_batch_end", i, {})
    if n == 0:
        raise GluonNotesError("the training data is empty; give at least one batch.")
    logs = {"epoch": epoch + 1, "loss": reader.total_loss(sums.pop("loss"), epoch, lr) / n}
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
