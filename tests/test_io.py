"""Reading and writing (book 4.5): nd.save/load, parameter and export round trips, errors."""
import threading

import numpy as np
import mxnet as mx
import pytest
from mxnet import nd
from mxnet.gluon import nn

from gluon_notes.errors import GluonNotesError
from gluon_notes.io import export, imports, load_parameters, save_parameters
from gluon_notes.layers import CenteredLayer, Conv2D, MyDense
from gluon_notes.models.construction import (MLP, FancyMLP, HybridMLP, HybridNestMLP,
                                             MyHybridSequential, MySequential, NestMLP,
                                             shared_mlp)

pytestmark = pytest.mark.filterwarnings("ignore:All children of this Sequential")

X = nd.random.uniform(shape=(2, 20))  # (B, d)
X_IMG = nd.random.uniform(shape=(2, 1, 6, 8))  # (N, C, H, W)


def _seq(cls):
    def make():
        net = cls()
        net.add(nn.Dense(8, activation="relu"), nn.Dense(3))
        return net
    return make


NETS = dict(mlp=(MLP, X), hybrid_mlp=(HybridMLP, X), my_sequential=(_seq(MySequential), X),
            my_hybrid_sequential=(_seq(MyHybridSequential), X), fancy_mlp=(FancyMLP, X),
            nest_mlp=(NestMLP, X), hybrid_nest_mlp=(HybridNestMLP, X),
            shared_mlp=(shared_mlp, X), mydense=(lambda: MyDense(4), X),
            conv2d=(lambda: Conv2D((1, 2)), X_IMG))
HYBRID = {k: v for k, v in NETS.items()
          if k not in ("mlp", "my_sequential", "fancy_mlp", "nest_mlp")}
HYBRID["centered"] = (CenteredLayer, X)


def test_nd_save_load_array_list_dict(tmp_path):
    x, y = nd.arange(4), nd.zeros(4)
    nd.save(str(tmp_path / "x"), x)
    assert (nd.load(str(tmp_path / "x"))[0] == x).asnumpy().all()  # one array comes back a list
    nd.save(str(tmp_path / "xy"), [x, y])
    x2, y2 = nd.load(str(tmp_path / "xy"))
    assert (x2 == x).asnumpy().all() and (y2 == y).asnumpy().all()
    nd.save(str(tmp_path / "d"), {"x": x, "y": y})
    d = nd.load(str(tmp_path / "d"))
    assert sorted(d) == ["x", "y"] and (d["x"] == x).asnumpy().all()


@pytest.mark.parametrize("make_net, X", NETS.values(), ids=NETS.keys())
def test_save_load_parameters_bit_identical(make_net, X, tmp_path):
    net = make_net()
    net.initialize(mx.init.Normal(0.5))
    y = net(X).asnumpy()
    path = save_parameters(net, tmp_path / "net.params")
    assert path.is_file() and not list(tmp_path.glob("*.tmp"))
    clone = load_parameters(make_net(), path)  # deferred shapes are filled in from the file
    assert np.array_equal(clone(X).asnumpy(), y)


@pytest.mark.parametrize("make_net, X", HYBRID.values(), ids=HYBRID.keys())
def test_export_imports_bit_identical(make_net, X, tmp_path):
    net = make_net()
    net.initialize(mx.init.Normal(0.5))
    symbol_file, params_file = export(net, tmp_path / "net", X)
    y = net(X).asnumpy()
    assert (tmp_path / "net-symbol.json").is_file() and (tmp_path / "net-0000.params").is_file()
    assert symbol_file.endswith("-symbol.json") and params_file.endswith("-0000.params")
    loaded = imports(tmp_path / "net")
    assert isinstance(loaded, nn.SymbolBlock)
    assert np.array_equal(loaded(X).asnumpy(), y)


def test_load_parameters_on_another_context(tmp_path):
    net = MyDense(3, in_units=4)
    net.initialize()
    save_parameters(net, tmp_path / "p")
    clone = load_parameters(MyDense(3, in_units=4), tmp_path / "p", ctx=mx.cpu(1))
    assert clone.weight.list_ctx() == [mx.cpu(1)]
    X4 = nd.ones((2, 4), ctx=mx.cpu(1))
    assert np.array_equal(clone(X4).asnumpy(), net(X4.as_in_context(mx.cpu(0))).asnumpy())


