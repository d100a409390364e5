"""The optimizer of the loop: ``OptimizerSettings``, the Trainer built from them, ``BucketedSGD``.

Design
------
* ``fit``'s optimizer keywords (``optimizer``, ``wd``, ``lr_scheduler``, ``clip_gradient``,
  ``clip_norm``, ``optimizer_params``) are one ``OptimizerSettings``, checked when it is built;
  ``make_trainer`` turns them and a learning rate into a ``gluon.Trainer``.
* An optimizer given as an instance brings its own settings: it is copied, never changed, and
  ``lr``/``wd`` may be given next to it only with the values it already has (the other settings
  belong on the instance).
* ``optimizer='sgd'`` is ``BucketedSGD``: MXNet's SGD (same hyper-parameters, schedule, weight
  decay, clipping, momentum states and update formula) with another dispatch of the update.

Why ``BucketedSGD``: MXNet's ``SGD`` hands a Trainer's parameters to ``multi_sgd_update`` /
``multi_sgd_mom_update`` in groups of ``aggregate_num``: one operator call per group instead of
one per parameter. In the 1.9.1 CPU build that kernel visits ``largest tensor size x tensors in
the group`` elements, more slowly per element than ``sgd_update``, so one big tensor makes its
whole group slow. ``BucketedSGD`` updates tensors with at least ``single_update_size`` elements
one by one with ``sgd_update`` / ``sgd_mom_update``; the others are sorted by size and cut into
runs of similar sizes, each updated with one multi-tensor call, so that a call does at most about
twice the necessary work. The timings of the three dispatches are measured by
``python -m gluon_notes.bench.update`` and reported in docs/performance.md.
"""
import copy
import math
import os
from dataclasses import dataclass, fields
from typing import Any, Optional

import mxnet as mx
from mxnet import gluon, nd

from .errors import GluonNotesError

#: tensors with at least this many elements get their own ``sgd_update`` call
SINGLE_UPDATE_SIZE = 65536
#: elements a multi-tensor call may visit beyond twice its tensors' total size
SLACK = 262144


def size_buckets(sizes, single_update_size=SINGLE_UPDATE_SIZE, slack=SLACK):
    """Split tensor positions into ``(singles, groups)`` for the update calls.

    A group's cost is ``max size x count``; a tensor joins the current group (positions sorted
    by size) while that stays within ``2 x total size + slack``.

    Examples
    --------
    >>> size_buckets([200704, 256, 2560, 10])       # MLP 784-256-10: weights and biases
    ([0], [[3, 1, 2]])
    """
    singles = [k for k, n in enumerate(sizes) if n >= single_update_size]
    groups, current, total = [], [], 0
    for k in sorted((k for k in range(len(sizes)) if k not in singles), key=lambda k: sizes[k]):
        n = sizes[k]
        if current and n * (len(current) + 1) > 2 * (total + n) + slack:
            groups.append(current)
            current, total = [], 0
        current.append(k)
        total += n
    if current:
        groups.append(current)
    return singles, groups


