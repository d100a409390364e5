"""Model construction (book 4.1): the same models as ``Block`` and as ``HybridBlock``.

The book writes every model as an ``nn.Block`` with ``forward``; each one here sits next to its
``HybridBlock`` counterpart (``hybrid_forward`` with ``F`` operators only), which can be
compiled by ``hybridize()``. ``FancyMLP`` has none: its Python loop reads values (see its
docstring). ``shared_mlp`` builds the book's network with one layer's parameters used twice
(section 4.2.4).
"""
from mxnet import nd
from mxnet.gluon import nn

from ..compat import children


class MLP(nn.Block):
    """Hidden ``Dense(256, relu)`` then ``Dense(10)`` (book 4.1.1).

    Examples
    --------
    >>> net = MLP(); net.initialize()
    >>> net(nd.random.uniform(shape=(2, 20))).shape
    (2, 10)
    """

    def __init__(self, num_hiddens=256, num_outputs=10, **kwargs):
        super().__init__(**kwargs)
        self.hidden = nn.Dense(num_hiddens, activation="relu")
        self.output = nn.Dense(num_outputs)

    def forward(self, x):
        return self.output(self.hidden(x))  # (B, num_outputs)


class HybridMLP(nn.HybridBlock):
    """``MLP`` as a ``HybridBlock``: the same layers, ``hybrid_forward`` instead of ``forward``."""

    def __init__(self, num_hiddens=256, num_outputs=10, **kwargs):
        super().__init__(**kwargs)
        self.hidden = nn.Dense(num_hiddens, activation="relu")
        self.output = nn.Dense(num_outputs)

    def hybrid_forward(self, F, x):
        return self.output(self.hidden(x))  # (B, num_outputs)


class MySequential(nn.Block):
    """A minimal ``nn.Sequential``: ``add`` registers blocks, ``forward`` chains them (book 4.1.2).

    Examples
    --------
    >>> net = MySequential(); net.add(nn.Dense(256, activation='relu'), nn.Dense(10))
    >>> net.initialize(); net(nd.ones((2, 20))).shape
    (2, 10)
    """

    def add(self, *blocks):
        for block in blocks:
            # register_child (the book assigns to the private ``_children`` dict) lets
            # collect_params() and initialize() reach the block's parameters; the key is the
            # position, as in nn.Sequential, so saved parameter names do not depend on how
            # many layers were built before.
            self.register_child(block)

    def forward(self, x):
        for block in children(self):  # in the order they were added
            x = block(x)
        return x


class MyHybridSequential(nn.HybridBlock):
    """``MySequential`` as a ``HybridBlock``; every added block must be a ``HybridBlock``."""

    def add(self, *blocks):
        for block in blocks:
            if not isinstance(block, nn.HybridBlock):
                raise TypeError("MyHybridSequential takes HybridBlocks only, got %s; use "
                                "MySequential for Blocks." % type(block).__name__)
            self.register_child(block)

    def hybrid_forward(self, F, x):
        for block in children(self):
            x = block(x)
        return x


class FancyMLP(nn.Block):
    """A model with a constant weight, a reused layer and Python control flow (book 4.1.3).

    ``x -> dense -> relu(x W_rand + 1) -> dense`` (the same ``dense`` twice, so its parameters
    are shared), then halve ``x`` while its norm exceeds 1, multiply by 10 if the norm is
    below 0.8, and return the sum. ``W_rand`` is ``(20, 20)``, uniform, made with
    ``params.get_constant`` so it is never trained; inputs must have 20 features.

    There is no ``HybridBlock`` counterpart: the ``while``/``if`` read the value of
    ``x.norm()`` with ``asscalar()``, and a hybridized graph is traced once with symbols that
    have no value, so it cannot branch on data (that takes ``F.contrib.while_loop`` and
    ``F.contrib.cond``, a different program). ``hybridize()`` still compiles ``self.dense``.

    Examples
    --------
    >>> net = FancyMLP(); net.initialize()
    >>> net(nd.random.uniform(shape=(2, 20))).shape
    (1,)
    """

    def __init__(self, num_units=20, **kwargs):
        super().__init__(**kwargs)
        self.rand_weight = self.params.get_constant(
            "rand_weight", nd.random.uniform(shape=(num_units, num_units)))
        self.dense = nn.Dense(num_units, activation="relu")

    def forward(self, x):
        x = self.dense(x)                                                      # (B, 20)
        x = nd.relu(nd.dot(x, self.rand_weight.data(x.context)) + 1)           # (B, 20)
        x = self.dense(x)                                                      # (B, 20)
        while x.norm().asscalar() > 1:  # the book's ``x /= 2`` is in place, which autograd
            x = x / 2                    # refuses while recording; a new array is fine
        if x.norm().asscalar() < 0.8:
            x = x * 10
        return x.sum()                                                         # (1,)


class NestMLP(nn.Block):
    """Blocks inside blocks: ``Sequential(Dense(64), Dense(32))`` then ``Dense(16)`` (book 4.1.4).

    Examples
    --------
    >>> net = NestMLP(); net.initialize()
    >>> net(nd.ones((2, 20))).shape
    (2, 16)
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.net = nn.Sequential()
        self.net.add(nn.Dense(64, activation="relu"), nn.Dense(32, activation="relu"))
        self.dense = nn.Dense(16, activation="relu")

    def forward(self, x):
        return self.dense(self.net(x))  # (B, 16)


class HybridNestMLP(nn.HybridBlock):
    """``NestMLP`` as a ``HybridBlock`` (a ``HybridSequential`` inside)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.net = nn.HybridSequential()
        self.net.add(nn.Dense(64, activation="relu"), nn.Dense(32, activation="relu"))
        self.dense = nn.Dense(16, activation="relu")

    def hybrid_forward(self, F, x):
        return self.dense(self.net(x))  # (B, 16)


def chimera():
    """The book's mix: ``NestMLP``, ``Dense(20)`` and ``FancyMLP`` in one ``Sequential``."""
    net = nn.Sequential()
    net.add(NestMLP(), nn.Dense(20), FancyMLP())
    return net


def shared_mlp(num_hiddens=8, num_outputs=10):
    """Four dense layers; the 2nd and 3rd share one set of parameters (book 4.2.4).

    The 3rd layer is built with ``params=shared.params``: both layers read the same arrays,
    so backward adds the gradients of both uses into one ``grad``, and an update keeps them
    identical.
    """
    net = nn.HybridSequential()
    shared = nn.Dense(num_hiddens, activation="relu")
    net.add(nn.Dense(num_hiddens, activation="relu"), shared,
            nn.Dense(num_hiddens, activation="relu", params=shared.params),
            nn.Dense(num_outputs))
    return net


__all__ = ["MLP", "HybridMLP", "MySequential", "MyHybridSequential", "FancyMLP", "NestMLP",
           "HybridNestMLP", "chimera", "shared_mlp"]