def _saved(tmp_path, net, X):
    net.initialize()
    net(X)
    return save_parameters(net, tmp_path / "other.params")


def _one_sentence(msg):
    return msg.endswith(".") and ". " not in msg


@pytest.mark.parametrize("make_saved, make_target, X, words", [
    (lambda: nn.Dense(3, in_units=4), lambda: nn.Dense(3, in_units=5), nd.ones((1, 4)),
     "parameter weight has shape (3, 4) in the file but (3, 5)"),
    (HybridMLP, HybridNestMLP, X, "has no value for parameter"),
    (HybridNestMLP, HybridMLP, X, "has no value for parameter"),
    (lambda: MyDense(3), lambda: nn.Dense(3), nd.ones((1, 4)),
     "parameter weight has shape (4, 3) in the file but (3, 0)"),
    (shared_mlp, lambda: _seq(MySequential)(), X, "it holds parameter"),
], ids=["dense-in-units", "mlp-into-nest", "nest-into-mlp", "mydense-into-dense",
        "extra-layer"])
def test_mismatch_is_one_sentence(make_saved, make_target, X, words, tmp_path):
    path = _saved(tmp_path, make_saved(), X)
    with pytest.raises(GluonNotesError) as err:
        load_parameters(make_target(), path)
    msg = str(err.value)
    assert words in msg and str(path) in msg and _one_sentence(msg), msg
    assert "architecture it was saved from" in msg


def test_allow_missing_and_ignore_extra_pass_through(tmp_path):
    path = _saved(tmp_path, shared_mlp(), X)  # four layers, three parameter sets
    net = _seq(MySequential)()  # '0' and '1' exist in the file, with other shapes
    with pytest.raises(GluonNotesError, match="shape"):
        load_parameters(net, path, ignore_extra=True)
    small = nn.HybridSequential()
    small.add(nn.Dense(8, activation="relu"))
    load_parameters(small, path, ignore_extra=True)
    assert small[0].weight.shape == (8, 20)


@pytest.mark.parametrize("content, words", [
    (None, "does not exist"), (b"not a params file", "not a readable MXNet parameter file"),
    ("truncated", "truncated"), ("list", "holds a list of arrays"), ("folder", "is a folder"),
], ids=["missing", "corrupt", "truncated", "list", "folder"])
def test_bad_files(content, words, tmp_path):
    path = tmp_path / "bad.params"
    if content == "list":
        nd.save(str(path), [nd.ones(2)])
    elif content == "truncated":
        net = nn.Dense(2, in_units=300)
        net.initialize()
        save_parameters(net, path)
        path.write_bytes(path.read_bytes()[:1000])
    elif content == "folder":
        path.mkdir()
    elif content is not None:
        path.write_bytes(content)
    with pytest.raises(GluonNotesError, match=words) as err:
        load_parameters(nn.Dense(2), path)
    assert _one_sentence(str(err.value)) and str(path) in str(err.value)


def test_concurrent_saves_to_one_path_never_collide(tmp_path):
    """Eight threads saving to one path at once: each save completes, the file loads, and no
    temporary file is left (a fixed temporary name made most of these runs crash)."""
    net = nn.Dense(64, in_units=256)
    net.initialize()
    path, errors = tmp_path / "a.params", []

    def save():
        try:
            for _ in range(4):
                save_parameters(net, path)
        except Exception as err:  # noqa: BLE001 - collected and asserted below
            errors.append(err)
    threads = [threading.Thread(target=save) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.params"]
    loaded = load_parameters(nn.Dense(64, in_units=256), path)
    assert np.array_equal(loaded.weight.data().asnumpy(), net.weight.data().asnumpy())


def test_export_file_into_block_points_to_imports(tmp_path):
    net = HybridMLP()
    net.initialize()
    _, params_file = export(net, tmp_path / "m", X)
    with pytest.raises(GluonNotesError, match=r"written by export.*imports\(prefix\)") as err:
        load_parameters(net, params_file)
    assert _one_sentence(str(err.value))


def test_export_errors(tmp_path):
    block = MLP()
    block.initialize()
    with pytest.raises(GluonNotesError, match="only a HybridBlock"):
        export(block, tmp_path / "m", X)
    net = HybridMLP()
    net.initialize()
    with pytest.raises(GluonNotesError, match="example input"):
        export(net, tmp_path / "m")
    with pytest.raises(GluonNotesError, match="does not exist"):
        imports(tmp_path / "nothing")
