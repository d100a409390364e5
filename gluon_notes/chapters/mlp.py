"""Multilayer perceptron with Gluon: Dense(256, relu) + Dense(10) (book 3.10)."""
from mxnet import init

from ..models import get_model
from ._common import parse_args, run_classifier

DEFAULTS = dict(batch_size=256, lr=0.5, num_epochs=5)


def main(argv=None):
    args = parse_args("mlp", DEFAULTS, __doc__, argv)
    return run_classifier(args, lambda: get_model("mlp"), init=init.Normal(0.01))
