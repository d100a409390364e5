"""Linear regression from scratch: learn w=[2, -3.4], b=4.2 from 1,000 noisy samples (book 3.2)."""
import mxnet as mx

from ..data import TRUE_B, TRUE_W, synthetic_data
from ..models.basic import LinRegScratch
from ..scratch import ScratchSGD, squared_loss
from ._common import checkpoint_kw, parse_args, run_seeds
from ._regression import train_regression, weights_of

DEFAULTS = dict(batch_size=10, lr=0.03, num_epochs=3, num_examples=1000)


def main(argv=None):
    args = parse_args("linreg-scratch", DEFAULTS, __doc__, argv)
    return run(args, LinRegScratch, squared_loss, scratch=True)


def run(args, make_net, loss, scratch):
    """Train once per seed (each seed draws its own data) and report how far w and b are from
    the truth."""
    def train_one(seed):
        mx.random.seed(seed)
        features, labels = synthetic_data(TRUE_W, TRUE_B, DEFAULTS["num_examples"])
        net = make_net()
        trainer = ScratchSGD(net.collect_params(), args.lr) if scratch else None
        h = train_regression(net, loss, (features, labels), batch_size=args.batch_size,
                             num_epochs=args.num_epochs, lr=args.lr, ctx=args.ctx, seed=seed,
                             hybridize=args.hybridize, trainer=trainer,
                             init=mx.init.Normal(0.01), **checkpoint_kw(args, seed))
        params = list(net.collect_params().values())
        w, b = weights_of(params[0].data(), params[1].data())
        err_w, err_b = max(abs(a - t) for a, t in zip(w, TRUE_W)), abs(b - TRUE_B)
        # the book's printed figure: the loss of all the samples after the last epoch
        final = float(loss(net(features.as_in_context(args.ctx[0])),
                           labels.as_in_context(args.ctx[0])).mean().asscalar())
        print("seed %d: w %s (true %s), b %.4f (true %s); max |error| w %.4f, b %.4f; "
              "loss on all %d samples %.6f" % (seed, ["%.4f" % v for v in w], TRUE_W, b, TRUE_B,
                                               err_w, err_b, len(labels), final))
        return h, dict(w=w, b=b, err_w=err_w, err_b=err_b, final_train_loss=final)

    def summarize(runs):
        return dict(true_w=TRUE_W, true_b=TRUE_B, max_err_w=max(r["err_w"] for r in runs),
                    max_err_b=max(r["err_b"] for r in runs))

    return run_seeds(args, train_one, means=("err_w", "err_b", "final_train_loss"),
                     summarize=summarize)
