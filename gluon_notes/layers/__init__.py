"""Custom layers, usable in your own code (book 4.4, 5.1, and the CNN chapters)."""
from .conv import Conv2D, Conv2DBlock, corr2d, corr2d_loop
from .custom import CenteredLayer, CenteredLayerBlock, MyDense, MyDenseBlock, MyInit

__all__ = ["CenteredLayer", "CenteredLayerBlock", "MyDense", "MyDenseBlock", "MyInit",
           "Conv2D", "Conv2DBlock", "corr2d", "corr2d_loop"]
