"""DenseNet (book 5.12): dense blocks of BN-ReLU-Conv units joined by transition blocks."""
from mxnet.gluon import nn

from ..inputs import CheckedSequential
from ..layers.cnn import DenseBlock, transition_block
from . import register_model


def get_densenet(num_channels=64, growth_rate=32, num_convs_in_dense_blocks=(4, 4, 4, 4),
                 classes=10):
    """DenseNet with the book's stem (Conv 7x7/2, BN, ReLU, MaxPool 3x3/2).

    Each dense block adds ``num_convs * growth_rate`` channels; each transition block between
    them halves the channels and the height and width.
    """
    net = CheckedSequential("densenet", (1, 96, 96), prefix="densenet_")
    with net.name_scope():
        net.add(nn.Conv2D(num_channels, kernel_size=7, strides=2, padding=3), nn.BatchNorm(),
                nn.Activation("relu"), nn.MaxPool2D(pool_size=3, strides=2, padding=1))
        last = len(num_convs_in_dense_blocks) - 1
        for i, num_convs in enumerate(num_convs_in_dense_blocks):
            net.add(DenseBlock(num_convs, growth_rate))  # (N, c + num_convs * growth, h, w)
            num_channels += num_convs * growth_rate
            if i != last:
                num_channels //= 2
                net.add(transition_block(num_channels))  # (N, c / 2, h / 2, w / 2)
        net.add(nn.BatchNorm(), nn.Activation("relu"), nn.GlobalAvgPool2D(),
                nn.Dense(classes))                       # (N, classes)
    return net


@register_model
def densenet(classes=10):
    """The book's DenseNet: 64 stem channels, growth rate 32, four blocks of 4 convs (5.12.3)."""
    return get_densenet(classes=classes)
