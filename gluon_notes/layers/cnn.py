"""Building blocks of the CNN chapter (book 5.3-5.12), all hybridizable.

Multi-channel cross-correlation and pooling from scratch (5.3, 5.4), the VGG and NiN blocks,
``Inception`` (5.9), ``Residual`` (5.11) and the DenseNet blocks (5.12). Batch normalization
from scratch (5.10) lives in ``layers.batchnorm`` and is re-exported here. Every block is a
``HybridBlock``/``HybridSequential`` whose forward uses ``F`` operators only, so
``hybridize()`` caches the whole graph of a model built from them.
"""
from mxnet import nd
from mxnet.gluon import nn

from ..errors import GluonNotesError
from .batchnorm import BatchNorm, batch_norm  # noqa: F401  (re-exported: they lived here)
from .conv import corr2d


# --- multiple channels and pooling (book 5.3, 5.4) ---------------------------------------------

def corr2d_multi_in(X, K):
    """Cross-correlate each input channel with its kernel and sum over channels (book 5.3.1).

    ``X`` is (c_i, h, w) and ``K`` is (c_i, k_h, k_w); the result is (h', w').
    """
    if X.shape[0] != K.shape[0]:
        raise GluonNotesError("X has %d channels but K has %d; give one kernel per input channel."
                              % (X.shape[0], K.shape[0]))
    return nd.add_n(*[corr2d(x, k) for x, k in zip(X, K)])


def corr2d_multi_in_out(X, K):
    """One output channel per kernel of ``K`` (c_o, c_i, k_h, k_w): result (c_o, h', w') (5.3.2)."""
    return nd.stack(*[corr2d_multi_in(X, k) for k in K])


def corr2d_multi_in_out_1x1(X, K):
    """A 1x1 convolution as a matrix product: (c_o, c_i) x (c_i, h * w) (book 5.3.3)."""
    c_i, h, w = X.shape
    c_o = K.shape[0]
    Y = nd.dot(K.reshape((c_o, c_i)), X.reshape((c_i, h * w)))  # (c_o, h * w)
    return Y.reshape((c_o, h, w))


def pool2d(X, pool_size, mode="max"):
    """Max or average pooling of a 2-D array with a window of ``pool_size`` (book 5.4.1)."""
    if mode not in ("max", "avg"):
        raise GluonNotesError("mode must be 'max' or 'avg', got %r." % (mode,))
    p_h, p_w = pool_size
    Y = nd.zeros((X.shape[0] - p_h + 1, X.shape[1] - p_w + 1), ctx=X.context)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            window = X[i: i + p_h, j: j + p_w]
            Y[i, j] = window.max() if mode == "max" else window.mean()
    return Y


# --- VGG and NiN blocks (book 5.7, 5.8) --------------------------------------------------------

def vgg_block(num_convs, num_channels):
    """``num_convs`` 3x3 ReLU convolutions (padding 1) and a 2x2 max-pool (book 5.7.1)."""
    blk = nn.HybridSequential()
    for _ in range(num_convs):
        blk.add(nn.Conv2D(num_channels, kernel_size=3, padding=1, activation="relu"))
    blk.add(nn.MaxPool2D(pool_size=2, strides=2))
    return blk


def nin_block(num_channels, kernel_size, strides, padding):
    """One convolution followed by two 1x1 convolutions, all ReLU (book 5.8.1)."""
    blk = nn.HybridSequential()
    blk.add(nn.Conv2D(num_channels, kernel_size, strides, padding, activation="relu"),
            nn.Conv2D(num_channels, kernel_size=1, activation="relu"),
            nn.Conv2D(num_channels, kernel_size=1, activation="relu"))
    return blk


# --- GoogLeNet (book 5.9) ----------------------------------------------------------------------

