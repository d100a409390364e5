"""Chapter-5 classic CNNs: LeNet (and its batch-norm variants), AlexNet, VGG, NiN, GoogLeNet.

Each constructor returns a ``HybridSequential`` of hybridizable blocks, so ``hybridize()``
caches the whole network as one graph. ``classes`` is the number of outputs (logits). The
container is an ``inputs.CheckedSequential`` that knows the image size the book trains it on, so
a wrong input shape is one sentence naming that size.
"""
from mxnet.gluon import nn

from ..errors import GluonNotesError
from ..inputs import CheckedSequential
from ..layers.batchnorm import BatchNorm
from ..layers.cnn import Inception, nin_block, vgg_block
from . import register_model

# --- LeNet (book 5.5) and LeNet with batch normalization (book 5.10) -------------------------

#: name -> (activation, normalization): None, 'gluon' (nn.BatchNorm) or 'scratch' (5.10.2)
lenet_spec = {
    "lenet": ("sigmoid", None),
    "lenet_bn_scratch": ("sigmoid", "scratch"),
    "lenet_bn": ("sigmoid", "gluon"),
    "lenet_relu_bn": ("relu", "gluon"),
}


def _norm(kind, num_dims):
    return BatchNorm(num_dims=num_dims) if kind == "scratch" else nn.BatchNorm()


def get_lenet(activation="sigmoid", norm=None, classes=10):
    """LeNet-5 for 28x28 inputs: two 5x5 convolutions, 2x2 max-pools, dense 120-84-classes.

    Parameters
    ----------
    activation : str
        'sigmoid' as in the book, or e.g. 'relu'.
    norm : {None, 'gluon', 'scratch'}
        Batch normalization after each convolution and hidden dense layer, before the
        activation (book 5.10): ``nn.BatchNorm`` or the from-scratch ``layers.BatchNorm``.
    classes : int
    """
    if norm not in (None, "gluon", "scratch"):
        raise GluonNotesError("norm must be None, 'gluon' or 'scratch', got %r." % (norm,))
    net = CheckedSequential("lenet", (1, 28, 28), prefix="lenet_")

    def unit(layer, num_dims):
        if norm is None:
            net.add(layer)
        else:
            net.add(layer, _norm(norm, num_dims), nn.Activation(activation))

    act = activation if norm is None else None
    with net.name_scope():
        unit(nn.Conv2D(6, kernel_size=5, activation=act), 4)    # (N, 6, 24, 24)
        net.add(nn.MaxPool2D(pool_size=2, strides=2))            # (N, 6, 12, 12)
        unit(nn.Conv2D(16, kernel_size=5, activation=act), 4)   # (N, 16, 8, 8)
        net.add(nn.MaxPool2D(pool_size=2, strides=2))            # (N, 16, 4, 4)
        unit(nn.Dense(120, activation=act), 2)                   # (N, 120)
        unit(nn.Dense(84, activation=act), 2)                    # (N, 84)
        net.add(nn.Dense(classes))                               # (N, classes)
    return net


@register_model
def lenet(classes=10):
    """LeNet with sigmoid activations, as in the book (5.5)."""
    return get_lenet(*lenet_spec["lenet"], classes=classes)


@register_model
def lenet_bn_scratch(classes=10):
    """LeNet with the from-scratch ``BatchNorm`` before each sigmoid (book 5.10.2)."""
    return get_lenet(*lenet_spec["lenet_bn_scratch"], classes=classes)


@register_model
def lenet_bn(classes=10):
    """LeNet with ``nn.BatchNorm`` before each sigmoid (book 5.10.3)."""
    return get_lenet(*lenet_spec["lenet_bn"], classes=classes)


@register_model
def lenet_relu_bn(classes=10):
    """LeNet with ``nn.BatchNorm`` and ReLU: the improved recipe's network."""
    return get_lenet(*lenet_spec["lenet_relu_bn"], classes=classes)


# --- AlexNet (book 5.6) ------------------------------------------------------------------------

@register_model
def alexnet(classes=10):
    """AlexNet for 224x224 single-channel images (book 5.6.2): five convolutions, three
    4096-4096-classes dense layers with dropout 0.5."""
    net = CheckedSequential("alexnet", (1, 224, 224), prefix="alexnet_")
    with net.name_scope():
        net.add(nn.Conv2D(96, kernel_size=11, strides=4, activation="relu"),  # (N, 96, 54, 54)
                nn.MaxPool2D(pool_size=3, strides=2),                          # (N, 96, 26, 26)
                nn.Conv2D(256, kernel_size=5, padding=2, activation="relu"),  # (N, 256, 26, 26)
                nn.MaxPool2D(pool_size=3, strides=2),                          # (N, 256, 12, 12)
                nn.Conv2D(384, kernel_size=3, padding=1, activation="relu"),
                nn.Conv2D(384, kernel_size=3, padding=1, activation="relu"),
                nn.Conv2D(256, kernel_size=3, padding=1, activation="relu"),  # (N, 256, 12, 12)
                nn.MaxPool2D(pool_size=3, strides=2),                          # (N, 256, 5, 5)
                nn.Dense(4096, activation="relu"), nn.Dropout(0.5),
                nn.Dense(4096, activation="relu"), nn.Dropout(0.5),
                nn.Dense(classes))
    return net


