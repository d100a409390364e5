"""``gluon-notes bench``: outputs, the correctness check, the PyTorch column (no timing asserts)."""
import hashlib
import json

import numpy as np
import pytest
from mxnet import nd
from mxnet.gluon import nn

from gluon_notes import bench, cli
from gluon_notes.bench import core as bench_core, models as bench_models
from conftest import require
from gluon_notes.bench.models import DEFAULT_MODELS, BenchModel, MODELS
from gluon_notes.bench.twins import copy_to_torch
from gluon_notes.errors import GluonNotesError

TINY = ["--number", "2", "--repeats", "2", "--loop-samples", "64", "--loop-batch-size", "16",
        "--epochs", "2"]


def run_bench(tmp_path, *argv):
    out = tmp_path / "bench"
    bench.main(list(argv) + TINY + ["--out", str(out)])
    return out, json.loads((out / "bench.json").read_text())


def table_cells(printed, workload):
    """``{model: {mode: cell text}}`` of one section of the printed table."""
    lines = printed.splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith(workload + ", batch"))
    header = lines[start + 1]
    modes = [header[k:k + 22].strip() for k in range(11, len(header), 22)]
    cells = {}
    for line in lines[start + 2:]:
        if not line.startswith("  ") or line.startswith("  MXNet ran") or \
                line.startswith("  first call"):
            break
        cells[line[2:11].strip()] = {m: line[11 + 22 * k:11 + 22 * (k + 1)].strip()
                                     for k, m in enumerate(modes)}
    return cells


def test_outputs_structure(tmp_path, capsys, monkeypatch):
    """Every mode of every pair is timed and printed; the figures relate as documented."""
    monkeypatch.delenv("GLUON_NOTES_PERF", raising=False)  # each loop model: its own profile
    out, doc = run_bench(tmp_path, "--models", "book_net,softmax", "--loop-models", "softmax",
                         "--peer", "none")
    assert (out / "bench.png").stat().st_size > 1000
    # bench.json and bench.png are written as one pair: the json names the figure's checksum
    assert doc["files"] == {"bench.png": hashlib.sha256((out / "bench.png").read_bytes())
                            .hexdigest()}
    assert sorted(p.name for p in out.iterdir()) == ["bench.json", "bench.png"]
    m = doc["machine"]
    assert {"cpu", "cores", "threads", "mxnet", "features", "loadavg"} <= set(m)
    assert m["mxnet"] == "1.9.1" and "MKLDNN" in m["features"]
    assert doc["peer"] == "not asked" and doc["settings"]["peer"] == "none"
    rows = doc["results"]
    printed = capsys.readouterr().out
    for workload in ("inference", "train"):
        cells = table_cells(printed, workload)
        assert set(cells) == {"book_net", "softmax"}
        for model in ("book_net", "softmax"):
            sel = {r["mode"]: r for r in rows if r["model"] == model and r["workload"] == workload}
            assert list(sel) == ["imperative", "hybridize", "static", "torch"]
            assert sel["torch"]["status"] == "not asked" and "throughput" not in sel["torch"]
            assert cells[model]["torch"] == "not asked"
            for mode in ("imperative", "hybridize", "static"):
                r = sel[mode]
                assert r["status"] == "ok" and len(r["ms_per_call"]) == 2 and r["number"] == 2
                assert r["ms_min"] <= r["ms_median"] <= r["ms_max"]
                assert r["throughput"] == pytest.approx(1e3 * r["batch_size"] / r["ms_median"])
                assert r["speedup_vs_imperative"] == pytest.approx(
                    sel["imperative"]["ms_median"] / r["ms_median"])
                assert "vs_torch" not in r  # no peer, no ratio
                assert cells[model][mode] == "%.3f (%.1fx)" % (r["ms_median"],
                                                               r["speedup_vs_imperative"])
    loop = {r["mode"]: r for r in rows if r["workload"] == "loop"}
    assert list(loop) == ["imperative", "hybridize", "static", "torch"]
    assert loop["torch"]["status"] == "not asked" and "throughput" not in loop["torch"]
    assert len(loop["static"]["samples_per_sec"]) == 1  # 2 epochs, the first is a warm-up
    assert {loop[m]["cpu"]["profile"] for m in ("imperative", "static")} == {"default"}
    assert loop["static"]["cpu"]["engine"] and loop["static"]["cpu"]["mxnet_omp_threads"] >= 1
    assert table_cells(printed, "loop")["softmax"] == dict(
        {m: "%.0f" % loop[m]["throughput"] for m in ("imperative", "hybridize", "static")},
        torch="not asked")
    assert "bench.json" in printed and "refused" not in printed


