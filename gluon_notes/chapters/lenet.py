"""LeNet (sigmoid) on Fashion-MNIST, the book's settings: batch 256, lr 0.9, 5 epochs (book 5.5)."""
from ._cnn import run_cnn

DEFAULTS = dict(batch_size=256, lr=0.9, num_epochs=5, resize=None)
CPU_PROFILE = "compute"  # compute-bound: inline engine, all cores (gluon_notes/perf.py)


def main(argv=None):
    return run_cnn("lenet", DEFAULTS, __doc__, argv, model="lenet")
