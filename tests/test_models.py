"""Every chapter-5 model in the registry: shapes, deferred init, hybrid parity, one SGD step."""
import numpy as np
import mxnet as mx
import pytest
from mxnet import autograd, gluon, nd

from gluon_notes.errors import GluonNotesError, InputShapeError
from gluon_notes.models import _MODELS, get_model, list_models
from gluon_notes.models.cnn import get_lenet, get_vgg
from gluon_notes.models.resnet import get_resnet
from parity import assert_deferred_init, assert_train_parity

LENET = (8, 1, 28, 28)
# name: (test input shape, {parameter-name suffix: shape after inference})
MODELS = {
    "lenet": (LENET, {"_conv0_weight": (6, 1, 5, 5), "dense0_weight": (120, 256),
                      "dense2_weight": (10, 84)}),
    "lenet_bn": (LENET, {"_conv1_weight": (16, 6, 5, 5), "batchnorm2_gamma": (120,)}),
    "lenet_bn_scratch": (LENET, {"_conv1_weight": (16, 6, 5, 5),
                                 "batchnorm2_moving_mean": (120,)}),
    "lenet_relu_bn": (LENET, {"_dense0_weight": (120, 256), "batchnorm3_beta": (84,)}),
    "alexnet": ((1, 1, 224, 224), {"_conv0_weight": (96, 1, 11, 11),
                                   "dense0_weight": (4096, 6400)}),
    "vgg11": ((1, 1, 224, 224), {"_conv0_weight": (16, 1, 3, 3),
                                 "dense0_weight": (4096, 128 * 7 * 7)}),
    "nin": ((1, 1, 224, 224), {"_conv0_weight": (96, 1, 11, 11), "conv9_weight": (10, 384, 3, 3)}),
    "googlenet": ((2, 1, 96, 96), {"_conv0_weight": (64, 1, 7, 7), "dense0_weight": (10, 1024)}),
    "resnet18": ((2, 1, 96, 96), {"_conv0_weight": (64, 1, 7, 7), "dense0_weight": (10, 512)}),
    "resnet34": ((2, 1, 64, 64), {"_conv0_weight": (64, 1, 7, 7), "dense0_weight": (10, 512)}),
    "resnet18_small": ((2, 1, 28, 28), {"_conv0_weight": (64, 1, 3, 3),
                                        "dense0_weight": (10, 512)}),
    "densenet": ((2, 1, 96, 96), {"_conv0_weight": (64, 1, 7, 7), "dense0_weight": (10, 248)}),
}
CNN_MODULES = ("gluon_notes.models.cnn", "gluon_notes.models.resnet",
               "gluon_notes.models.densenet")


def factory(name, **kw):
    return lambda: get_model(name, **kw)


def test_every_chapter5_model_is_tested():
    registered = {n for n in list_models() if _MODELS[n].__module__ in CNN_MODULES}
    assert registered == set(MODELS)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_output_shape_and_classes(name):
    shape, _ = MODELS[name]
    net = get_model(name, classes=3)
    net.initialize(mx.init.Xavier())
    assert net(nd.random.uniform(shape=shape)).shape == (shape[0], 3)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_deferred_init_shapes(name):
    shape, expected = MODELS[name]
    assert_deferred_init(factory(name), nd.random.uniform(shape=shape), expected)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_hybrid_parity(name):
    """Whole-graph hybridization changes neither outputs nor input gradients."""
    shape, _ = MODELS[name]
    net = get_model(name)
    assert isinstance(net, gluon.HybridBlock)
    y, g = assert_train_parity(factory(name), nd.random.uniform(shape=shape),
                               rtol=1e-4, atol=1e-5)
    assert y.shape == (shape[0], 10) and np.isfinite(g).all() and np.abs(g).sum() > 0


@pytest.mark.parametrize("name", sorted(MODELS))
def test_hybridize_caches_the_whole_graph(name):
    """After one hybridized call the net runs as one cached graph covering every parameter."""
    shape, _ = MODELS[name]
    net = get_model(name)
    net.initialize(mx.init.Xavier())
    net.hybridize()
    net(nd.random.uniform(shape=shape))
    graph_inputs = set(net._cached_graph[1].list_inputs())  # noqa: SLF001
    assert set(net.collect_params()) <= graph_inputs


@pytest.mark.parametrize("name", sorted(MODELS))
def test_one_sgd_step_lowers_the_loss(name):
    shape, _ = MODELS[name]
    X = nd.random.uniform(shape=shape)
    y = nd.arange(shape[0]) % 10
    net = get_model(name)
    net.initialize(mx.init.Xavier())
    net.hybridize()
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 1e-3})

    def train_loss(backward):
        mx.random.seed(3)  # the same dropout masks before and after the step
        with autograd.record():
            l = loss(net(X), y)
        if backward:
            l.backward()
        return l.mean().asscalar()

    before = train_loss(backward=True)
    trainer.step(shape[0])
    after = train_loss(backward=False)
    assert np.isfinite(after) and after < before


def test_unknown_model_lists_the_valid_names():
    with pytest.raises(GluonNotesError) as err:
        get_model("resnet19")
    for name in MODELS:
        assert name in str(err.value)


@pytest.mark.parametrize("build,match", [
    (lambda: get_lenet(norm="layer"), "norm must be"),
    (lambda: get_resnet(50), "choose one of \\[18, 34\\]"),
    (lambda: get_resnet(18, stem="huge"), "stem must be"),
    (lambda: get_vgg(16), "choose one of \\[11\\]")])
def test_builders_reject_unknown_settings(build, match):
    with pytest.raises(GluonNotesError, match=match):
        build()


@pytest.mark.parametrize("name", sorted(MODELS))
def test_a_flat_input_is_one_sentence_naming_the_model(name):
    net = get_model(name)
    net.initialize()
    side = MODELS[name][0][-1]
    with pytest.raises(InputShapeError, match=r"^%s takes inputs of shape \(N, 1, \d+, \d+\) but "
                                              r"got \(2, %d\)" % (name, side * side)):
        net(nd.zeros((2, side * side)))


@pytest.mark.parametrize("name", ["mlp", "softmax_regression", "mlp_scratch", "softmax_scratch",
                                  "mlp_dropout_scratch"])
def test_chapter3_models_name_the_features_of_their_first_input(name):
    net = get_model(name)
    net.initialize()
    assert net(nd.ones((2, 1, 6, 6))).shape == (2, 10)  # any size until the first call
    with pytest.raises(InputShapeError, match=r"^%s takes inputs of shape \(N, 1, 6, 6\) but got "
                                              r"\(2, 20\)" % name):
        net(nd.ones((2, 20)))
