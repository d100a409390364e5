"""Checkpoints as one atomic unit: a kill at any moment leaves the previous one or the new one.

Design
------
* Each epoch writes a NEW folder ``DIR/epoch-EEEE/`` (E = epochs finished) holding
  ``net.params``, ``trainer.states`` (when the trainer has ``save_states``) and, last,
  ``manifest.json``: format, epochs finished, the history, the sha256 of each file and the
  model's signature (parameter names and shapes, optimizer type). The folder appears by one
  rename (``atomic.write_folder``).
* Then ONE pointer, the file ``DIR/latest`` naming that folder, is replaced by rename; only then
  is the previous folder removed. Until the pointer moves, resume reads the previous epoch.
* Resume verifies everything before loading anything: the pointer names a folder that exists,
  the manifest parses, the checksums match, the signature matches the net and optimizer being
  resumed. Each failure is one sentence (``CheckpointError``) naming the folder and what to do.
* The old format (``net.params``, ``trainer.states`` and ``state.json`` side by side, with no
  manifest) cannot be verified and is refused with a sentence saying so.
* ``GLUON_NOTES_CKPT_PAUSE`` (seconds, for tests only) sleeps between the steps of a write, so a
  test can kill the process in the middle of one.
"""
import json
import os
import re
import shutil
import time

import mxnet as mx

from .atomic import atomic_write, fsync, remove_stale, sha256, write_folder
from .callbacks import Callback
from .compat import params_with_prefix, trainer_kvstore
from .errors import GluonNotesError
from .io import load_parameters

FORMAT = 2
POINTER, MANIFEST = "latest", "manifest.json"
PARAMS, STATES = "net.params", "trainer.states"
OLD_STATE = "state.json"  # the format before FORMAT 2
PAUSE_ENV = "GLUON_NOTES_CKPT_PAUSE"
_EPOCH_DIR = re.compile(r"epoch-\d{4,}(\.1)?$")


class CheckpointError(GluonNotesError):
    """A checkpoint cannot be resumed (missing, damaged, or written by another model)."""


def _pause():
    """Sleep ``GLUON_NOTES_CKPT_PAUSE`` seconds (a test hook: 0 or unset in real use)."""
    seconds = float(os.environ.get(PAUSE_ENV) or 0)
    if seconds > 0:
        time.sleep(seconds)


def _paused(write):
    def run(path):
        write(path)
        _pause()
    return run


def optimizer_name(trainer):
    """The optimizer's class name for a ``gluon.Trainer``, else the trainer's class name
    (``None`` without a trainer)."""
    if trainer is None:
        return None
    opt = getattr(trainer, "optimizer", None)
    return type(opt if isinstance(opt, mx.optimizer.Optimizer) else trainer).__name__


def signature(net, trainer):
    """What must match for a checkpoint to fit: ``{"params": [[name, shape], ...],
    "optimizer": name}`` (names as ``save_parameters`` writes them)."""
    return {"params": [[name, list(p.shape)] for name, p in params_with_prefix(net).items()],
            "optimizer": optimizer_name(trainer)}


def _read_pointer(directory):
    """The folder name in ``DIR/latest``, or None when there is no pointer."""
    path = os.path.join(directory, POINTER)
    try:
        with open(path) as f:
            name = f.read().strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as err:
        raise CheckpointError("the checkpoint pointer %s cannot be read (%s); start again in "
                              "another folder." % (path, err.__class__.__name__)) from None
    if not _EPOCH_DIR.match(name):
        raise CheckpointError("the checkpoint pointer %s does not name an epoch folder (it "
                              "holds %r); start again in another folder, or write it by hand "
                              "with the name of an epoch-EEEE folder." % (path, name[:40]))
    return name


