"""Linear regression with Gluon: Dense(1), L2Loss and a Trainer learn w and b (book 3.3)."""
from mxnet import gluon

from ..models import get_model
from ._common import parse_args
from .linreg_scratch import DEFAULTS, run


def main(argv=None):
    args = parse_args("linreg", DEFAULTS, __doc__, argv)
    return run(args, lambda: get_model("linreg"), gluon.loss.L2Loss(), scratch=False)
