"""gluon_notes.init: PyTorch's initializers through ``net.initialize(init=...)``."""
import math

import mxnet as mx
import numpy as np
import pytest

from conftest import require
from mxnet import gluon, nd
from mxnet.gluon import nn

from gluon_notes import init as ginit
from gluon_notes.errors import GluonNotesError

GAIN_CASES = [("linear", None), ("conv1d", None), ("conv2d", None), ("conv3d", None),
              ("conv_transpose2d", None), ("sigmoid", None), ("tanh", None), ("relu", None),
              ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", 0), ("selu", None)]
EXPECTED_GAIN = {"linear": 1, "conv1d": 1, "conv2d": 1, "conv3d": 1, "conv_transpose2d": 1,
                 "sigmoid": 1, "tanh": 5 / 3, "relu": math.sqrt(2), "selu": 0.75}


@pytest.mark.parametrize("nonlinearity,param", GAIN_CASES)
def test_calculate_gain_numbers(nonlinearity, param):
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        expected = math.sqrt(2 / (1 + slope ** 2))
    else:
        expected = EXPECTED_GAIN[nonlinearity]
    assert ginit.calculate_gain(nonlinearity, param) == pytest.approx(expected, rel=1e-12)


def test_calculate_gain_equals_torch():
    torch = require("torch")
    for nonlinearity, param in GAIN_CASES:
        assert ginit.calculate_gain(nonlinearity, param) == \
            torch.nn.init.calculate_gain(nonlinearity, param), (nonlinearity, param)


def test_calculate_gain_rejects_unknown():
    with pytest.raises(GluonNotesError, match="unsupported nonlinearity 'gelu'"):
        ginit.calculate_gain("gelu")
    with pytest.raises(GluonNotesError, match="negative slope"):
        ginit.calculate_gain("leaky_relu", True)
    with pytest.raises(GluonNotesError, match="'fan_in' or 'fan_out'"):
        ginit.KaimingNormal(mode="fan_avg")


def test_fan_in_and_fan_out_follow_torch():
    torch = require("torch")
    for shape in [(7, 5), (16, 8, 3, 3), (4, 2, 5), (6, 3, 2, 2, 2)]:
        assert ginit.fan_in_and_fan_out(shape) == \
            torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert ginit.fan_in_and_fan_out((16, 8, 3, 3)) == (8 * 9, 16 * 9)
    with pytest.raises(GluonNotesError, match="at least 2 dimensions"):
        ginit.fan_in_and_fan_out((5,))


# --------------------------------------------------------------------- statistical tests
def dense(deferred=False):
    """A large Dense layer, (out, in) = (512, 1024); deferred: in_units unknown until forward."""
    return nn.Dense(512) if deferred else nn.Dense(512, in_units=1024)


def conv():
    """A large Conv2D weight (out, in, kh, kw) = (128, 64, 3, 3)."""
    return nn.Conv2D(128, kernel_size=3, in_channels=64)


def initialized(layer, init, x_shape):
    layer.initialize(init=init)
    layer(nd.ones(x_shape))          # finishes deferred init when shapes were unknown
    return layer.weight.data().asnumpy(), layer.bias.data().asnumpy()


LAYERS = {"dense": (lambda: dense(), (2, 1024), (1024, 512)),
          "dense-deferred": (lambda: dense(True), (2, 1024), (1024, 512)),
          "conv2d": (conv, (1, 64, 5, 5), (64 * 9, 128 * 9))}

STD_CASES = {  # name: (initializer, std as a function of (fan_in, fan_out))
    "xavier_uniform": (ginit.XavierUniform(gain=5 / 3),
                       lambda i, o: 5 / 3 * math.sqrt(2 / (i + o))),
    "xavier_normal": (ginit.XavierNormal(gain=2.0), lambda i, o: 2 * math.sqrt(2 / (i + o))),
    "kaiming_uniform": (ginit.KaimingUniform(), lambda i, o: math.sqrt(2 / i)),
    "kaiming_normal_out": (ginit.KaimingNormal(mode="fan_out", nonlinearity="relu"),
                           lambda i, o: math.sqrt(2 / o)),
    "kaiming_leaky": (ginit.KaimingNormal(a=0.2, nonlinearity="leaky_relu"),
                      lambda i, o: math.sqrt(2 / (1 + 0.04)) / math.sqrt(i)),
    "kaiming_tanh": (ginit.KaimingUniform(nonlinearity="tanh"), lambda i, o: 5 / 3 / math.sqrt(i)),
    "normal": (ginit.TorchNormal(mean=0.0, std=0.05), lambda i, o: 0.05),
    "uniform": (ginit.TorchUniform(-0.3, 0.3), lambda i, o: 0.6 / math.sqrt(12)),
}


@pytest.mark.parametrize("layer", list(LAYERS))
@pytest.mark.parametrize("case", list(STD_CASES))
def test_sample_std_matches_formula(layer, case):
    make, x_shape, (fan_in, fan_out) = LAYERS[layer]
    init, std = STD_CASES[case]
    w, b = initialized(make(), init, x_shape)
    assert ginit.fan_in_and_fan_out(w.shape) == (fan_in, fan_out)
    assert w.std() == pytest.approx(std(fan_in, fan_out), rel=0.03)
    assert abs(w.mean()) < 0.05 * std(fan_in, fan_out) + 1e-9
    assert not b.any(), "biases keep Gluon's zeros"


def test_uniform_bounds_and_constant():
    w, _ = initialized(dense(), ginit.KaimingUniform(nonlinearity="relu"), (2, 1024))
    bound = math.sqrt(3) * math.sqrt(2 / 1024)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    w, _ = initialized(dense(), ginit.TorchUniform(0.5, 2.0), (2, 1024))
    assert w.min() >= 0.5 and w.max() <= 2.0 and w.mean() == pytest.approx(1.25, rel=0.01)
    w, b = initialized(conv(), ginit.TorchConstant(0.25), (1, 64, 5, 5))
    assert (w == 0.25).all() and not b.any()
    w, _ = initialized(dense(), ginit.TorchNormal(mean=3.0, std=0.1), (2, 1024))
    assert w.mean() == pytest.approx(3.0, rel=1e-3)


def test_std_agrees_with_torch():
    torch = require("torch")
    torch.manual_seed(0)
    t = torch.empty(128, 64, 3, 3)
    pairs = [(ginit.XavierUniform(gain=2.0), lambda: torch.nn.init.xavier_uniform_(t, gain=2.0)),
             (ginit.XavierNormal(), lambda: torch.nn.init.xavier_normal_(t)),
             (ginit.KaimingUniform(a=0.1), lambda: torch.nn.init.kaiming_uniform_(t, a=0.1)),
             (ginit.KaimingNormal(mode="fan_out", nonlinearity="relu"),
              lambda: torch.nn.init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu"))]
    for init, torch_init in pairs:
        w, _ = initialized(conv(), init, (1, 64, 5, 5))
        assert w.std() == pytest.approx(float(torch_init().std()), rel=0.03), init.dumps()


@pytest.mark.parametrize("shape,gain", [((256, 512), 1.0), ((512, 256), 2.0), ((16, 72), 1.0)])
def test_orthogonal(shape, gain):
    out, in_ = shape
    layer = nn.Dense(out, in_units=in_) if shape != (16, 72) else \
        nn.Conv2D(16, kernel_size=3, in_channels=8)
    w, b = initialized(layer, ginit.TorchOrthogonal(gain=gain),
                       (1, in_) if shape != (16, 72) else (1, 8, 3, 3))
    w = w.reshape(out, -1).astype(np.float64)
    gram = w @ w.T if out <= w.shape[1] else w.T @ w   # rows orthonormal, or columns (as torch)
    np.testing.assert_allclose(gram, gain ** 2 * np.eye(gram.shape[0]), atol=1e-5)
    assert not b.any()


def test_eye_is_identity_and_dirac_passes_images_through():
    layer = nn.Dense(64, in_units=64)
    layer.initialize(init=ginit.Eye())
    x = nd.random.normal(shape=(3, 64))
    np.testing.assert_array_equal(layer(x).asnumpy(), x.asnumpy())
    w, _ = initialized(nn.Dense(3, in_units=5), ginit.Eye(), (1, 5))
    np.testing.assert_array_equal(w, np.eye(3, 5))
    c = nn.Conv2D(8, kernel_size=3, padding=1, in_channels=8)
    c.initialize(init=ginit.Dirac())
    x = nd.random.normal(shape=(2, 8, 6, 6))
    np.testing.assert_allclose(c(x).asnumpy(), x.asnumpy(), rtol=1e-6, atol=1e-6)
    with pytest.raises(GluonNotesError, match="use Dirac"):
        initialized(conv(), ginit.Eye(), (1, 64, 5, 5))


def test_sparse_zeros_per_column():
    w, b = initialized(nn.Dense(300, in_units=200), ginit.Sparse(0.1, std=0.02), (1, 200))
    zeros_per_column = (w == 0).sum(axis=0)          # w (out=300, in=200): 200 columns
    assert (zeros_per_column == math.ceil(0.1 * 300)).all()
    assert w[w != 0].std() == pytest.approx(0.02, rel=0.03) and not b.any()
    rows_hit = (w == 0).argmax(axis=0)
    assert len(set(rows_hit.tolist())) > 10, "each column draws its own zero rows"
    with pytest.raises(GluonNotesError, match=r"\[0, 1\]"):
        ginit.Sparse(1.5)


def test_registered_by_name_and_mxnet_names_untouched():
    assert isinstance(mx.init.create("kaimingnormal"), ginit.KaimingNormal)
    assert isinstance(mx.init.create("xavier"), mx.init.Xavier)
    assert isinstance(mx.init.create("uniform"), mx.init.Uniform)
    layer = nn.Dense(512, in_units=1024)
    layer.initialize(init="xavieruniform")
    assert layer.weight.data().asnumpy().std() == pytest.approx(math.sqrt(2 / 1536), rel=0.03)
    assert ginit.XavierNormal(gain=2.0).dumps() == '["xaviernormal", {"gain": 2.0}]'


def test_bias_defaults_and_pytorch_style_bias():
    class Affine(gluon.Block):  # bare parameters without their own initializers
        def __init__(self):
            super().__init__()
            self.weight = self.params.get("weight", shape=(4, 3))
            self.bias = self.params.get("bias", shape=(4,))
            self.gamma = self.params.get("gamma", shape=(4,))

    for init in (ginit.KaimingUniform(), "kaiminguniform", ginit.TorchNormal()):
        blk = Affine()
        blk.initialize(init=init)
        assert not blk.bias.data().asnumpy().any() and blk.weight.data().asnumpy().all()
        assert (blk.gamma.data().asnumpy() == 1).all()
    bound = 1 / math.sqrt(1024)   # PyTorch's Linear default bias: U(-1/sqrt(fan_in), ...)
    layer = nn.Dense(512, in_units=1024, bias_initializer=ginit.TorchUniform(-bound, bound))
    layer.initialize(init=ginit.KaimingUniform(a=math.sqrt(5)))
    b = layer.bias.data().asnumpy()
    assert np.abs(b).max() <= bound and b.std() == pytest.approx(2 * bound / math.sqrt(12), rel=0.1)
    with pytest.raises(GluonNotesError, match="not biases"):
        nn.Dense(4, in_units=3, bias_initializer=ginit.XavierUniform()).initialize()


def test_repeatable_with_mxnet_seed():
    def draw(seed, init):
        mx.random.seed(seed)
        return initialized(nn.Dense(64, in_units=32), init, (1, 32))[0]
    for init in (ginit.KaimingNormal(), ginit.KaimingUniform(), ginit.TorchOrthogonal(),
                 ginit.Sparse(0.5)):
        np.testing.assert_array_equal(draw(3, init), draw(3, init))
        assert not np.array_equal(draw(3, init), draw(4, init))
