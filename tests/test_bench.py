"""``gluon-notes bench``: outputs, the correctness check, the PyTorch column (no timing asserts)."""
import json

import numpy as np
import pytest
from mxnet import nd
from mxnet.gluon import nn

from gluon_notes import bench
from gluon_notes.bench import core as bench_core, models as bench_models
from gluon_notes.bench.models import BenchModel, MODELS, copy_to_torch, import_torch
from gluon_notes.errors import GluonNotesError

TINY = ["--number", "2", "--repeats", "2", "--loop-samples", "64", "--loop-batch-size", "16",
        "--epochs", "2"]


def run_bench(tmp_path, *argv):
    out = tmp_path / "bench"
    bench.main(list(argv) + TINY + ["--out", str(out)])
    return out, json.loads((out / "bench.json").read_text())


def test_outputs_structure(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("GLUON_NOTES_PERF", raising=False)  # each loop model: its own profile
    out, doc = run_bench(tmp_path, "--models", "book_net,softmax", "--loop-models", "softmax")
    assert (out / "bench.png").stat().st_size > 1000
    m = doc["machine"]
    assert {"cpu", "cores", "threads", "mxnet", "features", "loadavg"} <= set(m)
    assert m["mxnet"] == "1.9.1" and "MKLDNN" in m["features"]
    rows = doc["results"]
    for model in ("book_net", "softmax"):
        for workload in ("inference", "train"):
            sel = {r["mode"]: r for r in rows if r["model"] == model and r["workload"] == workload}
            assert set(sel) == {"imperative", "hybridize", "static", "torch"}
            for mode in ("imperative", "hybridize", "static"):
                r = sel[mode]
                assert r["status"] == "ok" and len(r["ms_per_call"]) == 2 and r["number"] == 2
                assert r["ms_min"] <= r["ms_median"] <= r["ms_max"] and r["first_call_ms"] > 0
                assert r["throughput"] > 0 and r["speedup_vs_imperative"] > 0
            assert sel["imperative"]["speedup_vs_imperative"] == 1.0
    loop = {r["mode"]: r for r in rows if r["workload"] == "loop"}
    assert set(loop) == {"imperative", "hybridize", "static", "torch"}
    assert len(loop["static"]["samples_per_sec"]) == 1  # 2 epochs, the first is a warm-up
    assert {loop[m]["cpu"]["profile"] for m in ("imperative", "static")} == {"default"}
    assert loop["static"]["cpu"]["engine"] and loop["static"]["cpu"]["mxnet_omp_threads"] >= 1
    printed = capsys.readouterr().out
    assert "inference, batch 1" in printed and "loop, batch 16" in printed
    assert "book_net" in printed and "bench.json" in printed


def test_torch_threads_option_sets_the_peer_threads(tmp_path, monkeypatch):
    monkeypatch.setattr(bench_models, "_TORCH_THREADS", [])
    _, doc = run_bench(tmp_path, "--models", "softmax", "--modes", "static",
                       "--workloads", "inference", "--torch-threads", "1")
    assert doc["settings"]["torch_threads"] == 1
    if doc["machine"]["torch"] is not None:
        assert doc["machine"]["torch_threads"] == 1
        assert any(r["mode"] == "torch" and r.get("throughput") for r in doc["results"])


def test_torch_not_installed(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(bench_core, "import_torch", lambda: None)
    _, doc = run_bench(tmp_path, "--models", "softmax", "--modes", "static",
                       "--workloads", "inference,loop")
    peers = [r for r in doc["results"] if r["mode"] == "torch"]
    assert doc["peer"] == "not installed" and doc["machine"]["torch"] is None
    assert {r["workload"] for r in peers} == {"inference", "loop"}
    assert all(r["status"] == "not installed" and "throughput" not in r for r in peers)
    assert "not installed" in capsys.readouterr().out


class BranchesOnF(nn.HybridBlock):
    """Gives a different answer hybridized: Python reads F, which differs under hybridize."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.dense = nn.Dense(3)

    def hybrid_forward(self, F, x):
        y = self.dense(x)
        return y * 2 if F is nd else y


def test_modes_that_disagree_are_not_reported(tmp_path, monkeypatch):
    bad = BenchModel("bad", BranchesOnF, (4,), 3)
    monkeypatch.setitem(MODELS, "bad", bad)
    out = tmp_path / "bench"
    with pytest.raises(GluonNotesError, match=r"bad \(inference\): the output of mode "
                                              r"'hybridize' differs from imperative"):
        bench.main(["--models", "bad", "--workloads", "inference,train", "--out", str(out)]
                   + TINY)
    assert not (out / "bench.json").exists() and not (out / "bench.png").exists()


@pytest.mark.parametrize("argv, match", [
    (["--models", "nope"], "unknown model nope"),
    (["--modes", "fast"], "unknown mode fast"),
    (["--ctx", "cpu:0,1"], "one device"),
    (["--epochs", "1"], "at least 2"),
])
def test_bad_arguments_are_one_sentence(tmp_path, argv, match):
    with pytest.raises(GluonNotesError, match=match):
        bench.main(argv + ["--out", str(tmp_path)])


@pytest.mark.skipif(import_torch() is None, reason="PyTorch is not installed")
@pytest.mark.parametrize("name", list(MODELS))
def test_torch_twins_compute_the_same(name):
    """Each PyTorch twin, given the Gluon weights, gives the Gluon outputs."""
    import mxnet as mx
    torch = import_torch()
    m = bench_models.get_bench_model(name)
    net = m.make()
    net.initialize(mx.init.Xavier())
    X = nd.random.uniform(shape=(2,) + m.input_shape)
    y = net(X).asnumpy()
    tnet = copy_to_torch([p.data().asnumpy() for p in net.collect_params().values()],
                         m.make_torch(torch), torch).eval()
    with torch.no_grad():
        yt = tnet(torch.from_numpy(X.asnumpy())).numpy()
    np.testing.assert_allclose(yt, y, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("switch, profile, engine", [
    (None, "compute", "NaiveEngine"), ("0", "default", "ThreadedEnginePerDevice")])
def test_loop_child_runs_with_the_model_profile(monkeypatch, switch, profile, engine):
    """LeNet's loop trains in a child process with the compute profile, unless the user chose."""
    import mxnet as mx
    from gluon_notes.bench.loop import run_loop_child
    from gluon_notes import perf
    monkeypatch.delenv(perf.ENV_SWITCH, raising=False)
    if switch is not None:
        monkeypatch.setenv(perf.ENV_SWITCH, switch)
    ticks = []
    rows = run_loop_child(MODELS["lenet"], ["static"], 16, 48, 2, mx.cpu(), peer=False,
                          tick=lambda: ticks.append(1))
    assert len(ticks) == len(rows) == 2  # the progress bar moves as each loop finishes
    mine = [r for r in rows if r["mode"] == "static"]
    assert len(mine) == 1 and len(mine[0]["samples_per_sec"]) == 1
    assert mine[0]["cpu"]["profile"] == profile and mine[0]["cpu"]["engine"] == engine
    assert [r["status"] for r in rows if r["mode"] == "torch"] == ["not installed"]


def test_loop_child_failure_is_one_sentence():
    import mxnet as mx
    from gluon_notes.bench.loop import run_loop_child
    with pytest.raises(GluonNotesError, match="the loop benchmark of nope failed in its child "
                                              "process: unknown bench model 'nope'"):
        run_loop_child(BenchModel("nope", None, (4,), 2), ["static"], 4, 8, 2, mx.cpu(), False)