class Inception(nn.HybridBlock):
    """Four parallel paths concatenated on the channel axis (book 5.9.1).

    Parameters
    ----------
    c1 : int
        Channels of path 1, a 1x1 convolution.
    c2, c3 : (int, int)
        Channels of paths 2 and 3: a 1x1 convolution then a 3x3 (resp. 5x5) one.
    c4 : int
        Channels of path 4: 3x3 max-pool (stride 1) then a 1x1 convolution.

    The output has ``c1 + c2[1] + c3[1] + c4`` channels and the input's height and width.
    """

    def __init__(self, c1, c2, c3, c4, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.p1_1 = nn.Conv2D(c1, kernel_size=1, activation="relu")
            self.p2_1 = nn.Conv2D(c2[0], kernel_size=1, activation="relu")
            self.p2_2 = nn.Conv2D(c2[1], kernel_size=3, padding=1, activation="relu")
            self.p3_1 = nn.Conv2D(c3[0], kernel_size=1, activation="relu")
            self.p3_2 = nn.Conv2D(c3[1], kernel_size=5, padding=2, activation="relu")
            self.p4_1 = nn.MaxPool2D(pool_size=3, strides=1, padding=1)
            self.p4_2 = nn.Conv2D(c4, kernel_size=1, activation="relu")

    def hybrid_forward(self, F, x):
        p1 = self.p1_1(x)                     # (N, c1, H, W)
        p2 = self.p2_2(self.p2_1(x))          # (N, c2[1], H, W)
        p3 = self.p3_2(self.p3_1(x))          # (N, c3[1], H, W)
        p4 = self.p4_2(self.p4_1(x))          # (N, c4, H, W)
        return F.concat(p1, p2, p3, p4, dim=1)


# --- ResNet (book 5.11) ------------------------------------------------------------------------

class Residual(nn.HybridBlock):
    """Two 3x3 convolutions with batch norm and a shortcut (book 5.11.2).

    Parameters
    ----------
    num_channels : int
    use_1x1conv : bool
        Put a 1x1 convolution on the shortcut (needed when channels or size change).
    strides : int
        Stride of the first convolution (and of the 1x1 shortcut).
    """

    def __init__(self, num_channels, use_1x1conv=False, strides=1, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.conv1 = nn.Conv2D(num_channels, kernel_size=3, padding=1, strides=strides)
            self.conv2 = nn.Conv2D(num_channels, kernel_size=3, padding=1)
            self.conv3 = nn.Conv2D(num_channels, kernel_size=1, strides=strides) \
                if use_1x1conv else None
            self.bn1, self.bn2 = nn.BatchNorm(), nn.BatchNorm()

    def hybrid_forward(self, F, X):
        Y = F.relu(self.bn1(self.conv1(X)))    # (N, c, H / s, W / s)
        Y = self.bn2(self.conv2(Y))
        if self.conv3 is not None:             # fixed at construction, not a value branch
            X = self.conv3(X)
        return F.relu(Y + X)


def resnet_block(num_channels, num_residuals, first_block=False):
    """``num_residuals`` residual blocks; the first halves the size unless ``first_block``."""
    blk = nn.HybridSequential()
    for i in range(num_residuals):
        if i == 0 and not first_block:
            blk.add(Residual(num_channels, use_1x1conv=True, strides=2))
        else:
            blk.add(Residual(num_channels))
    return blk


# --- DenseNet (book 5.12) ----------------------------------------------------------------------

def conv_block(num_channels):
    """BN, ReLU, 3x3 convolution (padding 1): DenseNet's "conv" unit (book 5.12.1)."""
    blk = nn.HybridSequential()
    blk.add(nn.BatchNorm(), nn.Activation("relu"),
            nn.Conv2D(num_channels, kernel_size=3, padding=1))
    return blk


class DenseBlock(nn.HybridBlock):
    """``num_convs`` conv blocks, each input concatenated with its output (book 5.12.1).

    The output has ``in_channels + num_convs * num_channels`` channels.
    """

    def __init__(self, num_convs, num_channels, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.net = nn.HybridSequential(prefix="")
            for _ in range(num_convs):
                self.net.add(conv_block(num_channels))

    def hybrid_forward(self, F, X):
        for blk in self.net:
            Y = blk(X)                     # (N, num_channels, H, W)
            X = F.concat(X, Y, dim=1)      # (N, C + num_channels, H, W)
        return X


def transition_block(num_channels):
    """BN, ReLU, 1x1 convolution to ``num_channels``, 2x2 average pool (book 5.12.2)."""
    blk = nn.HybridSequential()
    blk.add(nn.BatchNorm(), nn.Activation("relu"),
            nn.Conv2D(num_channels, kernel_size=1),
            nn.AvgPool2D(pool_size=2, strides=2))
    return blk


__all__ = ["corr2d_multi_in", "corr2d_multi_in_out", "corr2d_multi_in_out_1x1", "pool2d",
           "vgg_block", "nin_block", "Inception", "batch_norm", "BatchNorm", "Residual",
           "resnet_block", "conv_block", "DenseBlock", "transition_block"]
