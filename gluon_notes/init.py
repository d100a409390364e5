"""Initializers with PyTorch's semantics (``torch.nn.init``), as registered MXNet Initializers.

Design
------
* Each class is an ``mx.init.Initializer`` registered with ``@mx.init.register``, so
  ``net.initialize(init=KaimingNormal())`` works on ``nn.Dense`` and ``nn.Conv2D``, with deferred
  shapes too (the initializer runs when the first forward pass fixes the shape), and
  ``mx.init.create('kaimingnormal')`` finds it by name.
* Fan-in and fan-out follow ``torch.nn.init._calculate_fan_in_and_fan_out``: a Gluon Dense weight
  is ``(out, in)`` like a torch Linear, a Conv weight ``(out, in / groups, *kernel)`` like torch's,
  so ``fan_in = shape[1] * prod(kernel)`` and ``fan_out = shape[0] * prod(kernel)``.
* Biases stay zero. Gluon's layers pass ``bias_initializer='zeros'``, which wins over
  ``net.initialize(init=...)``. A parameter without its own initializer is handed to the
  net-wide one whatever its name (Gluon 1.9 calls ``_init_weight`` for it, bypassing MXNet's
  name-suffix dispatch), so used net-wide these initializers fill only weights and give names
  ending in ``bias``/``beta``/``mean`` zeros and ``gamma``/``var`` ones; attached to one
  parameter (``bias_initializer=TorchUniform(-b, b)``) they fill it, whatever its name.
  PyTorch's own Linear/Conv default draws the bias from U(-1/sqrt(fan_in), 1/sqrt(fan_in)):
  that is ``bias_initializer=TorchUniform(-b, b)`` with ``b = 1 / sqrt(fan_in)``.
* Class names that MXNet already registers (uniform, normal, constant, orthogonal) get a
  ``Torch`` prefix, so MXNet's own initializers keep their names and meaning.
* Random numbers are repeatable with ``mx.random.seed``: uniform ones come from MXNet's generator,
  normal ones from a numpy ``Generator`` seeded by MXNet's (MXNet's CPU normal sampler is several
  times slower, which matters for a 100-layer MLP).
"""
import math

import mxnet as mx
import numpy as np
from mxnet import nd

from .errors import GluonNotesError

__all__ = ["calculate_gain", "fan_in_and_fan_out", "XavierUniform", "XavierNormal",
           "KaimingUniform", "KaimingNormal", "TorchUniform", "TorchNormal", "TorchConstant",
           "TorchOrthogonal", "Eye", "Dirac", "Sparse"]

LINEAR_FNS = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
              "conv_transpose3d")


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for a nonlinearity (``torch.nn.init.calculate_gain``).

    Parameters
    ----------
    nonlinearity : str
        ``'linear'``, ``'conv1d'``..``'conv3d'``, ``'conv_transpose1d'``..``'3d'``,
        ``'sigmoid'`` (all 1), ``'tanh'`` (5/3), ``'relu'`` (sqrt 2),
        ``'leaky_relu'`` (sqrt(2 / (1 + slope^2))) or ``'selu'`` (3/4).
    param : float, optional
        The negative slope of ``'leaky_relu'`` (default 0.01, as PyTorch).

    Returns
    -------
    float
    """
    if nonlinearity in LINEAR_FNS or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise GluonNotesError("the negative slope of leaky_relu must be a number, got %r; "
                                  "pass a float such as 0.01." % (param,))
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise GluonNotesError("unsupported nonlinearity %r; use one of %s, sigmoid, tanh, relu, "
                          "leaky_relu, selu." % (nonlinearity, ", ".join(LINEAR_FNS)))


def fan_in_and_fan_out(shape):
    """``(fan_in, fan_out)`` of a weight shape, by PyTorch's rule (needs at least 2 dims)."""
    if len(shape) < 2:
        raise GluonNotesError("fan in and fan out need a weight with at least 2 dimensions, got "
                              "shape %s; use these initializers on weights, not biases."
                              % (tuple(shape),))
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def _fan(shape, mode):
    if mode not in ("fan_in", "fan_out"):
        raise GluonNotesError("mode must be 'fan_in' or 'fan_out', got %r." % (mode,))
    fan_in, fan_out = fan_in_and_fan_out(shape)
    return fan_in if mode == "fan_in" else fan_out


#: what a net-wide initializer leaves to the names MXNet gives non-weight parameters
_FIXED = (("bias", 0.0), ("beta", 0.0), ("gamma", 1.0), ("mean", 0.0), ("var", 1.0))


