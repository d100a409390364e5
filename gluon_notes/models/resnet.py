"""ResNet (book 5.11) and the ResNet-18 of the multi-GPU chapter (book 8.4).

A spec table gives the residual blocks per stage; ``get_resnet`` builds any depth in it, with
either the book's ImageNet stem (7x7 convolution, stride 2, then 3x3 max-pool) or the small
stem of section 8.4 (3x3 convolution, stride 1, no pool) for small images.
"""
from mxnet.gluon import nn

from ..errors import GluonNotesError
from ..inputs import CheckedSequential
from ..layers.cnn import resnet_block
from . import register_model

#: depth -> residual blocks in each of the four stages (channels 64, 128, 256, 512)
resnet_spec = {18: (2, 2, 2, 2), 34: (3, 4, 6, 3)}
resnet_channels = (64, 128, 256, 512)


def _stem(kind):
    stem = nn.HybridSequential(prefix="")
    if kind == "imagenet":
        stem.add(nn.Conv2D(64, kernel_size=7, strides=2, padding=3), nn.BatchNorm(),
                 nn.Activation("relu"), nn.MaxPool2D(pool_size=3, strides=2, padding=1))
    elif kind == "small":
        stem.add(nn.Conv2D(64, kernel_size=3, strides=1, padding=1), nn.BatchNorm(),
                 nn.Activation("relu"))
    else:
        raise GluonNotesError("stem must be 'imagenet' or 'small', got %r." % (kind,))
    return stem


def get_resnet(num_layers, classes=10, stem="imagenet"):
    """ResNet with ``resnet_spec[num_layers]`` basic residual blocks per stage.

    Parameters
    ----------
    num_layers : int
        A key of ``resnet_spec`` (18 or 34).
    classes : int
    stem : {'imagenet', 'small'}
        'imagenet': Conv 7x7/2 + BN + ReLU + MaxPool 3x3/2 (book 5.11.3), output H/32;
        'small': Conv 3x3/1 + BN + ReLU (book 8.4.1), output H/8.
    """
    if num_layers not in resnet_spec:
        raise GluonNotesError("no ResNet with %r layers; choose one of %s."
                              % (num_layers, sorted(resnet_spec)))
    side = 96 if stem == "imagenet" else 28  # the book's image sizes (5.11, 8.4)
    net = CheckedSequential("resnet%d" % num_layers, (1, side, side),
                            prefix="resnet%d_" % num_layers)
    with net.name_scope():
        net.add(_stem(stem))                             # (N, 64, H/4, W/4) or (N, 64, H, W)
        for i, (channels, n) in enumerate(zip(resnet_channels, resnet_spec[num_layers])):
            net.add(resnet_block(channels, n, first_block=(i == 0)))  # stages 2-4 halve H, W
        net.add(nn.GlobalAvgPool2D(),                    # (N, 512, 1, 1)
                nn.Dense(classes))                       # (N, classes)
    return net


@register_model
def resnet18(classes=10):
    """ResNet-18 with the book's 7x7/stride-2 + max-pool stem (book 5.11)."""
    return get_resnet(18, classes)


@register_model
def resnet34(classes=10):
    """ResNet-34: the same blocks, (3, 4, 6, 3) per stage."""
    return get_resnet(34, classes)


@register_model
def resnet18_small(classes=10):
    """ResNet-18 with a 3x3/stride-1 stem and no pool, for small images (book 8.4.1)."""
    return get_resnet(18, classes, stem="small")
