"""AlexNet on Fashion-MNIST resized to 224 px: batch 128, lr 0.01 (book 5.6); try --limit."""
from ._cnn import run_cnn

DEFAULTS = dict(batch_size=128, lr=0.01, num_epochs=5, resize=224)
CPU_PROFILE = "compute"  # compute-bound: inline engine, all cores (gluon_notes/perf.py)


def main(argv=None):
    return run_cnn("alexnet", DEFAULTS, __doc__, argv, model="alexnet")
