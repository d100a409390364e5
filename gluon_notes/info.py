"""Information theory on probability vectors: self-information, entropy, cross-entropy, KL.

Design
------
* A distribution is a probability vector along the last axis: a list, a numpy array or an
  ``NDArray`` (read to the host once). Results are numpy float64: a float for one vector, an
  array for a batch of them. These are teaching functions, not training losses (for those see
  ``gluon_notes.losses``).
* Natural logarithm (nats) by default; ``base=2`` gives bits.
* ``0 * log 0 = 0``; ``p > 0`` where ``q = 0`` gives ``inf`` (cross-entropy and KL), the
  mathematical value. Anything that is not a probability vector raises ``GluonNotesError``.
* The identity ``H(P, Q) = D_KL(P || Q) + H(P)`` ties the three together (tested).
"""
import numpy as np
from mxnet import nd

from .errors import GluonNotesError

#: how far from 1 a probability vector's sum may be (float32 softmax outputs included)
SUM_TOL = 1e-5


def _array(x):
    return np.asarray(x.asnumpy() if isinstance(x, nd.NDArray) else x, dtype="float64")


def _probs(name, p):
    """``p`` as float64 after checking it is a probability vector (or a batch of them)."""
    p = _array(p)
    if p.ndim == 0 or p.size == 0:
        raise GluonNotesError("%s must be a non-empty probability vector, got shape %s."
                              % (name, p.shape))
    if not (np.isfinite(p).all() and (p >= 0).all() and (p <= 1).all()):
        raise GluonNotesError("%s must hold probabilities in [0, 1], got %s."
                              % (name, p[~(np.isfinite(p) & (p >= 0) & (p <= 1))][0]))
    sums = p.sum(axis=-1)
    if not np.allclose(sums, 1.0, rtol=0, atol=SUM_TOL):
        raise GluonNotesError("%s must sum to 1 along its last axis, but a sum is %.6g; normalize "
                              "it (p / p.sum()) or apply a softmax." % (name, np.ravel(sums)[0]))
    return p


def _log(x, base):
    if base is None:
        return np.log(x)
    if not (base > 0 and base != 1):
        raise GluonNotesError("base must be positive and not 1, got %r." % (base,))
    return np.log(x) / np.log(base)


def _out(x):
    return float(x) if np.ndim(x) == 0 else x


def self_information(p, base=None):
    """``I(p) = -log p`` of an event with probability ``p`` (scalar or array, in (0, 1]).

    PyTorch: ``-torch.log(p)``. ``I(1/2) = 1`` bit with ``base=2``.
    """
    p = _array(p)
    if not (np.isfinite(p).all() and (p > 0).all() and (p <= 1).all()):
        raise GluonNotesError("self-information needs probabilities in (0, 1], got %s."
                              % p[~(np.isfinite(p) & (p > 0) & (p <= 1))][0])
    return _out(-_log(p, base))


def entropy(p, base=None):
    """``H(P) = -sum_i p_i log p_i`` along the last axis.

    PyTorch: ``torch.distributions.Categorical(probs=p).entropy()`` (nats).
    """
    p = _probs("p", p)
    logs = np.where(p > 0, _log(np.where(p > 0, p, 1.0), base), 0.0)
    return _out(-(p * logs).sum(axis=-1))


def cross_entropy(p, q, base=None):
    """``H(P, Q) = -sum_i p_i log q_i``: the expected code length of ``P``'s samples under ``Q``.

    PyTorch: ``F.cross_entropy(torch.log(q), p)`` (probability targets; the log-softmax of
    ``log q`` is ``log q`` itself).
    """
    p, q = _probs("p", p), _probs("q", q)
    with np.errstate(divide="ignore", invalid="ignore"):   # 0 * log 0 is dropped by where
        return _out(-np.where(p > 0, p * _log(q, base), 0.0).sum(axis=-1))


def kl_divergence(p, q, base=None):
    """``D_KL(P || Q) = sum_i p_i log(p_i / q_i)``, >= 0, and 0 only when ``P = Q``.

    PyTorch: ``F.kl_div(torch.log(q), p, reduction='sum')`` (note the order: the model's
    log-probabilities first, the target distribution second) or
    ``torch.distributions.kl_divergence(Categorical(p), Categorical(q))``.
    """
    p, q = _probs("p", p), _probs("q", q)
    with np.errstate(divide="ignore", invalid="ignore"):   # 0 * log 0 is dropped by where
        ratio = _log(np.where(p > 0, p, 1.0), base) - _log(q, base)
        return _out(np.where(p > 0, p * ratio, 0.0).sum(axis=-1))


