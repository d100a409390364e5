"""The PyTorch course's CNN: conv 10 -> conv 20 -> Dense, normalized inputs, SGD 0.01, momentum 0.5.

The course trains ``Conv 10@5x5 -> max-pool 2 -> ReLU -> Conv 20@5x5 -> max-pool 2 -> ReLU ->
Linear(320, 10)`` on MNIST normalized with ``Normalize((0.1307,), (0.3081,))``, the training
set's pixel mean and std, with batch 64 and ``SGD(lr=0.01, momentum=0.5)``. Here the mean and
std are computed once from the training images (Fashion-MNIST by default, or a local MNIST
folder with ``--dataset mnist --data-root DIR``) and applied to the whole split at once; the
network is trained through the one loop with the course's settings. The course trains nine
epochs; the default here is one (about 0.81 test accuracy), so that a run takes well under a
minute on a 2-core CPU; ``--epochs 5`` reaches about 0.86.
"""
from ..models.course import course_cnn
from ._course_cnn import parse_course_args, run_course

DEFAULTS = dict(batch_size=64, lr=0.01, num_epochs=1, momentum=0.5)
CPU_PROFILE = "compute"  # compute-bound: inline engine, all cores (gluon_notes/perf.py)


def extra(p):
    p.add_argument("--momentum", type=float, default=DEFAULTS["momentum"],
                   help="SGD momentum (default %(default)s, as the course)")


def main(argv=None):
    args = parse_course_args("course-cnn", dict(DEFAULTS, hybridize=True), __doc__, argv, extra)
    return run_course(args, [("course_cnn", course_cnn)],
                      optimizer_params={"momentum": args.momentum})
