"""Weight decay with Gluon: the Trainer's wd on the weight only (bias wd_mult = 0) (book 3.12.3)."""
from mxnet import gluon, init

from ..models import get_model
from ._common import add_float, parse_args
from ._regression import train_regression
from .weight_decay_scratch import DEFAULTS, compare


def gluon_experiment(wd, data, args, seed, **fit_kw):
    """Train ``Dense(1)`` with SGD weight decay ``wd`` on the weight; return (weight, History)."""
    net = get_model("linreg")
    net.initialize(init.Normal(sigma=1), ctx=args.ctx)
    net[0].bias.wd_mult = 0  # decay the weight only, as the book's two Trainers do
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": args.lr, "wd": wd})
    h = train_regression(net, gluon.loss.L2Loss(), data[:2], data[2:],
                         batch_size=args.batch_size, num_epochs=args.num_epochs, lr=args.lr,
                         ctx=args.ctx, seed=seed, hybridize=args.hybridize, trainer=trainer,
                         verbose=False, **fit_kw)
    return net[0].weight.data(), h


def main(argv=None):
    args = parse_args("weight-decay", DEFAULTS, __doc__, argv,
                      extra=add_float("wd", DEFAULTS["wd"]))
    return compare(args, gluon_experiment)
