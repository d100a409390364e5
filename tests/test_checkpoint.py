"""Checkpoints: a run killed at random moments (mostly while it writes a checkpoint) resumes to
exactly the uninterrupted result; every resume failure is one sentence."""
import json
import os
import random
import select
import shutil
import subprocess
import sys
import textwrap
import time

import gluon_notes  # noqa: F401  (numpy >= 1.24: before mxnet)
import mxnet as mx
import numpy as np
import pytest
from mxnet import nd
from mxnet.gluon import nn

from gluon_notes import atomic
from gluon_notes.callbacks import Callback, History
from gluon_notes.checkpoint import (MANIFEST, PARAMS, POINTER, STATES, Checkpoint,
                                    CheckpointError)
from gluon_notes.data import ArrayLoader
from gluon_notes.errors import GluonNotesError
from gluon_notes.scratch import ScratchSGD
from gluon_notes.train import fit, make_trainer, prepare_net

# A "zygote": imports MXNet once, then forks one child per life of the run (a fresh process
# costs seconds of imports). The zygote, not the test, kills its child: it has not reaped it
# yet, so the pid cannot belong to another process.
ZYGOTE = textwrap.dedent('''
    import json, os, sys, time, traceback
    import gluon_notes  # noqa: F401  (numpy >= 1.24: before mxnet)
    import mxnet as mx
    import numpy as np
    from mxnet import nd
    from mxnet.gluon import nn
    from gluon_notes.data import ArrayLoader
    from gluon_notes.train import fit

    def run(directory, out, num_epochs):
        rng = np.random.RandomState(0)
        centers = rng.normal(scale=3, size=(3, 12))
        y = rng.randint(0, 3, size=96)
        X = nd.array(centers[y] + rng.normal(size=(96, 12)))
        net = nn.HybridSequential()
        net.add(nn.Dense(16, activation="relu"), nn.Dense(3))
        fit(net, ArrayLoader(X, nd.array(y), 16, shuffle=True), None, num_epochs=num_epochs,
            lr=0.3, seed=0, optimizer_params={"momentum": 0.9}, verbose=False, progress=False,
            lr_scheduler=mx.lr_scheduler.FactorScheduler(step=7, factor=0.7),
            checkpoint=directory, resume=True)
        nd.save(out, {k: p.data() for k, p in net.collect_params().items()})

    for line in iter(sys.stdin.readline, ""):
        cmd = json.loads(line)
        start = time.time()
        pid = os.fork()
        if pid == 0:
            code = 0
            os.dup2(2, 1)  # the child's prints go to stderr: stdout carries the reports
            try:
                os.environ["GLUON_NOTES_CKPT_PAUSE"] = str(cmd["pause"])
                run(cmd["dir"], cmd["out"], cmd["epochs"])
            except BaseException:
                traceback.print_exc()
                code = 1
            sys.stderr.flush()
            os._exit(code)
        killed = False
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            late = time.time() - start
            if late >= (cmd["kill_after"] or cmd["timeout"]):
                os.kill(pid, 9)
                os.waitpid(pid, 0)
                killed, status = True, None
                break
            time.sleep(0.002)
        print(json.dumps(dict(killed=killed, status=status, seconds=time.time() - start)),
              flush=True)
''')


class Zygote:
    """Runs lives of the training script: ``life(dir, out, pause, kill_after) -> report``."""

    def __init__(self, tmp_path, script=ZYGOTE, timeout=30.0):
        path = tmp_path / "zygote.py"
        path.write_text(script)
        self.timeout, self.err = timeout, open(tmp_path / "zygote.err", "w+")
        self.proc = subprocess.Popen([sys.executable, str(path)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.err, text=True)

    def life(self, directory, out, epochs, pause=0.0, kill_after=None):
        cmd = dict(dir=str(directory), out=str(out), epochs=epochs, pause=pause,
                   kill_after=kill_after, timeout=self.timeout)
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        ready, _, _ = select.select([self.proc.stdout], [], [], self.timeout + 30)
        line = self.proc.stdout.readline() if ready else ""
        if not line:
            self.err.seek(0)
            raise AssertionError("the training child gave no report:\n" + self.err.read())
        report = json.loads(line)
        if not report["killed"] and report["status"] != 0:
            self.err.seek(0)
            raise AssertionError("the training child failed:\n" + self.err.read())
        assert report["seconds"] < self.timeout, "a training child hit its timeout"
        return report

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)
        self.err.close()


