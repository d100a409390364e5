"""LeNet with batch normalization from scratch (hybridized): batch 256, lr 1.0 (book 5.10.2).

The settings and the scoring (BatchNorm statistics recomputed from 20 training batches, the moving
averages' score beside it) are those of ``batchnorm``, which uses ``nn.BatchNorm``.
"""
from ._cnn import run_cnn
from .batchnorm import CPU_PROFILE, DEFAULTS  # noqa: F401  (CPU_PROFILE: read by the CLI)


def main(argv=None):
    return run_cnn("batchnorm-scratch", DEFAULTS, __doc__, argv, model="lenet_bn_scratch")
