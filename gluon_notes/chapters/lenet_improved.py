"""An improved LeNet recipe: ReLU, BatchNorm, SGD with momentum and a cosine schedule, 12 epochs.

Keeps the LeNet layout of ``lenet`` (the book's sigmoid version) but uses ReLU, batch
normalization before each activation, momentum 0.9, weight decay 5e-4 and a learning rate
decaying from 0.1 to 0 along a cosine over all steps (after a one-epoch linear warm-up); the
README gives the accuracies both reach, with the command that measured them. The test set is
scored with BatchNorm statistics recomputed from 20 training batches (``--precise-bn``, as
``batchnorm``).
"""
import mxnet as mx

from ._cnn import run_cnn
from ._common import positive_float

DEFAULTS = dict(batch_size=128, lr=0.1, num_epochs=12, resize=None, precise_bn=20)
CPU_PROFILE = "compute"  # compute-bound: inline engine, all cores (gluon_notes/perf.py)
TRAIN_SIZE = 60000


def schedule(args):
    """Momentum, weight decay and a cosine learning-rate schedule over all the run's steps."""
    steps_per_epoch = max(1, min(args.limit or TRAIN_SIZE, TRAIN_SIZE) // args.batch_size)
    warmup = steps_per_epoch if args.num_epochs > 1 else 0
    lr_scheduler = mx.lr_scheduler.CosineScheduler(
        max_update=args.num_epochs * steps_per_epoch, base_lr=args.lr, final_lr=0.0,
        warmup_steps=warmup, warmup_begin_lr=args.lr / 10)
    return dict(lr_scheduler=lr_scheduler, wd=args.wd,
                optimizer_params=dict(momentum=args.momentum))


def extra(p):
    p.add_argument("--momentum", type=float, default=0.9, help="SGD momentum (default 0.9)")
    p.add_argument("--wd", type=positive_float, default=5e-4,
                   help="weight decay (default %(default)s)")


def main(argv=None):
    return run_cnn("lenet-improved", DEFAULTS, __doc__, argv, model="lenet_relu_bn",
                   extra=extra, fit_kw_fn=schedule)
