"""Context checks (book 4.6) on two CPU contexts, which run the same code as two GPUs."""
import mxnet as mx
import pytest
from mxnet import nd
from mxnet.gluon import nn

from gluon_notes.context import ContextError, check_same_context, checked_forward
from gluon_notes.errors import GluonNotesError
from gluon_notes.layers import CenteredLayer, Conv2D, Conv2DBlock, MyDense, MyDenseBlock

CTX = [mx.cpu(0), mx.cpu(1)]


def _one_sentence(text):
    return text.count(". ") == 0 and text.endswith(".")


@pytest.mark.parametrize("make_net, shape", [
    (lambda: MyDense(3), (2, 4)),
    (lambda: MyDenseBlock(3, in_units=4), (2, 4)),
    (lambda: Conv2D(2), (4, 4)),
    (lambda: Conv2DBlock(2), (4, 4)),
], ids=["mydense", "mydense-block", "conv2d", "conv2d-block"])
def test_layer_names_both_contexts_and_the_fix(make_net, shape):
    net = make_net()
    net.initialize(ctx=CTX[0])
    X = nd.ones(shape, ctx=CTX[1])
    with pytest.raises(ContextError) as err:
        net(X)
    msg = str(err.value)
    assert "cpu(1)" in msg and "cpu(0)" in msg and _one_sentence(msg)
    assert "as_in_context(mx.cpu(0))" in msg and "reset_ctx(mx.cpu(1))" in msg
    assert isinstance(err.value, GluonNotesError)


@pytest.mark.parametrize("make_net, shape", [
    (lambda: MyDense(3), (2, 4)), (lambda: Conv2D(2), (4, 4)), (CenteredLayer, (3, 3)),
], ids=["mydense", "conv2d", "centered"])
def test_moving_data_or_params_fixes_it(make_net, shape):
    net = make_net()
    net.initialize(ctx=CTX[0])
    X = nd.random.normal(shape=shape, ctx=CTX[1])
    y0 = net(X.as_in_context(CTX[0]))                       # move the data ...
    net.collect_params().reset_ctx(CTX[1])                  # ... or the parameters
    y1 = net(X)
    assert y0.context == CTX[0] and y1.context == CTX[1]
    assert (y0.asnumpy() == y1.asnumpy()).all()


def test_parameters_on_several_contexts():
    net = nn.Dense(2)
    net.initialize(ctx=CTX)
    X = nd.ones((1, 3), ctx=CTX[1])
    assert check_same_context(X, net) == CTX[1]
    net(X)
    assert [p.list_ctx() for p in net.collect_params().values()] == [CTX, CTX]
    assert net.weight.data(CTX[1]).context == CTX[1]


def test_arrays_on_different_contexts():
    a, b = nd.ones((2,), ctx=CTX[0]), nd.ones((2,), ctx=CTX[1])
    assert check_same_context(a, a.copy()) == CTX[0]
    with pytest.raises(ContextError, match=r"array #0 is on cpu\(0\) but array #1 is on cpu\(1\)"):
        check_same_context(a, b)


def test_parameter_check_and_uninitialized_ignored():
    dense = nn.Dense(2, in_units=3)
    assert check_same_context(nd.ones((1, 3), ctx=CTX[1]), dense) == CTX[1]  # nothing placed
    dense.initialize(ctx=CTX[1])
    assert check_same_context(dense.weight) == CTX[1]
    with pytest.raises(ContextError, match="parameter dense.*_weight is on cpu"):
        check_same_context(nd.ones((1, 3)), dense.weight)
    with pytest.raises(TypeError):
        check_same_context("cpu")


@pytest.mark.parametrize("make_layer", [lambda: nn.Dense(2), lambda: MyDense(2)],
                         ids=["dense", "mydense"])
def test_checked_forward_on_hybridized_container(make_layer):
    net = nn.HybridSequential()
    net.add(make_layer())
    net.initialize(ctx=CTX[0])
    net.hybridize()
    assert checked_forward(net, nd.ones((1, 3), ctx=CTX[0])).shape == (1, 2)
    with pytest.raises(ContextError, match=r"the input is on cpu\(1\) but the parameters of "
                                           r"hybridsequential\d+ are on cpu\(0\)"):
        checked_forward(net, nd.ones((1, 3), ctx=CTX[1]))
