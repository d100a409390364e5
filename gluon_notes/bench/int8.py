"""The int8 workload: each bench model's inference in fp32 and int8 (``gluon_notes.quantize``).

Design
------
* ``run_int8(models, batch_sizes)`` returns one row per ``(model, batch size)``: fp32 and int8
  milliseconds per batch, the speed-up and the share of argmax predictions int8 keeps.
  ``python -m gluon_notes.bench.int8`` prints them as a table, after the CPU's int8 features
  (VNNI is what makes int8 convolutions fast; without it oneDNN emulates them with AVX2).
* The networks are the bench's own (``models.MODELS``), built from seed 0 and not trained: the
  rows measure speed; accuracy on trained networks is ``gluon-notes run CHAPTER --quantize``.
* Calibration images are the first Fashion-MNIST training images, resized to the model's input
  (``calib='fashion-mnist'``), or uniform noise (``'synthetic'``); ``'auto'`` takes the data set
  when it is installed. Predictions are compared on the first test images (or other noise).
* Both networks are run the same way (a ``SymbolBlock`` with static memory and shapes) and timed
  with ``quantize.inference_ms``; nothing here asserts a speed.
* The script runs with the ``compute`` CPU profile, as the CNN chapters do, unless
  ``GLUON_NOTES_PERF`` says otherwise (it re-executes itself to apply it); a variable the user
  set (``MXNET_OMP_MAX_THREADS=1`` for one thread) is kept. The header names the threads and
  the load average: on a busy machine, OpenMP threads that wait for each other slow both
  networks by far more than int8 gains.
"""
import os
import sys

import numpy as np
import mxnet as mx
from mxnet import nd

from .. import perf
from ..cliargs import ArgumentParser, positive_int
from ..errors import DataError, GluonNotesError
from ..quantize import MODES, agreement, frozen, quantize, speeds
from .models import get_bench_model
from .script import run_script

CALIB = ("auto", "fashion-mnist", "synthetic")
COLUMNS = ("model", "batch", "fp32_ms", "int8_ms", "speedup", "unchanged")


def cpu_int8_support():
    """``{'cpu': model name, 'vnni': bool, 'avx512': bool}`` from /proc/cpuinfo (False when
    unknown): VNNI (``avx512_vnni`` or ``avx_vnni``) multiplies int8 in one instruction."""
    name, flags = "unknown", set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() == "model name" and name == "unknown":
                    name = value.strip()
                elif key.strip() == "flags" and not flags:
                    flags = set(value.split())
    except OSError:
        pass
    return dict(cpu=name, vnni=bool(flags & {"avx512_vnni", "avx_vnni"}),
                avx512=any(f.startswith("avx512") for f in flags))


def _images(model, n, calib):
    """``(calibration images, comparison images)``, each ``(n,) + model.input_shape``, and the
    source's name."""
    shape = model.input_shape
    image = len(shape) == 3 and shape[0] == 1 and shape[1] == shape[2]
    if calib != "synthetic" and image:
        from ..data import load_data_fashion_mnist
        try:
            train, test = load_data_fashion_mnist(n, resize=None if shape[1] == 28 else shape[1],
                                                  shuffle_train=False, limit=n)
            return next(iter(train))[0], next(iter(test))[0], "fashion-mnist"
        except DataError:
            if calib == "fashion-mnist":
                raise
    elif calib == "fashion-mnist":
        raise GluonNotesError("bench model %s takes %s inputs, not Fashion-MNIST images; use "
                              "calib='synthetic'." % (model.name, shape))
    rng = np.random.RandomState(0)
    draw = [nd.array(rng.uniform(size=(n,) + shape).astype(np.float32)) for _ in range(2)]
    return draw[0], draw[1], "synthetic"


