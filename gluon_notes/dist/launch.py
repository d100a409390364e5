"""The launcher: one scheduler, S servers and N workers of MXNet's parameter server (ps-lite).

Design
------
* ``plan`` turns the request into ``Role``s (name, index, host, argv, environment) and checks
  it (one sentence per mistake); ``launch`` starts them and supervises them. The wheel's
  ``tools/launch.py`` is not used (it crashes on Python 3.9+).
* Every role runs in its own process group and is watched: when one exits non-zero, the others
  are stopped (SIGTERM, then SIGKILL) and the launcher returns that first status with one
  sentence naming the role; ps-lite alone would wait forever. Ctrl-C/SIGTERM stop all roles,
  and local roles die with the launcher (``PR_SET_PDEATHSIG``).
* ``local`` keeps all traffic on 127.0.0.1 (``DMLC_NODE_HOST``); ``ssh`` runs every role as
  ``ssh HOST 'cd DIR && env K=V ... role.py --guard -- COMMAND'``: the guard ends the remote
  command when its ssh channel closes or the scheduler stops answering.
* Output is streamed line by line, prefixed ``[worker 0]`` with the launch index (ps-lite gives
  KVStore ranks in order of arrival, so a worker's ``kv.rank`` may differ).
"""
import os
import shlex
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

from ..errors import GluonNotesError
from .role import port_answers
from .supervise import Supervisor

