"""An opt-in CPU profile for compute-bound training, applied before MXNet is imported.

MXNet reads its engine and thread settings from the environment once, when it is imported, so
``gluon_notes/__init__.py`` calls ``configure()`` first. Nothing is set unless the user asks with
``GLUON_NOTES_PERF=1``, and even then a variable the user has set is left alone. What the two
settings buy was measured with ``gluon-notes bench`` (docs/performance.md):

* ``MXNET_OMP_MAX_THREADS`` = physical cores. MXNet halves the logical CPU count, assuming two
  hyper-threads per core; on a machine without them (the 2-core AMD EPYC VM of the figures)
  that leaves half the cores idle. Unlike ``OMP_NUM_THREADS`` it leaves the thread count of other
  OpenMP libraries in the process (PyTorch) alone.
* ``MXNET_ENGINE_TYPE=NaiveEngine``: operators run in the calling thread. With the threaded
  engine the second OpenMP thread competes with the Python thread, which made small networks
  slower with more threads; run inline, more threads help every network.

Why it is not the default: it speeds up the compute-bound loop (the loop vs PyTorch eager went
MLP 0.66x -> 0.81x, LeNet 0.47x -> 0.65x) but slows what is bound by Python overhead (softmax
regression 1.47x -> 0.89x, the book network's static-graph inference at batch 1 0.038 ms ->
0.101 ms), and the inline engine removes the asynchronous execution the book demonstrates
(section 8.2). The CUDA wheels (``mxnet-cu*``) never get it.
"""
import os
import sys

ENV_SWITCH = "GLUON_NOTES_PERF"


def physical_cores():
    """Physical cores this process may use (logical CPUs when the topology is unknown)."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 1
    cores, phys = set(), "0"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "physical id":
                    phys = value.strip()
                elif key == "core id":
                    cores.add((phys, value.strip()))
    except OSError:
        pass
    return max(1, min(usable, len(cores) or usable))


def defaults():
    """The settings ``configure`` would apply on this machine: ``{variable: value}``."""
    return {"MXNET_OMP_MAX_THREADS": str(physical_cores()),
            "MXNET_ENGINE_TYPE": "NaiveEngine"}


def _cpu_build():
    """True if the installed mxnet is the CPU wheel ``mxnet`` (CUDA wheels are ``mxnet-cu*``)."""
    from importlib import metadata
    try:
        metadata.distribution("mxnet")
    except metadata.PackageNotFoundError:
        return False
    return True


def configure(environ=None):
    """With ``GLUON_NOTES_PERF=1``, set each of ``defaults()`` the user has not set; return
    ``{variable: value}`` of those set. Must run before ``import mxnet`` to have an effect.
    """
    environ = os.environ if environ is None else environ
    if environ.get(ENV_SWITCH, "0") != "1" or not _cpu_build():
        return {}
    applied = {}
    for key, value in defaults().items():
        if key not in environ:
            environ[key] = applied[key] = value
    return applied


def start_engine_quietly(applied):
    """Start MXNet's engine with stderr muted when ``configure`` chose it: MXNet logs a line
    ("MXNet start using engine: NaiveEngine") whenever MXNET_ENGINE_TYPE is set."""
    if "MXNET_ENGINE_TYPE" not in applied:
        return
    import mxnet as mx
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        mx.nd.waitall()  # the engine is created at its first use
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
