"""Multilayer perceptron from scratch: 784-256-10 with ReLU written out (book 3.9)."""
from ..models.basic import MLPScratch
from ..scratch import ScratchSGD
from ._common import parse_args, run_classifier

DEFAULTS = dict(batch_size=256, lr=0.5, num_epochs=5)


def main(argv=None):
    args = parse_args("mlp-scratch", DEFAULTS, __doc__, argv)
    return run_classifier(args, MLPScratch,
                          make_trainer=lambda net: ScratchSGD(net.collect_params(), args.lr))
