"""Building blocks of the CNN chapter (book 5.3-5.12), all hybridizable.

Multi-channel cross-correlation and pooling from scratch (5.3, 5.4), the VGG and NiN blocks,
``Inception`` (5.9), batch normalization from scratch (5.10), ``Residual`` (5.11) and the
DenseNet blocks (5.12). Every block is a ``HybridBlock``/``HybridSequential`` whose forward
uses ``F`` operators only, so ``hybridize()`` caches the whole graph of a model built from them.

Scratch ``BatchNorm`` and its moving statistics
-----------------------------------------------
A hybridized graph receives parameters as inputs, so ``moving_mean[:] = ...`` cannot be written
inside it. MXNet does let an operator *mutate* an input in place (that is how its own BatchNorm
updates ``running_mean``): such inputs become auxiliary states of the graph and the cached op
writes them back into the parameter's array. ``_add_inplace`` uses the SGD-momentum update
operator as a plain in-place ``state += delta`` (momentum 1, lr 1, rescale 1, wd 0), which works
identically imperatively and hybridized. MXNet 1.9.1's Python symbol API cannot compose the
update operators (they lack input names), so the symbol is created positionally through
``_symbol_creator``; this private call is the one place tied to the pinned mxnet version.

Training or inference is decided when the graph *runs*, not when it is traced: ``_train_flag``
is ``|Dropout(1, p=0.5) - 1|``, exactly 1 in training (dropout outputs 0 or 2) and exactly 0 in
inference (dropout is the identity). It draws one random number per channel in training.

Differences from ``nn.BatchNorm`` (checked in ``tests/test_cnn_layers.py``): both normalise
with the biased batch variance and update ``moving = 0.9 * moving + 0.1 * batch`` with the
biased variance, but MXNet 1.9.1's operator performs that update in its *backward* pass,
whereas the scratch layer (like the book's ``batch_norm``) updates in the forward pass of
training mode. After a training step (forward and backward) both hold the same statistics.

One limit: with ``hybridize(static_alloc=True, static_shape=True)`` the engine does not order a
Python read of the moving statistics after the in-place update of the call just made; call
``mx.nd.waitall()`` before reading them (plain ``hybridize()`` and ``static_alloc=True`` alone
need nothing). Values used inside later graphs are correct either way.
"""
import ctypes
import functools

from mxnet import autograd, init, nd
from mxnet.base import _LIB, c_str, check_call
from mxnet.gluon import nn

from ..errors import GluonNotesError
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


# --- batch normalization from scratch (book 5.10) ----------------------------------------------

def batch_norm(X, gamma, beta, moving_mean, moving_var, eps=1e-5, momentum=0.9):
    """The book's batch normalization on NDArrays (book 5.10.1).

    ``X`` is (N, C) after a dense layer or (N, C, H, W) after a convolution (statistics per
    channel). In training mode (``autograd.is_training()``) it normalises with the batch mean and
    biased variance and returns updated moving statistics; otherwise it uses the moving ones.

    Returns
    -------
    (Y, moving_mean, moving_var)
    """
    if X.ndim not in (2, 4):
        raise GluonNotesError("batch_norm takes (N, C) or (N, C, H, W) inputs, got shape %s."
                              % (X.shape,))
    if not autograd.is_training():
        X_hat = (X - moving_mean) / nd.sqrt(moving_var + eps)
    else:
        axes = (0,) if X.ndim == 2 else (0, 2, 3)
        mean = X.mean(axis=axes, keepdims=True)                  # (1, C) or (1, C, 1, 1)
        var = ((X - mean) ** 2).mean(axis=axes, keepdims=True)
        X_hat = (X - mean) / nd.sqrt(var + eps)
        moving_mean = momentum * moving_mean + (1.0 - momentum) * mean
        moving_var = momentum * moving_var + (1.0 - momentum) * var
    return gamma * X_hat + beta, moving_mean, moving_var


@functools.lru_cache(maxsize=None)
def _op_handle(name):
    handle = ctypes.c_void_p()
    check_call(_LIB.NNGetOpHandle(c_str(name), ctypes.byref(handle)))
    return handle.value


