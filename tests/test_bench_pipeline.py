"""The pipeline benchmark against d2lzh: both pipelines train on the same files (no timing
asserted)."""
import json

import pytest

from gluon_notes.bench import pipeline as bench_pipeline

NAMES = ("gluon_notes (imperative)", "gluon_notes (hybridized)", "d2lzh (book pipeline)")


@pytest.mark.realdata
@pytest.mark.needs("data")
def test_one_epoch_of_both_pipelines(tmp_path, capsys):
    results = bench_pipeline.main(["--epochs", "1", "--out", str(tmp_path)])
    doc = json.loads((tmp_path / "bench_pipeline.json").read_text())
    assert tuple(doc["results"]) == NAMES and doc["results"] == results
    assert doc["machine"]["mxnet"] == "1.9.1" and doc["epochs"] == 1
    book = results["d2lzh (book pipeline)"]
    for name in NAMES:  # same data, same model, same one epoch: the same accuracy, roughly
        assert 0.75 < results[name]["test_acc"] < 0.9
        assert abs(results[name]["test_acc"] - book["test_acc"]) < 0.03
    for name in NAMES[:2]:  # each speed-up is d2lzh's seconds per epoch over this pipeline's
        ours = results[name]
        assert ours["speedup_vs_d2lzh"] == pytest.approx(
            book["seconds_per_epoch"] / ours["seconds_per_epoch"])
    printed = capsys.readouterr().out
    rows = [l for l in printed.splitlines() if l.startswith(NAMES)]
    assert [l[:26].strip() for l in rows] == list(NAMES)  # the table prints every pipeline
    for line, name in zip(rows, NAMES):
        assert line.split()[-1] == "%.1fx" % results[name]["speedup_vs_d2lzh"]