class Checkpoint(Callback):
    """Every epoch, write a new checkpoint folder and switch ``DIR/latest`` to it.

    ``fit(..., checkpoint=DIR, resume=True)`` continues from the last completed epoch; with a
    ``seed`` the resumed run ends exactly where an uninterrupted run ends. Works with any
    trainer; its state is saved when it has ``save_states`` (a ``gluon.Trainer``).
    """
    main_only = True
    PARAMS, STATES, MANIFEST, POINTER = PARAMS, STATES, MANIFEST, POINTER

    def __init__(self, directory):
        self.directory = os.fspath(directory)

    def on_train_begin(self, logs):
        if os.path.exists(self.directory) and not os.path.isdir(self.directory):
            raise CheckpointError("the checkpoint folder %s is a file; name a folder."
                                  % self.directory)
        os.makedirs(self.directory, exist_ok=True)
        try:
            current = _read_pointer(self.directory)
        except CheckpointError:
            return  # a damaged pointer: removing nothing, replaced at the end of this epoch
        if current is not None and os.path.isdir(os.path.join(self.directory, current)):
            _tidy(self.directory, current)  # what a run killed after moving the pointer left

    def on_epoch_end(self, epoch, logs):
        s, d, done = self.state, self.directory, epoch + 1
        try:
            current = _read_pointer(d)
        except CheckpointError:
            current = None  # replaced below
        name = next(n for n in ("epoch-%04d" % done, "epoch-%04d.1" % done) if n != current)
        target = os.path.join(d, name)
        if os.path.lexists(target):  # left by a run killed before it moved the pointer
            shutil.rmtree(target)
        files = {PARAMS: _paused(s.net.save_parameters)}
        if _has_states(s.trainer):
            files[STATES] = _paused(s.trainer.save_states)
        files[MANIFEST] = {"format": FORMAT, "epochs_done": done, "history": s.history.epochs,
                           "signature": signature(s.net, s.trainer)}
        write_folder(target, files)
        _pause()
        atomic_write(os.path.join(d, POINTER), lambda tmp: _write_text(tmp, name + "\n"))
        fsync(d)
        _pause()
        _tidy(d, name)

    @classmethod
    def restore(cls, directory, net, trainer, ctx, history, num_epochs=None):
        """Load the checkpoint in ``directory`` into ``net``, ``trainer`` and ``history``; return
        the number of epochs it has finished (the epoch to start from; 0 when ``directory``
        holds no checkpoint yet).

        Raises ``CheckpointError`` (one sentence) when it is damaged, was written by another
        model or optimizer, or has finished more epochs than ``num_epochs``.
        """
        if not directory:
            raise CheckpointError("resume=True needs checkpoint=DIR naming the checkpoint "
                                  "folder.")
        directory = os.fspath(directory)
        manifest, folder = read_manifest(directory)
        if manifest is None:
            return 0
        check_signature(manifest, folder, net, trainer)
        done = manifest["epochs_done"]
        if num_epochs is not None and num_epochs < done:
            raise CheckpointError(
                "the checkpoint in %s has finished %d epochs but num_epochs is %d; ask for at "
                "least %d (or use another folder)." % (directory, done, num_epochs, done))
        load_parameters(net, os.path.join(folder, PARAMS), ctx=ctx)
        states = os.path.join(folder, STATES)
        if _has_states(trainer) and os.path.exists(states):
            try:
                trainer.load_states(states)
            except Exception as err:  # noqa: BLE001 - pickle, MXNet and key errors alike
                raise CheckpointError(
                    "the trainer states %s cannot be loaded into this trainer (%s); resume with "
                    "the optimizer settings they were written with, or use another folder."
                    % (states, type(err).__name__)) from None
        history.epochs.extend(manifest["history"])
        return done


def _tidy(directory, keep):
    """Remove every epoch folder but ``keep`` (the previous epoch, folders of killed runs) and
    the temporary files of killed writers."""
    remove_stale(directory)
    for other in os.listdir(directory):
        if other != keep and _EPOCH_DIR.match(other):
            shutil.rmtree(os.path.join(directory, other), ignore_errors=True)


def _write_text(path, text):
    with open(path, "w") as f:
        f.write(text)


