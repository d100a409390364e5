"""Dropout with Gluon: nn.Dropout(0.2) and nn.Dropout(0.5) after two hidden layers (book 3.13.3)."""
from mxnet import init

from ..models import get_model
from ._common import parse_args, run_classifier

DEFAULTS = dict(batch_size=256, lr=0.5, num_epochs=5)


def main(argv=None):
    args = parse_args("dropout", DEFAULTS, __doc__, argv)
    return run_classifier(args, lambda: get_model("mlp_dropout"), init=init.Normal(0.01))
