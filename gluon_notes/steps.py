"""The work of one batch (``SupervisedStep``) and the scoring of a data set (``evaluate``).

Design
------
* A step trains on one batch over one or several devices and returns scalar NDArrays on
  ``ctx[0]`` (``loss``, ``correct``) plus ``n``; it never reads the device.
* ``evaluate`` reads the device once, after the last batch; it keeps at most ``LAG`` batches in
  flight.
* Over several devices a batch is split with ``split_and_load`` (uneven splits allowed) and the
  per-device sums are added on ``ctx[0]``.
* ``prepare_net`` / ``check_net_ctx``: the net's parameters are initialized on, or checked
  against, the devices the data goes to.
* The first batch of ``evaluate`` goes through ``inputs.forward_checked`` (a wrong input shape is
  one sentence) and, for a validated loader, its labels are checked against the network's
  number of outputs.
"""
import mxnet as mx
from mxnet import autograd, gluon, nd

from .compat import deferred_ctx, param_state
from .context import ContextError, as_ctx_list
from .errors import GluonNotesError
from .fast_update import DirectUpdate
from .inputs import forward_checked

LAG = 4  # batches the host may run ahead of the device


def prepare_net(net, ctx, init=None):
    """Initialize the parameters of ``net`` that are not yet, and place all of them on ``ctx``.

    Parameters with unknown shapes stay deferred until the first forward pass.
    """
    ctx = as_ctx_list(ctx)
    init = init if init is not None else mx.init.Xavier()
    for p in net.collect_params().values():
        state = param_state(p)
        if state == "none":
            p.initialize(None, ctx=ctx, default_init=init)
        elif state == "ready" and set(p.list_ctx()) != set(ctx):
            p.reset_ctx(ctx)
        elif state == "deferred" and set(deferred_ctx(p)) != set(ctx):
            p.reset_ctx(ctx)
    return net


def check_net_ctx(net, ctx=None):
    """Return ``ctx`` as a list (default: where the net's parameters are), after checking that
    every initialized parameter lives on exactly those devices."""
    ready = [p for p in net.collect_params().values() if param_state(p) == "ready"]
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


def split(batch, ctx):
    """Split an NDArray batch over the contexts (one slice per device, uneven allowed)."""
    if len(ctx) == 1:
        return [batch.as_in_context(ctx[0])]
    return gluon.utils.split_and_load(batch, ctx, even_split=False)


def reduce_to(parts, ctx0):
    """Sum scalar NDArrays living on several devices onto ``ctx0``."""
    if len(parts) == 1:
        return parts[0]
    return nd.add_n(*[p.as_in_context(ctx0) for p in parts])


def correct(y_hat, y):
    """Number of correct predictions: y_hat (B, classes), y (B,) -> a (1,) NDArray."""
    return (y_hat.argmax(axis=1) == y.astype(y_hat.dtype)).sum()


def check_labels_for(out_shape, data_iter, accuracy=True):
    """Check a validated loader's labels (``label_info``) against a network output of shape
    ``out_shape`` (B, classes); nothing is read from the device. Returns the classes or None."""
    if not accuracy or len(out_shape) != 2:
        return None
    classes = out_shape[1]
    info = getattr(data_iter, "label_info", None)
    if info is not None:
        info.check(classes)
    return classes


