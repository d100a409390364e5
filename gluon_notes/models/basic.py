"""Chapter-3 models: linear and softmax regression, MLP, MLP with dropout; Gluon and scratch.

The scratch versions own their parameters (``self.params.get``) and write the maths out with
``F`` operators; they are HybridBlocks except the scratch dropout MLP, whose dropout branches in
Python on ``autograd.is_training()`` (a hybridized graph would freeze that branch). All of them
take any number of input features until their first call fixes it; then a wrong input shape is
one sentence (``inputs.InputChecked``).
"""
from mxnet import init, nd
from mxnet.gluon import nn

from .. import scratch
from ..compat import finish_deferred_init
from ..inputs import CheckedSequential, InputChecked
from . import register_model


@register_model
def linreg(**kw):
    """Linear regression with Gluon: one ``Dense(1)`` (book section 3.3)."""
    net = CheckedSequential("linreg")
    net.add(nn.Dense(1))
    return net


@register_model
def softmax_regression(num_outputs=10, **kw):
    """Softmax regression with Gluon: ``Dense(10)`` on flattened images (book section 3.7).
    The softmax lives in the loss (``SoftmaxCrossEntropyLoss``)."""
    net = CheckedSequential("softmax_regression")
    net.add(nn.Dense(num_outputs))
    return net


@register_model
def mlp(num_hiddens=256, num_outputs=10, **kw):
    """MLP with one hidden ReLU layer of 256 units (book section 3.10)."""
    net = CheckedSequential("mlp")
    net.add(nn.Dense(num_hiddens, activation="relu"), nn.Dense(num_outputs))
    return net


@register_model
def mlp_dropout(num_hiddens1=256, num_hiddens2=256, num_outputs=10, drop_prob1=0.2,
                drop_prob2=0.5, **kw):
    """Two hidden ReLU layers with dropout 0.2 and 0.5 after them (book section 3.13.3)."""
    net = CheckedSequential("mlp_dropout")
    net.add(nn.Dense(num_hiddens1, activation="relu"), nn.Dropout(drop_prob1),
            nn.Dense(num_hiddens2, activation="relu"), nn.Dropout(drop_prob2),
            nn.Dense(num_outputs))
    return net


class LinRegScratch(InputChecked, nn.HybridBlock):
    """``y_hat = Xw + b`` with its own parameters (book section 3.2.4).

    Examples
    --------
    >>> net = LinRegScratch(num_inputs=2); net.initialize()
    >>> net(nd.ones((4, 2))).shape
    (4, 1)
    """
    model_name = "linreg_scratch"

    def __init__(self, num_inputs=0, w_init=None, **kwargs):
        super().__init__(**kwargs)
        self.w = self.params.get("w", shape=(num_inputs, 1), init=w_init or init.Normal(0.01),
                                 allow_deferred_init=True)
        self.b = self.params.get("b", shape=(1,), init=init.Zero())

    def infer_shape(self, X, *args):
        self.w.shape = (X.shape[1], 1)

    def hybrid_forward(self, F, X, w, b):
        return F.broadcast_add(F.dot(X, w), b)  # (B, 1)


class SoftmaxRegScratch(InputChecked, nn.HybridBlock):
    """``softmax(XW + b)`` written out; outputs probabilities (book section 3.6).

    Pair it with ``scratch.cross_entropy``; it takes images of any shape and flattens them.
    """
    model_name = "softmax_scratch"

    def __init__(self, num_inputs=0, num_outputs=10, **kwargs):
        super().__init__(**kwargs)
        self.W = self.params.get("W", shape=(num_inputs, num_outputs), init=init.Normal(0.01),
                                 allow_deferred_init=True)
        self.b = self.params.get("b", shape=(num_outputs,), init=init.Zero())

    def infer_shape(self, X, *args):
        self.W.shape = (X.reshape((X.shape[0], -1)).shape[1], self.W.shape[1])

    def hybrid_forward(self, F, X, W, b):
        logits = F.broadcast_add(F.dot(F.flatten(X), W), b)  # (B, q)
        return scratch.softmax(logits, F)


class MLPScratch(InputChecked, nn.HybridBlock):
    """``relu(XW1 + b1) W2 + b2`` written out (book section 3.9); outputs logits."""
    model_name = "mlp_scratch"

    def __init__(self, num_inputs=0, num_hiddens=256, num_outputs=10, **kwargs):
        super().__init__(**kwargs)
        self.W1 = self.params.get("W1", shape=(num_inputs, num_hiddens), init=init.Normal(0.01),
                                  allow_deferred_init=True)
        self.b1 = self.params.get("b1", shape=(num_hiddens,), init=init.Zero())
        self.W2 = self.params.get("W2", shape=(num_hiddens, num_outputs), init=init.Normal(0.01))
        self.b2 = self.params.get("b2", shape=(num_outputs,), init=init.Zero())

    def infer_shape(self, X, *args):
        self.W1.shape = (X.reshape((X.shape[0], -1)).shape[1], self.W1.shape[1])

    def hybrid_forward(self, F, X, W1, b1, W2, b2):
        H = scratch.relu(F.broadcast_add(F.dot(F.flatten(X), W1), b1), F)  # (B, h)
        return F.broadcast_add(F.dot(H, W2), b2)                          # (B, q)


class DropoutMLPScratch(InputChecked, nn.Block):
    """Two hidden layers with scratch dropout (book section 3.13.2); a ``Block`` because
    ``scratch.dropout`` branches in Python on the training mode."""
    model_name = "mlp_dropout_scratch"

    def __init__(self, num_inputs=0, num_hiddens1=256, num_hiddens2=256, num_outputs=10,
                 drop_prob1=0.2, drop_prob2=0.5, **kwargs):
        super().__init__(**kwargs)
        self.drop_prob1, self.drop_prob2 = drop_prob1, drop_prob2
        shapes = dict(W1=(num_inputs, num_hiddens1), b1=(num_hiddens1,),
                      W2=(num_hiddens1, num_hiddens2), b2=(num_hiddens2,),
                      W3=(num_hiddens2, num_outputs), b3=(num_outputs,))
        for name, shape in shapes.items():
            setattr(self, name, self.params.get(
                name, shape=shape, allow_deferred_init=True,
                init=init.Normal(0.01) if name[0] == "W" else init.Zero()))

    def forward(self, X):
        X = X.reshape((X.shape[0], -1))                                   # (B, d)
        if self.W1.shape[0] == 0:
            self.W1.shape = (X.shape[1], self.W1.shape[1])
            finish_deferred_init(self.W1)  # what HybridBlock does for us
        ctx = X.context
        H1 = scratch.relu(nd.dot(X, self.W1.data(ctx)) + self.b1.data(ctx))
        H1 = scratch.dropout(H1, self.drop_prob1)                         # (B, h1)
        H2 = scratch.relu(nd.dot(H1, self.W2.data(ctx)) + self.b2.data(ctx))
        H2 = scratch.dropout(H2, self.drop_prob2)                         # (B, h2)
        return nd.dot(H2, self.W3.data(ctx)) + self.b3.data(ctx)           # (B, q)


@register_model
def linreg_scratch(**kw):
    return LinRegScratch(**kw)


@register_model
def softmax_scratch(**kw):
    return SoftmaxRegScratch(**kw)


@register_model
def mlp_scratch(**kw):
    return MLPScratch(**kw)


@register_model
def mlp_dropout_scratch(**kw):
    return DropoutMLPScratch(**kw)
