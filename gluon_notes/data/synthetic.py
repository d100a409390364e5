"""Synthetic data sets of chapter 3 (linear regression, polynomial fitting, weight decay).

The true parameters and the noise are checked before any data is drawn: a NaN or inf there
would make every sample non-finite.
"""
import math

import numpy as np
from mxnet import nd

from ..errors import DataError, GluonNotesError

TRUE_W, TRUE_B = [2, -3.4], 4.2
POLY_W, POLY_B = [1.2, -3.4, 5.6], 5


def _check(counts, noise, **values):
    """One sentence for a sample count below its minimum (``counts``: name -> (n, minimum)),
    a negative or non-finite noise, or a NaN/inf true parameter."""
    for name, (n, least) in counts.items():
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < least:
            raise GluonNotesError("%s must be an integer >= %d, got %r." % (name, least, n))
    if not (isinstance(noise, (int, float)) and math.isfinite(noise) and noise >= 0):
        raise GluonNotesError("noise must be a finite number >= 0, got %r." % (noise,))
    for name, v in values.items():
        a = np.asarray(v.asnumpy() if hasattr(v, "asnumpy") else v, dtype=np.float64)
        if not np.isfinite(a).all():
            raise DataError("the true %s %r holds NaN or inf; give finite values." % (name, v))


def synthetic_data(w, b, num_examples, noise=0.01):
    """``y = Xw + b + noise`` with ``X ~ N(0, 1)`` (book section 3.2.1).

    Returns
    -------
    X : NDArray (num_examples, len(w))
    y : NDArray (num_examples,)
    """
    _check(dict(num_examples=(num_examples, 1)), noise, w=w, b=b)
    w = nd.array(w).reshape((-1, 1))                              # (d, 1)
    X = nd.random.normal(scale=1, shape=(num_examples, w.shape[0]))  # (n, d)
    y = nd.dot(X, w).reshape((-1,)) + b                            # (n,)
    y += nd.random.normal(scale=noise, shape=y.shape)
    return X, y


def poly_data(n_train=100, n_test=100, w=POLY_W, b=POLY_B, noise=0.01):
    """Cubic data ``y = 1.2x - 3.4x^2 + 5.6x^3 + 5 + noise`` (book section 3.11.4).

    Returns
    -------
    features : NDArray (n_train + n_test, 1)
    poly_features : NDArray (n_train + n_test, 3), columns x, x^2, x^3
    labels : NDArray (n_train + n_test,)
    """
    _check(dict(n_train=(n_train, 1), n_test=(n_test, 0)), noise, w=w, b=b)
    features = nd.random.normal(shape=(n_train + n_test, 1))                     # (n, 1)
    poly_features = nd.concat(features, nd.power(features, 2), nd.power(features, 3))  # (n, 3)
    labels = nd.dot(poly_features, nd.array(w).reshape((-1, 1))).reshape((-1,)) + b
    labels += nd.random.normal(scale=noise, shape=labels.shape)
    return features, poly_features, labels


def high_dim_linear(n_train=20, n_test=100, num_inputs=200, noise=0.01):
    """The weight-decay problem: 200 inputs, 20 training samples, ``w = 0.01``, ``b = 0.05``
    (book section 3.12.2).

    Returns ``(train_features, test_features, train_labels, test_labels)``."""
    true_w, true_b = nd.ones((num_inputs,)) * 0.01, 0.05
    X, y = synthetic_data(true_w.asnumpy().tolist(), true_b, n_train + n_test, noise)
    return X[:n_train], X[n_train:], y[:n_train], y[n_train:]
