"""The PyTorch-course chapters `losses` and `info-theory`, run through the CLI, tiny settings."""
import json
import math

import pytest

from conftest import require

from gluon_notes import cli
from gluon_notes.chapters import list_chapters, summary

pytestmark = pytest.mark.filterwarnings("ignore:All children of this Sequential")
PNG = b"\x89PNG\r\n\x1a\n"


def written(tmp_path):
    assert (tmp_path / "curves.png").read_bytes()[:8] == PNG
    return json.loads((tmp_path / "metrics.json").read_text())


def test_listed_with_summaries():
    assert {"losses", "info-theory"} <= set(list_chapters())
    assert summary("losses").startswith("PyTorch's losses in Gluon")
    assert summary("info-theory").startswith("Information theory for classifiers")
    assert all(summary(c).endswith("(course).") for c in ("losses", "info-theory"))


def test_info_theory(tmp_path, capsys):
    assert cli.main(["run", "info-theory", "--out", str(tmp_path)]) == 0
    m = written(tmp_path)
    assert m["chapter"] == "info-theory"
    assert m["self_information_bits"]["coin flip (p=1/2)"] == pytest.approx(1.0)
    assert m["entropy_bits"]["fair die"] == pytest.approx(math.log2(6))
    assert m["entropy_bits"]["loaded die"] < m["entropy_bits"]["fair die"]
    d = m["identity_nats"]
    assert d["cross_entropy"] == pytest.approx(d["kl_plus_entropy"], rel=1e-12)
    assert d["kl_divergence"] != pytest.approx(d["kl_reversed"])
    a, b = m["same_error_models"]
    assert a["classification_error"] == b["classification_error"]
    assert a["cross_entropy"] > b["cross_entropy"] and a["mse"] > b["mse"]
    bce = [r["bce"] for r in m["binary_cross_entropy"]]
    assert bce == sorted(bce) and bce[0] == pytest.approx(-math.log(0.9))
    for r in m["two_class"]:
        assert r["softmax_p1"] == pytest.approx(r["sigmoid_of_difference"], rel=1e-12)
    out = capsys.readouterr().out
    assert "model A" in out and "D_KL(P||Q) + H(P)" in out
    assert cli.main(["run", "info-theory", "--seed", "0,1", "--out", str(tmp_path)]) == 2
    assert cli.main(["run", "info-theory", "--hybridize", "--out", str(tmp_path)]) == 2


@pytest.mark.realdata
@pytest.mark.needs("data")
def test_losses_chapter_tiny(tmp_path, capsys):
    argv = ["run", "losses", "--out", str(tmp_path), "--limit", "512", "--epochs", "2",
            "--batch-size", "128", "--embed-dim", "4", "--lr", "0.01",
            "--checkpoint", str(tmp_path / "ckpt")]
    assert cli.main(argv) == 0
    m = written(tmp_path)
    assert m["chapter"] == "losses" and m["settings"]["limit"] == 512
    names = [r["loss"] for r in m["worked_example"]]
    assert len(names) == 10 and "AMSoftmaxLoss(0.35, 30)" in names
    assert all(math.isfinite(r["gluon"]) for r in m["worked_example"])
    if m["max_abs_diff_vs_torch"] is not None:    # torch installed: the same numbers
        assert m["max_abs_diff_vs_torch"] < 1e-4
    run = m["runs"][0]
    for head in ("softmax", "amsoftmax"):
        r = run[head]
        assert len(r["history"]) == 2 and len(r["test_accs"]) == 2
        assert 0.1 < r["test_acc"] <= 1 and -2 <= r["median_margin"] <= 2
        assert m[head + "_test_acc_mean"] == r["test_acc"]
    out = capsys.readouterr().out
    assert "CrossEntropyLoss(weight, ignore_index=-100)" in out
    assert "amsoftmax test acc over seed(s) 0" in out
    assert {p.name for p in (tmp_path / "ckpt" / "seed-0").iterdir()} == {"softmax", "amsoftmax"}


def test_losses_worked_example_matches_pytorch():
    torch = require("torch")
    assert torch is not None
    from gluon_notes.chapters.losses import worked_example
    for name, ours, theirs in worked_example():
        assert ours == pytest.approx(theirs, rel=1e-5, abs=1e-5), name


def test_losses_chapter_refuses_bad_settings(tmp_path, capsys):
    assert cli.main(["run", "losses", "--margin", "-0.1", "--out", str(tmp_path)]) == 2
    assert cli.main(["run", "losses", "--scale", "0", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "--margin" in err and "--scale" in err
    assert not (tmp_path / "metrics.json").exists()
