"""The per-seed runner and the common options: seeds, checkpoints, Ctrl-C, where results go.

Each bad input is checked through ``cli.main``: exit status 2, one line on stderr, no traceback.
"""
import json
import shutil

import pytest

from gluon_notes import cli
from gluon_notes.chapters import _regression, get_chapter, list_chapters
from gluon_notes.callbacks import History
from gluon_notes.errors import GluonNotesError, TrainingInterrupted
from gluon_notes.train import fit as real_fit


def one_line_error(capsys, rc, match):
    err = capsys.readouterr().err
    assert rc == 2, err
    assert match in err and "Traceback" not in err and err.count("\n") == 1, err
    return err


@pytest.fixture
def fits(monkeypatch):
    """Record every call of ``fit`` made by the regression chapters (and still train)."""
    calls = []

    def spy(*args, **kw):
        calls.append(kw)
        return real_fit(*args, **kw)
    monkeypatch.setattr(_regression, "fit", spy)
    return calls


@pytest.mark.parametrize("argv, match", [
    (["--lr", "inf"], "--lr: must be a finite number"),
    (["--lr", "nan"], "--lr: must be a finite number"),
    (["--lr=-inf"], "--lr: must be a finite number"),
    (["--seed", "4294967296"], "each seed must be in [0, 4294967296)"),
    (["--seed", "0,1,4294967296"], "each seed must be in [0, 4294967296)"),
    (["--seed", "-1"], "each seed must be in"),
    (["--seed", "1,1"], "lists a seed twice"),
    (["--out", ""], "--out is empty"),
    (["--out", " "], "--out is empty"),
    (["--ctx", "gpu:0"], "asks for GPU 0"),
    (["--epochs", "0"], "--epochs: must be at least 1"),
    (["--batch-size", "-1"], "--batch-size: must be at least 1"),
    (["--resume"], "--resume needs --checkpoint DIR"),
    (["--checkpoint", ""], "--checkpoint is empty"),
], ids=lambda v: v if isinstance(v, str) and v.startswith("-") else None)
def test_bad_options_are_refused_before_training(argv, match, fits, capsys, tmp_path,
                                                 monkeypatch):
    monkeypatch.chdir(tmp_path)  # an --out "" would have written here
    rc = cli.main(["run", "linreg"] + argv)
    one_line_error(capsys, rc, match)
    assert fits == [] and list(tmp_path.iterdir()) == []  # nothing trained, nothing written


def test_resume_without_a_checkpoint_folder_is_refused(tmp_path, fits, capsys):
    rc = cli.main(["run", "linreg", "--checkpoint", str(tmp_path / "none"), "--resume",
                   "--out", str(tmp_path / "out")])
    one_line_error(capsys, rc, "holds no checkpoint")
    assert fits == []