def _uniform(arr, bound):
    arr[:] = nd.random.uniform(-bound, bound, shape=arr.shape, dtype=arr.dtype)


def _rng():
    """A numpy Generator seeded from MXNet's generator."""
    return np.random.default_rng(int(nd.random.randint(0, 2 ** 31 - 1, shape=(1,)).asscalar()))


def _normal(arr, std, mean=0.0):
    arr[:] = _rng().standard_normal(arr.shape, dtype=np.float32) * std + mean


class _TorchInit(mx.init.Initializer):
    """Base: ``_fill(arr)`` is the PyTorch rule; see the module's Design notes for biases."""

    def _init_weight(self, desc, arr):
        if getattr(desc, "global_init", None) == self:   # the net-wide init, not a parameter's
            for suffix, value in _FIXED:
                if desc.endswith(suffix):
                    arr[:] = value
                    return
        self._fill(arr)

    def _fill(self, arr):
        raise NotImplementedError


@mx.init.register
class XavierUniform(_TorchInit):
    """U(-b, b), ``b = gain * sqrt(6 / (fan_in + fan_out))`` (``torch.nn.init.xavier_uniform_``).

    Parameters
    ----------
    gain : float
        E.g. ``calculate_gain('tanh')``.
    """

    def __init__(self, gain=1.0):
        super().__init__(gain=gain)
        self.gain = gain

    def _fill(self, arr):
        fan_in, fan_out = fan_in_and_fan_out(arr.shape)
        _uniform(arr, math.sqrt(3.0) * self.gain * math.sqrt(2.0 / (fan_in + fan_out)))


@mx.init.register
class XavierNormal(_TorchInit):
    """N(0, std^2), ``std = gain * sqrt(2 / (fan_in + fan_out))``
    (``torch.nn.init.xavier_normal_``)."""

    def __init__(self, gain=1.0):
        super().__init__(gain=gain)
        self.gain = gain

    def _fill(self, arr):
        fan_in, fan_out = fan_in_and_fan_out(arr.shape)
        _normal(arr, self.gain * math.sqrt(2.0 / (fan_in + fan_out)))


class _Kaiming(_TorchInit):
    def __init__(self, a=0, mode="fan_in", nonlinearity="leaky_relu"):
        super().__init__(a=a, mode=mode, nonlinearity=nonlinearity)
        calculate_gain(nonlinearity, a)  # fail now on a bad name, not at the first forward
        _fan((1, 1), mode)
        self.a, self.mode, self.nonlinearity = a, mode, nonlinearity

    def std(self, shape):
        """``gain(nonlinearity, a) / sqrt(fan)`` for a weight of this shape."""
        return calculate_gain(self.nonlinearity, self.a) / math.sqrt(_fan(shape, self.mode))


@mx.init.register
class KaimingUniform(_Kaiming):
    """He init, U(-b, b), ``b = sqrt(3) * gain / sqrt(fan)`` (``torch.nn.init.kaiming_uniform_``).

    Parameters
    ----------
    a : float
        Negative slope of the rectifier after this layer (``leaky_relu`` only).
    mode : {'fan_in', 'fan_out'}
        Keep the variance of the forward pass (fan_in) or of the backward pass (fan_out).
    nonlinearity : str
        As for ``calculate_gain``; PyTorch's default ``'leaky_relu'`` with ``a=0`` is ReLU's gain.
    """

    def _fill(self, arr):
        _uniform(arr, math.sqrt(3.0) * self.std(arr.shape))


@mx.init.register
class KaimingNormal(_Kaiming):
    """He init, N(0, std^2), ``std = gain / sqrt(fan)`` (``torch.nn.init.kaiming_normal_``);
    parameters as ``KaimingUniform``."""

    def _fill(self, arr):
        _normal(arr, self.std(arr.shape))


@mx.init.register
class TorchUniform(_TorchInit):
    """U(a, b) (``torch.nn.init.uniform_``; MXNet's ``Uniform(scale)`` is U(-scale, scale))."""

    def __init__(self, a=0.0, b=1.0):
        super().__init__(a=a, b=b)
        self.a, self.b = a, b

    def _fill(self, arr):
        arr[:] = nd.random.uniform(self.a, self.b, shape=arr.shape, dtype=arr.dtype)


@mx.init.register
class TorchNormal(_TorchInit):
    """N(mean, std^2) (``torch.nn.init.normal_``; MXNet's ``Normal(sigma)`` has mean 0)."""

    def __init__(self, mean=0.0, std=1.0):
        super().__init__(mean=mean, std=std)
        self.mean, self.std = mean, std

    def _fill(self, arr):
        _normal(arr, self.std, self.mean)


