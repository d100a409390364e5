"""Softmax regression with Gluon on Fashion-MNIST: Dense(10), SoftmaxCrossEntropyLoss (book 3.7)."""
from mxnet import init

from ..models import get_model
from ._common import parse_args, run_classifier

DEFAULTS = dict(batch_size=256, lr=0.1, num_epochs=5)


def main(argv=None):
    args = parse_args("softmax", DEFAULTS, __doc__, argv)
    return run_classifier(args, lambda: get_model("softmax_regression"), init=init.Normal(0.01))