def _mid_checkpoint(directory):
    """Whether ``directory`` shows a checkpoint interrupted half way (a temporary folder, or an
    epoch folder beside the one the pointer names)."""
    if not os.path.isdir(directory):
        return False
    names = os.listdir(directory)
    return any(n.startswith(".gluon-notes-tmp-") for n in names) or \
        sum(n.startswith("epoch-") for n in names) > 1


def kill_trials(tmp_path, trials, epochs=5, pause=0.03, seed=1234, zygote_script=ZYGOTE,
                check_layout=True):
    """Kill the run 1-2 times per trial at random moments (mostly while it checkpoints, since
    the pauses make writing the longest part of an epoch), resume it to the end each time, and
    return ``(number of trials whose final parameters differ from an uninterrupted run's,
    number of kills that hit a checkpoint half way)``."""
    rng = random.Random(seed)
    z = Zygote(tmp_path, zygote_script)
    try:
        ref = z.life(tmp_path / "ref", tmp_path / "ref.params", epochs, pause)
        expected = {k: v.asnumpy() for k, v in nd.load(str(tmp_path / "ref.params")).items()}
        differ = mid = 0
        for t in range(trials):
            directory, out = tmp_path / ("run%d" % t), tmp_path / ("run%d.params" % t)
            for _ in range(rng.choice((1, 1, 2))):
                z.life(directory, out, epochs, pause,
                       kill_after=rng.uniform(0.1, 1.0) * ref["seconds"])
                mid += _mid_checkpoint(directory)
            z.life(directory, out, epochs)  # to the end, no pauses
            got = {k: v.asnumpy() for k, v in nd.load(str(out)).items()}
            differ += any(got[k].tobytes() != expected[k].tobytes() for k in expected)
            names = sorted(os.listdir(directory))
            assert not check_layout or names == ["epoch-%04d" % epochs, POINTER] or \
                names == ["epoch-%04d.1" % epochs, POINTER], names  # nothing stray survives
    finally:
        z.close()
    return differ, mid


def test_random_kills_during_checkpoints_resume_to_the_uninterrupted_result(tmp_path):
    start = time.time()
    differ, mid = kill_trials(tmp_path, trials=12)
    assert differ == 0
    assert mid >= 4, "too few kills landed inside a checkpoint to test it (%d)" % mid
    assert time.time() - start < 90


# ---------------------------------------------------------------------------- resume errors
def toy(n=48, d=6, classes=3):
    rng = np.random.RandomState(0)
    return nd.array(rng.normal(size=(n, d))), nd.array(rng.randint(0, classes, size=n))


def mlp(hidden=8):
    net = nn.HybridSequential()
    net.add(nn.Dense(hidden, activation="relu"), nn.Dense(3))
    return net


def trained(directory, num_epochs=2, net=None, **kw):
    X, y = toy()
    net = net or mlp()
    fit(net, ArrayLoader(X, y, 16), num_epochs=num_epochs, lr=0.1, seed=0, verbose=False,
        checkpoint=str(directory), **kw)
    return net


def restore(directory, net=None, optimizer="sgd", num_epochs=None):
    net = net or mlp()
    prepare_net(net, [mx.cpu()])
    trainer = make_trainer(net, optimizer)
    history = History()
    start = Checkpoint.restore(str(directory), net, trainer, [mx.cpu()], history, num_epochs)
    return start, net, history


def one_sentence(err, *words):
    msg = str(err.value)
    assert isinstance(err.value, GluonNotesError)
    assert msg.endswith(".") and ". " not in msg and "\n" not in msg, msg
    for w in words:
        assert w in msg, msg


def latest(directory):
    return directory / (directory / POINTER).read_text().strip()


