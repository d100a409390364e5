"""Critical points of a scalar function of a vector: gradient, Hessian, classification.

Design
------
* A function ``f`` maps a float64 NDArray ``x`` of shape ``(d,)`` to an NDArray whose entries
  SUM to the value (a scalar function returns shape ``(1,)``; a separable one may return its
  ``d`` terms). Summing by the head gradient (``backward(ones)``) instead of ``.sum()`` matters:
  MXNet 1.9.1's ``_backward_sum`` has no gradient of its own.
* ``gradient`` is one ``autograd`` backward pass, in float64.
* ``hessian`` first tries MXNet's higher-order autograd (``autograd.grad(create_graph=True)``,
  then one backward per row). MXNet 1.9.1 registers second derivatives only for a few unary
  element-wise operators (``square``, ``sin``, ``cos``, ``tanh``, ``log``, ``exp``,
  ``sigmoid``...), not for multiplication (even by a scalar), powers, slicing, ``dot`` or
  ``sum``; so ``x^2 - y^2`` written with coefficients or ``x[0]`` cannot take that path. Then it
  falls back to central differences of autograd gradients, ``H[:, j] = (g(x + h e_j) -
  g(x - h e_j)) / 2h``: exact up to rounding for polynomials of degree <= 3 (their gradient is
  at most quadratic). The method used is returned with the matrix.
* ``classify`` reads the eigenvalues of the (symmetrized) Hessian at a critical point: all
  positive = local minimum, all negative = local maximum, both signs = saddle, otherwise
  (a zero eigenvalue without both signs) degenerate: the second-order test is inconclusive.
* ``gradient_descent`` is a plain loop over a point (not a model: nothing for ``fit`` to train),
  returning the trajectory for the saddle figure.
"""
import numpy as np
from mxnet import autograd, nd
from mxnet.base import MXNetError

from .errors import GluonNotesError

KINDS = ("local minimum", "local maximum", "saddle", "degenerate", "not a critical point")


def _point(x):
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1 or x.size == 0 or not np.all(np.isfinite(x)):
        raise GluonNotesError("the point must be a non-empty 1-D vector of finite numbers, got "
                              "shape %s; pass e.g. [0.0, 0.0]." % (x.shape,))
    return x


def gradient(f, x):
    """The gradient of ``sum(f(x))`` at ``x`` by one autograd backward pass.

    Parameters
    ----------
    f : callable ``f(x) -> NDArray``; ``x`` is a float64 NDArray of shape ``(d,)``
    x : array-like, shape ``(d,)``

    Returns
    -------
    numpy.ndarray, shape ``(d,)``, float64
    """
    x = nd.array(_point(x), dtype="float64")
    x.attach_grad()
    with autograd.record():
        y = f(x)
    y.backward(nd.ones_like(y))
    return x.grad.asnumpy()


def _hessian_autograd(f, x):
    d = x.size
    H = np.empty((d, d))
    for j in range(d):                                   # row j = d/dx (g . e_j)
        xv = nd.array(x, dtype="float64")
        xv.attach_grad()
        with autograd.record():
            y = f(xv)
            g = autograd.grad(y, [xv], head_grads=nd.ones_like(y), create_graph=True,
                              retain_graph=True)[0]      # (d,)
        e = nd.zeros((d,), dtype="float64")
        e[j] = 1
        g.backward(e)
        H[j] = xv.grad.asnumpy()
    return H


def _hessian_differences(f, x, h):
    d = x.size
    H = np.empty((d, d))
    for j in range(d):
        e = np.zeros(d)
        e[j] = h
        H[:, j] = (gradient(f, x + e) - gradient(f, x - e)) / (2 * h)
    return H


