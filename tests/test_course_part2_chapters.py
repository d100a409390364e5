"""Part 2 of the PyTorch course's chapters (saddle, rnn-hello, gan, estimation) through the CLI:
each is listed, runs with small settings and writes metrics.json and its PNG."""
import json

import pytest

from gluon_notes.chapters import list_chapters, summary
from gluon_notes.cli import main as cli

CHAPTERS = ("saddle", "rnn-hello", "gan", "estimation")
PNG = b"\x89PNG\r\n\x1a\n"


def _run(tmp_path, chapter, *argv):
    out = tmp_path / chapter
    assert cli(["run", chapter, "--out", str(out), *argv]) in (0, None)
    assert (out / "curves.png").read_bytes()[:8] == PNG
    return json.loads((out / "metrics.json").read_text())


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_listed_with_a_summary(chapter):
    if chapter not in list_chapters():
        pytest.fail("%s is not a chapter" % chapter)
    assert summary(chapter)


def test_saddle(tmp_path, capsys):
    m = _run(tmp_path, "saddle", "--iters", "80")
    kinds = {r["function"]: r["kind"] for r in m["classification"]}
    assert kinds == {"x^2 + y^2": "local minimum", "-x^2 - y^2": "local maximum",
                     "x^2 - y^2": "saddle", "x^3 + y^2": "degenerate"}
    stuck, free = m["descent"]["start (1, 0)"], m["descent"]["start (1, 0.001)"]
    assert stuck["escape_iteration"] is None and stuck["final_distance"] < 1e-3
    assert free["escape_iteration"] is not None and free["final_value"] < -1
    assert "-> saddle" in capsys.readouterr().out


def test_rnn_hello_prints_ohlol_for_all_three_variants(tmp_path, capsys):
    m = _run(tmp_path, "rnn-hello")
    out = capsys.readouterr().out
    for variant in ("cell", "rnn", "embedding"):
        assert "%s: predicted ohlol after" % variant in out
        assert m["variants"][variant]["prediction"] == "ohlol"
    assert m["shapes"]["rnn_input"] == [3, 1, 4] and m["shapes"]["rnn_hidden"] == [1, 1, 2]


def test_rnn_hello_without_enough_epochs_exits_2(tmp_path, capsys):
    assert cli(["run", "rnn-hello", "--epochs", "1", "--out", str(tmp_path / "r")]) == 2
    assert "not 'ohlol'" in capsys.readouterr().err
    assert not (tmp_path / "r" / "metrics.json").exists()


def test_estimation(tmp_path, capsys):
    m = _run(tmp_path, "estimation", "--draws", "4000", "--max-n", "6")
    for r in m["variance"]:
        assert abs(r["biased"] - r["biased_expected"]) < 0.08 * r["unbiased_expected"]
        assert abs(r["unbiased"] - r["unbiased_expected"]) < 0.08 * r["unbiased_expected"]
    assert [r["n"] for r in m["variance"]] == [2, 3, 4, 5, 6]
    for key in ("gaussian_mle",):
        assert max(abs(a - b) for a, b in zip(m[key]["closed"], m[key]["ascent"])) < 1e-3
    assert abs(m["bernoulli_mle"]["closed"] - m["bernoulli_mle"]["ascent"]) < 1e-3
    em = m["em"]
    assert max(abs(a - b) for a, b in zip(em["means"], m["mixture_true"]["means"])) < 0.1
    assert max(abs(a - b) for a, b in zip(em["weights"], m["mixture_true"]["weights"])) < 0.05
    assert all(b >= a - 1e-12 for a, b in zip(em["loglik"], em["loglik"][1:]))
    assert m["batchnorm"]["to_biased"] < 1e-5 < 0.1 < m["batchnorm"]["to_unbiased"]
    assert "never decreasing: True" in capsys.readouterr().out


def test_estimation_refuses_max_n_1(tmp_path, capsys):
    assert cli(["run", "estimation", "--max-n", "1", "--out", str(tmp_path / "e")]) == 2
    assert "--max-n must be at least 2" in capsys.readouterr().err


def test_gan_default_training_matches_the_target(tmp_path, capsys):
    m = _run(tmp_path, "gan")                        # the defaults, seeded (seed 0)
    assert abs(m["generated_mean"] - 4.0) < 0.25
    assert abs(m["generated_std"] - 1.25) < 0.25
    assert m["steps"] == len(m["d_loss_per_step"]) == 20 * 5000 // 250
    assert [e["epoch"] for e in m["history"]] == list(range(1, 21))
    assert "generated: mean" in capsys.readouterr().out
