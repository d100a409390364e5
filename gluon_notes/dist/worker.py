"""What a worker of a distributed run needs: its rank, its shard of the data, a watchdog.

Design
------
* The rank and the number of workers come from the KVStore (ps-lite assigns ranks when the
  workers register, in arrival order); without a distributed KVStore a process is rank 0 of 1.
* ``shard`` deals a permutation seeded by ``(seed, epoch)`` to the parts like cards
  (``perm[part_index::num_parts]``), every part the same length (the remainder of
  ``n / num_parts`` samples sits the epoch out, a different one each epoch): every worker makes
  the same number of steps, which ``dist_sync`` needs, and the i-th local batches of the parts
  together are the i-th global batch of the single-process order ``shard(n, 1, 0, seed, epoch)``.
* ``SyncTrainer`` normalizes each step by the global batch (local batch x workers): the servers
  of ``dist_sync`` sum the workers' gradients, so this is what makes a run equal a single
  process with the same global batch.
* ``watchdog`` ends a worker whose scheduler stopped answering (ps-lite itself waits forever).
"""
import os

import numpy as np

from ..errors import GluonNotesError
from ..guards import epoch_seed
from .role import watch_scheduler

__all__ = ["rank", "num_workers", "is_main", "in_launched_run", "create_kvstore", "shard",
           "SyncTrainer", "watchdog"]


def rank(kv=None):
    """This worker's rank in ``kv`` (0 without a KVStore or for a local one)."""
    return int(getattr(kv, "rank", 0) or 0)


def num_workers(kv=None):
    """The number of workers of ``kv`` (1 without a KVStore or for a local one)."""
    return int(getattr(kv, "num_workers", 1) or 1)


def is_main(kv=None):
    """Whether this worker writes the run's outputs (rank 0)."""
    return rank(kv) == 0


def in_launched_run():
    """Whether this process is a worker started by the launcher (``DMLC_ROLE=worker``)."""
    return os.environ.get("DMLC_ROLE") == "worker"


def create_kvstore(name="dist_sync"):
    """``mx.kv.create(name)``; a distributed type outside a launched run is one sentence.

    Outside the launcher, ps-lite would wait forever for a scheduler that nobody started.
    """
    import mxnet as mx
    if name.startswith("dist") and not in_launched_run():
        raise GluonNotesError("kvstore %r needs the processes of a distributed run; start this "
                              "command through `python -m gluon_notes.dist -n WORKERS -s SERVERS "
                              "-- COMMAND`." % name)
    return mx.kv.create(name)


def shard(n, num_parts=1, part_index=0, seed=0, epoch=0):
    """The sample indices of part ``part_index`` of ``num_parts`` for ``epoch``.

    Parameters
    ----------
    n : int
        Samples in the data set.
    num_parts, part_index : int
        Usually ``kv.num_workers`` and ``kv.rank``.
    seed : int
        Shared by all workers, in ``[0, 2**32)``.
    epoch : int
        From 0; each epoch draws a new permutation (``guards.epoch_seed(seed, epoch)``).

    Returns
    -------
    numpy.ndarray of int64, shape ``(n // num_parts,)``
        Disjoint across parts for the same ``(seed, epoch)``.
    """
    for name, value, low in (("n", n, 0), ("num_parts", num_parts, 1), ("epoch", epoch, 0)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < low:
            raise GluonNotesError("%s must be a whole number >= %d, got %r." % (name, low, value))
    if not isinstance(part_index, (int, np.integer)) or not 0 <= part_index < num_parts:
        raise GluonNotesError("part_index must be in [0, %d) for %d parts, got %r."
                              % (num_parts, num_parts, part_index))
    if n < num_parts:
        raise GluonNotesError("%d samples cannot be dealt to %d parts; use fewer workers or more "
                              "data." % (n, num_parts))
    perm = np.random.RandomState(epoch_seed(seed, epoch)).permutation(n)  # (n,)
    per_part = n // num_parts
    return perm[part_index::num_parts][:per_part].astype(np.int64)  # (n // num_parts,)


class SyncTrainer:
    """A ``gluon.Trainer`` whose ``step(b)`` normalizes by the global batch ``b * num_workers``.

    For ``dist_sync`` (the servers sum all workers' gradients before one update). Everything
    else is the wrapped trainer's; for any other KVStore ``step`` is unchanged.
    """

    def __init__(self, trainer, kv):
        self.trainer, self.kv = trainer, kv
        self.factor = num_workers(kv) if "sync" in getattr(kv, "type", "") else 1

    def step(self, batch_size, ignore_stale_grad=False):
        self.trainer.step(batch_size * self.factor, ignore_stale_grad)

    def update(self, batch_size, ignore_stale_grad=False):
        self.trainer.update(batch_size * self.factor, ignore_stale_grad)

    def __getattr__(self, name):  # learning_rate, save_states, allreduce_grads, ...
        return getattr(self.trainer, name)


def watchdog(interval=2.0, misses=5, on_lost=None):
    """End this worker (exit status 3, one sentence on stderr) when its scheduler is gone.

    A daemon thread connects to ``DMLC_PS_ROOT_URI:DMLC_PS_ROOT_PORT`` every ``interval``
    seconds; after ``misses`` refusals in a row it calls ``on_lost()`` (default: exit).
    Returns the thread, or None outside a launched run.
    """
    if not in_launched_run():
        return None
    what = "worker %s" % os.environ.get("GLUON_NOTES_DIST_INDEX", "?")
    return watch_scheduler(what, interval=interval, misses=misses, on_lost=on_lost)