@mx.optimizer.register
class BucketedSGD(mx.optimizer.SGD):
    """``mx.optimizer.SGD`` whose aggregated update leaves large tensors to ``sgd_update``.

    Parameters
    ----------
    single_update_size : int
        Tensors with at least this many elements are updated one at a time.
    **kwargs
        As ``mx.optimizer.SGD`` (``learning_rate``, ``momentum``, ``wd``, ``lr_scheduler``,
        ``clip_gradient``, ...).
    """

    def __init__(self, single_update_size=SINGLE_UPDATE_SIZE, **kwargs):
        super().__init__(**kwargs)
        self.single_update_size = single_update_size
        self._plans = {}  # parameter indices -> (singles, groups)

    def _update_impl(self, indices, weights, grads, states, multi_precision=False):
        if not isinstance(indices, (tuple, list)) or multi_precision:
            return super()._update_impl(indices, weights, grads, states, multi_precision)
        calls = self.dispatch(indices, weights, grads)
        if calls[0][0] == "mxnet":  # MXNet's own dispatch
            return super()._update_impl(indices, weights, grads, states)
        for kind, positions in calls:
            if kind == "multi":
                super()._update_impl(*([seq[k] for k in positions]
                                       for seq in (indices, weights, grads, states)))
            else:
                k = positions[0]
                self._update_one(indices[k], weights[k], grads[k], states[k])
        return None

    def dispatch(self, indices, weights, grads):
        """The update calls for one list of tensors, as ``(kind, positions)`` pairs: ``'multi'``
        (one multi-tensor call), ``'single'`` (``sgd_update`` of one tensor), or one
        ``'mxnet'`` pair over all positions (MXNet's ``SGD`` dispatch: one multi-tensor call for
        dense tensors). Planned once per list of indices (sizes and storage types are fixed)."""
        key = tuple(indices)
        plan = self._plans.get(key)
        if plan is None:
            dense = all(a.stype == "default" for a in list(weights) + list(grads))
            plan = self._plans[key] = size_buckets(
                [w.size for w in weights], self.single_update_size) if dense else ([], None)
        singles, groups = plan
        if groups is None or (not singles and len(groups) == 1):
            return [("mxnet", list(range(len(indices))))]
        return [("multi", g) for g in groups] + [("single", [k]) for k in singles]

    def _update_one(self, index, weight, grad, state):
        self._update_count(index)
        kwargs = dict(lr=self._get_lr(index), wd=self._get_wd(index),
                      rescale_grad=self.rescale_grad)
        if self.clip_gradient:
            kwargs["clip_gradient"] = self.clip_gradient
        if state is not None:
            nd.sgd_mom_update(weight, grad, state, out=weight, momentum=self.momentum, **kwargs)
        else:
            nd.sgd_update(weight, grad, out=weight, **kwargs)


# ---------------------------------------------------------------------------- settings, Trainer
DEFAULT_LR = 0.1
#: parameters updated by one multi-tensor optimizer call (MXNet's default is 4, its maximum 60);
#: the environment variable, when set, wins
AGGREGATION_SIZE, AGGREGATION_ENV = 60, "MXNET_OPTIMIZER_AGGREGATION_SIZE"


def check_lr(lr):
    """Raise one sentence unless ``lr`` is a finite number > 0."""
    ok = isinstance(lr, (int, float)) and not isinstance(lr, bool) and math.isfinite(lr)
    if not (ok and lr > 0):
        raise GluonNotesError("the learning rate must be a finite number > 0, got %r." % (lr,))


def _check_number(name, value, low_ok=False):
    if value is None:
        return
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if not (ok and (value > 0 or (low_ok and value == 0))):
        raise GluonNotesError("%s must be a finite number %s 0, got %r."
                              % (name, ">=" if low_ok else ">", value))


@dataclass(frozen=True)
class OptimizerSettings:
    """How ``fit`` builds its ``gluon.Trainer``: every optimizer setting but the learning rate.

    Attributes
    ----------
    optimizer : str or mx.optimizer.Optimizer
        A registered name (``'sgd'`` is ``BucketedSGD``) or an instance, which brings its own
        settings (see the module's Design).
    wd : float, optional
        Weight decay (0 when not given).
    lr_scheduler : mx.lr_scheduler.LRScheduler, optional
    clip_gradient : float, optional
        Clip each gradient element to ``[-clip_gradient, clip_gradient]`` (the optimizer's).
    clip_norm : float, optional
        Clip the global gradient norm, per example, to this value (done by the step).
    optimizer_params : dict, optional
        Further keyword arguments of the optimizer, e.g. ``{'momentum': 0.9}``.
    """
    optimizer: Any = "sgd"
    wd: Optional[float] = None
    lr_scheduler: Any = None
    clip_gradient: Optional[float] = None
    clip_norm: Optional[float] = None
    optimizer_params: Optional[dict] = None

    def __post_init__(self):
        if not isinstance(self.optimizer, (str, mx.optimizer.Optimizer)):
            raise GluonNotesError("optimizer must be a name such as 'sgd' or an "
                                  "mx.optimizer.Optimizer, got %r." % (self.optimizer,))
        _check_number("wd", self.wd, low_ok=True)
        _check_number("clip_gradient", self.clip_gradient)
        _check_number("clip_norm", self.clip_norm)
        if self.optimizer_params is not None and not isinstance(self.optimizer_params, dict):
            raise GluonNotesError("optimizer_params must be a dict such as {'momentum': 0.9}, "
                                  "got %r." % (self.optimizer_params,))

    @classmethod
    def from_kwargs(cls, kwargs, where="fit"):
        """Settings from keyword arguments; an unknown keyword is one sentence."""
        names = [f.name for f in fields(cls)]
        unknown = sorted(set(kwargs) - set(names))
        if unknown:
            raise GluonNotesError("%s() got unknown argument(s) %s; its optimizer settings are %s."
                                  % (where, ", ".join(unknown), ", ".join(names)))
        return cls(**kwargs)

    def given(self):
        """Names of the settings that change something (not their default, None, 0 or {})."""
        return [f.name for f in fields(self)
                if getattr(self, f.name) not in (f.default, None, 0, {})]

    def make_trainer(self, net, lr=None, kvstore="device"):
        """``make_trainer(net, ...)`` with these settings."""
        return make_trainer(net, lr=lr, kvstore=kvstore,
                            **{f.name: getattr(self, f.name) for f in fields(self)})


