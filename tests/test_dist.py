"""The distributed launcher and a real dist_sync run on loopback (issue 13).

The real runs start a scheduler, a server and two workers (each imports mxnet: tens of seconds
on a loaded 2-core machine); every run has a timeout, and every process is checked gone.
"""
import importlib.util
import os
import shlex
import signal
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from gluon_notes import dist
from gluon_notes.dist.launch import ROLE_SCRIPT, Host, Role
from gluon_notes.dist.supervise import Supervisor
from gluon_notes.errors import GluonNotesError

#: bound of one real run (imports of mxnet dominate); a failing run is stopped by the launcher
RUN_TIMEOUT = 240

WORKER = r'''"""The worker of the distributed tests: a tiny regression trained by ``fit``.

``python dist_worker.py OUT MODE``: MODE ``fit`` trains with a ``dist_sync`` KVStore object and
``dist.SyncTrainer``; ``string`` passes ``kvstore='dist_sync'`` to ``fit`` (the rank rule);
``hang`` trains slowly until killed. Each worker writes ``OUT/result-<index>.npz``; outputs meant
for rank 0 only go to ``OUT/main-<index>.json``. ``reference(out)`` is the single-process run.
"""
import json
import os
import sys
import time

import numpy as np
import gluon_notes  # noqa: F401  (numpy >= 1.24: before mxnet)
import mxnet as mx
from mxnet import gluon, nd

from gluon_notes import dist
from gluon_notes.callbacks import Callback
from gluon_notes.train import fit

N, GLOBAL_BATCH, EPOCHS, SEED, LR = 48, 8, 2, 0, 0.1


def data():
    rs = np.random.RandomState(7)
    X = rs.randn(N, 3).astype("float32")  # (N, 3)
    y = X @ np.array([[2.0], [-3.4], [1.5]], "float32") + 4.2  # (N, 1)
    return nd.array(X), nd.array(y)


class ShardLoader:
    """This worker's shard of every epoch, in local batches of GLOBAL_BATCH / num_workers."""

    def __init__(self, X, y, kv):
        self.X, self.y, self.kv, self.epoch, self.delay = X, y, kv, 0, 0.0
        self.batch = GLOBAL_BATCH // dist.num_workers(kv)

    def __len__(self):
        return (N // dist.num_workers(self.kv)) // self.batch

    def __iter__(self):
        idx = dist.shard(N, dist.num_workers(self.kv), dist.rank(self.kv), SEED, self.epoch)
        self.epoch += 1
        for i in range(len(self)):
            time.sleep(self.delay)
            take = nd.array(idx[i * self.batch:(i + 1) * self.batch], dtype="int32")
            yield nd.take(self.X, take), nd.take(self.y, take)


class MainOutput(Callback):
    """An output only rank 0 may write (like metrics.json)."""
    main_only = True

    def __init__(self, path):
        self.path = path

    def on_epoch_end(self, epoch, logs):
        with open(self.path, "w") as f:
            json.dump({"epoch": epoch}, f)


def make_net():
    net = gluon.nn.Dense(1, in_units=3)
    net.initialize(mx.init.Normal(0.5))
    return net


def train(kv, out, index, kvstore_arg=None, epochs=EPOCHS, delay=0.0):
    mx.random.seed(SEED)
    net = make_net()
    X, y = data()
    loader = ShardLoader(X, y, kv)
    loader.delay = delay
    if kvstore_arg is None:
        trainer = dist.SyncTrainer(gluon.Trainer(net.collect_params(), "sgd",
                                                 {"learning_rate": LR}, kvstore=kv or "device"),
                                   kv)
        kw = dict(trainer=trainer, kvstore=kv if kv is not None else "device")
    else:
        kw = dict(kvstore=kvstore_arg, lr=LR, checkpoint=os.path.join(out, "ckpt-%s" % index))
    hist = fit(net, loader, None, gluon.loss.L2Loss(), epochs, accuracy=False, seed=SEED,
               progress=False, callbacks=[MainOutput(os.path.join(out, "main-%s.json" % index))],
               **kw)
    return net, [e["loss"] for e in hist.epochs]


def reference(out):
    """The single-process run with the same global batch: (weight, bias, losses)."""
    net, losses = train(None, out, "single")
    return net.weight.data().asnumpy(), net.bias.data().asnumpy(), losses


def main(out, mode):
    index = os.environ["GLUON_NOTES_DIST_INDEX"]
    if mode == "string":
        net, losses = train(None, out, index, kvstore_arg="dist_sync")
        rank = -1  # the trainer's KVStore is private; the main-*.json files tell
    else:
        kv = mx.kv.create("dist_sync")
        rank = kv.rank
        if mode == "hang":
            with open(os.path.join(out, "ready-%s" % index), "w") as f:
                f.write(str(os.getpid()))
            train(kv, out, index, epochs=10 ** 6, delay=0.05)  # until stopped
            time.sleep(600)
        net, losses = train(kv, out, index)
    np.savez(os.path.join(out, "result-%s.npz" % index), rank=rank, losses=losses,
             weight=net.weight.data().asnumpy(), bias=net.bias.data().asnumpy(), pid=os.getpid())
    print("worker done rank=%d" % rank, flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
'''