_SGD_MOM = dict(lr=1.0, momentum=1.0, wd=0.0, rescale_grad=1.0)


def _add_inplace(F, state, delta):
    """``state += delta`` in place, imperatively and inside a hybridized graph.

    Returns an output that must feed the block's result (through ``BlockGrad``), or the graph
    would drop the update. See the module docstring for how this works.
    """
    if F is nd:
        return nd.sgd_mom_update(nd.zeros_like(state), -delta, state, **_SGD_MOM)
    from mxnet._ctypes.symbol import _symbol_creator
    return _symbol_creator(_op_handle("sgd_mom_update"), [F.zeros_like(state), -delta, state],
                           {}, list(_SGD_MOM), list(_SGD_MOM.values()), None, False)


def _train_flag(F, like):
    """1 in training mode and 0 in inference mode, decided when the graph runs; shape of ``like``."""
    return F.abs(F.Dropout(F.ones_like(like), p=0.5) - 1)


class BatchNorm(nn.HybridBlock):
    """Batch normalization from scratch with moving statistics (book 5.10.2).

    Parameters
    ----------
    num_features : int
        Channels (outputs of the previous layer); 0 infers them from the first input.
    num_dims : {2, 4}
        2 after a dense layer, 4 after a convolution.
    momentum, eps : float
        As ``nn.BatchNorm`` (0.9, 1e-5).

    Parameters ``gamma``, ``beta`` are learned; ``moving_mean``, ``moving_var`` have
    ``grad_req='null'`` and are updated in the forward pass of training mode, also when
    hybridized (see the module docstring).
    """

    def __init__(self, num_features=0, num_dims=4, momentum=0.9, eps=1e-5, **kwargs):
        super().__init__(**kwargs)
        if num_dims not in (2, 4):
            raise GluonNotesError("num_dims must be 2 (after Dense) or 4 (after Conv2D), got %r."
                                  % (num_dims,))
        self._axes = (0,) if num_dims == 2 else (0, 2, 3)
        self._bshape = (1, -1) if num_dims == 2 else (1, -1, 1, 1)
        self._momentum, self._eps = momentum, eps
        shape = (num_features,)
        self.gamma = self.params.get("gamma", shape=shape, init=init.One(),
                                     allow_deferred_init=True)
        self.beta = self.params.get("beta", shape=shape, init=init.Zero(),
                                    allow_deferred_init=True)
        self.moving_mean = self.params.get("moving_mean", shape=shape, init=init.Zero(),
                                           grad_req="null", allow_deferred_init=True,
                                           differentiable=False)
        self.moving_var = self.params.get("moving_var", shape=shape, init=init.One(),
                                          grad_req="null", allow_deferred_init=True,
                                          differentiable=False)

    def hybrid_forward(self, F, X, gamma, beta, moving_mean, moving_var):
        mean = F.mean(X, axis=self._axes)                                  # (C,)
        var = F.mean(F.square(F.broadcast_sub(X, F.reshape(mean, self._bshape))),
                     axis=self._axes)                                      # (C,) biased
        flag = _train_flag(F, mean)                                        # (C,) 1 or 0
        old_mean, old_var = F.BlockGrad(moving_mean), F.BlockGrad(moving_var)
        use_mean = flag * mean + (1 - flag) * old_mean                     # (C,)
        use_var = flag * var + (1 - flag) * old_var
        # elementwise (C,) ops let a hybridized parent infer the deferred (C,) parameter shapes
        scale = gamma / F.sqrt(use_var + self._eps)                        # (C,)
        shift = beta - use_mean * scale
        Y = F.broadcast_add(F.broadcast_mul(X, F.reshape(scale, self._bshape)),
                            F.reshape(shift, self._bshape))                # like X
        k = 1.0 - self._momentum  # moving += (1 - momentum) * (batch - moving), in training only
        done_m = _add_inplace(F, moving_mean, F.BlockGrad(flag * k * (mean - old_mean)))
        done_v = _add_inplace(F, moving_var, F.BlockGrad(flag * k * (var - old_var)))
        keep = F.reshape(F.BlockGrad(done_m + done_v) * 0, self._bshape)  # ties the updates in
        return F.broadcast_add(Y, keep)


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