def test_layout_one_epoch_folder_and_a_pointer(tmp_path):
    trained(tmp_path, num_epochs=3)
    assert sorted(os.listdir(tmp_path)) == ["epoch-0003", POINTER]
    assert sorted(os.listdir(tmp_path / "epoch-0003")) == [MANIFEST, PARAMS, STATES]
    manifest = json.loads((tmp_path / "epoch-0003" / MANIFEST).read_text())
    assert manifest["epochs_done"] == 3 and len(manifest["history"]) == 3
    assert sorted(manifest["files"]) == [PARAMS, STATES]
    assert manifest["signature"]["params"] == [["0.weight", [8, 6]], ["0.bias", [8]],
                                               ["1.weight", [3, 8]], ["1.bias", [3]]]
    assert manifest["signature"]["optimizer"] == "BucketedSGD"


def test_restore_loads_what_was_saved(tmp_path):
    net = trained(tmp_path, num_epochs=2)
    start, loaded, history = restore(tmp_path)
    assert start == 2 and len(history) == 2
    for a, b in zip(net.collect_params().values(), loaded.collect_params().values()):
        assert a.data().asnumpy().tobytes() == b.data().asnumpy().tobytes()


def test_no_checkpoint_yet_starts_at_zero(tmp_path):
    assert restore(tmp_path / "new")[0] == 0
    assert restore(tmp_path)[0] == 0  # exists, empty


def test_num_epochs_below_the_finished_epochs_is_one_sentence(tmp_path):
    trained(tmp_path, num_epochs=3)
    with pytest.raises(CheckpointError) as err:
        restore(tmp_path, num_epochs=2)
    one_sentence(err, str(tmp_path), "finished 3 epochs but num_epochs is 2",
                 "at least 3")
    assert restore(tmp_path, num_epochs=3)[0] == 3  # equal: nothing left to train
    with pytest.raises(CheckpointError, match="finished 3 epochs but num_epochs is 2"):
        trained(tmp_path, num_epochs=2, resume=True)  # through fit


def test_fit_with_all_epochs_done_trains_nothing_and_returns_the_history(tmp_path):
    net = trained(tmp_path, num_epochs=2)
    again, seen = mlp(), []

    class Count(Callback):
        def on_batch_end(self, batch, logs):
            seen.append(batch)
    X, y = toy()
    history = fit(again, ArrayLoader(X, y, 16), num_epochs=2, lr=0.1, seed=0, verbose=False,
                  checkpoint=str(tmp_path), resume=True, callbacks=[Count()])
    assert seen == [] and len(history) == 2
    for a, b in zip(net.collect_params().values(), again.collect_params().values()):
        assert a.data().asnumpy().tobytes() == b.data().asnumpy().tobytes()


def test_leftovers_of_killed_writers_are_removed_even_when_nothing_is_left_to_train(tmp_path):
    """A kill after the pointer moved leaves the previous epoch folder (and a kill while
    writing, a temporary folder); the next run removes both, even with no epoch to train."""
    trained(tmp_path, num_epochs=2)
    shutil.copytree(tmp_path / "epoch-0002", tmp_path / "epoch-0001")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = ".gluon-notes-tmp-%d@%s~abc~epoch-0003" % (dead.pid, atomic._host())  # noqa: SLF001
    (tmp_path / stale).mkdir()
    trained(tmp_path, num_epochs=2, resume=True)
    assert sorted(os.listdir(tmp_path)) == ["epoch-0002", POINTER]


def _net(*units):
    net = nn.HybridSequential()
    for u in units:
        net.add(nn.Dense(u))
    return net


@pytest.mark.parametrize("units, words", [
    ((9, 3), "its parameter 0.weight has shape (8, 6) but this network's has (9, 0)"),
    ((8, 3, 3), "it has no parameter 2.weight"),
    ((8,), "it holds parameter 1.weight, which this network lacks"),
], ids=["other-shape", "more-layers", "fewer-layers"])
def test_another_models_checkpoint_names_the_first_mismatch(tmp_path, units, words):
    trained(tmp_path)
    with pytest.raises(CheckpointError) as err:
        restore(tmp_path, net=_net(*units))
    one_sentence(err, "belongs to another model", words, str(tmp_path / "epoch-0002"))


def test_another_optimizer_is_named(tmp_path):
    trained(tmp_path)
    with pytest.raises(CheckpointError) as err:
        restore(tmp_path, optimizer="adam")
    one_sentence(err, "written with the optimizer BucketedSGD but this run uses Adam")


