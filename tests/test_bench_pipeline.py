"""The pipeline benchmark against d2lzh: both pipelines train on the same files (no timing asserted)."""
import json

import pytest

from conftest import fashion_mnist_available
from gluon_notes.bench import pipeline as bench_pipeline


@pytest.mark.realdata
@pytest.mark.skipif(not fashion_mnist_available(), reason="needs Fashion-MNIST")
def test_one_epoch_of_both_pipelines(tmp_path, capsys):
    results = bench_pipeline.main(["--epochs", "1", "--out", str(tmp_path)])
    doc = json.loads((tmp_path / "bench_pipeline.json").read_text())
    assert set(doc["results"]) == {"gluon_notes (imperative)", "gluon_notes (hybridized)",
                                   "d2lzh (book pipeline)"}
    assert doc["machine"]["mxnet"] == "1.9.1" and doc["epochs"] == 1
    ours, book = results["gluon_notes (hybridized)"], results["d2lzh (book pipeline)"]
    assert ours["test_acc"] > 0.75 and book["test_acc"] > 0.75  # same data, same model
    assert book["speedup_vs_d2lzh"] == pytest.approx(1.0)
    assert "d2lzh (book pipeline)" in capsys.readouterr().out
