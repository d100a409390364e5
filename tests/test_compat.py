"""The one module touching MXNet's private API checks the version once and answers correctly."""
import mxnet as mx
import pytest
from mxnet import gluon, nd

from gluon_notes import compat
from gluon_notes.errors import GluonNotesError


def test_another_mxnet_is_refused_in_one_sentence(monkeypatch):
    monkeypatch.setattr(compat, "_checked", False)
    monkeypatch.setattr(mx, "__version__", "2.0.0")
    with pytest.raises(GluonNotesError, match=r"version 1\.9, but mxnet 2\.0\.0 is installed") \
            as info:
        compat.param_state(gluon.Parameter("w", shape=(2,)))
    assert "\n" not in str(info.value)


def test_param_state_follows_initialization():
    dense = gluon.nn.Dense(3)
    assert compat.param_state(dense.weight) == "none"
    dense.initialize(ctx=[mx.cpu(0), mx.cpu(1)])
    assert compat.param_state(dense.weight) == "deferred"
    assert compat.deferred_ctx(dense.weight) == [mx.cpu(0), mx.cpu(1)]
    dense(nd.ones((2, 5)))
    assert compat.param_state(dense.weight) == "ready"
    assert dense.weight.shape == (3, 5)


def test_block_accessors():
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(4), gluon.nn.BatchNorm(use_global_stats=True))
    assert [type(c).__name__ for c in compat.children(net)] == ["Dense", "BatchNorm"]
    assert compat.block_kwargs(compat.children(net)[1])["use_global_stats"] is True
    assert compat.is_active(net) is False
    net.hybridize()
    assert compat.is_active(net) is True
    compat.set_active(net, False)
    assert compat.is_active(net) is False
    net.initialize()
    net(nd.ones((2, 3)))
    assert sorted(compat.params_with_prefix(net)) == [
        "0.bias", "0.weight", "1.beta", "1.gamma", "1.running_mean", "1.running_var"]


def test_trainer_kvstore_exists_before_the_first_step():
    ctx = [mx.cpu(0), mx.cpu(1)]  # one device needs no KVStore: MXNet then makes none
    dense = gluon.nn.Dense(2, in_units=3)
    dense.initialize(ctx=ctx)
    trainer = gluon.Trainer(dense.collect_params(), "sgd", {"learning_rate": 0.1},
                            kvstore="local")
    assert compat.trainer_kvstore(trainer) is None  # MXNet makes it on the first step
    kv = compat.init_trainer_kvstore(trainer)
    assert kv is not None and kv.rank == 0 and kv.num_workers == 1
    assert compat.trainer_kvstore(trainer) is kv
