"""GoogLeNet with Inception blocks, 96 px: batch 128, lr 0.1 (book 5.9); try --limit on a CPU."""
from ._cnn import run_cnn

DEFAULTS = dict(batch_size=128, lr=0.1, num_epochs=5, resize=96)
CPU_PROFILE = "compute"  # compute-bound: inline engine, all cores (gluon_notes/perf.py)


def main(argv=None):
    return run_cnn("googlenet", DEFAULTS, __doc__, argv, model="googlenet")
