"""Chapter-3 scripts end to end: the book's numbers on synthetic data, outputs, bad input."""
import json

import pytest

from gluon_notes.chapters import get_chapter, list_chapters
from gluon_notes.errors import GluonNotesError

CH3 = ["linreg-scratch", "linreg", "softmax-scratch", "softmax", "mlp-scratch", "mlp",
       "dropout-scratch", "dropout", "poly-fit", "weight-decay-scratch", "weight-decay"]


def run(chapter, tmp_path, *argv):
    get_chapter(chapter).main(list(argv) + ["--out", str(tmp_path)])
    return json.loads((tmp_path / "metrics.json").read_text())


def test_all_chapter3_ids_are_listed():
    assert set(CH3) <= set(list_chapters())


@pytest.mark.parametrize("chapter", ["linreg-scratch", "linreg"])
def test_linreg_learns_w_and_b_in_3_epochs(chapter, tmp_path):
    m = run(chapter, tmp_path)
    assert m["settings"]["num_epochs"] == 3
    assert m["max_err_w"] < 0.01 and m["max_err_b"] < 0.01
    # the book's printed figure (loss of all 1,000 samples; noise variance 1e-4 -> about 5e-5)
    assert 2e-5 < m["final_train_loss_mean"] < 1e-4
    assert (tmp_path / "curves.png").stat().st_size > 0


def test_linreg_on_two_devices(tmp_path):
    m = run("linreg", tmp_path, "--ctx", "cpu:0,1")
    assert m["max_err_w"] < 0.01 and m["settings"]["ctx"] == "[cpu(0), cpu(1)]"


def test_poly_fit_normal_recovers_the_cubic(tmp_path):
    m = run("poly-fit", tmp_path, "--hybridize")  # the default 200 epochs; hybridized is faster
    assert m["settings"]["num_epochs"] == 200 and m["settings"]["hybridize"] is True
    assert m["max_normal_max_abs_err"] < 0.1
    exp = m["runs"][0]["experiments"]
    # underfitting: a line cannot follow the cubic; overfitting: 2 samples, high test loss
    assert exp["underfit"]["final_train_loss"] > 10 * exp["normal"]["final_train_loss"]
    assert exp["overfit"]["final_test_loss"] > 10 * exp["normal"]["final_test_loss"]


@pytest.mark.parametrize("chapter", ["weight-decay-scratch", "weight-decay"])
def test_weight_decay_lowers_the_test_loss(chapter, tmp_path):
    m = run(chapter, tmp_path, "--epochs", "30", "--hybridize")
    exp = m["runs"][0]["experiments"]
    assert m["test_loss_lowered"] is True and m["settings"]["hybridize"] is True
    assert exp["wd=3"]["final_test_loss"] < exp["wd=0"]["final_test_loss"]
    assert exp["wd=3"]["w_l2_norm"] < exp["wd=0"]["w_l2_norm"]


@pytest.mark.parametrize("argv, match", [
    (["--lr", "0"], "--lr: must be > 0"),
    (["--lr", "abc"], "--lr: expected a number"),
    (["--batch-size", "0"], "--batch-size: must be at least 1"),
    (["--epochs", "-2"], "--epochs: must be at least 1"),
    (["--ctx", "gpu:0;1"], "--ctx"),
    (["--seed", "x"], "--seed"),
])
def test_bad_arguments_are_one_sentence(argv, match, tmp_path):
    with pytest.raises(GluonNotesError, match=match):
        get_chapter("softmax").main(argv + ["--out", str(tmp_path)])


def test_unwritable_out_is_refused_before_training(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("I am a file")
    with pytest.raises(GluonNotesError, match="cannot write to --out"):
        get_chapter("linreg").main(["--out", str(blocker / "sub")])
    assert blocker.read_text() == "I am a file"


def test_failed_run_keeps_earlier_results(tmp_path):
    run("linreg", tmp_path)
    before = (tmp_path / "metrics.json").read_bytes()
    with pytest.raises(GluonNotesError, match="loss became"):
        run("linreg", tmp_path, "--lr", "1e6")
    assert (tmp_path / "metrics.json").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["curves.png", "metrics.json"]


needs_data = pytest.mark.needs("data")


@pytest.mark.realdata
@needs_data
@pytest.mark.parametrize("chapter", ["softmax", "softmax-scratch"])
def test_softmax_on_real_data_one_epoch(chapter, tmp_path):
    m = run(chapter, tmp_path, "--epochs", "1")
    assert m["test_acc_mean"] > 0.75
    assert len(m["runs"][0]["history"]) == 1


@pytest.mark.realdata
@needs_data
def test_mlp_scratch_agrees_with_mlp_on_real_data(tmp_path):
    a = run("mlp", tmp_path / "a", "--epochs", "1")
    b = run("mlp-scratch", tmp_path / "b", "--epochs", "1")
    assert a["test_acc_mean"] > 0.7 and b["test_acc_mean"] > 0.7
    assert abs(a["test_acc_mean"] - b["test_acc_mean"]) < 0.03
