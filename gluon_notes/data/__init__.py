"""Data: real Fashion-MNIST from local files, in-memory batching, synthetic sets."""
from .fashion_mnist import (TEXT_LABELS, find_fashion_mnist, get_fashion_mnist_labels,
                            load_fashion_mnist)
from .loader import ArrayLoader, load_data_fashion_mnist
from .mnist import load_mnist
from .synthetic import TRUE_B, TRUE_W, POLY_B, POLY_W, high_dim_linear, poly_data, synthetic_data

__all__ = ["ArrayLoader", "load_mnist", "load_data_fashion_mnist", "load_fashion_mnist",
           "find_fashion_mnist", "get_fashion_mnist_labels", "TEXT_LABELS", "synthetic_data",
           "poly_data", "high_dim_linear", "TRUE_W", "TRUE_B", "POLY_W", "POLY_B"]