class SupervisedStep:
    """One batch of supervised training over one or several devices.

    Returns ``{'loss': sum of the batch's losses, 'correct': correct predictions (if accuracy is
    measured), 'n': batch size}``; values are NDArrays on ``ctx[0]``, nothing is synced.

    With ``graph`` (a hybridized ``fused.TrainGraph``), forward, loss and accuracy are one
    cached graph call per device instead of about ten imperative operator calls; on one device
    the update is then ``fast_update.DirectUpdate`` (``trainer.step``'s operator calls without
    its per-call Python work: the cached graph gives the same parameters gradients every step).
    """

    def __init__(self, net, loss, trainer, ctx, accuracy=True, clip_norm=None, graph=None,
                 nominal_batch_size=None):
        self.net, self.loss, self.trainer, self.ctx = net, loss, trainer, ctx
        self.accuracy, self.clip_norm, self.graph = accuracy, clip_norm, graph
        self.nominal_batch_size = nominal_batch_size
        self.one_graph = graph is not None and len(ctx) == 1
        self.direct = DirectUpdate(trainer) if self.one_graph else None

    def __call__(self, X, y):
        if self.one_graph:
            return self._fused_one(X, y)
        Xs, ys = split(X, self.ctx), split(y, self.ctx)
        if self.graph is not None:
            return self._fused(Xs, ys, X.shape[0])
        with autograd.record():
            y_hats = [self.net(Xi) for Xi in Xs]
            losses = [self.loss(y_hat, yi) for y_hat, yi in zip(y_hats, ys)]
        autograd.backward(losses)
        n = X.shape[0]
        self._update(n)
        out = {"loss": reduce_to([l.sum() for l in losses], self.ctx[0]), "n": n}
        if self.accuracy:
            out["correct"] = reduce_to([correct(a, b) for a, b in zip(y_hats, ys)], self.ctx[0])
        return out

    def _update(self, n):
        if self.clip_norm:
            self.trainer.allreduce_grads()
            for c in self.ctx:  # gradients are sums over the batch: scale the bound to match
                grads = [p.grad(c) for p in self.net.collect_params().values()
                         if p.grad_req != "null"]
                gluon.utils.clip_global_norm(grads, self.clip_norm * n, check_isfinite=False)
            self.trainer.update(self.nominal_batch_size or n)
        else:
            # the real batch size, or the book's rule: the nominal one, also for the short last
            # batch (whose step is then proportionally smaller)
            size = self.nominal_batch_size or n
            if self.direct is not None:
                self.direct(size)
            else:  # looked up per step: a callback may wrap trainer.step
                self.trainer.step(size)

    def _fused_one(self, X, y):
        """``_fused`` on one device, without the per-device lists."""
        c = self.ctx[0]
        with autograd.record():
            out = self.graph(X.as_in_context(c), y.as_in_context(c))
        loss, correct_ = (out[0], out[1]) if self.accuracy else (out, None)
        loss.backward()
        n = X.shape[0]
        self._update(n)
        out = {"loss": loss, "n": n}
        if self.accuracy:
            out["correct"] = correct_
        return out

    def _fused(self, Xs, ys, n):
        with autograd.record():
            outs = [self.graph(Xi, yi) for Xi, yi in zip(Xs, ys)]
        outs = [o if isinstance(o, (list, tuple)) else [o] for o in outs]
        autograd.backward([o[0] for o in outs])
        self._update(n)
        out = {"loss": reduce_to([o[0] for o in outs], self.ctx[0]), "n": n}
        if self.accuracy:
            out["correct"] = reduce_to([o[1] for o in outs], self.ctx[0])
        return out


def evaluate(net, data_iter, ctx=None, loss=None, accuracy=True):
    """Mean loss and/or accuracy of ``net`` over ``data_iter``, read from the device once.

    Returns
    -------
    dict with ``acc`` (if ``accuracy``), ``loss`` (if ``loss`` is given) and ``n``.

    Raises
    ------
    InputShapeError
        The network cannot take the data's batches.
    DataError
        A validated loader's labels are not class indices of the network's outputs.
    """
    ctx = check_net_ctx(net, ctx)
    sums, n = {"loss": [], "correct": []}, 0
    for i, (X, y) in enumerate(data_iter):
        Xs, ys = split(X, ctx), split(y, ctx)
        if i == 0:
            y_hats = [forward_checked(net, Xs[0])] + [net(Xi) for Xi in Xs[1:]]
            check_labels_for(y_hats[0].shape, data_iter, accuracy)
        else:
            y_hats = [net(Xi) for Xi in Xs]
        if loss is not None:
            sums["loss"].append(reduce_to([loss(a, b).sum() for a, b in zip(y_hats, ys)], ctx[0]))
        if accuracy:
            sums["correct"].append(reduce_to([correct(a, b) for a, b in zip(y_hats, ys)], ctx[0]))
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


__all__ = ["SupervisedStep", "evaluate", "evaluate_accuracy", "prepare_net", "check_net_ctx",
           "split", "reduce_to", "correct", "check_labels_for", "LAG"]
