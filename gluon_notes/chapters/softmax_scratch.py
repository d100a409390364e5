"""Softmax regression from scratch: softmax, cross-entropy and SGD written out (book 3.6)."""
from ..models.basic import SoftmaxRegScratch
from ..scratch import ScratchSGD, cross_entropy
from ._common import parse_args, run_classifier

DEFAULTS = dict(batch_size=256, lr=0.1, num_epochs=5)


def main(argv=None):
    args = parse_args("softmax-scratch", DEFAULTS, __doc__, argv)
    return run_classifier(args, SoftmaxRegScratch, loss=cross_entropy,
                          make_trainer=lambda net: ScratchSGD(net.collect_params(), args.lr))
