"""The fused training graph: net, loss and the correct-prediction count as one cached graph.

``fit(hybridize=...)`` uses it when the net and the loss are HybridBlocks: one graph call per
device and batch replaces about ten imperative operator calls (the speed-up is measured in
docs/performance.md, by the command named there).
"""
from mxnet import gluon

#: what ``fit(hybridize=True)`` passes to ``hybridize`` (chosen by docs/performance.md timings)
HYBRIDIZE_DEFAULTS = dict(static_alloc=True, static_shape=True)


class TrainGraph(gluon.HybridBlock):
    """``net``, ``loss`` and the correct-prediction count as one graph (see ``SupervisedStep``).

    Returns ``(sum of the batch's losses, correct predictions)`` (the second only when
    ``accuracy``); both are ``(1,)`` arrays. The sum's gradient is the per-example losses'.
    """

    def __init__(self, net, loss, accuracy=True, **kwargs):
        super().__init__(**kwargs)
        self.net, self.loss, self.accuracy = net, loss, accuracy  # children: net's params shared

    def hybrid_forward(self, F, X, y):
        y_hat = self.net(X)                                          # (B, classes)
        l_sum = F.sum(self.loss(y_hat, y), axis=None, keepdims=False)  # (1,)
        if not self.accuracy:
            return l_sum
        pred = F.cast(F.argmax(F.BlockGrad(y_hat), axis=1), "float32")  # (B,)
        return l_sum, F.sum(pred == F.cast(y, "float32"))              # (1,), (1,)


def fuse_step(net, loss, accuracy, hybridize):
    """A hybridized ``TrainGraph`` when ``net`` and ``loss`` are both HybridBlocks, else None.

    ``hybridize`` is ``fit``'s argument (True or a dict of ``hybridize`` flags); the net keeps
    its own flags, the training graph gets the same ones.
    """
    if not (hybridize and isinstance(net, gluon.HybridBlock)
            and isinstance(loss, gluon.HybridBlock)):
        return None
    flags = hybridize_flags(hybridize)
    graph = TrainGraph(net, loss, accuracy)
    graph.hybridize(**flags)   # recurses into net and loss ...
    net.hybridize(**flags)     # ... so give the net its flags again (resets only its own cache)
    return graph


def hybridize_flags(hybridize):
    """``fit``'s ``hybridize`` argument as the keyword arguments of ``HybridBlock.hybridize``."""
    return dict(HYBRIDIZE_DEFAULTS) if hybridize is True else dict(hybridize)
