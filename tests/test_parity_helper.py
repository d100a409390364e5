"""The parity helper itself catches a difference (so a passing parity test means something)."""
import pytest
from mxnet import nd
from mxnet.gluon import nn

from parity import assert_deferred_init, assert_hybrid_parity


class _Branchy(nn.HybridBlock):
    """Gives a different answer hybridized: Python reads F, which differs under hybridize."""

    def hybrid_forward(self, F, x):
        return x * 2 if F is nd else x * 3


def test_parity_helper_detects_mismatch():
    with pytest.raises(AssertionError):
        assert_hybrid_parity(_Branchy, nd.ones((2, 3)))


def test_parity_helper_passes_dense():
    y, g = assert_hybrid_parity(lambda: nn.Dense(4), nd.random.normal(shape=(3, 5)))
    assert y.shape == (3, 4) and g.shape == (3, 5)


def test_deferred_init_helper():
    net = assert_deferred_init(lambda: nn.Dense(4), nd.ones((2, 7)), {"weight": (4, 7)})
    assert net.weight.shape == (4, 7)
