"""The classifier chapters train with the book's batch rule (train_ch3 / train_ch5): the short
last batch is kept and stepped with the nominal batch size; sharded workers drop it."""
import pytest

import gluon_notes.train
from gluon_notes.chapters import get_chapter

needs_data = pytest.mark.needs("data")


@pytest.fixture
def seen(monkeypatch):
    calls, real_fit = [], gluon_notes.train.fit

    def spy(net, train_iter, *args, **kw):
        calls.append(dict(batches=[len(y) for _, y in train_iter],
                          nominal=kw.get("nominal_batch_size")))
        return real_fit(net, train_iter, *args, **kw)

    monkeypatch.setattr(gluon_notes.train, "fit", spy)
    return calls


@pytest.mark.realdata
@needs_data
@pytest.mark.parametrize("chapter, argv, n", [
    ("softmax", [], 60000), ("mlp-scratch", [], 60000), ("lenet", ["--limit", "600"], 600)])
def test_classifier_chapters_keep_the_last_batch_and_step_it_nominally(chapter, argv, n, seen,
                                                                        tmp_path):
    get_chapter(chapter).main(argv + ["--epochs", "1", "--batch-size", "256",
                                      "--out", str(tmp_path)])
    assert len(seen) == 1 and seen[0]["nominal"] == 256
    assert seen[0]["batches"] == [256] * (n // 256) + [n % 256]  # the short one is kept