def _own_copy(optimizer, lr, settings):
    """A copy of the user's optimizer instance, after checking nothing contradicts it."""
    for name in ("lr_scheduler", "clip_gradient", "optimizer_params"):
        if getattr(settings, name) is not None:
            raise GluonNotesError("%s cannot be given next to an optimizer instance; set it on "
                                  "the instance (%s) instead." % (name, type(optimizer).__name__))
    for name, value, own in (("lr", lr, optimizer.learning_rate), ("wd", settings.wd,
                                                                     optimizer.wd)):
        if value is not None and value != own:
            raise GluonNotesError("%s=%r contradicts the optimizer instance's %s of %r; give one "
                                  "of them (the instance brings its own settings)."
                                  % (name, value, name, own))
    return copy.deepcopy(optimizer)


def make_trainer(net, optimizer="sgd", lr=None, wd=None, lr_scheduler=None, clip_gradient=None,
                 optimizer_params=None, kvstore="device", clip_norm=None):
    """A ``gluon.Trainer`` over all parameters of ``net`` with the loop's options.

    ``lr`` defaults to ``DEFAULT_LR`` for an optimizer given by name and to the instance's own
    for an instance; see ``OptimizerSettings`` for the others.
    """
    settings = OptimizerSettings(optimizer, wd, lr_scheduler, clip_gradient, clip_norm,
                                 optimizer_params)
    if lr is not None:
        check_lr(lr)
    if isinstance(optimizer, mx.optimizer.Optimizer):
        opt = _own_copy(optimizer, lr, settings)
    else:
        params = dict(learning_rate=DEFAULT_LR if lr is None else lr, wd=wd or 0.0)
        if lr_scheduler is not None:
            params["lr_scheduler"] = lr_scheduler
        if clip_gradient is not None:
            params["clip_gradient"] = clip_gradient
        params.update(optimizer_params or {})
        # a distributed KVStore pickles the optimizer to its servers, which import only mxnet:
        # they get MXNet's own SGD there
        dist = getattr(kvstore, "type", str(kvstore)).startswith("dist")
        name = "bucketedsgd" if optimizer.lower() == "sgd" and not dist else optimizer
        try:
            opt = mx.optimizer.create(name, **params)
        except (ValueError, TypeError) as err:
            raise GluonNotesError("the optimizer %r cannot be built with %s (%s); check its "
                                  "name and optimizer_params."
                                  % (optimizer, sorted(params), err)) from None
        # one multi-tensor update call, not n/4; only SGD's update takes lists of tensors
        # (Adam, RMSProp, ... have aggregate_num 0 and update one tensor at a time)
        if isinstance(opt, mx.optimizer.SGD) and AGGREGATION_ENV not in os.environ:
            opt.aggregate_num = AGGREGATION_SIZE
    return gluon.Trainer(net.collect_params(), opt, kvstore=kvstore,
                         update_on_kvstore=False if clip_norm else None)