@pytest.mark.needs("torch")
def test_peer_ratio_and_threads(tmp_path, capsys, monkeypatch):
    """With PyTorch, each pair's PyTorch row is timed (with --torch-threads) and every MXNet row
    gets its throughput over PyTorch's."""
    monkeypatch.setattr(bench_models, "_TORCH_THREADS", [])
    _, doc = run_bench(tmp_path, "--models", "softmax", "--modes", "static",
                       "--workloads", "inference,loop", "--loop-models", "softmax",
                       "--torch-threads", "1")
    assert doc["settings"]["torch_threads"] == 1 and doc["machine"]["torch_threads"] == 1
    assert doc["peer"] == "ok"
    printed = capsys.readouterr().out
    for workload in ("inference", "loop"):
        sel = {r["mode"]: r for r in doc["results"] if r["workload"] == workload}
        assert list(sel) == ["imperative", "static", "torch"]
        assert sel["torch"]["status"] == "ok" and "reason" not in sel["torch"]
        for mode in ("imperative", "static"):
            assert sel[mode]["vs_torch"] == pytest.approx(
                sel[mode]["throughput"] / sel["torch"]["throughput"])
    loop = {r["mode"]: r for r in doc["results"] if r["workload"] == "loop"}
    assert table_cells(printed, "loop")["softmax"]["static"] == "%.0f (%.2fx)" % (
        loop["static"]["throughput"], loop["static"]["vs_torch"])


def test_torch_not_installed(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(bench_core, "import_torch", lambda: None)
    _, doc = run_bench(tmp_path, "--models", "softmax", "--modes", "static",
                       "--workloads", "inference,loop")
    peers = [r for r in doc["results"] if r["mode"] == "torch"]
    assert doc["peer"] == "not installed" and doc["machine"]["torch"] is None
    assert {r["workload"] for r in peers} == {"inference", "loop"}
    assert all(r["status"] == "not installed" and "throughput" not in r for r in peers)
    assert not any("vs_torch" in r for r in doc["results"])
    printed = capsys.readouterr().out
    assert table_cells(printed, "inference")["softmax"]["torch"] == "not installed"
    assert table_cells(printed, "loop")["softmax"]["torch"] == "not installed"


def test_peer_torch_without_pytorch_exits_2(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(bench_core, "import_torch", lambda: None)
    assert cli.main(["bench", "--models", "softmax", "--workloads", "inference", "--peer",
                     "torch", "--out", str(tmp_path), "--modes", "static"] + TINY) == 2
    assert "PyTorch is not installed" in capsys.readouterr().err
    assert not (tmp_path / "bench.json").exists()


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
    (["--peer", "always"], "invalid choice: 'always'"),
])
def test_bad_arguments_are_one_sentence(tmp_path, argv, match):
    with pytest.raises(GluonNotesError, match=match):
        bench.main(argv + ["--out", str(tmp_path)])


@pytest.mark.parametrize("name", DEFAULT_MODELS)  # resnet18_96: test_bench_twins, at 32 px
def test_torch_twins_compute_the_same(name):
    """Each PyTorch twin, given the Gluon weights, gives the Gluon outputs (float32)."""
    import mxnet as mx
    torch = require("torch")
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