def run_int8(models, batch_sizes=(1, 64), mode="naive", calib_images=256, calib="auto",
             repeats=5, target_seconds=0.2):
    """Time each bench model's inference in fp32 and int8 at each batch size.

    Parameters
    ----------
    models : sequence of str
        Names from ``gluon_notes.bench.models.MODELS`` (e.g. ``['lenet', 'resnet18_96']``).
    batch_sizes : sequence of int
    mode : {'naive', 'entropy'}
        Calibration (``quantize.quantize``).
    calib_images : int
        Images to calibrate on, and to compare the predictions on.
    calib : {'auto', 'fashion-mnist', 'synthetic'}
    repeats, target_seconds
        ``quantize.inference_ms``: timed runs per figure (median) and the length of each.

    Returns
    -------
    list of dict
        One per ``(model, batch)``, in that order: ``model``, ``batch``, ``fp32_ms`` and
        ``int8_ms`` (milliseconds per batch), ``speedup`` (fp32_ms / int8_ms), ``unchanged``
        (share of the comparison images whose argmax prediction int8 keeps, the same for every
        batch size of a model), ``mode``, ``calib`` (the images' source), ``cpu_profile`` and
        ``omp_threads`` (``gluon_notes.perf``).
    """
    if calib not in CALIB:
        raise GluonNotesError("unknown calibration source %r; use one of %s."
                              % (calib, ", ".join(CALIB)))
    if not isinstance(calib_images, int) or calib_images < 1:
        raise GluonNotesError("calib_images must be a positive integer, got %r."
                              % (calib_images,))
    chosen = [get_bench_model(name) for name in models]
    rows = []
    for model in chosen:
        X_calib, X_test, source = _images(model, calib_images, calib)
        mx.random.seed(0)
        net = model.make()
        net.initialize(mx.init.Xavier(), ctx=mx.cpu())
        net(X_calib[:1])  # shapes known, parameters allocated
        qnet = quantize(net, [X_calib], mode, num_calib_batches=1)
        fp32 = frozen(net)
        same = agreement(fp32, qnet, [X_test])
        for b, fp32_ms, int8_ms in speeds(fp32, qnet, X_test, batch_sizes, repeats=repeats,
                                          target_seconds=target_seconds):
            rows.append(dict(model=model.name, batch=b, fp32_ms=fp32_ms, int8_ms=int8_ms,
                             speedup=fp32_ms / int8_ms, unchanged=same, mode=mode, calib=source,
                             cpu_profile=perf.active(), omp_threads=perf.omp_threads()))
    return rows


def format_int8_table(rows):
    """The rows of ``run_int8`` as a text table (one line per row, a header first)."""
    lines = ["%-12s %6s %12s %12s %9s %10s" % ("model", "batch", "fp32 ms", "int8 ms",
                                               "speed-up", "unchanged")]
    for r in rows:
        lines.append("%-12s %6d %12.3f %12.3f %8.2fx %9.1f%%" % (
            r["model"], r["batch"], r["fp32_ms"], r["int8_ms"], r["speedup"],
            100 * r["unchanged"]))
    return "\n".join(lines)


def _int_list(text):
    return [positive_int(t) for t in text.split(",")]


def main(argv=None):
    p = ArgumentParser(prog="python -m gluon_notes.bench.int8",
                       description="fp32 vs int8 inference of the bench models")
    p.add_argument("--models", default="lenet,resnet18",
                   help="bench models, comma-separated (default %(default)s; resnet18_96 is "
                        "the book's 96 px ResNet-18)")
    p.add_argument("--batch-sizes", type=_int_list, default=[1, 64])
    p.add_argument("--mode", choices=MODES, default="naive")
    p.add_argument("--calib", choices=CALIB, default="auto")
    p.add_argument("--calib-images", type=positive_int, default=256)
    p.add_argument("--repeats", type=positive_int, default=5)
    args = p.parse_args(argv)
    support = cpu_int8_support()
    rows = run_int8(args.models.split(","), args.batch_sizes, args.mode, args.calib_images,
                    args.calib, args.repeats)
    print("%s; VNNI: %s; %s, %d OpenMP thread(s); load average %.1f; %s calibration on %d %s "
          "images" % (support["cpu"], "yes" if support["vnni"] else "no", perf.engine(),
                      perf.omp_threads(), os.getloadavg()[0], args.mode, args.calib_images,
                      rows[0]["calib"]))
    print(format_int8_table(rows))
    return rows


def _reexec_with_compute_profile(argv):
    """Restart this script with the ``compute`` profile unless ``GLUON_NOTES_PERF`` is set."""
    if perf.ENV_SWITCH in os.environ or perf.active() == "compute":
        return
    cmd = [sys.executable, "-m", "gluon_notes.bench.int8"] + list(argv)
    os.execve(sys.executable, cmd, perf.child_env("compute"))


if __name__ == "__main__":
    _reexec_with_compute_profile(sys.argv[1:])
    sys.exit(run_script(main))
