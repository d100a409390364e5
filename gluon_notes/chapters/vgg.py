"""VGG-11 with a quarter of the channels, 224 px: batch 128, lr 0.05 (book 5.7); try --limit."""
from ._cnn import run_cnn

DEFAULTS = dict(batch_size=128, lr=0.05, num_epochs=5, resize=224)
CPU_PROFILE = "compute"  # compute-bound: inline engine, all cores (gluon_notes/perf.py)


def main(argv=None):
    return run_cnn("vgg", DEFAULTS, __doc__, argv, model="vgg11")