@mx.init.register
class TorchConstant(_TorchInit):
    """Every weight equals ``val`` (``torch.nn.init.constant_``)."""

    def __init__(self, val):
        super().__init__(val=val)
        self.val = val

    def _fill(self, arr):
        arr[:] = self.val


@mx.init.register
class TorchOrthogonal(_TorchInit):
    """A (semi-)orthogonal weight times ``gain`` (``torch.nn.init.orthogonal_``).

    The weight is viewed as ``(rows, cols) = (shape[0], numel / shape[0])``; its rows are
    orthonormal when ``rows <= cols`` (``W W^T = gain^2 I``), its columns otherwise
    (``W^T W = gain^2 I``). As PyTorch: QR of a N(0, 1) matrix, signs fixed by ``diag(R)``.
    """

    def __init__(self, gain=1.0):
        super().__init__(gain=gain)
        self.gain = gain

    def _fill(self, arr):
        if len(arr.shape) < 2:
            raise GluonNotesError("orthogonal init needs a weight with at least 2 dimensions, "
                                  "got shape %s." % (arr.shape,))
        rows = arr.shape[0]
        cols = arr.size // rows
        flat = _rng().standard_normal((rows, cols))
        if rows < cols:
            flat = flat.T
        q, r = np.linalg.qr(flat)              # q (max, min), r (min, min)
        q *= np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        arr[:] = (self.gain * q).reshape(arr.shape)


@mx.init.register
class Eye(_TorchInit):
    """The identity on a 2-D weight (``torch.nn.init.eye_``): ones on the diagonal of a
    non-square matrix too, so a Dense layer with ``in = out`` passes its input through."""

    def _fill(self, arr):
        if len(arr.shape) != 2:
            raise GluonNotesError("Eye needs a 2-D (Dense) weight, got shape %s; use Dirac for "
                                  "a convolution." % (arr.shape,))
        arr[:] = nd.eye(arr.shape[0], arr.shape[1], dtype=arr.dtype)


@mx.init.register
class Dirac(_TorchInit):
    """The identity for a convolution (``torch.nn.init.dirac_``): a 1 at each kernel's centre
    connecting input channel ``i`` to output channel ``i`` (per group), zeros elsewhere."""

    def __init__(self, groups=1):
        super().__init__(groups=groups)
        self.groups = groups

    def _fill(self, arr):
        shape = arr.shape
        if len(shape) not in (3, 4, 5) or shape[0] % self.groups:
            raise GluonNotesError("Dirac needs a 3-, 4- or 5-D conv weight whose out-channels "
                                  "divide into %d groups, got shape %s." % (self.groups, shape))
        w = np.zeros(shape, dtype=np.float32)   # (out, in / groups, *kernel)
        out_per_group = shape[0] // self.groups
        centre = tuple(k // 2 for k in shape[2:])
        for g in range(self.groups):
            for d in range(min(out_per_group, shape[1])):
                w[(g * out_per_group + d, d) + centre] = 1
        arr[:] = w


@mx.init.register
class Sparse(_TorchInit):
    """N(0, std^2) with ``ceil(sparsity * rows)`` zeros in every column of a 2-D weight
    (``torch.nn.init.sparse_``, after Martens 2010).

    Parameters
    ----------
    sparsity : float
        Fraction of each column set to zero, in [0, 1].
    std : float
        Standard deviation of the non-zero entries.
    """

    def __init__(self, sparsity, std=0.01):
        super().__init__(sparsity=sparsity, std=std)
        if not 0 <= sparsity <= 1:
            raise GluonNotesError("sparsity is a fraction of each column in [0, 1], got %r."
                                  % (sparsity,))
        self.sparsity, self.std = sparsity, std

    def _fill(self, arr):
        if len(arr.shape) != 2:
            raise GluonNotesError("Sparse needs a 2-D (Dense) weight, got shape %s."
                                  % (arr.shape,))
        rows, cols = arr.shape
        num_zeros = int(math.ceil(self.sparsity * rows))
        rng = _rng()
        w = rng.standard_normal((rows, cols), dtype=np.float32) * self.std
        order = rng.permuted(np.tile(np.arange(rows), (cols, 1)), axis=1).T  # a shuffle per column
        np.put_along_axis(w, order[:num_zeros], 0.0, axis=0)
        arr[:] = w
