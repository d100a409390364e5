"""Gradient descent variants: the accounting arithmetic, the loop's update counter, the chapter."""
import json

import numpy as np
import pytest
from mxnet import gluon, nd
from mxnet.gluon import nn

from gluon_notes.cli import main as cli
from gluon_notes.data import ArrayLoader
from gluon_notes.errors import GluonNotesError
from gluon_notes.gd_variants import (LossTrace, UpdateCounter, iterations_per_epoch,
                                     least_squares_loss, total_updates)
from gluon_notes.train import fit


def test_the_course_accounting_example():
    assert iterations_per_epoch(50000, 500) == 100
    assert total_updates(50000, 500, 10) == 1000
    assert iterations_per_epoch(1000, 1) == 1000 and iterations_per_epoch(1000, 1000) == 1
    assert iterations_per_epoch(1000, 64) == 16 and iterations_per_epoch(1000, 64, "discard") == 15
    with pytest.raises(GluonNotesError, match="must be >= 1"):
        iterations_per_epoch(0, 5)


def test_update_counter_counts_what_the_loop_did(capsys):
    """50,000 samples, batch 500, 10 epochs through fit: 100 iterations per epoch, 1,000 updates."""
    X, y = nd.random.normal(shape=(50000, 1)), nd.zeros((50000,))
    counter = UpdateCounter(500, "mini-batch")
    fit(nn.Dense(1), ArrayLoader(X, y, 500, shuffle=True), None, gluon.loss.L2Loss(), 10,
        lr=0.01, accuracy=False, callbacks=[counter], verbose=False, seed=0)
    assert counter.updates == 1000 == total_updates(50000, 500, 10)
    assert [r["iterations"] for r in counter.epochs] == [100] * 10
    assert [r["samples"] for r in counter.epochs] == [50000] * 10
    assert [r["updates"] for r in counter.epochs] == list(range(100, 1001, 100))
    out = capsys.readouterr().out
    assert ("mini-batch: epoch 10: 50,000 samples in 100 iteration(s) of batch 500; "
            "1,000 update(s)") in out


def test_update_counter_sees_the_short_last_batch_and_logs_selected_epochs(capsys):
    X, y = nd.random.normal(shape=(10, 1)), nd.zeros((10,))
    counter = UpdateCounter(4, log_every=2)
    fit(nn.Dense(1), ArrayLoader(X, y, 4), None, gluon.loss.L2Loss(), 3, lr=0.01,
        accuracy=False, callbacks=[counter], verbose=False)
    assert [r["iterations"] for r in counter.epochs] == [3, 3, 3] and counter.updates == 9
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == ["epoch 1", "epoch 2", "epoch 3"]


def test_loss_trace_records_the_full_training_loss():
    X = nd.random.normal(shape=(64, 2))
    y = nd.dot(X, nd.array([[2], [-3.4]])).reshape((-1,)) + 4.2
    loss = gluon.loss.L2Loss()
    trace = LossTrace(X, y, loss, every=4)
    net = nn.Dense(1)
    fit(net, ArrayLoader(X, y, 8), None, loss, 2, lr=0.1, accuracy=False, callbacks=[trace],
        verbose=False, seed=0)
    updates = [p[0] for p in trace.points]
    assert updates == [0, 1, 2, 3, 4, 8, 12, 16]
    seconds = [p[1] for p in trace.points]
    assert seconds == sorted(seconds)
    np.testing.assert_allclose(trace.points[-1][2], loss(net(X), y).mean().asscalar(), rtol=1e-6)
    assert trace.points[-1][2] < trace.points[0][2]


def test_least_squares_loss_is_the_floor():
    X = nd.random.normal(shape=(200, 2))
    y = nd.dot(X, nd.array([[1.0], [2.0]])).reshape((-1,)) + nd.random.normal(shape=(200,))
    best = least_squares_loss(X, y)
    assert 0.3 < best < 0.7  # about half the noise variance, a bit less (3 fitted numbers)
    assert best <= 0.5 * ((nd.dot(X, nd.array([[1.0], [2.0]])).reshape((-1,)) - y) ** 2) \
        .mean().asscalar()


def test_chapter_reports_the_accounting_and_the_noise_floors(tmp_path, capsys):
    out = tmp_path / "gd"
    assert cli(["run", "gd-variants", "--num-examples", "200", "--epochs", "2",
                "--gd-epochs", "60", "--batch-size", "20", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "50,000 samples in batches of 500 -> 100 iterations per epoch, 1,000 updates" in text
    metrics = json.loads((out / "metrics.json").read_text())
    v = metrics["variants"]
    gd, mini, sgd = (v["full-batch GD (batch 200)"], v["mini-batch SGD (batch 20)"],
                     v["SGD (batch 1)"])
    assert (gd["updates"], mini["updates"], sgd["updates"]) == (60, 20, 400)
    assert all(r["updates"] == r["expected_updates"] for r in v.values())
    assert mini["iterations_per_epoch"] == [10, 10] and sgd["samples_per_epoch"] == [200, 200]
    assert gd["final_excess"] < 1e-4 < sgd["final_excess"]  # GD reaches the optimum, SGD can't
    assert (out / "curves.png").stat().st_size > 0
    assert cli(["run", "gd-variants", "--seed", "0,1", "--out", str(tmp_path / "x")]) == 2
