import gzip
import shutil

import numpy as np
import pytest
from mxnet import nd

from gluon_notes.data import (ArrayLoader, get_fashion_mnist_labels, load_fashion_mnist,
                              poly_data, synthetic_data)
from gluon_notes.data import fashion_mnist as fm
from gluon_notes.errors import DataError, GluonNotesError


def _write_idx(path, array):
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(d).to_bytes(4, "big")
                                                      for d in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def test_parse_idx_roundtrip(tmp_path):
    a = np.random.randint(0, 256, size=(3, 28, 28))
    _write_idx(tmp_path / "x.gz", a)
    with gzip.open(tmp_path / "x.gz") as f:
        np.testing.assert_array_equal(fm.parse_idx(f.read()), a)


def test_truncated_idx_is_rejected():
    payload = bytes([0, 0, 8, 1]) + (10).to_bytes(4, "big") + b"\x01\x02"
    with pytest.raises(DataError, match="truncated"):
        fm.parse_idx(payload)


def test_missing_files_name_how_to_get_them(tmp_path):
    with pytest.raises(DataError, match="dataset-fashion-mnist"):
        fm.find_fashion_mnist(root=tmp_path)


def test_wrong_checksum_is_rejected(tmp_path):
    for name in fm.PAYLOAD_MD5:  # well-formed idx files with the wrong contents
        shape = (2, 28, 28) if "images" in name else (2,)
        _write_idx(tmp_path / name, np.zeros(shape))
    with pytest.raises(DataError, match="checksum"):
        load_fashion_mnist("train", root=tmp_path)


def test_corrupt_gzip_is_rejected(tmp_path):
    for name in fm.PAYLOAD_MD5:
        (tmp_path / name).write_bytes(b"\x1f\x8b\x08 definitely not gzip")
    with pytest.raises(DataError, match="corrupt"):
        load_fashion_mnist("test", root=tmp_path)


def test_search_order_prefers_env(tmp_path, monkeypatch):
    for name in fm.PAYLOAD_MD5:
        (tmp_path / name).write_bytes(b"")
    monkeypatch.setenv("GLUON_NOTES_DATA", str(tmp_path))
    assert fm.candidate_dirs()[0] == tmp_path
    assert fm.find_fashion_mnist() == tmp_path


def test_download_failure_is_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(fm, "candidate_dirs", lambda root=None: [tmp_path / "nowhere"])
    monkeypatch.setattr(fm, "project_data_dir", lambda: tmp_path)
    monkeypatch.setattr(fm, "OFFICIAL_URL", "http://127.0.0.1:9/")  # nothing listens there
    with pytest.raises(DataError, match="download failed"):
        fm.find_fashion_mnist()


def test_array_loader_batches_and_last_batch():
    X, y = nd.arange(20).reshape((10, 2)), nd.arange(10)
    sizes = [len(yb) for _, yb in ArrayLoader(X, y, 4)]
    assert sizes == [4, 4, 2]
    assert len(ArrayLoader(X, y, 4, last_batch="discard")) == 2
    # unshuffled batches are the data in order
    np.testing.assert_array_equal(nd.concat(*[xb for xb, _ in ArrayLoader(X, y, 3)], dim=0)
                                  .asnumpy(), X.asnumpy())


def test_array_loader_shuffle_is_a_permutation_kept_in_pairs():
    X, y = nd.arange(100).reshape((50, 2)), nd.arange(50)
    batches = list(ArrayLoader(X, y, 8, shuffle=True))
    ys = np.concatenate([yb.asnumpy() for _, yb in batches])
    assert sorted(ys) == list(range(50)) and list(ys) != list(range(50))
    for xb, yb in batches:  # features stay with their labels
        np.testing.assert_array_equal(xb.asnumpy()[:, 0], 2 * yb.asnumpy())


def test_array_loader_resize_whole_batch():
    X = nd.random.uniform(shape=(5, 1, 28, 28))
    xb, _ = next(iter(ArrayLoader(X, nd.zeros(5), 5, resize=96)))
    assert xb.shape == (5, 1, 96, 96)
    assert abs(xb.mean().asscalar() - X.mean().asscalar()) < 0.01


def test_array_loader_rejects_bad_input():
    with pytest.raises(GluonNotesError, match="batch_size"):
        ArrayLoader(nd.zeros((4, 2)), nd.zeros(4), 0)
    with pytest.raises(DataError, match="one label per sample"):
        ArrayLoader(nd.zeros((4, 2)), nd.zeros(3), 2)


