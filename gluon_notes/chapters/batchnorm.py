"""LeNet with Gluon's nn.BatchNorm: batch 256, lr 1.0 (book 5.10.3)."""
from ._cnn import run_cnn

DEFAULTS = dict(batch_size=256, lr=1.0, num_epochs=5, resize=None)


def main(argv=None):
    return run_cnn("batchnorm", DEFAULTS, __doc__, argv, model="lenet_bn")
