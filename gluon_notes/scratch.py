"""The book's from-scratch pieces (chapter 3): losses, activations, dropout and minibatch SGD.

They work on NDArrays and, where written with ``F``, inside HybridBlocks too. Each has a test
against its Gluon built-in.
"""
from mxnet import autograd, nd

from .errors import GluonNotesError


def squared_loss(y_hat, y):
    """``(y_hat - y)^2 / 2`` per example (book section 3.2.5); matches ``gluon.loss.L2Loss``."""
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def softmax(X, F=nd):
    """Row-wise softmax written out (book section 3.6.3): ``exp(X) / sum(exp(X))``.

    Subtracting the row maximum first keeps ``exp`` from overflowing; it changes nothing else.
    """
    X_exp = F.exp(F.broadcast_sub(X, X.max(axis=1, keepdims=True)))  # (B, q)
    partition = X_exp.sum(axis=1, keepdims=True)                      # (B, 1)
    return F.broadcast_div(X_exp, partition)


def cross_entropy(y_hat, y, F=nd):
    """``-log y_hat[y]`` per example for probabilities ``y_hat`` (book section 3.6.4)."""
    return -F.log(F.pick(y_hat, y))


def relu(X, F=nd):
    """``max(X, 0)`` (book section 3.9.2)."""
    return F.maximum(X, 0)


def dropout(X, drop_prob):
    """Inverted dropout written out (book section 3.13.2): zero each unit with probability
    ``drop_prob`` in training and scale the rest by ``1 / (1 - drop_prob)``; identity otherwise."""
    if not 0 <= drop_prob <= 1:
        raise GluonNotesError("drop_prob must be in [0, 1], got %r." % (drop_prob,))
    if not autograd.is_training() or drop_prob == 0:
        return X
    if drop_prob == 1:
        return X.zeros_like()
    mask = nd.random.uniform(0, 1, X.shape, ctx=X.context) > drop_prob
    return mask * X / (1.0 - drop_prob)


def l2_penalty(w):
    """``||w||^2 / 2`` (book section 3.12.2)."""
    return (w ** 2).sum() / 2


class ScratchSGD:
    """Minibatch SGD written out (book section 3.2.6): ``param -= lr * grad / batch_size``.

    Has the ``step(batch_size)`` method of ``gluon.Trainer``, so the one loop can use it. Over
    several devices the per-device gradients are summed first (what the KVStore does).

    Parameters
    ----------
    params : ParameterDict or list of Parameter
    lr : float
    """

    def __init__(self, params, lr):
        self.params = list(params.values()) if hasattr(params, "values") else list(params)
        self.learning_rate = lr

    def step(self, batch_size):
        for p in self.params:
            if p.grad_req == "null":
                continue
            grads = p.list_grad()
            grad = grads[0] if len(grads) == 1 else nd.add_n(
                *[g.as_in_context(grads[0].context) for g in grads])
            for data in p.list_data():
                data[:] = data - self.learning_rate * grad.as_in_context(data.context) / batch_size
