"""Start the roles of a run, stream their output, and stop them all when one fails.

Design
------
* Each role is a process group of its own (``start_new_session``): stopping a role is
  ``killpg`` SIGTERM, then SIGKILL after ``grace`` seconds, so its children go too.
* The launcher polls its children: the first non-zero exit stops everyone else and becomes the
  run's status, with one sentence naming the role; so do a timeout (124) and SIGINT/SIGTERM on
  the launcher (128 + signal).
* Local roles get ``PR_SET_PDEATHSIG`` (SIGKILL when the launcher dies); the roles of the ssh
  launcher keep a pipe on stdin whose EOF tells their remote guard to stop.
* One reader thread per role writes its lines to ``output`` prefixed with ``[label]``.
"""
import ctypes
import os
import signal
import subprocess
import threading
import time

#: exit status after a timeout (as coreutils' ``timeout``)
TIMEOUT_STATUS = 124
PR_SET_PDEATHSIG = 1


def _die_with_parent():
    """In the child before exec: receive SIGKILL when the launcher dies."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def shell_status(returncode):
    """A shell's exit status for a ``Popen.returncode`` (a signal N gives 128 + N)."""
    return 128 - returncode if returncode < 0 else returncode


def describe_exit(returncode):
    """'exited with status 1' or 'was killed by SIGKILL (status 137)'."""
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = "signal %d" % -returncode
        return "was killed by %s (status %d)" % (name, shell_status(returncode))
    return "exited with status %d" % returncode


def _names(labels):
    if not labels:
        return "nothing else was running"
    if len(labels) == 1:
        return "stopped " + labels[0]
    return "stopped " + ", ".join(labels[:-1]) + " and " + labels[-1]


class Supervisor:
    """Run ``roles`` (``launch.Role``) to the end; ``run()`` returns the run's exit status."""

    def __init__(self, roles, output, log, timeout=None, inherit_env=True, die_with_parent=True,
                 keep_stdin=False, poll=0.1, grace=3.0, linger=30.0):
        self.roles, self.output, self.log, self.timeout = roles, output, log, timeout
        self.inherit_env, self.die_with_parent, self.keep_stdin = (inherit_env, die_with_parent,
                                                                   keep_stdin)
        self.poll, self.grace, self.linger = poll, grace, linger
        self.procs, self.readers, self.lock = [], [], threading.Lock()
        self.signum = None

    # ------------------------------------------------------------------ starting
    def _env(self, role):
        env = dict(os.environ)
        for key in [k for k in env if k.startswith("DMLC_")]:
            del env[key]  # the launcher's own DMLC_* must not leak into a role
        if self.inherit_env:
            env.update(role.env)
        return env

    def _start(self, role):
        proc = subprocess.Popen(
            role.argv, env=self._env(role), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            stdin=subprocess.PIPE if self.keep_stdin else subprocess.DEVNULL,
            start_new_session=True, preexec_fn=_die_with_parent if self.die_with_parent else None)
        reader = threading.Thread(target=self._stream, args=(proc, self.label(role)),
                                  daemon=True)
        reader.start()
        self.procs.append(proc)
        self.readers.append(reader)

    def label(self, role):
        return role.label + ("" if role.host is None else " on %s" % role.host.name)

    def _stream(self, proc, label):
        prefix = "[%s] " % label
        for raw in iter(proc.stdout.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self.lock:
                self.output.write(prefix + line + "\n")
                self.output.flush()
        proc.stdout.close()

    def say(self, sentence):
        with self.lock:
            self.log.write("gluon-notes launch: %s\n" % sentence)
            self.log.flush()

    # ------------------------------------------------------------------ stopping
    def stop_all(self):
        """Stop every role's process group; return the labels of those still running."""
        running = [self.label(r) for r, p in zip(self.roles, self.procs) if p.poll() is None]
        for proc in self.procs:
            if proc.stdin is not None and not proc.stdin.closed:
                try:
                    proc.stdin.close()  # the ssh guard's signal
                except OSError:
                    pass
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for proc in self.procs:
                try:
                    os.killpg(proc.pid, sig)
                except (ProcessLookupError, PermissionError):
                    pass
            deadline = time.monotonic() + self.grace
            while time.monotonic() < deadline and any(p.poll() is None for p in self.procs):
                time.sleep(0.05)
        for proc in self.procs:
            proc.wait()
        return running

    def _on_signal(self, signum, frame):
        self.signum = signum

    # ------------------------------------------------------------------ the run
    def run(self):
        handlers = {}
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                handlers[sig] = signal.signal(sig, self._on_signal)
        try:
            for role in self.roles:
                self._start(role)
            return self._watch()
        finally:
            self.stop_all()
            for reader in self.readers:
                reader.join(5.0)
            for sig, handler in handlers.items():
                signal.signal(sig, handler)

    def _watch(self):
        start, workers_done = time.monotonic(), None
        workers = [p for r, p in zip(self.roles, self.procs) if r.name == "worker"]
        while True:
            if self.signum is not None:
                name = signal.Signals(self.signum).name
                self.say("%s received, so the run stops (%s)."
                         % (name, _names(self.stop_all())))
                return 128 + self.signum
            for role, proc in zip(self.roles, self.procs):
                code = proc.poll()
                if code:
                    what = "%s (pid %d) %s" % (self.label(role), proc.pid, describe_exit(code))
                    self.say("%s, so the run stops (%s)." % (what, _names(self.stop_all())))
                    return shell_status(code)
            if all(p.poll() is not None for p in self.procs):
                return 0
            now = time.monotonic()
            if workers_done is None and all(p.poll() is not None for p in workers):
                workers_done = now
            if workers_done is not None and now - workers_done > self.linger:
                self.say("every worker finished but the scheduler or a server was still running "
                         "%.0f s later (%s); did each worker create the dist KVStore?"
                         % (self.linger, _names(self.stop_all())))
                return 0
            if self.timeout is not None and now - start > self.timeout:
                self.say("the run exceeded its timeout of %g s (%s)."
                         % (self.timeout, _names(self.stop_all())))
                return TIMEOUT_STATUS
            time.sleep(self.poll)