# --- VGG (book 5.7) ----------------------------------------------------------------------------

#: VGG-11's (number of convolutions, channels) per block
vgg_spec = {11: ((1, 64), (1, 128), (2, 256), (2, 512), (2, 512))}


def get_vgg(num_layers=11, ratio=1, classes=10):
    """VGG with ``vgg_spec[num_layers]`` blocks, channels divided by ``ratio`` (book 5.7.2)."""
    if num_layers not in vgg_spec:
        raise GluonNotesError("no VGG with %r layers; choose one of %s."
                              % (num_layers, sorted(vgg_spec)))
    net = CheckedSequential("vgg%d" % num_layers, (1, 224, 224), prefix="vgg%d_" % num_layers)
    with net.name_scope():
        for num_convs, num_channels in vgg_spec[num_layers]:
            net.add(vgg_block(num_convs, num_channels // ratio))  # halves H and W
        net.add(nn.Dense(4096, activation="relu"), nn.Dropout(0.5),
                nn.Dense(4096, activation="relu"), nn.Dropout(0.5),
                nn.Dense(classes))
    return net


@register_model
def vgg11(classes=10, ratio=4):
    """VGG-11 with a quarter of the channels, as trained in the book (5.7.3)."""
    return get_vgg(11, ratio=ratio, classes=classes)


# --- NiN (book 5.8) ----------------------------------------------------------------------------

@register_model
def nin(classes=10):
    """Network in Network (book 5.8.2): NiN blocks, no dense layer, global average pooling."""
    net = CheckedSequential("nin", (1, 224, 224), prefix="nin_")
    with net.name_scope():
        net.add(nin_block(96, kernel_size=11, strides=4, padding=0),    # (N, 96, 54, 54)
                nn.MaxPool2D(pool_size=3, strides=2),                   # (N, 96, 26, 26)
                nin_block(256, kernel_size=5, strides=1, padding=2),
                nn.MaxPool2D(pool_size=3, strides=2),                   # (N, 256, 12, 12)
                nin_block(384, kernel_size=3, strides=1, padding=1),
                nn.MaxPool2D(pool_size=3, strides=2),                   # (N, 384, 5, 5)
                nn.Dropout(0.5),
                nin_block(classes, kernel_size=3, strides=1, padding=1),  # (N, classes, 5, 5)
                nn.GlobalAvgPool2D(),                                   # (N, classes, 1, 1)
                nn.Flatten())                                           # (N, classes)
    return net


# --- GoogLeNet (book 5.9) ----------------------------------------------------------------------

#: Inception(c1, c2, c3, c4) settings of stages 3, 4 and 5
googlenet_spec = (
    ((64, (96, 128), (16, 32), 32), (128, (128, 192), (32, 96), 64)),
    ((192, (96, 208), (16, 48), 64), (160, (112, 224), (24, 64), 64),
     (128, (128, 256), (24, 64), 64), (112, (144, 288), (32, 64), 64),
     (256, (160, 320), (32, 128), 128)),
    ((256, (160, 320), (32, 128), 128), (384, (192, 384), (48, 128), 128)),
)


@register_model
def googlenet(classes=10):
    """GoogLeNet (book 5.9.2): a 7x7 and a 1x1+3x3 stem, 9 Inception blocks, global pooling."""
    net = CheckedSequential("googlenet", (1, 96, 96), prefix="googlenet_")
    with net.name_scope():
        net.add(nn.Conv2D(64, kernel_size=7, strides=2, padding=3, activation="relu"),
                nn.MaxPool2D(pool_size=3, strides=2, padding=1),         # (N, 64, H/4, W/4)
                nn.Conv2D(64, kernel_size=1, activation="relu"),
                nn.Conv2D(192, kernel_size=3, padding=1, activation="relu"),
                nn.MaxPool2D(pool_size=3, strides=2, padding=1))         # (N, 192, H/8, W/8)
        for i, stage in enumerate(googlenet_spec):
            net.add(*[Inception(*cfg) for cfg in stage])
            if i < len(googlenet_spec) - 1:
                net.add(nn.MaxPool2D(pool_size=3, strides=2, padding=1))  # halves H and W
        net.add(nn.GlobalAvgPool2D(),                                    # (N, 1024, 1, 1)
                nn.Dense(classes))
    return net