def hessian(f, x, method="auto", h=1e-4):
    """The Hessian of ``sum(f(x))`` at ``x`` and the method that computed it.

    Parameters
    ----------
    f : callable ``f(x) -> NDArray`` (see the module's Design)
    x : array-like, shape ``(d,)``
    method : {'auto', 'autograd', 'differences'}
        'autograd': second-order autograd only (``GluonNotesError`` if MXNet lacks a second
        derivative of an operator in ``f``); 'differences': central differences of autograd
        gradients; 'auto': the first, else the second.
    h : float
        Step of the central differences.

    Returns
    -------
    (numpy.ndarray of shape ``(d, d)``, str)
        The Hessian and 'autograd' or 'differences'.
    """
    x = _point(x)
    if method not in ("auto", "autograd", "differences"):
        raise GluonNotesError("method must be 'auto', 'autograd' or 'differences', got %r."
                              % (method,))
    if method in ("auto", "autograd"):
        try:
            return _hessian_autograd(f, x), "autograd"
        except MXNetError as err:
            if method == "autograd":
                lines = [s for s in str(err).strip().splitlines() if s.strip()]
                raise GluonNotesError(
                    "MXNet has no second-order gradient for an operator in f (%s); use "
                    "method='differences'." % (lines[-1] if lines else err)) from err
    return _hessian_differences(f, x, h), "differences"


def classify_eigenvalues(eigenvalues, tol=1e-6):
    """'local minimum', 'local maximum', 'saddle' or 'degenerate' from the Hessian's spectrum."""
    ev = np.asarray(eigenvalues, dtype=np.float64)
    pos, neg = np.any(ev > tol), np.any(ev < -tol)
    if pos and neg:
        return "saddle"
    if np.all(np.abs(ev) > tol):
        return "local minimum" if pos else "local maximum"
    return "degenerate"


def classify(f, x, tol=1e-6, method="auto"):
    """Classify the point ``x`` of ``sum(f(x))`` by its gradient and Hessian eigenvalues.

    Returns
    -------
    dict with ``gradient``, ``hessian``, ``eigenvalues`` (ascending), ``method`` and ``kind``
    (one of ``KINDS``; 'not a critical point' when ``|gradient| > tol``).
    """
    g = gradient(f, x)
    H, used = hessian(f, x, method)
    ev = np.linalg.eigvalsh((H + H.T) / 2)
    kind = "not a critical point" if np.linalg.norm(g) > tol else classify_eigenvalues(ev, tol)
    return dict(gradient=g, hessian=H, eigenvalues=ev, method=used, kind=kind)


def gradient_descent(f, x0, lr, num_iters):
    """Plain gradient descent ``x <- x - lr * grad f(x)``; returns the ``(num_iters + 1, d)``
    trajectory (float64), ``x0`` first."""
    path = [_point(x0)]
    for _ in range(num_iters):
        path.append(path[-1] - lr * gradient(f, path[-1]))
    return np.stack(path)


# The four functions of the notes, as f(x) with x = (x, y): terms whose sum is the value.
def bowl(x):
    """x^2 + y^2 (only ``square``: MXNet's second-order autograd handles it)."""
    return nd.square(x)


def cap(x):
    """-x^2 - y^2."""
    return -(x * x)


def saddle(x):
    """x^2 - y^2."""
    return x[0] * x[0] - x[1] * x[1]


def cubic(x):
    """x^3 + y^2 (degenerate at the origin: neither a minimum nor a maximum)."""
    return x[0] * x[0] * x[0] + x[1] * x[1]


#: name, function, closed-form Hessian at (x, y), kind at the origin
EXAMPLES = (
    ("x^2 + y^2", bowl, lambda p: np.diag([2.0, 2.0]), "local minimum"),
    ("-x^2 - y^2", cap, lambda p: np.diag([-2.0, -2.0]), "local maximum"),
    ("x^2 - y^2", saddle, lambda p: np.diag([2.0, -2.0]), "saddle"),
    ("x^3 + y^2", cubic, lambda p: np.diag([6.0 * p[0], 2.0]), "degenerate"),
)
