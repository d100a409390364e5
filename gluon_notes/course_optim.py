"""``torch.optim`` habits in Gluon: StepLR, parameter groups, gradient accumulation, zero_grad.

Design
------
* ``StepScheduler`` is an ``mx.lr_scheduler.LRScheduler`` with PyTorch's ``StepLR`` semantics,
  ``lr = base_lr * gamma ** (epoch // step_size)``, for ``fit(lr_scheduler=...)``: MXNet counts
  updates from 1, so update ``k`` belongs to epoch ``(k - 1) // updates_per_epoch``.
* ``StepLR`` is the same schedule as a loop callback with PyTorch's call pattern: ``step()`` once
  per epoch (the callback calls it at each epoch's end) sets ``trainer.set_learning_rate``.
* ``param_groups`` is PyTorch's per-group options: ``collect_params(regex)`` selects a group,
  ``lr_mult`` / ``wd_mult`` scale the Trainer's learning rate and weight decay for it.
* ``accumulate`` is gradient accumulation: with ``grad_req='add'`` backward adds into the
  gradient buffers (PyTorch's default), one ``trainer.step(total batch size)`` updates and
  ``zero_grad()`` clears them, which is what ``optimizer.zero_grad()`` does in PyTorch. With
  Gluon's default ``grad_req='write'`` each backward overwrites them and no zeroing is needed.
"""
import mxnet as mx
from mxnet import autograd

from .callbacks import Callback
from .errors import GluonNotesError

__all__ = ["StepScheduler", "StepLR", "step_lr_values", "param_groups", "accumulate"]


def _check(step_size, gamma):
    if not (isinstance(step_size, int) and step_size >= 1):
        raise GluonNotesError("step_size is a number of epochs >= 1, got %r." % (step_size,))
    if not gamma > 0:
        raise GluonNotesError("gamma must be > 0, got %r." % (gamma,))


def step_lr_values(base_lr, step_size, gamma, num_epochs):
    """The learning rate of each epoch ``0..num_epochs-1`` under StepLR, as a list."""
    _check(step_size, gamma)
    return [base_lr * gamma ** (epoch // step_size) for epoch in range(num_epochs)]


class StepScheduler(mx.lr_scheduler.LRScheduler):
    """Epoch-wise step decay driven by MXNet's update count (``torch.optim.lr_scheduler.StepLR``).

    Parameters
    ----------
    updates_per_epoch : int
        Batches per epoch (``len(train_iter)``).
    step_size : int
        Epochs between decays.
    gamma : float
        Decay factor.
    base_lr : float
        Overwritten by the optimizer's ``learning_rate`` when given to a Trainer.
    """

    def __init__(self, updates_per_epoch, step_size, gamma=0.1, base_lr=0.01):
        super().__init__(base_lr)
        _check(step_size, gamma)
        if not (isinstance(updates_per_epoch, int) and updates_per_epoch >= 1):
            raise GluonNotesError("updates_per_epoch must be the number of batches per epoch "
                                  "(>= 1), got %r." % (updates_per_epoch,))
        self.updates_per_epoch, self.step_size, self.gamma = updates_per_epoch, step_size, gamma

    def epoch(self, num_update):
        """The 0-based epoch of MXNet's update number ``num_update`` (1-based; 0 = none yet)."""
        return max(num_update - 1, 0) // self.updates_per_epoch

    def __call__(self, num_update):
        return self.base_lr * self.gamma ** (self.epoch(num_update) // self.step_size)


class StepLR(Callback):
    """``torch.optim.lr_scheduler.StepLR`` for a ``gluon.Trainer``: ``step()`` once per epoch.

    As a callback of ``fit(callbacks=[StepLR(step_size, gamma)])`` it steps at each epoch's end
    and takes the loop's trainer; outside the loop, pass ``trainer`` and call ``step()`` yourself.

    Parameters
    ----------
    step_size, gamma
        As PyTorch's.
    trainer : gluon.Trainer, optional
        Its optimizer must have no ``lr_scheduler`` (MXNet then refuses ``set_learning_rate``).
    """

    def __init__(self, step_size, gamma=0.1, trainer=None):
        _check(step_size, gamma)
        self.step_size, self.gamma = step_size, gamma
        self.trainer, self.base_lr, self.last_epoch = None, None, 0
        if trainer is not None:
            self._attach(trainer)

    def _attach(self, trainer):
        self.trainer, self.base_lr, self.last_epoch = trainer, trainer.learning_rate, 0

    def get_last_lr(self):
        """The learning rate now in use (PyTorch's ``get_last_lr()[0]``)."""
        return self.base_lr * self.gamma ** (self.last_epoch // self.step_size)

    def step(self):
        """End of an epoch: the next uses ``base_lr * gamma ** (epochs done // step_size)``."""
        if self.trainer is None:
            raise GluonNotesError("StepLR has no trainer; pass trainer=... or use it as a "
                                  "callback of fit.")
        self.last_epoch += 1
        self.trainer.set_learning_rate(self.get_last_lr())

    def on_train_begin(self, logs):
        if self.trainer is None:
            self._attach(self.state.trainer)

    def on_epoch_end(self, epoch, logs):
        self.step()


def param_groups(net, groups):
    """Give groups of parameters their own learning-rate and weight-decay multipliers.

    Parameters
    ----------
    net : Block
    groups : dict
        ``{regex: {'lr_mult': float, 'wd_mult': float}}``; a regex selects parameters by name as
        ``net.collect_params(regex)`` does. PyTorch's ``[{'params': ..., 'lr': lr * m}]``.

    Returns
    -------
    dict
        ``{regex: [parameter names]}``, so a regex that matches nothing is visible.
    """
    selected = {}
    for regex, options in groups.items():
        unknown = set(options) - {"lr_mult", "wd_mult"}
        if unknown:
            raise GluonNotesError("a parameter group takes lr_mult and wd_mult, got %s."
                                  % ", ".join(sorted(unknown)))
        params = net.collect_params(regex)
        if not list(params.keys()):
            raise GluonNotesError("no parameter of the net matches %r; see "
                                  "net.collect_params().keys() for the names." % regex)
        for name, value in options.items():
            params.setattr(name, value)
        selected[regex] = list(params.keys())
    return selected


def accumulate(net, loss, trainer, batches):
    """One update from the gradients of several batches (gradient accumulation).

    Parameters
    ----------
    net : Block
        Its parameters are switched to ``grad_req='add'`` (the trainable ones).
    loss : callable ``loss(y_hat, y)``
    trainer : gluon.Trainer
    batches : list of ``(X, y)``

    Returns
    -------
    int
        The number of examples; ``trainer.step`` divided the summed gradient by it, so the update
        equals one step on the concatenated batch.
    """
    params = [p for p in net.collect_params().values() if p.grad_req != "null"]
    for p in params:
        p.grad_req = "add"
    n = 0
    for X, y in batches:
        with autograd.record():
            l = loss(net(X), y)                      # (B,)
        l.backward()                                 # adds into the gradient buffers
        n += X.shape[0]
    trainer.step(n)
    for p in params:
        p.zero_grad()                                # PyTorch's optimizer.zero_grad()
    return n
