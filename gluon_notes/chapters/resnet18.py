"""ResNet-18 (7x7/2 stem + max-pool), 96 px: batch 256, lr 0.05 (book 5.11); try --limit on a CPU.

Scored with BatchNorm statistics recomputed from 10 training batches (``--precise-bn 10``; 0 for
the book's moving averages, reported beside it): a short CPU run (``--limit 2560``, 10 steps per
epoch) leaves the moving averages far behind the weights.
"""
from ._cnn import run_cnn

DEFAULTS = dict(batch_size=256, lr=0.05, num_epochs=5, resize=96, precise_bn=10)
CPU_PROFILE = "compute"  # compute-bound: inline engine, all cores (gluon_notes/perf.py)


def main(argv=None):
    return run_cnn("resnet18", DEFAULTS, __doc__, argv, model="resnet18")
