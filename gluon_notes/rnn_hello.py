"""The course's first RNNs: ``rnn.RNNCell`` by hand, ``rnn.RNN`` over a sequence, hello -> ohlol.

Design
------
* Shapes as the notes spell them, in Gluon's layout 'TNC': a cell takes ``x_t`` of shape
  ``(batch, input_size)`` and ``h`` of ``(batch, hidden_size)``; ``rnn.RNN`` takes the whole
  ``(seq_len, batch, input_size)`` and a hidden state ``(num_layers, batch, hidden_size)``.
* ``rnn_cell_scratch`` is ``h' = tanh(W_xh x + b_xh + W_hh h + b_hh)`` on Gluon's own weights
  (``i2h_weight`` = W_xh ``(hidden, input)``, ``h2h_weight`` = W_hh); ``stacked_product`` is
  the same pre-activation as one product ``[W_xh, W_hh] [x; h]``.
* ``rnn.RNN``'s default activation is ReLU (PyTorch's is tanh): every layer here passes
  ``activation='tanh'``.
* The toy task: the four letters ``e h l o`` one-hot (or indices, for the ``nn.Embedding``
  net), input "hello", labels "ohlol". Each net maps the sequence to logits ``(seq_len *
  batch, 4)``, so the one loop trains it with the standard step and cross-entropy; the
  ``UntilPredicts`` callback decodes the prediction after every epoch and stops the loop once
  it reads the target. ``train_variant`` raises one sentence if ``max_epochs`` were not enough.
"""
import mxnet as mx
from mxnet import gluon, nd
from mxnet.gluon import nn, rnn

from .callbacks import Callback
from .errors import GluonNotesError
from .train import fit

CHARS = "ehlo"                    # index = position: e 0, h 1, l 2, o 3
SOURCE, TARGET = "hello", "ohlol"


def encode(text):
    """Letter indices of ``text`` (only the letters of ``CHARS``) as a float32 NDArray."""
    bad = sorted(set(text) - set(CHARS))
    if bad:
        raise GluonNotesError("letters %s are not in the vocabulary %r; use only those."
                              % (bad, CHARS))
    return nd.array([CHARS.index(c) for c in text])


def decode(indices):
    """The string of letter ``indices`` (NDArray or sequence)."""
    values = indices.asnumpy() if hasattr(indices, "asnumpy") else indices
    return "".join(CHARS[int(i)] for i in values)


def hello_data(one_hot=True, ctx=None):
    """``(X, y)`` of the task: X ``(5, 1, 4)`` one-hot (or ``(5, 1)`` indices), y ``(5,)``."""
    idx = encode(SOURCE).as_in_context(ctx) if ctx else encode(SOURCE)
    X = nd.one_hot(idx, len(CHARS)).expand_dims(1) if one_hot else idx.expand_dims(1)
    y = encode(TARGET).as_in_context(idx.context)
    return X, y                                       # (T, N, C) or (T, N); (T * N,)


def rnn_cell_scratch(x, h, W_xh, b_xh, W_hh, b_hh):
    """One tanh RNN step from scratch: ``x (N, I)``, ``h (N, H)``, ``W_xh (H, I)``,
    ``W_hh (H, H)`` -> ``h' (N, H)``."""
    return nd.tanh(nd.dot(x, W_xh, transpose_b=True) + b_xh
                   + nd.dot(h, W_hh, transpose_b=True) + b_hh)


def stacked_product(W_xh, W_hh, x, h):
    """``[W_xh, W_hh] [x; h]`` for column vectors ``x (I,)`` and ``h (H,)`` -> ``(H,)``."""
    return nd.dot(nd.concat(W_xh, W_hh, dim=1), nd.concat(x, h, dim=0))


def shapes(batch_size=1, seq_len=3, input_size=4, hidden_size=2, num_layers=1):
    """The notes' shape walk-through: an ``RNNCell`` stepped by hand, then ``rnn.RNN``.

    Returns
    -------
    dict of name -> shape tuple (``cell_input``, ``cell_hidden``, ``cell_output``,
    ``rnn_input``, ``rnn_hidden``, ``rnn_output``, ``rnn_hidden_out``).
    """
    cell = rnn.RNNCell(hidden_size, activation="tanh", input_size=input_size)
    cell.initialize()
    X = nd.random.normal(shape=(seq_len, batch_size, input_size))          # (T, N, I)
    h = cell.begin_state(batch_size=batch_size)                           # [(N, H)]
    out = {"cell_input": X[0].shape, "cell_hidden": h[0].shape}
    for t in range(seq_len):
        y_t, h = cell(X[t], h)                                            # (N, H)
    out["cell_output"] = y_t.shape
    layer = rnn.RNN(hidden_size, num_layers, activation="tanh", layout="TNC",
                    input_size=input_size)
    layer.initialize()
    h0 = layer.begin_state(batch_size=batch_size)                         # [(L, N, H)]
    y, hn = layer(X, h0)                                                  # (T, N, H), [(L, N, H)]
    out.update(rnn_input=X.shape, rnn_hidden=h0[0].shape, rnn_output=y.shape,
               rnn_hidden_out=hn[0].shape)
    return out


