"""Linear regression from scratch: learn w=[2, -3.4], b=4.2 from 1,000 noisy samples (book 3.2)."""
import mxnet as mx

from ..data import TRUE_B, TRUE_W, synthetic_data
from ..models.basic import LinRegScratch
from ..scratch import ScratchSGD, squared_loss
from ._common import parse_args, save_results
from ._regression import train_regression, weights_of

DEFAULTS = dict(batch_size=10, lr=0.03, num_epochs=3, num_examples=1000)


def main(argv=None):
    args = parse_args("linreg-scratch", DEFAULTS, __doc__, argv)
    return run(args, LinRegScratch, squared_loss, scratch=True)


def run(args, make_net, loss, scratch):
    """Train once per seed and report how far w and b are from the truth."""
    runs, histories = [], []
    for seed in args.seed:
        mx.random.seed(seed)
        features, labels = synthetic_data(TRUE_W, TRUE_B, DEFAULTS["num_examples"])
        net = make_net()
        trainer = None
        if scratch:
            trainer = ScratchSGD(net.collect_params(), args.lr)
        h = train_regression(net, loss, (features, labels), batch_size=args.batch_size,
                             num_epochs=args.num_epochs, lr=args.lr, ctx=args.ctx, seed=seed,
                             hybridize=args.hybridize, trainer=trainer,
                             init=mx.init.Normal(0.01))
        params = list(net.collect_params().values())
        w, b = weights_of(params[0].data(), params[1].data())
        err_w = max(abs(a - t) for a, t in zip(w, TRUE_W))
        print("seed %d: w %s (true %s), b %.4f (true %s); max |error| w %.4f, b %.4f"
              % (seed, ["%.4f" % v for v in w], TRUE_W, b, TRUE_B, err_w, abs(b - TRUE_B)))
        runs.append(dict(seed=seed, w=w, b=b, err_w=err_w, err_b=abs(b - TRUE_B),
                         history=h.epochs))
        histories.append(("seed %d" % seed, h))
    save_results(args, dict(true_w=TRUE_W, true_b=TRUE_B, runs=runs,
                            max_err_w=max(r["err_w"] for r in runs),
                            max_err_b=max(r["err_b"] for r in runs)), histories)
    return runs