def _truncate(path):
    path.write_bytes(path.read_bytes()[:len(path.read_bytes()) // 2])


@pytest.mark.parametrize("damage, words", [
    (lambda d: _truncate(latest(d) / MANIFEST), "is truncated or corrupt"),
    (lambda d: (latest(d) / MANIFEST).write_text('{"format": 2}'), "is truncated or corrupt"),
    (lambda d: (latest(d) / MANIFEST).unlink(), "has no manifest.json"),
    (lambda d: (latest(d) / PARAMS).unlink(), "lacks its file net.params"),
    (lambda d: _truncate(latest(d) / PARAMS), "does not match the checksum"),
    (lambda d: _truncate(latest(d) / STATES), "does not match the checksum"),
    (lambda d: (d / POINTER).write_text("epoch-0009\n"), "names %s, which does not exist"),
    (lambda d: (d / POINTER).write_text("../../etc\n"), "does not name an epoch folder"),
], ids=["manifest-truncated", "manifest-incomplete", "manifest-missing", "params-missing",
        "params-damaged", "states-damaged", "pointer-dangling", "pointer-garbage"])
def test_damaged_checkpoints_are_one_sentence(tmp_path, damage, words):
    trained(tmp_path)
    damage(tmp_path)
    with pytest.raises(CheckpointError) as err:
        restore(tmp_path)
    one_sentence(err, words.replace("%s", str(tmp_path / "epoch-0009")), str(tmp_path))


def test_unloadable_trainer_states_are_one_sentence(tmp_path):
    trained(tmp_path)
    folder = latest(tmp_path)
    (folder / STATES).write_bytes(b"not a pickle")
    manifest = json.loads((folder / MANIFEST).read_text())
    manifest["files"][STATES] = atomic.sha256(folder / STATES)  # consistent, but unusable
    (folder / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(CheckpointError) as err:
        restore(tmp_path)
    one_sentence(err, "cannot be loaded into this trainer", str(folder / STATES))


def test_old_format_is_refused_with_a_sentence(tmp_path):
    net = mlp()
    net.initialize()
    net(nd.ones((1, 6)))
    net.save_parameters(str(tmp_path / "net.params"))
    (tmp_path / "state.json").write_text('{"epoch": 1, "history": []}')
    with pytest.raises(CheckpointError) as err:
        restore(tmp_path)
    one_sentence(err, "old format", "another folder", str(tmp_path))


def test_resume_needs_a_folder():
    with pytest.raises(CheckpointError) as err:
        fit(mlp(), ArrayLoader(*toy(), 16), num_epochs=1, resume=True, verbose=False)
    one_sentence(err, "checkpoint=DIR")


def test_a_trainer_without_states_checkpoints_and_resumes_exactly(tmp_path):
    """The book's from-scratch SGD has no save_states: the checkpoint holds the weights only."""
    X, y = toy()

    def run(num_epochs, directory, resume=False, interrupt=False):
        net = mlp()
        mx.random.seed(0)
        prepare_net(net, [mx.cpu()])
        net(X)  # shapes known, so the trainer sees every parameter
        trainer = ScratchSGD(net.collect_params(), 0.1)

        class Stop(Callback):
            def on_epoch_end(self, epoch, logs):
                if interrupt and epoch == 1:
                    raise KeyboardInterrupt
        try:
            fit(net, ArrayLoader(X, y, 16, shuffle=True), num_epochs=num_epochs, seed=0,
                trainer=trainer, verbose=False, checkpoint=directory, resume=resume,
                callbacks=[Stop()])
        except KeyboardInterrupt:
            pass
        return net

    full = run(4, None)
    run(4, str(tmp_path), interrupt=True)
    assert sorted(os.listdir(tmp_path / "epoch-0001")) == [MANIFEST, PARAMS]
    manifest = json.loads((tmp_path / "epoch-0001" / MANIFEST).read_text())
    assert manifest["signature"]["optimizer"] == "ScratchSGD"
    resumed = run(4, str(tmp_path), resume=True)
    for a, b in zip(full.collect_params().values(), resumed.collect_params().values()):
        assert a.data().asnumpy().tobytes() == b.data().asnumpy().tobytes()
