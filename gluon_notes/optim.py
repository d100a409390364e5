"""SGD with MXNet's update math, but a multi-tensor update only where it pays (``BucketedSGD``).

MXNet's ``SGD`` hands a Trainer's parameters to ``multi_sgd_update`` /
``multi_sgd_mom_update`` in groups of ``aggregate_num``: one operator call per group instead of
one per parameter. In the 1.9.1 CPU build that kernel visits ``largest tensor size x tensors in
the group`` elements, and does so about half as fast per element as ``sgd_update``. One big
tensor in a group therefore makes the whole group slow: on the 2-core VM of docs/performance.md,
a ``trainer.step`` took

=============  ===========  ===============  ===============  ===========
network        parameters   aggregate 1      aggregate 60     BucketedSGD
=============  ===========  ===============  ===============  ===========
softmax        2, 7.9k      0.16 ms          0.11 ms          0.12 ms
MLP 784-256    4, 204k      0.55 ms          0.88 ms          0.29 ms
LeNet          10, 44k      0.77 ms          0.22 ms          0.23 ms
ResNet-18      110, 11.2M   31 ms            50 ms            15 ms
=============  ===========  ===============  ===============  ===========

(one thread, ``python -m gluon_notes.bench_update``).

``BucketedSGD`` keeps MXNet's ``SGD`` (same hyper-parameters, learning-rate schedule, weight decay,
gradient clipping, momentum states, the same update formula) and changes only how a group is
dispatched: tensors with at least ``single_update_size`` elements are updated one by one with
``sgd_update`` / ``sgd_mom_update``; the others are sorted by size and cut into runs of similar
sizes, each updated with one multi-tensor call, so that a call does at most about twice the
necessary work.
"""
import mxnet as mx
from mxnet import nd

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
        key = tuple(indices)
        plan = self._plans.get(key)
        if plan is None:  # once per set of parameters: sizes and storage types do not change
            dense = all(a.stype == "default" for a in list(weights) + list(grads))
            plan = self._plans[key] = size_buckets(
                [w.size for w in weights], self.single_update_size) if dense else ([], None)
        singles, groups = plan
        if groups is None or (not singles and len(groups) == 1):  # MXNet's own dispatch
            return super()._update_impl(indices, weights, grads, states)
        for group in groups:
            super()._update_impl(*([seq[k] for k in group]
                                   for seq in (indices, weights, grads, states)))
        for k in singles:
            self._update_one(indices[k], weights[k], grads[k], states[k])
        return None

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
