"""dist_sync across network namespaces: the traffic crosses veth interfaces, not one socket.

The scheduler and the server run in one namespace, each worker in its own; a bridge in a hub
namespace joins their veth pairs (addresses 10.231.0.0/24 exist only inside these namespaces).
The ``ssh`` launcher runs with a stand-in for ssh that enters the host's namespace, so the hosts
file, the remote command and its guard are the ones a real cluster gets. Skipped only where
namespaces cannot be created (not root, or no ``ip``).
"""
import ctypes
import os
import shutil
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from gluon_notes import dist
from test_dist import RUN_TIMEOUT, Lines, descendants_alive, load_worker, write_worker

CLONE_NEWNET = 0x40000000
HOSTS = {"s": "10.231.0.1", "w0": "10.231.0.2", "w1": "10.231.0.3"}


def ip(*args, timeout=10):
    return subprocess.run(("ip",) + args, check=True, capture_output=True, timeout=timeout,
                          text=True).stdout


@pytest.fixture
def namespaces():
    """``{'s': ns, 'w0': ns, 'w1': ns}`` joined by a bridge in a hub namespace; removed after."""
    if os.geteuid() != 0 or shutil.which("ip") is None:
        pytest.skip("network namespaces need root and iproute2's `ip`")
    tag = "gnt%d" % os.getpid()
    names = {k: "%s-%s" % (tag, k) for k in ("hub",) + tuple(HOSTS)}
    made = []
    try:
        for name in names.values():
            try:
                ip("netns", "add", name)
            except subprocess.CalledProcessError as err:
                if not made:
                    pytest.skip("cannot create a network namespace here: %s" % err.stderr.strip())
                raise
            made.append(name)
            ip("-n", name, "link", "set", "lo", "up")
        hub = names["hub"]
        ip("-n", hub, "link", "add", "br0", "type", "bridge")
        ip("-n", hub, "link", "set", "br0", "up")
        for key, address in HOSTS.items():
            ip("-n", hub, "link", "add", "to-" + key, "type", "veth", "peer", "name", "eth0",
               "netns", names[key])
            ip("-n", hub, "link", "set", "to-" + key, "master", "br0", "up")
            ip("-n", names[key], "addr", "add", address + "/24", "dev", "eth0")
            ip("-n", names[key], "link", "set", "eth0", "up")
        yield {k: names[k] for k in HOSTS}
    finally:
        for name in made:
            subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=10)


def fake_ssh(tmp_path, namespaces):
    """``ssh ... HOST 'COMMAND'`` -> ``ip netns exec NS sh -c COMMAND``."""
    cases = "\n".join("  %s) ns=%s ;;" % (HOSTS[k], ns) for k, ns in namespaces.items())
    path = tmp_path / "ssh"
    path.write_text('#!/bin/sh\neval "host=\\${$(($# - 1))}"; eval "cmd=\\${$#}"\n'
                    'case "$host" in\n%s\n  *) echo "unknown host $host" >&2; exit 255 ;;\n'
                    'esac\nexec ip netns exec "$ns" sh -c "$cmd"\n' % cases)
    path.chmod(0o755)
    return str(path)


def in_namespace(name, fn):
    """Run ``fn()`` in a thread that entered network namespace ``name`` (its children too)."""
    box = {}

    def body():
        libc = ctypes.CDLL(None, use_errno=True)
        fd = os.open("/run/netns/%s" % name, os.O_RDONLY)
        try:
            if libc.setns(fd, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns")
        finally:
            os.close(fd)
        try:
            box["value"] = fn()
        except BaseException as err:  # re-raised in the test's thread
            box["error"] = err

    thread = threading.Thread(target=body)
    thread.start()
    thread.join(RUN_TIMEOUT + 30)
    assert not thread.is_alive()
    if "error" in box:
        raise box["error"]
    return box["value"]


def veth_bytes(ns):
    out = ip("-n", ns, "-s", "link", "show", "eth0")
    lines = out.splitlines()
    rx = int(lines[lines.index(next(l for l in lines if "RX:" in l)) + 1].split()[0])
    tx = int(lines[lines.index(next(l for l in lines if "TX:" in l)) + 1].split()[0])
    return rx, tx


def test_dist_sync_across_namespaces_equals_one_process(tmp_path, namespaces):
    path, out = write_worker(tmp_path)
    hosts = tmp_path / "hosts"
    hosts.write_text("%s scheduler server\n%s worker\n%s worker\n"
                     % (HOSTS["s"], HOSTS["w0"], HOSTS["w1"]))
    lines, log = Lines(), Lines()
    before = {k: veth_bytes(ns) for k, ns in namespaces.items()}
    status = in_namespace(namespaces["s"], lambda: dist.launch(
        2, 1, [sys.executable, str(path), str(out), "fit"], hosts=hosts, launcher="ssh",
        timeout=RUN_TIMEOUT, env={"GNT_RUN": str(os.getpid()), "OMP_NUM_THREADS": "1"},
        cwd=os.getcwd(), ssh=(fake_ssh(tmp_path, namespaces),), output=lines, log=log))
    assert status == 0, lines.text() + log.text()
    results = [np.load(out / ("result-%d.npz" % i)) for i in (0, 1)]
    assert sorted(int(r["rank"]) for r in results) == [0, 1]
    assert np.array_equal(results[0]["weight"], results[1]["weight"])
    weight, bias, losses = load_worker(path).reference(str(tmp_path))
    np.testing.assert_allclose(results[0]["weight"], weight, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(results[1]["bias"], bias, rtol=1e-5, atol=1e-6)
    assert len(list(out.glob("main-*.json"))) == 1
    for key in ("w0", "w1"):  # each worker's traffic went through its own interface
        rx, tx = veth_bytes(namespaces[key])
        assert rx - before[key][0] > 1000 and tx - before[key][1] > 1000
    assert "[worker 0 on %s] worker done" % HOSTS["w0"] in lines.text()
    deadline = time.monotonic() + 10
    while descendants_alive(os.getpid()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not descendants_alive(os.getpid())
