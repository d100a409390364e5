"""CPU profiles: MXNet's engine and thread settings, chosen per workload before MXNet is imported.

Design
------
* MXNet reads its engine and thread settings from the environment once, when it is imported, so
  ``gluon_notes/__init__.py`` calls ``configure()`` first.
* Two profiles. ``default``: MXNet's own settings (threaded engine; OpenMP threads = half the
  logical CPUs); the engine runs operators in a worker thread while Python prepares the next
  batch, which suits small networks whose steps are bound by Python overhead. ``compute``:
  ``MXNET_ENGINE_TYPE=NaiveEngine`` (operators run in the calling thread) and
  ``MXNET_OMP_MAX_THREADS`` = physical cores (MXNet halves the logical CPU count, assuming two
  hyper-threads per core, which leaves half the cores idle on a machine without them); unlike
  ``OMP_NUM_THREADS`` it leaves other OpenMP libraries in the process (PyTorch) alone. It suits
  convolutional networks; with the threaded engine, more OpenMP threads compete with the
  engine's and Python's threads instead.
* The compute profile also bounds OpenMP's busy-waiting (``GOMP_SPINCOUNT``, libgomp, which
  MXNet's wheel uses): between two operators an idle OpenMP thread spins before it sleeps, by
  default for ~300,000 iterations. On a machine where other processes want the cores too (a
  browser, a second training run), the spinning threads take the CPU from the thread that has
  work, and a small CNN then trains 10-40x slower (docs/performance.md). A short spin keeps the
  idle speed and yields under contention. Not set when the user set ``GOMP_SPINCOUNT`` or
  ``OMP_WAIT_POLICY``.
* Neither suits every network (figures: ``gluon-notes bench``, docs/performance.md), so the
  choice is per workload: chapters declare ``CPU_PROFILE = "compute"`` (the CNN chapters) and
  ``gluon-notes run`` restarts itself with that profile (``reexec``); ``gluon-notes bench``
  trains each loop model in a child process with the model's profile.
* ``GLUON_NOTES_PERF`` chooses for the whole process and always wins: ``1`` (or ``compute``) or
  ``0`` (or ``default``). A variable the user has set is never changed, and the CUDA wheels
  (``mxnet-cu*``) always keep MXNet's settings.
"""
import os
import sys

ENV_SWITCH = "GLUON_NOTES_PERF"
PROFILES = ("default", "compute")
#: OpenMP busy-wait iterations of the compute profile (libgomp's default: 300,000)
SPINCOUNT = 10000
#: variables that, when the user set one, make ``configure`` leave OpenMP's waiting alone
_WAIT_VARIABLES = ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY")
_SWITCH_VALUES = {"0": "default", "default": "default", "1": "compute", "compute": "compute"}


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


def defaults(profile="compute"):
    """The settings of ``profile`` on this machine: ``{variable: value}`` (none for 'default')."""
    if profile == "default":
        return {}
    return {"MXNET_OMP_MAX_THREADS": str(physical_cores()),
            "MXNET_ENGINE_TYPE": "NaiveEngine", "GOMP_SPINCOUNT": str(SPINCOUNT)}


def describe(profile):
    """``profile`` in a few words, e.g. 'NaiveEngine, 2 OpenMP threads'."""
    env = defaults(profile)
    if not env:
        return "MXNet's own engine and threads"
    return "%s, %s OpenMP threads" % (env["MXNET_ENGINE_TYPE"], env["MXNET_OMP_MAX_THREADS"])


def requested(environ=None):
    """The profile ``GLUON_NOTES_PERF`` asks for, or None when it is unset.

    Raises ``ValueError`` (one sentence) for a value it does not know.
    """
    environ = os.environ if environ is None else environ
    value = environ.get(ENV_SWITCH)
    if value is None:
        return None
    if value.strip().lower() not in _SWITCH_VALUES:
        raise ValueError("%s=%s is not a CPU profile; use 1 (or compute) or 0 (or default)."
                         % (ENV_SWITCH, value))
    return _SWITCH_VALUES[value.strip().lower()]


def _cpu_build():
    """True if the installed mxnet is the CPU wheel ``mxnet`` (CUDA wheels are ``mxnet-cu*``)."""
    from importlib import metadata
    try:
        metadata.distribution("mxnet")
    except metadata.PackageNotFoundError:
        return False
    return True


def configure(environ=None):
    """Apply the profile ``GLUON_NOTES_PERF`` asks for: set each of its ``defaults`` the user has
    not set; return ``{variable: value}`` of those set. Must run before ``import mxnet``.

    An unknown value of ``GLUON_NOTES_PERF`` is reported on stderr and ignored (this runs at
    import, where an exception would hide the message in a traceback).
    """
    environ = os.environ if environ is None else environ
    try:
        profile = requested(environ)
    except ValueError as err:
        print("gluon_notes: %s MXNet keeps its own settings." % err, file=sys.stderr)
        return {}
    if profile is None or not _cpu_build():
        return {}
    applied = {}
    for key, value in defaults(profile).items():
        if key in _WAIT_VARIABLES and any(k in environ for k in _WAIT_VARIABLES):
            continue
        if key not in environ:
            environ[key] = applied[key] = value
    return applied


def active(environ=None):
    """The profile this process runs with: 'compute' when MXNet runs inline, else 'default'."""
    return "compute" if engine(environ) == "NaiveEngine" else "default"


def engine(environ=None):
    """The MXNet engine this process runs (MXNet's default: ThreadedEnginePerDevice)."""
    environ = os.environ if environ is None else environ
    return environ.get("MXNET_ENGINE_TYPE", "ThreadedEnginePerDevice")


def omp_threads(environ=None):
    """OpenMP threads MXNet's operators use here: ``MXNET_OMP_MAX_THREADS``, else
    ``OMP_NUM_THREADS``, else MXNet's default (half the logical CPUs on x86)."""
    environ = os.environ if environ is None else environ
    for key in ("MXNET_OMP_MAX_THREADS", "OMP_NUM_THREADS"):
        if environ.get(key, "").strip().isdigit():
            return int(environ[key])
    return max(1, (os.cpu_count() or 2) // 2)


def runtime():
    """What this process runs with: ``{'profile', 'engine', 'mxnet_omp_threads'}``."""
    return dict(profile=active(), engine=engine(), mxnet_omp_threads=omp_threads())


def child_env(profile, environ=None):
    """A copy of the environment for a child process that should run with ``profile``; the
    user's ``GLUON_NOTES_PERF``, when set, wins."""
    env = dict(os.environ if environ is None else environ)
    env.setdefault(ENV_SWITCH, profile)
    return env


def reexec(profile, argv, note=None):
    """Replace this process by ``python -m gluon_notes.cli ARGV`` running with ``profile``.

    Returns (doing nothing) for the 'default' profile (it sets nothing), when the profile is
    already in force, when the user chose one with ``GLUON_NOTES_PERF``, or on a CUDA wheel.
    ``note`` is printed to stderr first.
    """
    if profile not in PROFILES:
        raise ValueError("unknown CPU profile %r; use one of %s." % (profile, ", ".join(PROFILES)))
    if profile == "default" or ENV_SWITCH in os.environ or not _cpu_build() \
            or active() == profile:
        return
    if note:
        print(note, file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, "-m", "gluon_notes.cli"] + list(argv),
              child_env(profile))


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
