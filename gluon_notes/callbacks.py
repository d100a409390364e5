"""Callbacks of the one loop (after Keras): each hook gets the loop state and one ``logs`` dict.

A callback never drives the loop; to stop it sets ``state.stop_training = True``. Callbacks with
``main_only = True`` run only on the main worker (rank 0 of a distributed KVStore).
"""
import json
import math
import os
import sys
import tempfile

from tqdm.auto import tqdm


class Callback:
    """Base class; override any hook. ``self.state`` is the running loop's ``TrainState``."""
    main_only = False
    state = None

    def on_train_begin(self, logs):
        pass

    def on_epoch_begin(self, epoch, logs):
        pass

    def on_batch_end(self, batch, logs):
        pass

    def on_epoch_end(self, epoch, logs):
        pass

    def on_train_end(self, logs):
        pass


class History(Callback):
    """Records the logs of every epoch; ``fit`` returns it.

    Attributes
    ----------
    epochs : list of dict
        One dict per epoch: ``epoch, loss, train_acc, test_loss, test_acc, seconds,
        samples_per_sec, lr`` (keys absent when not measured).
    """

    def __init__(self, epochs=None):
        self.epochs = list(epochs or [])

    def on_epoch_end(self, epoch, logs):
        self.epochs.append(dict(logs))

    def __getitem__(self, key):
        """Column ``key`` over epochs, e.g. ``history['test_acc']``."""
        return [e.get(key) for e in self.epochs]

    def __len__(self):
        return len(self.epochs)

    @property
    def last(self):
        return self.epochs[-1] if self.epochs else {}


def format_logs(epoch, logs):
    """One line per epoch, like the book: ``epoch 1, loss 0.7880, train acc 0.748, ...``."""
    parts = ["epoch %d" % (epoch + 1)]
    for key, fmt in (("loss", "loss %.4f"), ("train_acc", "train acc %.3f"),
                     ("test_loss", "test loss %.4f"), ("test_acc", "test acc %.3f"),
                     ("test_acc_moving", "test acc with moving BN stats %.3f"),
                     ("seconds", "%.1f s"), ("samples_per_sec", "%.0f samples/s")):
        if logs.get(key) is not None:
            parts.append(fmt % logs[key])
    return ", ".join(parts)


class EpochLogger(Callback):
    """Prints one line per epoch."""
    main_only = True

    def __init__(self, file=None):
        self.file = file

    def on_epoch_end(self, epoch, logs):
        tqdm.write(format_logs(epoch, logs), file=self.file or sys.stdout)


class ProgressBar(Callback):
    """A tqdm bar over the batches of each epoch (batches counted as they are queued)."""
    main_only = True

    def __init__(self, total=None):
        self.total, self.bar = total, None

    def on_epoch_begin(self, epoch, logs):
        self.bar = tqdm(total=self.total, desc="epoch %d" % (epoch + 1), unit="batch",
                        leave=False, dynamic_ncols=True)

    def on_batch_end(self, batch, logs):
        self.bar.update(1)

    def on_epoch_end(self, epoch, logs):
        self.on_train_end(logs)

    def on_train_end(self, logs):
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs."""

    def __init__(self, monitor="test_acc", patience=2, mode="max", min_delta=0.0):
        if mode not in ("max", "min"):
            raise ValueError("mode must be 'max' or 'min', got %r." % (mode,))
        self.monitor, self.patience, self.mode, self.min_delta = monitor, patience, mode, min_delta
        self.best, self.wait, self.stopped_epoch = None, 0, None

    def on_epoch_end(self, epoch, logs):
        value = logs.get(self.monitor)
        if value is None:
            raise ValueError("EarlyStopping monitors %r, which this run does not log; choose one "
                             "of %s." % (self.monitor, sorted(logs)))
        sign = 1 if self.mode == "max" else -1
        if self.best is None or sign * (value - self.best) > self.min_delta:
            self.best, self.wait = value, 0
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.state.stop_training = True
            self.stopped_epoch = epoch


def atomic_write(path, write):
    """Call ``write(tmp_path)`` then rename over ``path``: readers never see a partial file."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(path), suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp made it private; give it a normal file's mode
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def write_json(path, obj):
    """Write ``obj`` as JSON atomically (NaN written as null)."""
    def clean(v):
        if hasattr(v, "item") and getattr(v, "ndim", 1) == 0:  # numpy scalars
            v = v.item()
        if isinstance(v, float) and not math.isfinite(v):
            return None
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [clean(x) for x in v]
        return v

    def write(tmp):
        with open(tmp, "w") as f:
            json.dump(clean(obj), f, indent=2)
    atomic_write(path, write)


class Checkpoint(Callback):
    """Every epoch, atomically write ``net.params``, ``trainer.states`` and ``state.json``.

    ``fit(..., checkpoint=DIR, resume=True)`` continues from the last completed epoch; with a
    ``seed`` the resumed run ends exactly where an uninterrupted run ends.
    """
    main_only = True
    PARAMS, STATES, STATE = "net.params", "trainer.states", "state.json"

    def __init__(self, directory):
        self.directory = directory

    def on_train_begin(self, logs):
        os.makedirs(self.directory, exist_ok=True)

    def on_epoch_end(self, epoch, logs):
        s = self.state
        atomic_write(os.path.join(self.directory, self.PARAMS), s.net.save_parameters)
        if hasattr(s.trainer, "save_states"):
            atomic_write(os.path.join(self.directory, self.STATES), s.trainer.save_states)
        write_json(os.path.join(self.directory, self.STATE),
                   {"epoch": epoch, "history": s.history.epochs})

    @classmethod
    def restore(cls, directory, net, trainer, ctx, history, num_epochs=None):
        """Load what ``Checkpoint`` wrote into ``net``, ``trainer`` and ``history``; return the
        epoch to start from (0 when ``directory`` holds no checkpoint yet).

        With ``num_epochs``, a checkpoint that has finished more epochs than that is refused."""
        from .errors import GluonNotesError
        if not directory:
            raise GluonNotesError("resume=True needs checkpoint=DIR naming the checkpoint folder.")
        path = os.path.join(directory, cls.STATE)
        if not os.path.exists(path):
            return 0
        with open(path) as f:
            saved = json.load(f)
        done = saved["epoch"] + 1
        if num_epochs is not None and num_epochs < done:
            raise GluonNotesError(
                "the checkpoint in %s has finished %d epochs but num_epochs is %d; ask for at "
                "least %d (or use another folder)." % (directory, done, num_epochs, done))
        net.load_parameters(os.path.join(directory, cls.PARAMS), ctx=ctx)
        states = os.path.join(directory, cls.STATES)
        if hasattr(trainer, "load_states") and os.path.exists(states):
            trainer.load_states(states)
        history.epochs.extend(saved["history"])
        return saved["epoch"] + 1
