"""LeNet with batch normalization from scratch (moving statistics, hybridized): batch 256, lr 1.0 (book 5.10.2)."""
from ._cnn import run_cnn

DEFAULTS = dict(batch_size=256, lr=1.0, num_epochs=5, resize=None)


def main(argv=None):
    return run_cnn("batchnorm-scratch", DEFAULTS, __doc__, argv, model="lenet_bn_scratch")
