"""Dropout from scratch: two hidden layers, inverted dropout 0.2 / 0.5 written out (book 3.13.2)."""
from ..models.basic import DropoutMLPScratch
from ..scratch import ScratchSGD
from ._common import parse_args, run_classifier

DEFAULTS = dict(batch_size=256, lr=0.5, num_epochs=5)


def main(argv=None):
    args = parse_args("dropout-scratch", DEFAULTS, __doc__, argv)
    return run_classifier(args, DropoutMLPScratch,
                          make_trainer=lambda net: ScratchSGD(net.collect_params(), args.lr))
