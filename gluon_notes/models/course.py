"""The PyTorch course's CNNs in Gluon: the plain CNN, ``InceptionA`` and ``ResidualBlock`` nets.

Design
------
* Each network is a ``HybridSequential`` (so ``summary`` lists its layers and ``hybridize()``
  caches one graph); the course's two blocks are ``HybridBlock`` classes using ``F`` only.
* The layouts follow the course's ``forward`` methods: its ``relu(pool(conv(x)))`` is written
  ``conv -> MaxPool2D(2) -> relu`` (the same thing: max-pooling and ReLU commute).
* No activation inside ``InceptionA`` or after a block's second convolution but the sum's, as in
  the course; the course's ``nn.Linear(320 | 1408 | 512, 10)`` is a ``Dense`` whose input size
  is inferred on the first batch.
* Registered with ``@register_model``: importing this module adds ``course_cnn``,
  ``course_inception`` and ``course_residual`` to ``get_model``.
"""
from mxnet.gluon import nn

from . import register_model

#: output channels of InceptionA's branches, in the order they are concatenated
INCEPTION_BRANCHES = (("1x1", 16), ("5x5", 24), ("3x3", 24), ("pool", 24))
INCEPTION_CHANNELS = sum(c for _, c in INCEPTION_BRANCHES)  # 88


class InceptionA(nn.HybridBlock):
    """The course's Inception block: four branches concatenated to 88 channels, size kept.

    Branches (in the course's ``torch.cat`` order): 1x1 conv 16; 1x1 conv 16 -> 5x5 conv 24
    (pad 2); 1x1 conv 16 -> 3x3 conv 24 -> 3x3 conv 24 (pad 1); 3x3 average pool (stride 1,
    pad 1, padding counted as in PyTorch's default) -> 1x1 conv 24.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.branch1x1 = nn.Conv2D(16, kernel_size=1)
            self.branch5x5_1 = nn.Conv2D(16, kernel_size=1)
            self.branch5x5_2 = nn.Conv2D(24, kernel_size=5, padding=2)
            self.branch3x3_1 = nn.Conv2D(16, kernel_size=1)
            self.branch3x3_2 = nn.Conv2D(24, kernel_size=3, padding=1)
            self.branch3x3_3 = nn.Conv2D(24, kernel_size=3, padding=1)
            self.branch_pool = nn.Conv2D(24, kernel_size=1)

    def hybrid_forward(self, F, x):
        b1 = self.branch1x1(x)                                               # (N, 16, H, W)
        b5 = self.branch5x5_2(self.branch5x5_1(x))                           # (N, 24, H, W)
        b3 = self.branch3x3_3(self.branch3x3_2(self.branch3x3_1(x)))         # (N, 24, H, W)
        bp = F.Pooling(x, kernel=(3, 3), stride=(1, 1), pad=(1, 1), pool_type="avg",
                       count_include_pad=True)
        bp = self.branch_pool(bp)                                            # (N, 24, H, W)
        return F.concat(b1, b5, b3, bp, dim=1)                               # (N, 88, H, W)


class ResidualBlock(nn.HybridBlock):
    """The course's residual block: ``relu(x + conv2(relu(conv1(x))))``, channels and size kept.

    Unlike the book's ``Residual`` (5.11) it has no batch normalization and no 1x1 shortcut.
    """

    def __init__(self, channels, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.conv1 = nn.Conv2D(channels, kernel_size=3, padding=1)
            self.conv2 = nn.Conv2D(channels, kernel_size=3, padding=1)

    def hybrid_forward(self, F, x):
        y = F.relu(self.conv1(x))  # (N, C, H, W)
        y = self.conv2(y)          # (N, C, H, W)
        return F.relu(x + y)


def _conv_pool_relu(channels):
    """The course's ``relu(pool(conv(x)))`` with a 5x5 convolution and a 2x2 max-pool."""
    return [nn.Conv2D(channels, kernel_size=5), nn.MaxPool2D(pool_size=2),
            nn.Activation("relu")]


@register_model
def course_cnn(classes=10):
    """Conv 10@5x5 -> pool -> ReLU -> conv 20@5x5 -> pool -> ReLU -> Dense (320 features)."""
    net = nn.HybridSequential(prefix="course_cnn_")
    with net.name_scope():
        net.add(*_conv_pool_relu(10))  # (N, 10, 12, 12)
        net.add(*_conv_pool_relu(20))  # (N, 20, 4, 4): 320 features
        net.add(nn.Dense(classes))     # (N, classes)
    return net


@register_model
def course_inception(classes=10):
    """Conv 10@5 -> pool -> ReLU -> InceptionA -> conv 20@5 -> pool -> ReLU -> InceptionA -> Dense
    (88 * 4 * 4 = 1408 features)."""
    net = nn.HybridSequential(prefix="course_inception_")
    with net.name_scope():
        net.add(*_conv_pool_relu(10))  # (N, 10, 12, 12)
        net.add(InceptionA())          # (N, 88, 12, 12)
        net.add(*_conv_pool_relu(20))  # (N, 20, 4, 4)
        net.add(InceptionA())          # (N, 88, 4, 4): 1408 features
        net.add(nn.Dense(classes))     # (N, classes)
    return net


@register_model
def course_residual(classes=10):
    """Conv 16@5 -> pool -> ReLU -> ResidualBlock(16) -> conv 32@5 -> pool -> ReLU ->
    ResidualBlock(32) -> Dense (32 * 4 * 4 = 512 features)."""
    net = nn.HybridSequential(prefix="course_residual_")
    with net.name_scope():
        net.add(*_conv_pool_relu(16))  # (N, 16, 12, 12)
        net.add(ResidualBlock(16))     # (N, 16, 12, 12)
        net.add(*_conv_pool_relu(32))  # (N, 32, 4, 4)
        net.add(ResidualBlock(32))     # (N, 32, 4, 4): 512 features
        net.add(nn.Dense(classes))     # (N, classes)
    return net


__all__ = ["InceptionA", "ResidualBlock", "course_cnn", "course_inception", "course_residual",
           "INCEPTION_BRANCHES", "INCEPTION_CHANNELS"]