def cell_weights(cell):
    """``(W_xh, b_xh, W_hh, b_hh)`` of an ``rnn.RNNCell``."""
    p = {k.split("_", 1)[1]: v.data() for k, v in cell.collect_params().items()}
    return p["i2h_weight"], p["i2h_bias"], p["h2h_weight"], p["h2h_bias"]


class CellNet(gluon.Block):
    """The notes' first variant: an ``RNNCell`` whose hidden state (size 4) is the logits,
    stepped by hand over the time axis."""

    def __init__(self, hidden_size=4, input_size=4, **kwargs):
        super().__init__(**kwargs)
        self.hidden_size = hidden_size
        with self.name_scope():
            self.cell = rnn.RNNCell(hidden_size, activation="tanh", input_size=input_size)

    def forward(self, X):                                  # X (T, N, C)
        h = self.cell.begin_state(batch_size=X.shape[1], ctx=X.context)   # [(N, H)]
        outputs = []
        for t in range(X.shape[0]):
            out, h = self.cell(X[t], h)                    # out (N, H), h [(N, H)]
            outputs.append(out)
        return nd.stack(*outputs).reshape((-1, self.hidden_size))   # (T * N, H)


class SeqNet(gluon.HybridBlock):
    """The second variant: ``rnn.RNN`` over the whole sequence, its outputs are the logits."""

    def __init__(self, hidden_size=4, num_layers=1, input_size=4, **kwargs):
        super().__init__(**kwargs)
        self.hidden_size = hidden_size
        with self.name_scope():
            self.rnn = rnn.RNN(hidden_size, num_layers, activation="tanh", layout="TNC",
                               input_size=input_size)

    def hybrid_forward(self, F, X):                         # X (T, N, C)
        return self.rnn(X).reshape((-1, self.hidden_size))  # (T * N, H)


class EmbedNet(gluon.HybridBlock):
    """The third variant: ``Embedding(4, 10)`` -> 2-layer ``RNN(8)`` -> ``Dense(4)``."""

    def __init__(self, num_class=4, embedding_size=10, hidden_size=8, num_layers=2, **kwargs):
        super().__init__(**kwargs)
        self.num_class = num_class
        with self.name_scope():
            self.emb = nn.Embedding(num_class, embedding_size)
            self.rnn = rnn.RNN(hidden_size, num_layers, activation="tanh", layout="TNC",
                               input_size=embedding_size)
            self.fc = nn.Dense(num_class, flatten=False, in_units=hidden_size)

    def hybrid_forward(self, F, X):                        # X (T, N) letter indices
        out = self.rnn(self.emb(X))                        # (T, N, hidden)
        return self.fc(out).reshape((-1, self.num_class))  # (T * N, 4)


#: variant: (net factory, one-hot input?, the notes' Adam learning rate)
VARIANTS = {
    "cell": (CellNet, True, 0.1),
    "rnn": (SeqNet, True, 0.1),
    "embedding": (EmbedNet, False, 0.05),
}


def adam(lr):
    """An Adam instance: ``fit(optimizer='adam')`` by name currently enables MXNet's multi-tensor
    aggregation, which 1.9.1's Adam does not implement (it asserts); an instance is kept as is."""
    return mx.optimizer.Adam(learning_rate=lr)


class UntilPredicts(Callback):
    """After every epoch, decode ``net(X)``; stop the loop once it reads ``target``."""

    def __init__(self, X, target, echo=None):
        self.X, self.target, self.echo, self.predictions = X, target, echo, []

    def on_epoch_end(self, epoch, logs):
        text = decode(self.state.net(self.X).argmax(axis=1))
        self.predictions.append(text)
        if self.echo:
            self.echo("epoch %d, loss %.4f, predicted %s" % (epoch + 1, logs["loss"], text))
        if text == self.target:
            self.state.stop_training = True


def train_variant(name, max_epochs=100, lr=None, seed=0, ctx=None, hybridize=False, echo=None):
    """Train the variant ``name`` until it predicts "ohlol" (Adam, cross-entropy).

    Returns
    -------
    (net, History, predictions): ``predictions`` is the decoded output after each epoch.

    Raises
    ------
    GluonNotesError
        The target was not reached within ``max_epochs``.
    """
    if name not in VARIANTS:
        raise GluonNotesError("unknown variant %r; choose one of %s." % (name, ", ".join(VARIANTS)))
    make_net, one_hot, default_lr = VARIANTS[name]
    X, y = hello_data(one_hot, ctx)
    net, until = make_net(), UntilPredicts(X, TARGET, echo)
    h = fit(net, [(X, y)], None, gluon.loss.SoftmaxCrossEntropyLoss(), max_epochs, ctx=ctx,
            seed=seed, hybridize=hybridize, optimizer=adam(lr or default_lr),
            callbacks=[until], verbose=False, progress=False)
    if until.predictions[-1] != TARGET:
        raise GluonNotesError("the %s variant predicts %r, not %r, after %d epoch(s); raise "
                              "--epochs or try another --seed or --lr."
                              % (name, until.predictions[-1], TARGET, len(until.predictions)))
    return net, h, until.predictions