def write_worker(tmp_path):
    path = tmp_path / "dist_worker.py"
    path.write_text(WORKER)
    out = tmp_path / "out"
    out.mkdir()
    return path, out


def load_worker(path):
    spec = importlib.util.spec_from_file_location("dist_worker_ref", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Lines:
    """A text stream the launcher writes to (thread-safe enough for whole lines)."""

    def __init__(self):
        self.lines = []

    def write(self, text):
        self.lines.extend(text.splitlines())

    def flush(self):
        pass

    def text(self):
        return "\n".join(self.lines)


def gone(pid):
    """Whether no process has ``pid`` (a zombie counts as gone: it runs nothing)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    stat = Path("/proc/%d/stat" % pid)
    return stat.exists() and stat.read_text().split(")")[-1].split()[0] == "Z"


def descendants_alive(root_pid):
    """PIDs whose environment marks them as roles of this test's runs (``GNT_RUN``)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if b"GNT_RUN=%d" % root_pid in environ and not gone(int(entry.name)):
            found.append(int(entry.name))
    return found


# ---------------------------------------------------------------------------- sharding
def test_shard_parts_are_disjoint_equal_and_make_the_global_batches():
    n, parts, b = 50, 3, 4
    shards = [dist.shard(n, parts, p, seed=5, epoch=2) for p in range(parts)]
    assert all(len(s) == n // parts for s in shards)
    union = np.concatenate(shards)
    assert len(set(union.tolist())) == len(union)  # disjoint
    whole = dist.shard(n, 1, 0, seed=5, epoch=2)
    for i in range((n // parts) // b):  # local batch i of every part = global batch i
        local = np.concatenate([s[i * b:(i + 1) * b] for s in shards])
        assert sorted(local) == sorted(whole[i * b * parts:(i + 1) * b * parts])
    assert np.array_equal(shards[0], dist.shard(n, parts, 0, seed=5, epoch=2))
    assert not np.array_equal(shards[0], dist.shard(n, parts, 0, seed=5, epoch=3))


@pytest.mark.parametrize("args", [(10, 0, 0), (10, 2, 2), (10, 2, -1), (1, 2, 0), (-1, 1, 0)])
def test_shard_refuses_bad_parts_in_one_sentence(args):
    with pytest.raises(GluonNotesError) as err:
        dist.shard(*args)
    assert str(err.value).count(". ") == 0 and str(err.value).endswith(".")


# ---------------------------------------------------------------------------- planning
def test_plan_local_gives_each_role_the_dmlc_environment_on_loopback():
    roles = dist.plan(2, 1, ["--", "python", "train.py"], port=None)
    assert [r.label for r in roles] == ["scheduler", "server 0", "worker 0", "worker 1"]
    port = roles[0].env["DMLC_PS_ROOT_PORT"]
    for r in roles:
        assert r.env["DMLC_ROLE"] == r.name
        assert (r.env["DMLC_PS_ROOT_URI"], r.env["DMLC_PS_ROOT_PORT"]) == ("127.0.0.1", port)
        assert (r.env["DMLC_NUM_WORKER"], r.env["DMLC_NUM_SERVER"]) == ("2", "1")
    assert all(r.env["DMLC_NODE_HOST"] == "127.0.0.1" for r in roles[1:])
    assert roles[2].argv == ["python", "train.py"] and roles[0].argv[1] == ROLE_SCRIPT


def test_a_busy_port_is_refused_before_anything_starts():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        with pytest.raises(GluonNotesError, match="port %d is not free" % s.getsockname()[1]):
            dist.plan(1, 1, ["true"], port=s.getsockname()[1])


@pytest.mark.parametrize("argv, words", [
    (["-n", "0", "--", "true"], "at least 1"),
    (["-n", "2"], "COMMAND"),
    (["-n", "2", "--launcher", "ftp", "--", "true"], "invalid choice"),
    (["-n", "2", "--launcher", "ssh", "--", "true"], "needs --hosts"),
    (["-n", "2", "--hosts", "h.txt", "--", "true"], "needs --launcher ssh"),
    (["-n", "2", "--env", "NOEQUALS", "--", "true"], "K=V"),
    (["-n", "2", "--port", "70000", "--", "true"], "65535"),
])
def test_main_turns_bad_input_into_one_sentence(argv, words):
    with pytest.raises(GluonNotesError, match=words) as err:
        dist.main(argv)
    assert "\n" not in str(err.value)


def test_hosts_file_roles_and_the_ssh_command(tmp_path):
    hosts = tmp_path / "hosts"
    hosts.write_text("# cluster\nhead:2222 scheduler server\n\nnode1 worker\nnode2 worker\n")
    assert dist.read_hosts(hosts)[0] == Host("head", 2222, ("scheduler", "server"))
    roles = dist.plan(3, 1, ["gluon-notes", "run", "mlp", "--out", "runs/a b"], hosts=hosts,
                      launcher="ssh", port=29999, env={"DMLC_INTERFACE": "eth1"},
                      cwd="/srv/work dir")
    assert [(r.label, r.host.name) for r in roles] == [
        ("scheduler", "head"), ("server 0", "head"), ("worker 0", "node1"),
        ("worker 1", "node2"), ("worker 2", "node1")]
    argv = roles[3].argv
    assert argv[:5] == ["ssh", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=accept-new"]
    assert "-p" not in argv  # node2 has no ssh port
    assert argv[-2] == "node2" and roles[1].argv[-4:-2] == ["-p", "2222"]
    remote = shlex.split(argv[-1])
    assert remote[:4] == ["cd", "/srv/work dir", "&&", "env"]
    env = dict(a.split("=", 1) for a in remote[4:] if "=" in a and not a.startswith("/"))
    assert env["DMLC_ROLE"] == "worker" and env["DMLC_PS_ROOT_URI"] == "head"
    assert env["DMLC_PS_ROOT_PORT"] == "29999" and env["DMLC_NODE_HOST"] == "node2"
    assert env["DMLC_INTERFACE"] == "eth1" and env["GLUON_NOTES_DIST_INDEX"] == "1"
    tail = remote[remote.index(sys.executable):]
    assert tail == [sys.executable, ROLE_SCRIPT, "--guard", "--", "gluon-notes", "run", "mlp",
                    "--out", "runs/a b"]


@pytest.mark.parametrize("text, words", [("", "lists no host"), ("a:x\n", "line 1"),
                                         ("a bogus\n", "line 1")])
def test_bad_hosts_files_are_one_sentence(tmp_path, text, words):
    hosts = tmp_path / "hosts"
    hosts.write_text(text)
    with pytest.raises(GluonNotesError, match=words):
        dist.read_hosts(hosts)


# ---------------------------------------------------------------------------- supervision
def shell_roles(*scripts):
    names = ["scheduler"] + ["worker"] * (len(scripts) - 1)
    return [Role(n, None if n == "scheduler" else i - 1, ["sh", "-c", s], {"GNT_RUN": str(
        os.getpid())}) for i, (n, s) in enumerate(zip(names, scripts))]


def test_first_failure_stops_every_role_and_names_it():
    out, log = Lines(), Lines()
    roles = shell_roles("sleep 60", "echo hi; sleep 60", "sleep 0.5; echo bye; exit 7")
    sup = Supervisor(roles, out, log, timeout=30, grace=1.0)
    t = time.monotonic()
    assert sup.run() == 7
    assert time.monotonic() - t < 10
    assert "[worker 0] hi" in out.lines and "[worker 1] bye" in out.lines
    assert log.lines == ["gluon-notes launch: worker 1 (pid %d) exited with status 7, so the run "
                         "stops (stopped scheduler and worker 0)." % sup.procs[2].pid]
    assert all(gone(p.pid) for p in sup.procs) and not descendants_alive(os.getpid())


def test_sigterm_on_the_launcher_stops_all_roles():
    log = Lines()
    sup = Supervisor(shell_roles("sleep 60", "sleep 60 & sleep 60"), Lines(), log, timeout=30,
                     grace=1.0)
    timer = threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGTERM))
    timer.start()
    try:
        assert sup.run() == 128 + signal.SIGTERM
    finally:
        timer.cancel()
    assert "SIGTERM received" in log.text() and "scheduler and worker 0" in log.text()
    assert not descendants_alive(os.getpid())  # the background sleep of worker 0's group too


def test_timeout_stops_all_roles_with_status_124():
    log = Lines()
    sup = Supervisor(shell_roles("sleep 60", "sleep 60"), Lines(), log, timeout=0.5, grace=1.0)
    assert sup.run() == 124 and "timeout of 0.5 s" in log.text()
    assert not descendants_alive(os.getpid())


# ---------------------------------------------------------------------------- real runs
def run_workers(tmp_path, mode, **kw):
    path, out = write_worker(tmp_path)
    lines, log = Lines(), Lines()
    t = time.monotonic()
    status = dist.launch(2, 1, [sys.executable, str(path), str(out), mode], timeout=RUN_TIMEOUT,
                         env={"GNT_RUN": str(os.getpid()), "OMP_NUM_THREADS": "1"},
                         output=lines, log=log, **kw)
    return status, out, lines, log, time.monotonic() - t


def test_dist_sync_on_loopback_equals_one_process_and_only_rank0_writes(tmp_path):
    status, out, lines, log, _ = run_workers(tmp_path, "fit")
    assert status == 0, lines.text() + log.text()
    results = {i: np.load(out / ("result-%d.npz" % i)) for i in (0, 1)}
    assert sorted(int(r["rank"]) for r in results.values()) == [0, 1]
    w0, w1 = results[0], results[1]
    assert np.array_equal(w0["weight"], w1["weight"]) and np.array_equal(w0["bias"], w1["bias"])
    weight, bias, losses = load_worker(tmp_path / "dist_worker.py").reference(str(tmp_path))
    np.testing.assert_allclose(w0["weight"], weight, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(w0["bias"], bias, rtol=1e-5, atol=1e-6)
    assert losses[-1] < losses[0] and all(r["losses"][-1] < r["losses"][0]
                                          for r in results.values())
    main_index = next(i for i, r in results.items() if int(r["rank"]) == 0)
    assert sorted(p.name for p in out.glob("main-*.json")) == ["main-%d.json" % main_index]
    assert "[worker 0] worker done rank=%d" % results[0]["rank"] in lines.lines
    assert not descendants_alive(os.getpid())


def test_fit_with_kvstore_dist_sync_string_writes_on_rank0_only(tmp_path):
    status, out, lines, log, _ = run_workers(tmp_path, "string")
    assert status == 0, lines.text() + log.text()
    assert len(list(out.glob("result-*.npz"))) == 2
    assert "Traceback" not in lines.text() + log.text()  # e.g. a server that cannot unpickle
    results = [np.load(f) for f in sorted(out.glob("result-*.npz"))]  # the optimizer
    np.testing.assert_array_equal(results[0]["weight"], results[1]["weight"])
    assert all(r["losses"][-1] < r["losses"][0] for r in results)
    assert len(list(out.glob("main-*.json"))) == 1  # fit knows the rank before the first step
    ckpts = list(out.glob("ckpt-*"))  # rank 0 checkpoints the weights (the states live on the
    assert len(ckpts) == 1            # servers, which refuse save_states)
    assert (ckpts[0] / "latest").exists()


def test_a_killed_worker_ends_the_run_within_60s_naming_it(tmp_path):
    path, out = write_worker(tmp_path)
    lines, log, box = Lines(), Lines(), {}

    def run():
        box["status"] = dist.launch(
            2, 1, [sys.executable, str(path), str(out), "hang"], timeout=RUN_TIMEOUT,
            env={"GNT_RUN": str(os.getpid()), "OMP_NUM_THREADS": "1"}, output=lines, log=log)

    runner = threading.Thread(target=run)
    runner.start()
    deadline = time.monotonic() + RUN_TIMEOUT
    while time.monotonic() < deadline and len(list(out.glob("ready-*"))) < 2:
        time.sleep(0.2)
    assert len(list(out.glob("ready-*"))) == 2, lines.text() + log.text()
    time.sleep(1.0)  # both are in the training loop now
    victim = int((out / "ready-1").read_text())
    pids = descendants_alive(os.getpid())
    os.kill(victim, signal.SIGKILL)
    killed = time.monotonic()
    runner.join(60)
    assert not runner.is_alive() and time.monotonic() - killed < 60
    assert box["status"] == 128 + signal.SIGKILL
    assert log.lines[0].startswith("gluon-notes launch: worker 1 (pid %d) was killed by SIGKILL"
                                   % victim), log.text()
    assert len(pids) >= 4 and all(gone(p) for p in pids) and not descendants_alive(os.getpid())
