"""Custom layers: a layer without parameters and a dense layer with its own (book 4.4).

Each is a ``HybridBlock`` (library API) next to the book's ``Block`` form (``...Block``), which
writes the same maths with ``nd`` and ``.data()``. ``MyInit`` is the book's custom initializer
(section 4.2.3); it records the parameters it initialized, to show deferred initialization.
"""
import mxnet as mx
from mxnet import init, nd
from mxnet.gluon import nn

from ..context import ContextChecked, check_same_context
from ..errors import GluonNotesError


class CenteredLayer(ContextChecked, nn.HybridBlock):
    """Subtract the mean of all entries: ``x - x.mean()``; no parameters (book 4.4.1).

    Examples
    --------
    >>> layer = CenteredLayer()
    >>> layer(nd.array([1, 2, 3, 4, 5]))
    [-2. -1.  0.  1.  2.]
    <NDArray 5 @cpu(0)>
    """

    def hybrid_forward(self, F, x):
        return F.broadcast_sub(x, F.mean(x))  # same shape as x


class CenteredLayerBlock(nn.Block):
    """The book's ``CenteredLayer``: a ``Block`` computing ``x - x.mean()``."""

    def forward(self, x):
        return x - x.mean()


def _activation(activation):
    if activation not in (None, "relu"):
        raise GluonNotesError("MyDense supports activation='relu' or None, got %r; use one "
                              "of those." % (activation,))
    return activation


class MyDense(ContextChecked, nn.HybridBlock):
    """Fully connected layer with its own ``weight`` and ``bias`` (book 4.4.2).

    ``y = relu(x W + b)`` (or ``x W + b`` with ``activation=None``); ``weight`` is
    ``(in_units, units)`` as in the book (``nn.Dense`` stores the transpose). With
    ``in_units=0`` the weight's first dimension is inferred at the first forward pass, also
    when ``MyDense`` sits inside a hybridized container. ``MyDenseBlock`` is the book's form,
    written with ``nd.dot``.

    Parameters
    ----------
    units : int
        Number of outputs.
    in_units : int, optional
        Number of inputs; 0 (default) defers it to the first forward pass.
    activation : {'relu', None}

    Examples
    --------
    >>> dense = MyDense(units=3); dense.initialize()
    >>> dense.weight.shape
    (0, 3)
    >>> dense(nd.random.uniform(shape=(2, 5))).shape, dense.weight.shape
    ((2, 3), (5, 3))
    """

    def __init__(self, units, in_units=0, activation="relu", **kwargs):
        super().__init__(**kwargs)
        self._units, self._activation = units, _activation(activation)
        self.weight = self.params.get("weight", shape=(in_units, units),
                                      allow_deferred_init=True)
        self.bias = self.params.get("bias", shape=(units,), init=init.Zero())

    def hybrid_forward(self, F, x, weight, bias):
        # x W + b. FullyConnected computes x V^T + b, so V = W^T; unlike F.dot it infers the
        # weight's shape from x's, which deferred init needs inside a hybridized container
        # (only the outermost block's infer_shape runs there).
        linear = F.FullyConnected(x, F.transpose(weight), bias, num_hidden=self._units,
                                  flatten=False)  # (B, units)
        return F.relu(linear) if self._activation else linear


class MyDenseBlock(nn.Block):
    """The book's ``MyDense``: a ``Block`` with ``in_units`` given up front.

    Examples
    --------
    >>> dense = MyDenseBlock(units=3, in_units=5); dense.initialize()
    >>> dense(nd.ones((2, 5))).shape
    (2, 3)
    """

    def __init__(self, units, in_units, activation="relu", **kwargs):
        super().__init__(**kwargs)
        self._activation = _activation(activation)
        self.weight = self.params.get("weight", shape=(in_units, units))
        self.bias = self.params.get("bias", shape=(units,), init=init.Zero())

    def forward(self, x):
        ctx = check_same_context(x, self)
        linear = nd.dot(x, self.weight.data(ctx)) + self.bias.data(ctx)  # (B, units)
        return nd.relu(linear) if self._activation else linear


@mx.init.register
class MyInit(init.Initializer):
    """Uniform on [-10, 10], then zero every weight with ``|w| < 5`` (book 4.2.3).

    ``calls`` lists the names of the parameters it initialized, in order, so one can see *when*
    ``_init_weight`` runs (at the first forward pass when shapes are deferred).

    Examples
    --------
    >>> my_init = MyInit(); net = nn.Dense(4); net.initialize(my_init)
    >>> my_init.calls
    []
    >>> _ = net(nd.ones((1, 3))); my_init.calls
    ['dense0_weight']
    """

    def __init__(self, verbose=False, **kwargs):
        super().__init__(**kwargs)
        self.verbose = verbose
        self.calls = []

    def _init_weight(self, name, data):
        if self.verbose:
            print("Init", name, data.shape)
        self.calls.append(name)
        data[:] = nd.random.uniform(low=-10, high=10, shape=data.shape)
        data *= data.abs() >= 5


__all__ = ["CenteredLayer", "CenteredLayerBlock", "MyDense", "MyDenseBlock", "MyInit"]
