"""The worker of ``gluon-notes launch --bench``: a chapter's own run plus a step timer.

Design
------
* ``python -m gluon_notes.dist.bench_worker CHAPTER TIMING_DIR [chapter options]`` trains the
  chapter exactly as ``gluon-notes run CHAPTER`` does (its parser, defaults, model, init and
  ``run_classifier``), with one more callback, ``StepTimer``; ``--kvstore dist_sync`` comes from
  the options like any other.
* ``StepTimer`` records, per epoch, the loop's own training seconds and samples, the test
  accuracy and the wall seconds since training began (the chapter's start-up, data loading and
  KVStore registration excluded), and writes them to ``TIMING_DIR/worker-<index>.json`` on
  every worker (not only rank 0).
* The communication share is timed on a sample of steps: every ``every``-th step, the engine is
  drained (``nd.waitall``) at the end of the step before it and again before and after
  ``trainer.step``. ``compute`` is then the step's data, forward, backward and loop work;
  ``comm`` is ``trainer.step`` under ``dist_sync``: push of the gradients, the servers' update,
  pull of the weights, and the wait for the slowest worker. The other steps run unsynced.
"""
import json
import os
import sys
import time
from pathlib import Path

from ..atomic import write_json
from ..callbacks import Callback
from ..errors import GluonNotesError

#: by default one step in ten is timed (two engine drains per ten steps)
EVERY = 10


class StepTimer(Callback):
    """Per-epoch figures and the split of sampled steps into compute and KVStore time.

    Parameters
    ----------
    path : str
        JSON file written at the end of training.
    every : int
        Time one step in ``every`` (the first ``every`` steps, with the KVStore's set-up and the
        graph's first build, are skipped).
    """

    def __init__(self, path, every=EVERY):
        if not isinstance(every, int) or every < 2:
            raise GluonNotesError("every must be a whole number >= 2, got %r." % (every,))
        self.path, self.every = path, every
        self.epochs, self.compute, self.comm, self.sampled, self.steps = [], 0.0, 0.0, 0, 0
        self.start = self.mark = None

    def on_train_begin(self, logs):
        trainer = self.state.trainer
        step = trainer.step  # SupervisedStep calls trainer.step(n): time it on this instance

        def timed_step(batch_size, *args, **kwargs):
            from mxnet import nd
            i, self.steps = self.steps, self.steps + 1
            if i >= self.every and i % self.every == 0 and self.mark is not None:
                nd.waitall()  # forward and backward of this step are done
                t_compute = time.perf_counter()
                step(batch_size, *args, **kwargs)
                nd.waitall()  # push, update on the servers, pull
                t_done = time.perf_counter()
                self.compute += t_compute - self.mark
                self.comm += t_done - t_compute
                self.sampled += 1
                self.mark = None
                return
            step(batch_size, *args, **kwargs)
            if (i + 1) % self.every == 0:
                nd.waitall()  # the next step starts from an idle engine
                self.mark = time.perf_counter()

        trainer.step = timed_step
        self.start = time.perf_counter()

    def on_epoch_begin(self, epoch, logs):
        self.mark = None  # evaluation and epoch set-up are no step's compute

    def on_epoch_end(self, epoch, logs):
        self.mark = None
        self.epochs.append(dict(epoch=epoch + 1, seconds=logs["seconds"], n=logs["n"],
                                test_acc=logs.get("test_acc"),
                                eval_seconds=logs.get("eval_seconds"),
                                elapsed=time.perf_counter() - self.start))

    def on_train_end(self, logs):
        write_json(self.path, dict(
            index=int(os.environ.get("GLUON_NOTES_DIST_INDEX", "0")), main=self.state.is_main,
            epochs=self.epochs, steps=self.steps, sampled_steps=self.sampled,
            compute_seconds=self.compute, comm_seconds=self.comm))


def _run_lenet(argv, callbacks):
    from ..chapters import lenet
    from ..chapters._cnn import run_cnn
    return run_cnn("lenet", lenet.DEFAULTS, lenet.__doc__, argv, model="lenet",
                   callbacks=callbacks)


def _run_mlp(argv, callbacks):
    from mxnet import init

    from ..chapters import mlp
    from ..chapters._common import add_data_args, parse_args, run_classifier
    from ..models import get_model
    args = parse_args("mlp", mlp.DEFAULTS, mlp.__doc__, argv, extra=add_data_args)
    return run_classifier(args, lambda: get_model("mlp"), init=init.Normal(0.01),  # as mlp.main
                          callbacks=callbacks)


#: the chapters the bench runs: ``run(argv, callbacks)`` trains as ``gluon-notes run`` does
CHAPTERS = {"lenet": _run_lenet, "mlp": _run_mlp}


def cpu_profile(chapter):
    """The CPU profile ``gluon-notes run CHAPTER`` trains with ('compute' or 'default')."""
    import importlib
    module = importlib.import_module("gluon_notes.chapters." + chapter)
    return getattr(module, "CPU_PROFILE", "default")


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if len(argv) < 2 or argv[0] not in CHAPTERS:
        raise GluonNotesError("usage: python -m gluon_notes.dist.bench_worker {%s} TIMING_DIR "
                              "[chapter options]." % ",".join(CHAPTERS))
    chapter, folder = argv[0], argv[1]
    every = int(os.environ.get("GLUON_NOTES_BENCH_EVERY", EVERY))
    index = os.environ.get("GLUON_NOTES_DIST_INDEX", "0")
    timer = StepTimer(os.path.join(folder, "worker-%s.json" % index), every)
    CHAPTERS[chapter](argv[2:], [timer])
    return 0


def read_timings(folder):
    """The ``worker-*.json`` records of one run, ordered by launch index."""
    out = [json.loads(p.read_text()) for p in Path(folder).glob("worker-*.json")]
    return sorted(out, key=lambda t: t["index"])


if __name__ == "__main__":
    try:
        sys.exit(main())
    except GluonNotesError as err:
        print("gluon-notes: error: %s" % err, file=sys.stderr)
        sys.exit(2)
