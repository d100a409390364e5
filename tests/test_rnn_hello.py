"""rnn_hello: the notes' shapes, a from-scratch cell equal to Gluon's, [W_xh, W_hh][x; h],
the hand-stepped cell equal to rnn.RNN, and "hello" -> "ohlol" with all three variants."""
import numpy as np
import pytest
from mxnet import nd
from mxnet.gluon import rnn

from gluon_notes import rnn_hello
from gluon_notes.errors import GluonNotesError


def test_shapes_are_the_notes():
    s = rnn_hello.shapes(batch_size=1, seq_len=3, input_size=4, hidden_size=2, num_layers=1)
    assert s == dict(cell_input=(1, 4), cell_hidden=(1, 2), cell_output=(1, 2),
                     rnn_input=(3, 1, 4), rnn_hidden=(1, 1, 2), rnn_output=(3, 1, 2),
                     rnn_hidden_out=(1, 1, 2))
    s = rnn_hello.shapes(batch_size=5, seq_len=7, input_size=3, hidden_size=6, num_layers=2)
    assert (s["rnn_input"], s["rnn_hidden"], s["rnn_output"]) == ((7, 5, 3), (2, 5, 6),
                                                                  (7, 5, 6))


def test_scratch_cell_equals_gluons_for_the_same_weights():
    cell = rnn.RNNCell(3, activation="tanh", input_size=4)
    cell.initialize()
    for p in cell.collect_params().values():      # non-zero biases too
        p.set_data(nd.random.normal(shape=p.shape))
    x, h = nd.random.normal(shape=(2, 4)), nd.random.normal(shape=(2, 3))
    out, (h_new,) = cell(x, [h])
    mine = rnn_hello.rnn_cell_scratch(x, h, *rnn_hello.cell_weights(cell))
    np.testing.assert_allclose(mine.asnumpy(), h_new.asnumpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(mine.asnumpy(), out.asnumpy(), rtol=1e-5, atol=1e-6)


def test_two_products_are_one_stacked_product():
    W_xh, W_hh = nd.random.normal(shape=(3, 4)), nd.random.normal(shape=(3, 3))
    x, h = nd.random.normal(shape=(4,)), nd.random.normal(shape=(3,))
    two = nd.dot(W_xh, x) + nd.dot(W_hh, h)
    np.testing.assert_allclose(rnn_hello.stacked_product(W_xh, W_hh, x, h).asnumpy(),
                               two.asnumpy(), rtol=1e-5, atol=1e-6)


def test_the_hand_stepped_cell_equals_rnn_over_the_sequence():
    cellnet, seqnet = rnn_hello.CellNet(), rnn_hello.SeqNet()
    cellnet.initialize()
    seqnet.initialize()
    for a, b in zip(cellnet.collect_params().values(), seqnet.collect_params().values()):
        b.set_data(a.data() + 0.3)                  # same weights (and the same order)
        a.set_data(b.data())
    X = nd.random.normal(shape=(5, 2, 4))            # (T, N, C)
    np.testing.assert_allclose(cellnet(X).asnumpy(), seqnet(X).asnumpy(), rtol=1e-5, atol=1e-6)


def test_data_is_hello_and_ohlol():
    X, y = rnn_hello.hello_data()
    assert X.shape == (5, 1, 4) and rnn_hello.decode(X.argmax(axis=2).reshape((-1,))) == "hello"
    assert rnn_hello.decode(y) == "ohlol"
    Xi, _ = rnn_hello.hello_data(one_hot=False)
    assert Xi.shape == (5, 1) and rnn_hello.decode(Xi.reshape((-1,))) == "hello"
    with pytest.raises(GluonNotesError, match="vocabulary"):
        rnn_hello.encode("help")


@pytest.mark.parametrize("variant", list(rnn_hello.VARIANTS))
def test_each_variant_learns_ohlol(variant):
    net, h, predictions = rnn_hello.train_variant(variant, max_epochs=100, seed=0)
    assert predictions[-1] == "ohlol" and len(h) == len(predictions) <= 100
    assert "ohlol" not in predictions[:-1]          # it stopped at the first "ohlol"
    X, _ = rnn_hello.hello_data(one_hot=variant != "embedding")
    assert rnn_hello.decode(net(X).argmax(axis=1)) == "ohlol"
    assert h["loss"][-1] < h["loss"][0]


def test_too_few_epochs_is_one_sentence():
    with pytest.raises(GluonNotesError, match=r"after 1 epoch\(s\); raise --epochs"):
        rnn_hello.train_variant("cell", max_epochs=1, seed=0)
