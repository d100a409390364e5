"""Custom layers, usable in your own code (book 4.4, 5.1, and the CNN chapters)."""
from .batchnorm import BatchNorm, batch_norm
from .conv import Conv2D, Conv2DBlock, corr2d, corr2d_loop
from .cnn import (DenseBlock, Inception, Residual, conv_block,
                  corr2d_multi_in, corr2d_multi_in_out, corr2d_multi_in_out_1x1, nin_block,
                  pool2d, resnet_block, transition_block, vgg_block)
from .custom import CenteredLayer, CenteredLayerBlock, MyDense, MyDenseBlock, MyInit

__all__ = ["CenteredLayer", "CenteredLayerBlock", "MyDense", "MyDenseBlock", "MyInit",
           "Conv2D", "Conv2DBlock", "corr2d", "corr2d_loop",
           "BatchNorm", "DenseBlock", "Inception", "Residual", "batch_norm", "conv_block",
           "corr2d_multi_in", "corr2d_multi_in_out", "corr2d_multi_in_out_1x1", "nin_block",
           "pool2d", "resnet_block", "transition_block", "vgg_block"]