#: the guard and ps-lite role runner, run by file path (importing gluon_notes imports mxnet)
ROLE_SCRIPT = str(Path(__file__).with_name("role.py"))
#: the remote shell of the ssh launcher (``-p PORT HOST 'COMMAND'`` is appended)
SSH = ("ssh", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=accept-new")
LAUNCHERS = ("local", "ssh")
ROLES = ("scheduler", "server", "worker")


@dataclass
class Host:
    """A line of a hosts file: ``HOST[:SSH_PORT] [scheduler] [server] [worker]``."""
    name: str
    ssh_port: Optional[int] = None
    roles: tuple = ROLES


@dataclass
class Role:
    """One process of the run."""
    name: str  # 'scheduler', 'server' or 'worker'
    index: Optional[int]  # None for the scheduler
    argv: List[str]
    env: Dict[str, str] = field(default_factory=dict)  # what this role adds to the environment
    host: Optional[Host] = None

    @property
    def label(self):
        return self.name if self.index is None else "%s %d" % (self.name, self.index)


def read_hosts(path):
    """The ``Host``s of a hosts file (``#`` comments and blank lines skipped)."""
    try:
        lines = Path(path).read_text().splitlines()
    except OSError as err:
        raise GluonNotesError("cannot read the hosts file %s (%s); give a file with one host "
                              "per line." % (path, err.strerror or err)) from None
    hosts = []
    for number, line in enumerate(lines, 1):
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        name, _, port = words[0].partition(":")
        bad = [w for w in words[1:] if w not in ROLES]
        if not name or (port and not port.isdigit()) or bad:
            raise GluonNotesError("line %d of %s is %r; write HOST[:SSH_PORT] followed by any of "
                                  "scheduler, server, worker." % (number, path, line.strip()))
        hosts.append(Host(name, int(port) if port else None, tuple(words[1:]) or ROLES))
    if not hosts:
        raise GluonNotesError("the hosts file %s lists no host; write one host per line." % path)
    return hosts


def _deal(hosts, role, count):
    """Round-robin over the hosts that take ``role``."""
    able = [h for h in hosts if role in h.roles]
    if not able:
        raise GluonNotesError("no host of the hosts file takes the %s role; tag a line with "
                              "'%s' or leave its roles out." % (role, role))
    return [able[i % len(able)] for i in range(count)]


def free_port(host=""):
    """A TCP port nobody listens on now (the OS picks it)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def check_port_free(port):
    """Raise one sentence if this host cannot listen on ``port`` (ps-lite binds all addresses)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as ZeroMQ does
        try:
            s.bind(("", port))
        except OSError as err:
            raise GluonNotesError("port %d is not free (%s); pass another --port or none to let "
                                  "the launcher pick one." % (port, err.strerror or err)) from None


def ssh_command(host, argv, env, cwd, ssh=SSH):
    """``ssh [-p PORT] HOST 'cd DIR && env K=V ... python role.py --guard -- ARGV'``."""
    assigns = " ".join("%s=%s" % (k, shlex.quote(v)) for k, v in sorted(env.items()))
    remote = "cd %s && env %s %s" % (shlex.quote(str(cwd)), assigns, " ".join(
        shlex.quote(a) for a in [sys.executable, ROLE_SCRIPT, "--guard", "--"] + list(argv)))
    port = ["-p", str(host.ssh_port)] if host.ssh_port else []
    return list(ssh) + port + [host.name, remote]


def plan(num_workers, num_servers, command, hosts=None, launcher="local", port=None, env=None,
         cwd=None, ssh=SSH):
    """The roles of a run, checked: ``[scheduler, server 0.., worker 0..]``.

    ``hosts`` is a hosts file path or a list of ``Host``; ``env`` is added to every role's
    environment (e.g. ``{'DMLC_INTERFACE': 'eth1'}``). ``port`` None picks a free one (local)
    or one that does not answer on the scheduler's host (ssh).
    """
    for name, value in (("the number of workers", num_workers),
                        ("the number of servers", num_servers)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise GluonNotesError("%s must be a whole number >= 1, got %r." % (name, value))
    command = list(command or [])
    if command[:1] == ["--"]:
        command = command[1:]
    if not command:
        raise GluonNotesError("no command to run on the workers; put it after --, e.g. "
                              "-- python train.py.")
    if launcher not in LAUNCHERS:
        raise GluonNotesError("unknown launcher %r; use local or ssh." % (launcher,))
    if port is not None and (not isinstance(port, int) or not 1 <= port <= 65535):
        raise GluonNotesError("port must be in [1, 65535], got %r." % (port,))
    if launcher == "local" and hosts is not None:
        raise GluonNotesError("a hosts file needs --launcher ssh; the local launcher runs every "
                              "role on this host.")
    if launcher == "ssh" and hosts is None:
        raise GluonNotesError("--launcher ssh needs --hosts FILE naming the machines.")
    if isinstance(hosts, (str, os.PathLike)):
        hosts = read_hosts(hosts)
    if launcher == "local":
        root = "127.0.0.1"
        if port is None:
            port = free_port()
        check_port_free(port)
        places = {"scheduler": [None], "server": [None] * num_servers,
                  "worker": [None] * num_workers}
    else:
        places = {"scheduler": _deal(hosts, "scheduler", 1)[:1],
                  "server": _deal(hosts, "server", num_servers),
                  "worker": _deal(hosts, "worker", num_workers)}
        root = places["scheduler"][0].name
        port = port or 20000 + free_port() % 20000
        if port_answers(root, port, timeout=3.0):
            raise GluonNotesError("port %d on the scheduler's host %s already answers; pass "
                                  "another --port." % (port, root))
    common = {"DMLC_PS_ROOT_URI": root, "DMLC_PS_ROOT_PORT": str(port),
              "DMLC_NUM_SERVER": str(num_servers), "DMLC_NUM_WORKER": str(num_workers),
              "PYTHONUNBUFFERED": "1"}
    common.update({str(k): str(v) for k, v in (env or {}).items()})
    roles = []
    for name in ROLES:
        for i, host in enumerate(places[name]):
            argv = command if name == "worker" else [sys.executable, ROLE_SCRIPT]
            renv = dict(common, DMLC_ROLE=name)
            if name != "scheduler":
                renv["GLUON_NOTES_DIST_INDEX"] = str(i)
                renv.setdefault("DMLC_NODE_HOST", root if host is None else host.name)
            if host is not None:
                argv = ssh_command(host, argv, renv, cwd or os.getcwd(), ssh)
            roles.append(Role(name, None if name == "scheduler" else i, list(argv), renv, host))
    return roles


def launch(num_workers, num_servers, command, hosts=None, launcher="local", port=None, env=None,
           timeout=None, *, cwd=None, ssh=SSH, output=None, log=None):
    """Run ``command`` on ``num_workers`` workers with ``num_servers`` servers; return the status.

    The status is 0 when every role finished well, else the first non-zero status of any role
    (128 + N for a role killed by signal N, 124 after ``timeout`` seconds, 130/143 after
    Ctrl-C/SIGTERM); the launcher then stopped every other role and wrote one sentence naming
    the role to ``log`` (default stderr). Role output goes to ``output`` (default stdout), each
    line prefixed ``[worker 0] ``.
    """
    if timeout is not None and not timeout > 0:
        raise GluonNotesError("timeout must be a number of seconds > 0, got %r." % (timeout,))
    roles = plan(num_workers, num_servers, command, hosts, launcher, port, env, cwd, ssh)
    local = launcher == "local"
    sup = Supervisor(roles, output or sys.stdout, log or sys.stderr, timeout,
                     inherit_env=local, die_with_parent=local, keep_stdin=not local)
    return sup.run()


def parse_args(argv, prog="python -m gluon_notes.dist"):
    from ..cliargs import ArgumentParser, positive_float, positive_int
    parser = ArgumentParser(
        prog=prog,
        description="Run COMMAND on WORKERS workers of MXNet's parameter server (KVStore dist_sync"
                    " / dist_async), with one scheduler and SERVERS servers. `%s --bench "
                    "[options]` measures what 1, 2 and 4 workers buy instead (see `%s --bench "
                    "--help`)." % (prog, prog))
    parser.add_argument("-n", "--num-workers", type=positive_int, required=True)
    parser.add_argument("-s", "--num-servers", type=positive_int, default=1)
    parser.add_argument("--hosts", help="file: HOST[:SSH_PORT] [scheduler] [server] [worker] "
                                        "per line (needs --launcher ssh)")
    parser.add_argument("--launcher", choices=LAUNCHERS, default="local")
    parser.add_argument("--port", type=positive_int, help="the scheduler's port "
                                                          "(default: a free one)")
    parser.add_argument("--timeout", type=positive_float, help="seconds before all roles stop")
    parser.add_argument("--env", action="append", default=[], metavar="K=V",
                        help="add to every role's environment, e.g. DMLC_INTERFACE=eth1")
    parser.add_argument("command", nargs="+", metavar="-- COMMAND")
    args = parser.parse_args(argv)
    bad = [e for e in args.env if "=" not in e or not e.split("=", 1)[0]]
    if bad:
        parser.error("--env takes K=V, got %r" % bad[0])
    args.env = dict(e.split("=", 1) for e in args.env)
    return args


def main(argv=None, prog="python -m gluon_notes.dist"):
    """``python -m gluon_notes.dist -n 2 -s 1 [--hosts FILE] ... -- COMMAND``: the status.

    ``prog`` names the command in usage errors (the CLI passes ``'gluon-notes launch'``).
    ``--bench`` before any ``--`` runs the scaling bench instead (``bench.main``).
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--bench" in argv[:argv.index("--") if "--" in argv else len(argv)]:
        from .bench import main as bench_main
        argv.remove("--bench")
        return bench_main(argv, prog=prog + " --bench")
    args = parse_args(argv, prog)
    return launch(args.num_workers, args.num_servers, args.command, args.hosts, args.launcher,
                  args.port, args.env, args.timeout)

