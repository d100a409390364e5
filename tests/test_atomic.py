"""The one atomic-write helper: unique temporary names, JSON, groups of files, stale cleanup."""
import json
import os
import stat
import subprocess
import sys

import numpy as np
import pytest

from gluon_notes import atomic
from gluon_notes.atomic import (TMP_PREFIX, atomic_write, remove_stale, sha256, write_folder,
                                write_group, write_json)


def _text(content):
    def write(path):
        with open(path, "w") as f:
            f.write(content)
    return write


def _dead_pid():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _tmp_name(pid, rest="x~curves.png"):
    return "%s%d@%s~%s" % (TMP_PREFIX, pid, atomic._host(), rest)  # noqa: SLF001


def test_atomic_write_replaces_with_a_normal_mode_and_leaves_nothing(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("old")
    seen = []

    def write(tmp):
        seen.append((os.path.basename(tmp), path.read_text()))
        _text("new %d" % len(seen))(tmp)
    atomic_write(path, write)
    atomic_write(path, write)
    assert [old for _, old in seen] == ["old", "new 1"]  # readers see the old file meanwhile
    seen = [name for name, _ in seen]
    assert path.read_text() == "new 2" and os.listdir(tmp_path) == ["a.txt"]
    assert seen[0] != seen[1] and all(s.startswith(TMP_PREFIX) and s.endswith("a.txt")
                                      for s in seen)
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask


def test_atomic_write_failure_keeps_the_old_file(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("old")

    def write(tmp):
        _text("half")(tmp)
        raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        atomic_write(path, write)
    assert path.read_text() == "old" and os.listdir(tmp_path) == ["a.txt"]


def test_write_json_nan_and_numpy_scalars(tmp_path):
    write_json(tmp_path / "m.json", {"a": float("nan"), "b": np.float32(0.5), "c": [np.int64(3),
                                     float("inf")], "d": (1, 2)})
    assert json.loads((tmp_path / "m.json").read_text()) == {"a": None, "b": 0.5,
                                                             "c": [3, None], "d": [1, 2]}


def test_write_group_moves_the_index_last_and_records_checksums(tmp_path, monkeypatch):
    moved, replace = [], os.replace
    monkeypatch.setattr(atomic.os, "replace",
                        lambda a, b: (moved.append(os.path.basename(b)), replace(a, b)))
    out = write_group(tmp_path / "run", {"curves.png": _text("figure"), "log.txt": _text("l"),
                                         "metrics.json": {"acc": 0.5}})
    assert moved == ["curves.png", "log.txt", "metrics.json"]
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics == {"acc": 0.5, "files": {"curves.png": sha256(out["curves.png"]),
                                             "log.txt": sha256(out["log.txt"])}}
    assert sorted(os.listdir(tmp_path / "run")) == ["curves.png", "log.txt", "metrics.json"]


def test_write_group_killed_before_the_moves_keeps_the_old_pair(tmp_path):
    write_group(tmp_path, {"curves.png": _text("old figure"), "metrics.json": {"run": 1}})

    def dies(path):
        raise KeyboardInterrupt  # the process is stopped while the new index is written
    with pytest.raises(KeyboardInterrupt):
        write_group(tmp_path, {"curves.png": _text("new figure"), "metrics.json": dies})
    assert (tmp_path / "curves.png").read_text() == "old figure"
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["run"] == 1 and metrics["files"]["curves.png"] == sha256(
        tmp_path / "curves.png")
    assert sorted(os.listdir(tmp_path)) == ["curves.png", "metrics.json"]


def test_stale_temporaries_of_dead_writers_are_removed_live_ones_kept(tmp_path):
    dead, live = _tmp_name(_dead_pid()), _tmp_name(os.getpid(), "y~metrics.json")
    (tmp_path / dead).write_text("torn")
    (tmp_path / live).write_text("being written")
    (tmp_path / (_tmp_name(_dead_pid(), "z~group"))).mkdir()
    (tmp_path / "user.tmp").write_text("not ours")
    write_group(tmp_path, {"curves.png": _text("f"), "metrics.json": {}})
    assert sorted(os.listdir(tmp_path)) == sorted(["curves.png", "metrics.json", live,
                                                   "user.tmp"])
    os.remove(tmp_path / live)
    (tmp_path / dead).write_text("torn")
    assert remove_stale(tmp_path) == [dead]


def test_write_folder_appears_whole(tmp_path):
    target = tmp_path / "epoch-0001"

    def dies(path):
        raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        write_folder(target, {"a.bin": _text("a"), "manifest.json": dies})
    assert os.listdir(tmp_path) == []
    write_folder(target, {"a.bin": _text("a"), "manifest.json": {"epoch": 1}})
    assert sorted(os.listdir(target)) == ["a.bin", "manifest.json"]
    assert json.loads((target / "manifest.json").read_text())["files"] == {
        "a.bin": sha256(target / "a.bin")}
    assert os.listdir(tmp_path) == ["epoch-0001"]


@pytest.mark.parametrize("name", ["", "sub/x.json", ".."])
def test_group_names_are_plain(tmp_path, name):
    with pytest.raises(ValueError, match="plain file names"):
        write_group(tmp_path, {name: {}})
