"""``gluon-notes launch --bench`` (issue 13, item 6): the figures' arithmetic and a real tiny run.

The real run trains the MLP chapter on 1 and then 2 workers (plus a scheduler and a server) on
512 Fashion-MNIST images for 2 epochs; it asserts the structure and sanity of ``bench.json``,
never a speed.
"""
import json

import pytest

from gluon_notes.dist import bench
from gluon_notes.dist.launch import main as launch_main
from gluon_notes.errors import GluonNotesError


def record(index, main, seconds, n, accs, comm, compute, sampled=3):
    epochs = [dict(epoch=i + 1, seconds=s, n=n, test_acc=a, eval_seconds=0.1,
                   elapsed=sum(seconds[:i + 1]) + 0.1 * (i + 1))
              for i, (s, a) in enumerate(zip(seconds, accs))]
    return dict(index=index, main=main, epochs=epochs, steps=20, sampled_steps=sampled,
                compute_seconds=compute, comm_seconds=comm)


def test_summarize_counts_all_samples_over_the_slowest_worker_and_times_rank0():
    timings = [record(0, False, [1.0, 1.0], 100, [0.5, 0.9], comm=1.0, compute=3.0),
               record(1, True, [2.0, 2.0], 100, [0.6, 0.85], comm=3.0, compute=1.0)]
    row = bench.summarize("mlp", 2, timings, 9.0, dict(batch_per_worker=32), target=0.8)
    assert row["samples_per_sec"] == pytest.approx(400 / 4.0)  # 4 x 100 samples in 4 s
    assert row["reached_at_epoch"] == 2  # rank 0's accuracies, not worker 0's
    assert row["time_to_accuracy"] == pytest.approx(4.2)
    assert row["comm_share_per_worker"] == pytest.approx([0.25, 0.75])
    assert row["comm_share"] == pytest.approx(0.5)
    assert row["best_test_acc"] == 0.85 and row["final_test_acc"] == 0.85


def test_summarize_says_not_reached_and_no_share_without_sampled_steps():
    timings = [record(0, True, [1.0], 50, [0.3], comm=0.0, compute=0.0, sampled=0)]
    row = bench.summarize("lenet", 1, timings, 5.0, dict(batch_per_worker=256), target=0.7)
    assert row["time_to_accuracy"] is None and row["reached_at_epoch"] is None
    assert row["comm_share"] is None
    assert "not reached" in bench.table([row])


@pytest.mark.parametrize("argv, words", [
    (["--bench", "--chapters", "resnet18"], "the bench runs"),
    (["--bench", "-n", "0,2"], "whole numbers >= 1"),
    (["--bench", "--target", "mlp=2"], "CHAPTER=ACCURACY"),
    (["--bench", "--every", "1"], "--every must be >= 2"),
])
def test_bad_bench_options_are_one_sentence_before_anything_starts(argv, words, tmp_path):
    with pytest.raises(GluonNotesError, match=words):
        launch_main(argv + ["--out", str(tmp_path / "out")], prog="gluon-notes launch")
    assert not (tmp_path / "out").exists()


def test_a_global_batch_that_does_not_split_is_refused(tmp_path):
    with pytest.raises(GluonNotesError, match="does not split over 4 workers"):
        launch_main(["--bench", "--chapters", "mlp", "-n", "4", "--batch-size", "30",
                     "--out", str(tmp_path)], prog="gluon-notes launch")


@pytest.mark.needs("data")
def test_bench_on_one_and_two_workers_writes_sane_figures(tmp_path, capsys):
    out = tmp_path / "bench"
    status = launch_main(["--bench", "--chapters", "mlp", "-n", "1,2", "--epochs", "2",
                          "--limit", "512", "--batch-size", "64", "--every", "2",
                          "--target", "mlp=0.15", "--threads-per-worker", "1",
                          "--timeout", "240", "--out", str(out)],
                         prog="gluon-notes launch")
    assert status == 0
    text = capsys.readouterr().out
    assert "samples/s" in text and "KVStore share" in text
    result = json.loads((out / "bench.json").read_text())
    assert result["cpu"]["cores"] >= 1 and len(result["load_average_before"]) == 3
    rows = result["results"]
    assert [(r["chapter"], r["workers"]) for r in rows] == [("mlp", 1), ("mlp", 2)]
    for r in rows:
        assert r["global_batch"] == 64 and r["batch_per_worker"] * r["workers"] == 64
        assert r["threads_per_worker"] == 1 and r["profile"] == "default"
        assert r["samples_per_sec"] > 0 and 0 < r["train_seconds"] < r["wall_seconds"]
        assert len(r["test_acc"]) == 2 and all(0 <= a <= 1 for a in r["test_acc"])
        assert len(r["comm_share_per_worker"]) == r["workers"]
        assert all(0 <= s <= 1 for s in r["comm_share_per_worker"])
        assert 0 <= r["comm_share"] <= 1 and r["sampled_steps"] > 0
        assert r["reached_at_epoch"] in (1, 2)
        assert 0 < r["time_to_accuracy"] < r["wall_seconds"]
    # the same global batch: the same optimization, up to the order the samples come in
    assert rows[0]["test_acc"] == pytest.approx(rows[1]["test_acc"], abs=0.02)
    assert (out / "scaling.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "runs" / "mlp-w2" / "chapter" / "metrics.json").exists()  # rank 0's
