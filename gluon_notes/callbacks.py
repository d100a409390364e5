"""Callbacks of the one loop (after Keras): each hook gets the loop state and one ``logs`` dict.

A callback never drives the loop; to stop it sets ``state.stop_training = True``. Callbacks with
``main_only = True`` run only on the main worker (rank 0 of a distributed KVStore).
``Checkpoint`` lives in ``gluon_notes.checkpoint`` (still importable from here).
"""
import sys

from tqdm.auto import tqdm

# re-exported while other modules import them from here; new code imports gluon_notes.atomic
from .atomic import atomic_write, write_json  # noqa: F401


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


def __getattr__(name):
    """``Checkpoint`` moved to ``gluon_notes.checkpoint``; importing it from here still works."""
    if name == "Checkpoint":
        from .checkpoint import Checkpoint
        return Checkpoint
    raise AttributeError("module %r has no attribute %r" % (__name__, name))
