"""BatchNorm pitfalls: batch size 1 outputs beta, batch size 2 outputs +-1; LayerNorm vs BatchNorm.

From the PyTorch course's notes on normalization: batch normalization estimates each feature's
mean and variance from the current batch, so (1) in training mode a batch of one sample has
variance 0 and every output is ``beta`` (the input is lost and no gradient flows back; MXNet
computes it silently, PyTorch refuses), (2) a batch of two turns each feature into about +-1
(only the pair's order survives) and its moving variance is half the population's, and (3) a
recurrent network would need statistics per time step over sequences of different lengths.
Layer normalization normalizes each sample over its own features instead. The measured example
trains the same MLP (Dense 128 -> norm -> ReLU -> Dense 10) with batch 2 on the first
``--limit`` Fashion-MNIST images, once with BatchNorm and once with LayerNorm, and compares
their test accuracy.
"""
from ..bn_pitfalls import NORMS, batch_of_one, batch_of_two, norm_mlp
from ..train import seed_everything
from ._common import add_data_args, checkpoint_kw, parse_args, run_seeds

DEFAULTS = dict(batch_size=2, lr=0.05, num_epochs=2, limit=1000)


def extra(p):
    add_data_args(p)
    p.set_defaults(limit=DEFAULTS["limit"])


def show_pitfalls(seed):
    """Print and return the batch-1 and batch-2 measurements."""
    seed_everything(seed)
    X, y, grad = batch_of_one()
    print("batch of 1, training mode: input %s -> BatchNorm output %s (beta 0.5), "
          "input gradient %s" % (_fmt(X[0]), _fmt(y[0]), _fmt(grad[0])))
    two = batch_of_two()
    print("batch of 2, training mode: BatchNorm rows %s and %s"
          % (_fmt(two["bn"][0]), _fmt(two["bn"][1])))
    print("  LayerNorm of sample 0: %s; with sample 1 replaced: %s"
          % (_fmt(two["ln"][0]), _fmt(two["ln_other"][0])))
    return dict(batch1_output=y.asnumpy().tolist(), batch1_input_grad=grad.asnumpy().tolist(),
                batch2_bn=two["bn"].asnumpy().tolist(),
                batch2_ln_change=float((two["ln"][0] - two["ln_other"][0]).abs().max()
                                       .asscalar()))


def _fmt(row):
    return "[" + ", ".join("%+.3f" % v for v in row.asnumpy()) + "]"


def main(argv=None):
    args = parse_args("bn-pitfalls", DEFAULTS, __doc__, argv, extra=extra)
    demos = show_pitfalls(args.seed[0])
    from ..data import load_data_fashion_mnist
    from ..train import fit
    train_iter, test_iter = load_data_fashion_mnist(args.batch_size, limit=args.limit)

    def train_one(seed):
        histories, record = [], {}
        for kind in NORMS:
            print("-- %s, batch %d, seed %d" % (kind, args.batch_size, seed))
            h = fit(norm_mlp(kind), train_iter, test_iter, None, args.num_epochs, lr=args.lr,
                    ctx=args.ctx, hybridize=args.hybridize, seed=seed,
                    **checkpoint_kw(args, seed, kind))
            histories.append(("%s seed %d" % (kind, seed), h))
            record["test_acc_" + kind] = h.last["test_acc"]
            record["train_acc_" + kind] = h.last["train_acc"]
            record["history_" + kind] = h.epochs
        return histories, record

    return run_seeds(args, train_one, means=["test_acc_" + k for k in NORMS],
                     summarize=lambda runs: dict(demos=demos))