def read_manifest(directory):
    """``(manifest, folder)`` of the checkpoint ``DIR/latest`` points to, after checking that
    the folder and its files are complete and unchanged; ``(None, None)`` when ``directory``
    holds no checkpoint. Raises ``CheckpointError`` otherwise."""
    if not os.path.exists(directory):
        return None, None
    if not os.path.isdir(directory):
        raise CheckpointError("the checkpoint folder %s is a file; name a folder." % directory)
    name = _read_pointer(directory)
    if name is None:
        if os.path.exists(os.path.join(directory, OLD_STATE)):
            raise CheckpointError(
                "%s holds a checkpoint of the old format (state.json beside net.params, no "
                "manifest), which cannot be verified; start again in another folder (or delete "
                "its files)." % directory)
        return None, None
    folder = os.path.join(directory, name)
    again = "restore it from a copy or start again in another folder"
    if not os.path.isdir(folder):
        raise CheckpointError("the checkpoint pointer %s names %s, which does not exist; %s."
                              % (os.path.join(directory, POINTER), folder, again))
    path = os.path.join(folder, MANIFEST)
    if not os.path.isfile(path):
        raise CheckpointError("the checkpoint %s has no %s; %s." % (folder, MANIFEST, again))
    try:
        with open(path) as f:
            manifest = json.load(f)
        if manifest.get("format") != FORMAT:
            raise ValueError("format %r" % (manifest.get("format"),))
        files, done = manifest["files"], manifest["epochs_done"]
        if not (isinstance(done, int) and done >= 1 and len(manifest["history"]) == done
                and PARAMS in files and "params" in manifest["signature"]):
            raise ValueError("inconsistent")
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
        raise CheckpointError("the manifest %s is truncated or corrupt; %s."
                              % (path, again)) from None
    for fname, digest in files.items():
        fpath = os.path.join(folder, fname)
        if not os.path.isfile(fpath):
            raise CheckpointError("the checkpoint %s lacks its file %s; %s."
                                  % (folder, fname, again))
        if sha256(fpath) != digest:
            raise CheckpointError("%s does not match the checksum in its manifest (it changed "
                                  "after the checkpoint was written); %s." % (fpath, again))
    return manifest, folder


def check_signature(manifest, folder, net, trainer):
    """Raise ``CheckpointError`` naming the first parameter (or the optimizer) of ``net`` and
    ``trainer`` that differs from the checkpoint's signature."""
    saved = {name: tuple(shape) for name, shape in manifest["signature"]["params"]}
    ours = {name: tuple(shape) for name, shape in signature(net, trainer)["params"]}
    fix = "resume with the model it was written from, or use another folder"
    for name, shape in ours.items():
        if name not in saved:
            raise CheckpointError("the checkpoint %s belongs to another model: it has no "
                                  "parameter %s; %s." % (folder, name, fix))
        if len(shape) != len(saved[name]) or any(
                s not in (0, t) for s, t in zip(shape, saved[name])):  # 0: not inferred yet
            raise CheckpointError("the checkpoint %s belongs to another model: its parameter "
                                  "%s has shape %s but this network's has %s; %s."
                                  % (folder, name, saved[name], shape, fix))
    extra = [n for n in saved if n not in ours]
    if extra:
        raise CheckpointError("the checkpoint %s belongs to another model: it holds parameter "
                              "%s, which this network lacks; %s." % (folder, extra[0], fix))
    want, have = manifest["signature"].get("optimizer"), optimizer_name(trainer)
    if want != have and None not in (want, have):
        raise CheckpointError("the checkpoint %s was written with the optimizer %s but this run "
                              "uses %s; resume with %s, or use another folder."
                              % (folder, want, have, want))


__all__ = ["Checkpoint", "CheckpointError", "check_signature", "read_manifest", "signature"]


def _has_states(trainer):
    """Whether the trainer's optimizer state can be saved: a ``gluon.Trainer`` on a distributed
    KVStore keeps it on the servers (MXNet refuses ``save_states`` there), so only the weights
    are checkpointed."""
    if not hasattr(trainer, "save_states"):
        return False
    kv = trainer_kvstore(trainer)
    return not getattr(kv, "type", "").startswith("dist")