def binary_cross_entropy(p_hat, y, base=None):
    """Cross-entropy of one prediction ``p_hat = P(y = 1)`` against the label ``y`` in {0, 1}.

    ``-(y log p_hat + (1 - y) log(1 - p_hat))``, i.e. ``cross_entropy([y, 1-y], [p, 1-p])``.
    PyTorch: ``F.binary_cross_entropy(p_hat, y)`` (which also clamps each log at -100).
    """
    p_hat, y = _array(p_hat), _array(y)
    return cross_entropy(np.stack([y, 1 - y], -1), np.stack([p_hat, 1 - p_hat], -1), base)


def sigmoid(z):
    """``1 / (1 + exp(-z))``, without overflow, accurate in both tails (``torch.sigmoid``)."""
    z = _array(z)
    e = np.exp(-np.abs(z))                                # in (0, 1]: never overflows
    return _out(np.where(z >= 0, 1 / (1 + e), e / (1 + e)))


def softmax(z, axis=-1):
    """``exp(z_i) / sum_j exp(z_j)`` along ``axis``, max-shifted. PyTorch: ``torch.softmax``.

    With two classes, ``softmax([z0, z1])[1] == sigmoid(z1 - z0)``: one logit difference is all
    a binary classifier needs, which is why it outputs one number and uses a sigmoid.
    """
    z = _array(z)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def logit_gradients(p_true):
    """``|dL/dz|`` on the true class's logit for cross-entropy and squared error, two classes.

    With ``p = sigmoid(z)`` the probability of the true class: cross-entropy ``-log p`` has
    ``dL/dz = p - 1`` (magnitude near 1 while the prediction is wrong); the squared error summed
    over both classes, ``2 (1 - p)^2``, has ``dL/dz = -4 p (1 - p)^2``, which vanishes as
    ``p -> 0``: the more confidently wrong, the less it learns.

    Returns
    -------
    dict with ``cross_entropy`` and ``mse``: arrays like ``p_true``.
    """
    p = _array(p_true)
    return dict(cross_entropy=np.abs(p - 1), mse=np.abs(4 * p * (1 - p) ** 2))


#: the worked example: three items, one-hot targets, two models' predicted probabilities
TARGETS = [[0, 0, 1], [0, 1, 0], [1, 0, 0]]
MODELS = {"model A": [[0.3, 0.3, 0.4], [0.3, 0.4, 0.3], [0.1, 0.2, 0.7]],
          "model B": [[0.1, 0.2, 0.7], [0.1, 0.7, 0.2], [0.3, 0.4, 0.3]]}


def compare_models(models=None, targets=None):
    """Classification error, mean cross-entropy and mean squared error of each model.

    The course notes' example (after J. McCaffrey): both models get the third item wrong, so
    their classification error is the same 1/3, yet model B puts far more probability on the
    right answers. Classification error cannot tell them apart; cross-entropy and MSE can.
    Cross-entropy is the one to train with: it is the log-likelihood of the right class, it
    punishes a confident mistake without bound (``-log 0.1`` for model A's third item), and with
    a softmax its gradient w.r.t. the logits, ``p - y``, does not vanish as a wrong prediction
    saturates, where the squared error's does (``logit_gradients``).

    Returns
    -------
    list of dict
        One row per model: ``model``, ``classification_error``, ``cross_entropy``, ``mse``
        (the squared error summed over classes, averaged over items).
    """
    models = MODELS if models is None else models
    t = _probs("targets", TARGETS if targets is None else targets)
    rows = []
    for name, probs in models.items():
        p = _probs(name, probs)
        rows.append(dict(model=name,
                         classification_error=float((p.argmax(-1) != t.argmax(-1)).mean()),
                         cross_entropy=float(np.mean(cross_entropy(t, p))),
                         mse=float(((p - t) ** 2).sum(-1).mean())))
    return rows


def format_table(rows, columns=None, floatfmt="%.4f"):
    """``rows`` (list of dicts) as an aligned text table."""
    columns = columns or list(rows[0])
    cells = [[floatfmt % r[c] if isinstance(r[c], float) else str(r[c]) for c in columns]
             for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)) for row in cells]
    return "\n".join(lines)
