"""The PyTorch twins: the bench times one only when, given the Gluon weights, it computes the same
outputs, loss, gradients and updated weights; otherwise it refuses that comparison."""
import dataclasses
import json

import pytest

from conftest import require
from gluon_notes import cli
from gluon_notes.bench.models import DEFAULT_MODELS, MODELS
from gluon_notes.bench.twins import check_twin
from test_bench import table_cells

SOFTMAX = MODELS["softmax"]

pytestmark = pytest.mark.needs("torch")

TINY = ["--number", "2", "--repeats", "2", "--loop-samples", "64", "--loop-batch-size", "16",
        "--epochs", "2", "--modes", "static"]


def perturbed_twin(torch):
    """softmax regression's twin, whose weights move by 1e-3 whenever it is given weights."""
    net = SOFTMAX.make_torch(torch)

    def perturb(module, incompatible_keys):
        with torch.no_grad():
            for p in module.parameters():
                p.add_(1e-3)
    net.register_load_state_dict_post_hook(perturb)
    return net


def steep_twin(torch):
    """softmax regression's twin with the right outputs but gradients 1.5 times too large."""
    class Steep(torch.nn.Module):
        def forward(self, x):
            return x + 0.5 * (x - x.detach())  # forward: x; backward: 1.5 x the gradient
    return torch.nn.Sequential(*SOFTMAX.make_torch(torch), Steep())


@pytest.fixture
def twin(monkeypatch):
    """Replace softmax regression's twin (in this process only) by a wrong one."""
    def use(make_torch):
        model = dataclasses.replace(SOFTMAX, make_torch=make_torch)
        monkeypatch.setitem(MODELS, "softmax", model)
        return model
    return use


@pytest.mark.parametrize("name", DEFAULT_MODELS)
def test_every_twin_passes_the_check(name):
    """Outputs, loss, every gradient and every weight after one SGD step agree (float64)."""
    assert check_twin(MODELS[name], require("torch")) == dict(inference=None, train=None)


def test_resnet18_96_twin_passes_the_check_at_a_tiny_size():
    """The book's ResNet-18 (7x7/2 stem, 3x3/2 max-pool) and its twin, on 32 px inputs (the same
    layers as at 96 px; the bench's check runs at 96 px), batch 2; the opt-in model is left out
    of the parametrized check above to keep it fast."""
    assert MODELS["resnet18_96"].opt_in and MODELS["resnet18_96"].input_shape == (1, 96, 96)
    tiny = dataclasses.replace(MODELS["resnet18_96"], input_shape=(1, 32, 32))
    assert check_twin(tiny, require("torch"), batch_size=2) == dict(inference=None, train=None)


def test_perturbed_weights_are_refused(twin):
    problems = check_twin(twin(perturbed_twin), require("torch"))
    assert problems["inference"] == problems["train"]
    assert problems["inference"].startswith(
        "softmax: the PyTorch twin, given the Gluon weights, differs in its inference: output "
        "(max difference ")
    assert "no PyTorch speed is reported" in problems["inference"]


def test_wrong_gradients_are_refused_for_training_only(twin):
    problems = check_twin(twin(steep_twin), require("torch"))
    assert problems["inference"] is None
    assert "differs in its training step: gradient of 1.weight" in problems["train"]


def test_a_refused_twin_gets_no_ratio(tmp_path, capsys, twin):
    """The bench reports the Gluon modes, but no PyTorch figure or ratio where the twin is
    wrong: here the training step (train, loop), while inference is compared as usual."""
    twin(steep_twin)  # the loop's child trains the real softmax; the parent checks this twin
    out = tmp_path / "bench"
    assert cli.main(["bench", "--models", "softmax", "--workloads", "inference,train,loop",
                     "--out", str(out)] + TINY) == 0
    doc = json.loads((out / "bench.json").read_text())
    rows = {(r["workload"], r["mode"]): r for r in doc["results"]}
    assert set(rows) == {(w, m) for w in ("inference", "train", "loop")
                         for m in ("imperative", "static", "torch")}
    assert rows["inference", "torch"]["status"] == "ok"
    assert rows["inference", "static"]["vs_torch"] == pytest.approx(
        rows["inference", "static"]["throughput"] / rows["inference", "torch"]["throughput"])
    for workload in ("train", "loop"):
        refused = rows[workload, "torch"]
        assert refused["status"] == "refused" and "throughput" not in refused
        assert "gradient of 1.weight" in refused["reason"]
        for mode in ("imperative", "static"):
            assert rows[workload, mode]["throughput"] > 0 and "vs_torch" not in rows[workload, mode]
    printed = capsys.readouterr().out
    assert "PyTorch comparison refused (train, loop): softmax: the PyTorch twin" in printed
    assert table_cells(printed, "train")["softmax"]["torch"] == "refused"
    assert table_cells(printed, "loop")["softmax"]["torch"] == "refused"
    assert table_cells(printed, "inference")["softmax"]["torch"] == "%.3f" % (
        rows["inference", "torch"]["ms_median"])


def test_peer_torch_makes_a_refusal_exit_2(tmp_path, capsys, twin):
    """--peer torch asks for the comparison: a wrong twin is one sentence and exit status 2,
    before anything is timed or written."""
    twin(perturbed_twin)
    out = tmp_path / "bench"
    assert cli.main(["bench", "--models", "softmax", "--workloads", "inference", "--peer",
                     "torch", "--out", str(out)] + TINY) == 2
    err = capsys.readouterr().err.splitlines()[-1]  # after the progress bar's residue
    assert err.startswith("gluon-notes: error: softmax: the PyTorch twin, given the Gluon "
                          "weights, differs in its inference: output")
    assert not (out / "bench.json").exists() and not (out / "bench.png").exists()
