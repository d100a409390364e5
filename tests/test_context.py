import mxnet as mx
import pytest

from gluon_notes import GluonNotesError, parse_ctx, try_all_gpus, try_gpu
from gluon_notes.context import as_ctx_list


def test_try_gpu_falls_back_to_cpu_without_gpus():
    assert try_gpu() == mx.cpu() and try_gpu(3) == mx.cpu()
    assert try_all_gpus() == [mx.cpu()]


@pytest.mark.parametrize("text, expected", [
    ("cpu", [mx.cpu(0)]),
    ("cpu:0,1", [mx.cpu(0), mx.cpu(1)]),
    ("CPU:2", [mx.cpu(2)]),
    ("gpu", [mx.cpu(0)]),  # no GPU here: like try_gpu
])
def test_parse_ctx(text, expected):
    assert parse_ctx(text) == expected


@pytest.mark.parametrize("text", ["tpu", "cpu:", "cpu:a", "gpu:0;1", "cpu:0,0", ""])
def test_parse_ctx_rejects_malformed(text):
    with pytest.raises(GluonNotesError, match="ctx"):
        parse_ctx(text)


def test_parse_ctx_rejects_missing_gpu():
    with pytest.raises(GluonNotesError, match="GPU 1"):
        parse_ctx("gpu:1")


def test_as_ctx_list():
    assert as_ctx_list(mx.cpu(1)) == [mx.cpu(1)]
    assert as_ctx_list("cpu:0,1") == [mx.cpu(0), mx.cpu(1)]
    with pytest.raises(GluonNotesError):
        as_ctx_list([])


def test_context_holds_the_device_lists_and_the_checks():
    """One concept, one module: gluon_notes.devices is gone."""
    import importlib.util
    from gluon_notes import context
    assert importlib.util.find_spec("gluon_notes.devices") is None
    for name in ("ContextError", "ContextChecked", "check_same_context", "checked_forward",
                 "try_gpu", "try_all_gpus", "parse_ctx", "as_ctx_list"):
        assert callable(getattr(context, name))
    assert issubclass(context.ContextError, GluonNotesError)
