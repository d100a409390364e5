"""Two-dimensional cross-correlation from scratch and a convolutional layer on it (book 5.1).

``corr2d`` is vectorised: it loops over the ``k_h * k_w`` offsets of the kernel, adding one
shifted slice of ``X`` scaled by one kernel entry each time, never over output elements. It
only uses ``F`` operators, so ``Conv2D`` built on it hybridizes. ``corr2d_loop`` is the book's
double loop over output elements, kept as the reference the tests compare against.
"""
from mxnet import init, nd, sym
from mxnet.gluon import nn

from ..context import ContextChecked, check_same_context
from ..errors import GluonNotesError


def corr2d_loop(X, K):
    """The book's cross-correlation: one Python iteration per output element (book 5.1.1).

    Slow; the reference that ``corr2d`` is tested against. ``X`` is (h, w), ``K`` is (k_h, k_w).
    """
    h, w = K.shape
    Y = nd.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1), ctx=X.context)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i: i + h, j: j + w] * K).sum()
    return Y


def _kernel_size(kernel_size):
    ks = (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)
    if len(ks) != 2 or not all(isinstance(k, int) and k >= 1 for k in ks):
        raise GluonNotesError("kernel_size must be a positive int or a pair of them, got %r; "
                              "use e.g. 3 or (1, 2)." % (kernel_size,))
    return ks


def corr2d(X, K, kernel_size=None, F=None):
    """Cross-correlate the last two axes of ``X`` with the 2-D kernel ``K`` (book 5.1.1).

    ``Y[..., i, j] = sum_{a, b} X[..., i + a, j + b] * K[a, b]``, written as a sum of
    ``k_h * k_w`` shifted views of ``X`` (no loop over output elements).

    Parameters
    ----------
    X : NDArray or Symbol
        Input of shape ``(..., h, w)``, e.g. ``(h, w)`` or ``(N, C, h, w)``.
    K : NDArray or Symbol
        Kernel of shape ``(k_h, k_w)``.
    kernel_size : int or (int, int), optional
        The kernel's shape; needed when ``K`` is a Symbol (its shape is unknown).
    F : module, optional
        ``mx.nd`` or ``mx.sym``; taken from the type of ``X`` when omitted.

    Returns
    -------
    NDArray or Symbol of shape ``(..., h - k_h + 1, w - k_w + 1)``.

    Examples
    --------
    >>> X = nd.array([[0, 1, 2], [3, 4, 5], [6, 7, 8]])
    >>> corr2d(X, nd.array([[0, 1], [2, 3]]))
    [[19. 25.]
     [37. 43.]]
    <NDArray 2x2 @cpu(0)>
    """
    if F is None:
        F = sym if isinstance(X, sym.Symbol) else nd
    if kernel_size is None:
        if F is not nd:
            raise GluonNotesError("corr2d needs kernel_size when K is a Symbol; pass "
                                  "kernel_size=(k_h, k_w).")
        kernel_size = K.shape
    k_h, k_w = _kernel_size(kernel_size)
    if F is nd and (X.ndim < 2 or X.shape[-2] < k_h or X.shape[-1] < k_w):
        raise GluonNotesError("corr2d input of shape %s is smaller than the %dx%d kernel; give "
                              "at least %d rows and %d columns." % (X.shape, k_h, k_w, k_h, k_w))
    Y = None
    for a in range(k_h):
        rows = F.slice_axis(X, axis=-2, begin=a, end=(a - k_h + 1) or None)      # (..., h', w)
        for b in range(k_w):
            view = F.slice_axis(rows, axis=-1, begin=b, end=(b - k_w + 1) or None)  # (..., h', w')
            k_ab = F.reshape(F.slice(K, begin=(a, b), end=(a + 1, b + 1)), (1,))     # (1,)
            term = F.broadcast_mul(view, k_ab)
            Y = term if Y is None else Y + term
    return Y


class Conv2D(ContextChecked, nn.HybridBlock):
    """Convolutional layer from scratch: ``corr2d(X, weight) + bias`` (book 5.1.2).

    One input and one output channel; the cross-correlation runs over the last two axes, so
    ``X`` may be ``(h, w)`` or ``(N, C, h, w)`` (each channel is filtered by the same kernel).

    Parameters
    ----------
    kernel_size : int or (int, int)
        Shape ``(k_h, k_w)`` of the learned kernel ``weight``; ``bias`` is a scalar ``(1,)``.

    Examples
    --------
    >>> conv2d = Conv2D(kernel_size=(1, 2)); conv2d.initialize()
    >>> conv2d(nd.ones((6, 8))).shape
    (6, 7)
    """

    def __init__(self, kernel_size, weight_initializer=None, **kwargs):
        super().__init__(**kwargs)
        self._kernel_size = _kernel_size(kernel_size)
        self.weight = self.params.get("weight", shape=self._kernel_size,
                                      init=weight_initializer)
        self.bias = self.params.get("bias", shape=(1,), init=init.Zero())

    def hybrid_forward(self, F, x, weight, bias):
        return F.broadcast_add(corr2d(x, weight, self._kernel_size, F), bias)  # (..., h', w')


class Conv2DBlock(nn.Block):
    """The book's form of ``Conv2D``: a ``Block`` whose ``forward`` reads ``.data()``.

    Examples
    --------
    >>> conv2d = Conv2DBlock(kernel_size=(1, 2)); conv2d.initialize()
    >>> conv2d(nd.ones((6, 8))).shape
    (6, 7)
    """

    def __init__(self, kernel_size, **kwargs):
        super().__init__(**kwargs)
        self.weight = self.params.get("weight", shape=_kernel_size(kernel_size))
        self.bias = self.params.get("bias", shape=(1,), init=init.Zero())

    def forward(self, x):
        ctx = check_same_context(x, self)
        return corr2d(x, self.weight.data(ctx)) + self.bias.data(ctx)  # (..., h', w')


__all__ = ["corr2d", "corr2d_loop", "Conv2D", "Conv2DBlock"]
