"""RNNs: RNNCell by hand, rnn.RNN over a sequence, and "hello" -> "ohlol" three ways.

First the notes' shapes (batch 1, seq_len 3, input_size 4, hidden_size 2, one layer): a
cell's ``x_t (batch, input_size)`` and ``h (batch, hidden_size)``; ``rnn.RNN``'s input
``(seq_len, batch, input_size)`` in layout 'TNC' and hidden state ``(num_layers, batch,
hidden_size)``. Then the toy task of the notes, predicting the next letter of "hello" (letters
e, h, l, o) so that it reads "ohlol", with (1) an ``RNNCell`` stepped by hand whose hidden
state is the logits, (2) ``rnn.RNN`` over the sequence, (3) ``nn.Embedding(4, 10)`` ->
2-layer ``rnn.RNN(8)`` -> ``Dense(4)``; Adam with the notes' learning rates (0.1, 0.1, 0.05),
through the one loop, each until it predicts "ohlol" (at most ``--epochs``; otherwise one
sentence and exit status 2). ``rnn.RNN`` is built with ``activation='tanh'``: Gluon's default
is ReLU, PyTorch's tanh.
"""
from .. import rnn_hello
from ..plot import plot_histories
from ._common import parse_args, save_results

DEFAULTS = dict(num_epochs=100)


def main(argv=None):
    args = parse_args("rnn-hello", DEFAULTS, __doc__, argv, seeds="one")
    seed, ctx = args.seed[0], args.ctx[0]
    shapes = rnn_hello.shapes()
    for name, shape in shapes.items():
        print("%-15s %s" % (name, shape))
    histories, results = [], {}
    for name in rnn_hello.VARIANTS:
        print("-- %s" % name)
        _, h, predictions = rnn_hello.train_variant(
            name, args.num_epochs, seed=seed, ctx=ctx, hybridize=args.hybridize, echo=print)
        print("%s: predicted %s after %d epochs" % (name, predictions[-1], len(predictions)))
        # cell and rnn start from the same weights (same seed, same parameter order): one curve
        histories.append((name + (" (= rnn)" if name == "cell" else ""), h))
        results[name] = dict(prediction=predictions[-1], epochs=len(predictions),
                             predictions=predictions, loss=h["loss"], train_acc=h["train_acc"])
    metrics = dict(shapes={k: list(v) for k, v in shapes.items()}, variants=results)
    save_results(args, metrics, histories, plot_fn=plot_histories)
    return metrics
