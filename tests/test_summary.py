"""The shape/parameter table: the book's printed shapes and the convolution parameter rule."""
import pytest
from mxnet import nd

from gluon_notes.errors import GluonNotesError
from gluon_notes.models import get_model
from gluon_notes.summary import count_params, format_summary, summary


def test_lenet_table_matches_the_book():
    rows = summary(get_model("lenet"), input_shape=(1, 1, 28, 28))
    assert [(r.name, r.output_shape, r.params) for r in rows] == [
        ("lenet_conv0", (1, 6, 24, 24), 1 * 5 * 5 * 6 + 6),
        ("lenet_pool0", (1, 6, 12, 12), 0),
        ("lenet_conv1", (1, 16, 8, 8), 6 * 5 * 5 * 16 + 16),
        ("lenet_pool1", (1, 16, 4, 4), 0),
        ("lenet_dense0", (1, 120), 256 * 120 + 120),
        ("lenet_dense1", (1, 84), 120 * 84 + 84),
        ("lenet_dense2", (1, 10), 84 * 10 + 10)]


@pytest.mark.parametrize("name,shape", [("alexnet", (1, 1, 224, 224)),
                                        ("vgg11", (1, 1, 224, 224)),
                                        ("nin", (1, 1, 224, 224))])
def test_conv_rows_follow_the_parameter_rule(name, shape):
    """params = in_channels * k * k * out_channels + out_channels for every convolution."""
    net = get_model(name)
    rows = summary(net, input_shape=shape)
    in_channels, checked = shape[1], 0
    convs = {b.name: b for b in _walk(net) if type(b).__name__ == "Conv2D"}
    for r in rows:
        if r.name in convs:
            k = convs[r.name]._kwargs["kernel"][0]  # noqa: SLF001
            assert r.params == in_channels * k * k * r.output_shape[1] + r.output_shape[1]
            checked += 1
        in_channels = r.output_shape[1]
    assert checked == len(convs) > 0
    assert sum(r.params for r in rows) == count_params(net)


def _walk(block):
    yield block
    for child in block._children.values():  # noqa: SLF001
        yield from _walk(child)


def test_alexnet_shapes_match_the_book():
    rows = summary(get_model("alexnet"), input_shape=(1, 1, 224, 224))
    assert [r.output_shape for r in rows][:8] == [
        (1, 96, 54, 54), (1, 96, 26, 26), (1, 256, 26, 26), (1, 256, 12, 12),
        (1, 384, 12, 12), (1, 384, 12, 12), (1, 256, 12, 12), (1, 256, 5, 5)]


def test_resnet18_rows_are_blocks_and_totals_count_moving_statistics():
    net = get_model("resnet18")
    net.hybridize()  # summary runs it imperatively to see each block
    rows = summary(net, input_shape=(1, 1, 96, 96))
    assert [r.output_shape for r in rows if r.kind == "Residual"] == [
        (1, 64, 24, 24), (1, 64, 24, 24), (1, 128, 12, 12), (1, 128, 12, 12),
        (1, 256, 6, 6), (1, 256, 6, 6), (1, 512, 3, 3), (1, 512, 3, 3)]
    text = format_summary(rows, net)
    assert "trainable params: 11,178,378" in text
    assert "moving statistics): 7,808" in text


def test_too_small_input_is_a_clear_error():
    with pytest.raises(GluonNotesError, match="larger --resize"):
        summary(get_model("alexnet"), X=nd.zeros((1, 1, 28, 28)))
