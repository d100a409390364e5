"""A role's process: ps-lite's scheduler or server (``DMLC_ROLE``), or a guard around a command.

Design
------
* Run as ``python .../gluon_notes/dist/role.py`` (a file path, never ``-m``): importing the
  ``gluon_notes`` package imports mxnet, and mxnet turns into the server on import.
* ``role.py --guard -- COMMAND ...`` runs COMMAND in its own process group on a remote host and
  ends it when the launcher goes away (its ssh channel, our stdin, reaches EOF) or the scheduler
  stops answering: killing a local ssh client alone leaves the remote command running.
* The scheduler needs only ``libmxnet.so`` (loaded with ctypes: no Python operator registry); a
  server imports mxnet, whose import runs the server (``mxnet/kvstore/kvstore_server.py``) and
  exits when the workers finish.
* A server watches the scheduler's port (``DMLC_PS_ROOT_URI:DMLC_PS_ROOT_PORT``) and exits with
  one sentence when it stops answering, so a server on another host never outlives its run.
* The exit status is 0 when ps-lite finishes normally.
"""
import ctypes
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import threading
import time

#: a server exits after the scheduler's port refused this many checks in a row
MISSES = 3
#: ... or this many before it ever answered (it may still be starting on a loaded machine)
STARTUP_MISSES = 30


def _lib():
    spec = importlib.util.find_spec("mxnet")
    folder = list(spec.submodule_search_locations)[0]
    return ctypes.CDLL(os.path.join(folder, "libmxnet.so"), ctypes.RTLD_LOCAL)


def run_scheduler():
    """ps-lite's scheduler: create a 'dist' KVStore and block in ``RunServer`` until the end."""
    lib = _lib()
    lib.MXGetLastError.restype = ctypes.c_char_p
    handle = ctypes.c_void_p()
    if lib.MXKVStoreCreate(b"dist", ctypes.byref(handle)) != 0:
        raise RuntimeError(lib.MXGetLastError().decode())
    controller = ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p)
    keep = controller(lambda *args: None)  # the scheduler receives no commands
    if lib.MXKVStoreRunServer(handle, keep, None) != 0:
        raise RuntimeError(lib.MXGetLastError().decode())


def port_answers(host, port, timeout=2.0):
    """Whether a TCP connection to ``host:port`` is accepted within ``timeout`` seconds."""
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            return True
    except OSError:
        return False


def watch_scheduler(what, interval=2.0, misses=MISSES, on_lost=None):
    """Start a daemon thread that ends this process when the scheduler stops answering.

    The thread connects to ``DMLC_PS_ROOT_URI:DMLC_PS_ROOT_PORT`` every ``interval`` seconds
    and calls ``on_lost()`` (default: one sentence on stderr, exit status 3) after ``misses``
    refusals in a row (``STARTUP_MISSES`` before the port first answered).
    """
    host, port = os.environ["DMLC_PS_ROOT_URI"], os.environ["DMLC_PS_ROOT_PORT"]

    def lost():
        sys.stderr.write("%s: the scheduler at %s:%s stopped answering, so this %s exits.\n"
                         % (what, host, port, what.split()[0]))
        sys.stderr.flush()
        os._exit(3)

    def loop():
        failed, seen = 0, False
        while True:
            time.sleep(interval)
            answers = port_answers(host, port)
            seen = seen or answers
            failed = 0 if answers else failed + 1
            if failed >= (misses if seen else STARTUP_MISSES):
                (on_lost or lost)()
                return

    thread = threading.Thread(target=loop, name="scheduler-watchdog", daemon=True)
    thread.start()
    return thread


def _stop_group(proc, grace=3.0):
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(grace)
            return
        except subprocess.TimeoutExpired:
            continue


def guard(argv, what):
    """Run ``argv``; stop it when stdin reaches EOF or the scheduler stops answering."""
    proc = subprocess.Popen(argv, start_new_session=True, stdin=subprocess.DEVNULL)
    reason = []

    def stop(why):
        reason.append(why)
        _stop_group(proc)

    def stdin_eof():
        while os.read(0, 4096):
            pass
        stop("the launcher went away (its connection closed)")

    threading.Thread(target=stdin_eof, daemon=True).start()
    if os.environ.get("DMLC_ROLE") != "scheduler":
        watch_scheduler(what, misses=5, on_lost=lambda: stop(
            "the scheduler at %s:%s stopped answering" % (os.environ["DMLC_PS_ROOT_URI"],
                                                          os.environ["DMLC_PS_ROOT_PORT"])))
    status = proc.wait()
    if reason:
        sys.stderr.write("%s on %s: %s, so it stopped.\n" % (what, socket.gethostname(), reason[0]))
        sys.exit(3)
    sys.exit(status if status >= 0 else 128 - status)


def restore_numpy_aliases():
    """numpy >= 1.24 lacks aliases mxnet 1.9.1 uses; this script must not import the package
    (its import would start MXNet's engine), so it loads ``numpy_compat`` by its path."""
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                        "numpy_compat.py")
    spec = importlib.util.spec_from_file_location("_gluon_notes_numpy_compat", path)
    shim = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(shim)
    shim.restore_numpy_aliases()


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    role = os.environ.get("DMLC_ROLE")
    what = role if role == "scheduler" else "%s %s" % (role, os.environ.get(
        "GLUON_NOTES_DIST_INDEX", "?"))
    if argv[:1] == ["--guard"]:
        guard(argv[2:] if argv[1:2] == ["--"] else argv[1:], what)
    elif role == "scheduler":
        run_scheduler()
    elif role == "server":
        watch_scheduler(what)
        restore_numpy_aliases()
        import mxnet  # noqa: F401  (the import runs the server and exits)
    else:
        sys.exit("role.py: DMLC_ROLE must be scheduler or server, got %r." % role)


if __name__ == "__main__":
    main()
