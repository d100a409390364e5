"""``trainer.step`` for the loop's single-device SGD, without its per-call Python work.

Design
------
* ``DirectUpdate(trainer)(batch_size)`` does what ``trainer.step(batch_size)`` does for a
  single-device ``gluon.Trainer`` whose optimizer is MXNet's ``SGD`` or ``optim.BucketedSGD``:
  the same operator calls (``multi_sgd_update``, ``sgd_update`` and their momentum forms), with
  the same arguments, on the same momentum states and update counts; so the weights,
  ``save_states`` and a learning-rate schedule are those of ``trainer.step``.
* The first call, and every call after the trainer's state was replaced (``load_states``,
  ``reset_ctx``, a new ``grad_req``, a patched ``trainer.step``), goes through
  ``trainer.step``, which checks every parameter (stale gradients, KVStore, deferred shapes).
  After it the calls are planned once (flat lists of weights, gradients and states); a later
  step is: rescale, count, learning rates and weight decays, the operator calls.
* Anything else (several devices, a KVStore, float16, sparse arrays, AMP, another optimizer or
  trainer class) always goes through ``trainer.step``.
* The caller promises that the same parameters get fresh gradients every step (a cached
  graph): stale gradients are checked by the first step only, and the gradients' "fresh" flags
  are left as backward set them.
"""
import numpy as np
import mxnet as mx
from mxnet import gluon, nd

from .compat import optimizer_lrs_wds, param_arrays, trainer_internals
from .optim import BucketedSGD

#: optimizer classes whose update ``DirectUpdate`` reproduces call for call
DIRECT_OPTIMIZERS = (mx.optimizer.SGD, BucketedSGD)


class DirectUpdate:
    """A callable ``update(batch_size)`` equal to ``trainer.step(batch_size)`` (module Design)."""

    def __init__(self, trainer):
        self.trainer = trainer
        self.plan = None     # None: not planned yet; False: never (not a case this covers)

    def __call__(self, batch_size):
        plan = self.plan
        if plan and plan.valid():
            plan.run(batch_size)
            return
        self.trainer.step(batch_size)
        if plan is not False:
            self.plan = plan_update(self.trainer) or False

    @property
    def direct(self):
        """Whether the next step can skip ``trainer.step``."""
        return bool(self.plan) and self.plan.valid()


def plan_update(trainer):
    """The operator calls of ``trainer.step`` as a ``_Plan``, or None when ``DirectUpdate``
    does not cover this trainer (see the module's Design)."""
    if type(trainer) is not gluon.Trainer or "step" in vars(trainer):
        return None
    t, opt = trainer_internals(trainer), trainer.optimizer
    if (not t["ready"] or t["kvstore"] is not None or t["loss_scaler"] is not None
            or len(t["updaters"]) != 1 or type(opt) not in DIRECT_OPTIMIZERS):
        return None
    updater = t["updaters"][0]
    live = [(i, p) for i, p in enumerate(t["params"]) if p.grad_req != "null"]
    arrays = [param_arrays(p) for _, p in live]
    if not live or any(d is None or g is None or len(d) != 1 or len(g) != 1
                       for d, g in arrays):
        return None
    indices = [i for i, _ in live]
    weights, grads = [d[0] for d, _ in arrays], [g[0] for _, g in arrays]
    if (any(not updater.states_synced.get(i) for i in indices)
            or len({w.dtype for w in weights}) != 1 or weights[0].dtype == np.float16
            or any(a.stype != "default" for a in weights + grads)):
        return None
    states = [updater.states[i] for i in indices]
    if any((s is None) != (opt.momentum <= 0) for s in states):
        return None
    return _Plan(trainer, updater, t["scale"], [p for _, p in live], arrays, indices, weights,
                 grads, states, _calls(opt, updater, indices, weights, grads))


def _calls(opt, updater, indices, weights, grads):
    """``[(multi, positions)]`` in the order ``trainer.step`` makes them: the updater's chunks
    of ``aggregate_num`` tensors (one each without aggregation), each dispatched by the
    optimizer (``BucketedSGD.dispatch``; MXNet's SGD, and any single tensor: one multi-tensor
    call per chunk)."""
    size = opt.aggregate_num if updater.aggregate_updates else 1
    calls = []
    for start in range(0, len(indices), size):
        chunk = list(range(start, min(start + size, len(indices))))
        pairs = [("mxnet", list(range(len(chunk))))]
        if isinstance(opt, BucketedSGD) and updater.aggregate_updates:  # lists: its dispatch
            pairs = opt.dispatch([indices[k] for k in chunk], [weights[k] for k in chunk],
                                 [grads[k] for k in chunk])
        calls += [(kind != "single", [chunk[k] for k in positions]) for kind, positions in pairs]
    return calls


class _Plan:
    """The flat arguments of every update call, and the objects they were read from."""

    def __init__(self, trainer, updater, scale, params, arrays, indices, weights, grads, states,
                 calls):
        self.trainer, self.updater, self.scale = trainer, updater, scale
        self.opt, self.states_dict = updater.optimizer, updater.states
        self.params, self.arrays, self.indices = params, arrays, indices
        self.device_id = weights[0].context.device_id
        self.momentum = states[0] is not None
        self.calls = []
        for multi, pos in calls:
            if self.momentum:
                args = [a for k in pos for a in (weights[k], grads[k], states[k])]
            else:
                args = [a for k in pos for a in (weights[k], grads[k])]
            self.calls.append((multi, pos, args, [weights[k] for k in pos]))

    def valid(self):
        """Whether the trainer still holds the objects planned with (cheap: identities)."""
        trainer, opt = self.trainer, self.opt
        return (trainer.optimizer is opt and self.updater.optimizer is opt
                and self.updater.states is self.states_dict and "step" not in vars(trainer)
                and (opt.momentum > 0) == self.momentum
                and all(d is a[0] and g is a[1]
                        for (d, g), a in zip(map(param_arrays, self.params), self.arrays)))

    def run(self, batch_size):
        """``trainer.step(batch_size)``'s update: the same calls with the same arguments."""
        opt = self.opt
        opt.rescale_grad = self.scale / batch_size
        lrs, wds = optimizer_lrs_wds(opt, self.device_id, self.indices)
        kwargs = {"rescale_grad": opt.rescale_grad}
        if opt.clip_gradient:
            kwargs["clip_gradient"] = opt.clip_gradient
        if self.momentum:
            kwargs["momentum"] = opt.momentum
        for multi, pos, args, out in self.calls:
            if multi:
                op = nd.multi_sgd_mom_update if self.momentum else nd.multi_sgd_update
                op(*args, out=out, num_weights=len(out), lrs=[lrs[k] for k in pos],
                   wds=[wds[k] for k in pos], **kwargs)
            else:
                op = nd.sgd_mom_update if self.momentum else nd.sgd_update
                op(*args, out=out[0], lr=lrs[pos[0]], wd=wds[pos[0]], **kwargs)


__all__ = ["DirectUpdate", "plan_update", "DIRECT_OPTIMIZERS"]
