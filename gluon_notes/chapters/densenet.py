"""DenseNet (growth 32, 4 blocks of 4 convs), 96 px: batch 256, lr 0.1 (book 5.12); try --limit.

Scored with BatchNorm statistics recomputed from 10 training batches (``--precise-bn 10``; 0 for
the book's moving averages, reported beside it), as ``resnet18``.
"""
from ._cnn import run_cnn

DEFAULTS = dict(batch_size=256, lr=0.1, num_epochs=5, resize=96, precise_bn=10)
CPU_PROFILE = "compute"  # compute-bound: inline engine, all cores (gluon_notes/perf.py)


def main(argv=None):
    return run_cnn("densenet", DEFAULTS, __doc__, argv, model="densenet")