def test_synthetic_data_follows_the_formula():
    X, y = synthetic_data([2, -3.4], 4.2, 1000, noise=0.01)
    resid = y.asnumpy() - (X.asnumpy() @ np.array([2, -3.4]) + 4.2)
    assert X.shape == (1000, 2) and y.shape == (1000,)
    assert abs(resid.std() - 0.01) < 0.002 and abs(resid.mean()) < 0.002


def test_poly_data_columns_are_powers():
    features, poly, labels = poly_data(10, 5)
    x = features.asnumpy()[:, 0]
    np.testing.assert_allclose(poly.asnumpy(), np.stack([x, x ** 2, x ** 3], 1), rtol=1e-5)
    assert labels.shape == (15,)


def test_text_labels():
    assert get_fashion_mnist_labels(nd.array([0, 9, 3])) == ["t-shirt", "ankle boot", "dress"]


@pytest.mark.realdata
@pytest.mark.needs("data")
def test_real_fashion_mnist_shapes_and_range():
    X, y = load_fashion_mnist("train")
    Xt, yt = load_fashion_mnist("test")
    assert X.shape == (60000, 1, 28, 28) and Xt.shape == (10000, 1, 28, 28)
    assert 0 <= X.min().asscalar() and X.max().asscalar() <= 1
    assert sorted(set(yt.asnumpy().astype(int))) == list(range(10))
    assert load_fashion_mnist("train")[0] is X  # loaded once


@pytest.mark.realdata
@pytest.mark.needs("data")
def test_copied_real_files_verify(tmp_path):
    src = fm.find_fashion_mnist(download=False)
    for name in fm.PAYLOAD_MD5:
        shutil.copy(src / name, tmp_path / name)
    X, y = load_fashion_mnist("test", root=tmp_path)
    assert X.shape == (10000, 1, 28, 28)


def test_load_data_checks_the_ten_classes(monkeypatch):
    from gluon_notes.data import loader
    X, y = nd.zeros((6, 1, 28, 28)), nd.array([0, 1, 2, 10, 4, 5])
    monkeypatch.setattr(fm, "load_fashion_mnist", lambda split, root=None: (X, y))
    with pytest.raises(DataError, match="label 10 at sample 3 but the network has 10 outputs"):
        loader.load_data_fashion_mnist(2)


def test_sharded_loader_deals_disjoint_equal_parts_per_epoch():
    X = nd.arange(46).reshape((23, 2))
    y = nd.array([i % 3 for i in range(23)])
    parts = [ArrayLoader(X, y, 4, num_parts=2, part_index=i, seed=5) for i in range(2)]
    assert [len(p) for p in parts] == [2, 2]  # 11 samples each, whole batches of 4 only
    epochs = []
    for _ in range(2):
        got = [np.concatenate([xb[:, 0].asnumpy() for xb, _ in p]) for p in parts]
        assert all(len(g) == 8 for g in got) and not set(got[0]) & set(got[1])
        epochs.append(got[0])
    assert not np.array_equal(epochs[0], epochs[1])  # reshuffled every epoch
    again = ArrayLoader(X, y, 4, num_parts=2, part_index=0, seed=5)
    again.set_epoch(1)  # what fit does when it resumes at epoch 2
    np.testing.assert_array_equal(np.concatenate([xb[:, 0].asnumpy() for xb, _ in again]),
                                  epochs[1])


def test_sharding_arguments_are_checked_in_one_sentence():
    X, y = nd.zeros((4, 2)), nd.zeros((4,))
    with pytest.raises(GluonNotesError, match="part_index must be in"):
        ArrayLoader(X, y, 2, num_parts=2, part_index=2)


@pytest.mark.needs("data")
@pytest.mark.parametrize("value, why", [("", "is set but empty"),
                                        ("EMPTY", "which lacks train-images-idx3-ubyte.gz"),
                                        ("MISSING", "which is not a folder")])
def test_an_unusable_gluon_notes_data_is_named_with_the_folder_used(value, why, tmp_path,
                                                                     monkeypatch, capsys):
    value = {"EMPTY": str(tmp_path), "MISSING": str(tmp_path / "nope")}.get(value, value)
    monkeypatch.setenv("GLUON_NOTES_DATA", value)
    monkeypatch.setattr(fm, "_SAID", set())
    folder = fm.find_fashion_mnist(download=False)
    err = capsys.readouterr().err
    assert why in err and "using the Fashion-MNIST files in %s instead" % folder in err
    assert len(err.strip().splitlines()) == 1
    fm.find_fashion_mnist(download=False)
    assert capsys.readouterr().err == ""  # said once per process
