"""CPU speed settings applied when ``gluon_notes`` is imported, before MXNet is.

MXNet reads its engine and thread settings from the environment once, when it is imported, so
``gluon_notes/__init__.py`` calls ``configure()`` first. Each setting is a default: a variable
the user has already set is left alone, and ``GLUON_NOTES_PERF=0`` turns them all off. What
each one buys was measured with ``gluon-notes bench`` (see docs/performance.md):

* ``MXNET_OMP_MAX_THREADS`` = physical cores. MXNet halves the logical CPU count, assuming two
  hyper-threads per core; on a machine without them (like the 2-core AMD EPYC VM the figures
  come from) that leaves half the cores idle. Unlike ``OMP_NUM_THREADS`` it does not touch the
  thread count of other OpenMP libraries in the process (PyTorch keeps its own default).
* ``MXNET_ENGINE_TYPE=NaiveEngine``: operators run in the calling thread. With the threaded
  engine a second OpenMP thread competes with the Python thread for the same cores, which made
  small networks (softmax regression) slower with more threads; run inline, more threads help
  every network. Nothing is lost for the loop, which syncs once per epoch anyway.

Only the CPU wheel (``mxnet``) gets them: with a CUDA wheel (``mxnet-cu*``) the threaded engine
overlaps host and device work, and the settings are left to MXNet.
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
    """Set each default the user has not set; return ``{variable: value}`` of those set.

    Must run before ``import mxnet`` to have an effect.
    """
    environ = os.environ if environ is None else environ
    if environ.get(ENV_SWITCH, "1") == "0" or not _cpu_build():
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