def test_no_arguments_prints_usage_on_stderr(capsys):
    assert cli.main([]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "usage:" in err and "gluon-notes run CHAPTER" in err
    assert cli.main(["--help"]) == 0
    out, err = capsys.readouterr()
    assert "usage:" in out and err == ""


def test_ctx_gpu_without_a_gpu_says_it_runs_on_the_cpu(tmp_path, capsys):
    assert cli.main(["run", "pooling", "--ctx", "gpu", "--out", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no GPU found, so --ctx gpu runs on cpu(0)" in err
    assert json.loads((tmp_path / "metrics.json").read_text())["settings"]["ctx"] == "[cpu(0)]"


# ---- every chapter takes the common options; a list of seeds runs every seed or is refused ----

SINGLE_RUN = ["channels", "pooling", "padding-stride", "model-construction", "parameters",
              "deferred-init", "custom-layer", "read-write", "use-gpu"]


@pytest.mark.parametrize("option, value, match", [
    ("--seed", "4294967296", "each seed must be in"), ("--ctx", "tpu", "is not a device list"),
    ("--out", "", "--out is empty")])
def test_every_chapter_takes_the_common_options(option, value, match, tmp_path):
    """Every chapter knows --seed, --ctx and --out (a bad value is refused by its own check,
    not as an unknown option), before it computes anything."""
    for chapter in list_chapters():
        with pytest.raises(GluonNotesError, match=match):
            get_chapter(chapter).main([option, value] + (
                ["--out", str(tmp_path / "o")] if option != "--out" else []))


@pytest.mark.parametrize("chapter", SINGLE_RUN)
def test_single_run_chapters_refuse_a_list_of_seeds(chapter, tmp_path, capsys):
    rc = cli.main(["run", chapter, "--seed", "0,1", "--out", str(tmp_path)])
    one_line_error(capsys, rc, "shows a single run; give one --seed")
    assert not (tmp_path / "metrics.json").exists()


@pytest.mark.parametrize("chapter", ["channels", "pooling", "padding-stride"])
def test_chapter5_demos_take_the_common_options(chapter, tmp_path, capsys):
    """They used to take no option at all; now --ctx, --seed and --out work."""
    assert cli.main(["run", chapter, "--ctx", "cpu:1", "--seed", "3",
                     "--out", str(tmp_path)]) == 0
    m = json.loads((tmp_path / "metrics.json").read_text())
    assert m["settings"]["seed"] == [3] and m["settings"]["ctx"] == "[cpu(1)]"


def test_poly_fit_runs_every_seed_and_reports_the_mean(tmp_path, fits, capsys):
    m = json.loads(_run("poly-fit", tmp_path, "--seed", "0,1", "--epochs", "5"))
    assert [r["seed"] for r in m["runs"]] == [0, 1] and len(fits) == 6  # 3 experiments per seed
    per_seed = [r["normal_max_abs_err"] for r in m["runs"]]
    assert per_seed[0] != per_seed[1]  # each seed draws its own data
    assert m["normal_max_abs_err_per_seed"] == per_seed
    assert m["normal_max_abs_err_mean"] == pytest.approx(sum(per_seed) / 2)
    assert "normal max abs err over seed(s) 0,1: mean" in capsys.readouterr().out


@pytest.mark.parametrize("chapter", ["weight-decay-scratch", "weight-decay"])
def test_weight_decay_runs_every_seed(chapter, tmp_path, fits):
    m = json.loads(_run(chapter, tmp_path, "--seed", "0,1", "--epochs", "4", "--batch-size", "5"))
    assert [r["seed"] for r in m["runs"]] == [0, 1] and len(fits) == 4
    for r in m["runs"]:  # the decay shrinks the weight in every seed
        assert r["w_l2_norm_decay"] < r["w_l2_norm_no_decay"]
    assert len(m["test_loss_decay_per_seed"]) == 2


FAST = ["--batch-size", "100"]  # linreg: 10 steps per epoch


def _run(chapter, out, *argv):
    assert cli.main(["run", chapter, "--out", str(out)] + list(argv)) == 0
    return (out / "metrics.json").read_text()


# ---- checkpoints from the CLI --------------------------------------------------------------

def test_checkpoint_folders_per_seed_and_experiment(tmp_path, fits):
    ckpt = tmp_path / "ckpt"
    _run("linreg", tmp_path / "out", "--seed", "0,1", "--checkpoint", str(ckpt), *FAST)
    assert [(c["checkpoint"], c["resume"]) for c in fits] == [
        (str(ckpt / "seed-0"), False), (str(ckpt / "seed-1"), False)]
    fits.clear()
    _run("poly-fit", tmp_path / "out", "--epochs", "1", "--checkpoint", str(ckpt))
    assert [c["checkpoint"] for c in fits] == [str(ckpt / "seed-0" / e)
                                               for e in ("normal", "underfit", "overfit")]


def test_resume_from_the_cli_continues_to_the_uninterrupted_result(tmp_path):
    ckpt = tmp_path / "ckpt"
    full = json.loads(_run("linreg-scratch", tmp_path / "full", "--epochs", "3", *FAST))
    _run("linreg-scratch", tmp_path / "a", "--epochs", "2", "--checkpoint", str(ckpt), *FAST)
    resumed = json.loads(_run("linreg-scratch", tmp_path / "b", "--epochs", "3",
                              "--checkpoint", str(ckpt), "--resume", *FAST))
    assert len(resumed["runs"][0]["history"]) == 3
    assert resumed["runs"][0]["w"] == full["runs"][0]["w"]
    assert resumed["runs"][0]["b"] == full["runs"][0]["b"]


# ---- Ctrl-C keeps what finished --------------------------------------------------------------

def interrupt_seed(monkeypatch, seed, after_epochs):
    """``fit`` raises TrainingInterrupted for ``seed`` once ``after_epochs`` epochs finished."""
    def fake(*args, **kw):
        if kw.get("seed") != seed:
            return real_fit(*args, **kw)
        if after_epochs == 0:
            raise TrainingInterrupted(History())
        args = list(args)
        args[4] = after_epochs  # num_epochs
        raise TrainingInterrupted(real_fit(*args, **kw))
    monkeypatch.setattr(_regression, "fit", fake)


def test_ctrl_c_saves_the_finished_epochs_and_exits_130(tmp_path, monkeypatch, capsys):
    interrupt_seed(monkeypatch, seed=1, after_epochs=2)
    rc = cli.main(["run", "linreg", "--seed", "0,1,2", "--epochs", "3", "--out", str(tmp_path)]
                  + FAST)
    err = capsys.readouterr().err
    assert rc == 130 and err.count("\n") == 1 and "Traceback" not in err
    assert "interrupted: the 5 finished epoch(s) are saved in %s" % tmp_path in err
    m = json.loads((tmp_path / "metrics.json").read_text())
    assert m["interrupted"] is True
    assert [(r["seed"], len(r["history"]), r.get("interrupted", False)) for r in m["runs"]] == [
        (0, 3, False), (1, 2, True)]  # seed 2 never started
    assert m["err_w_per_seed"] == [m["runs"][0]["err_w"]]  # the mean is over finished runs
    assert (tmp_path / "curves.png").stat().st_size > 0


def test_ctrl_c_before_an_epoch_finished_keeps_earlier_results(tmp_path, monkeypatch,
                                                               capsys):
    _run("linreg", tmp_path, "--epochs", "1", *FAST)
    before = (tmp_path / "metrics.json").read_bytes()
    interrupt_seed(monkeypatch, seed=0, after_epochs=0)
    assert cli.main(["run", "linreg", "--out", str(tmp_path)]) == 130
    assert "nothing was written" in capsys.readouterr().err
    assert (tmp_path / "metrics.json").read_bytes() == before


# ---- the output folder removed during the run ------------------------------------------------

def test_out_removed_during_the_run_is_created_again(tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"

    def remove_then_fit(*args, **kw):
        shutil.rmtree(out)
        return real_fit(*args, **kw)
    monkeypatch.setattr(_regression, "fit", remove_then_fit)
    assert cli.main(["run", "linreg", "--out", str(out), "--epochs", "1"] + FAST) == 0
    assert "was removed during the run; created it again" in capsys.readouterr().err
    assert (out / "metrics.json").exists() and (out / "curves.png").exists()


def test_out_replaced_by_a_file_goes_to_a_named_fallback(tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"

    def block_then_fit(*args, **kw):
        shutil.rmtree(out)
        out.write_text("not a folder")
        return real_fit(*args, **kw)
    monkeypatch.setattr(_regression, "fit", block_then_fit)
    assert cli.main(["run", "linreg", "--out", str(out), "--epochs", "1"] + FAST) == 0
    err = capsys.readouterr().err
    assert "cannot write to --out %s any more" % out in err and err.count("\n") == 1
    fallback = err.split("wrote the results to ")[1].split(" instead")[0]
    try:
        m = json.loads(open(fallback + "/metrics.json").read())
        assert m["chapter"] == "linreg" and m["runs"][0]["history"]
    finally:
        shutil.rmtree(fallback, ignore_errors=True)
    assert out.read_text() == "not a folder"
