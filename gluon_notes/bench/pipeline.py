"""Softmax regression: gluon_notes' loader + loop vs d2lzh's pipeline, same machine, same data.

d2lzh's pipeline is the book's: ``gluon.data.vision.FashionMNIST`` + ``transform_first(ToTensor())``
+ ``DataLoader`` (via ``d2lzh.load_data_fashion_mnist``), then ``d2lzh.train_ch3``. Both train
``Dense(10)`` with ``Normal(0.01)`` init, SGD lr 0.1, batch 256, on the same verified files.
MXNet's dataset insists on its mirror's SHA-1, so for d2lzh the files are first verified by
``gluon_notes.data`` and MXNet's SHA-1 check is bypassed for that call only.

Run: ``python -m gluon_notes.bench.pipeline [--epochs 5] [--out runs/bench-pipeline]``
(``make bench-pipeline``). Prints a table and writes ``bench_pipeline.json``.
"""
import contextlib
import io
import os
import sys
import time

import mxnet as mx
from mxnet import gluon, init
from mxnet.gluon import nn

from .core import machine_info
from ..atomic import write_json
from ..cliargs import ArgumentParser, positive_int, prepare_out
from ..data import find_fashion_mnist, load_data_fashion_mnist, load_fashion_mnist
from ..errors import GluonNotesError
from ..train import fit
from .script import run_script


def softmax_net():
    net = nn.HybridSequential()
    net.add(nn.Dense(10))
    net.initialize(init.Normal(sigma=0.01))
    return net


@contextlib.contextmanager
def _trust_verified_files():
    """Let MXNet's FashionMNIST read files gluon_notes has verified (skip its mirror SHA-1)."""
    original = gluon.utils.check_sha1
    gluon.utils.check_sha1 = lambda filename, sha1_hash: True
    try:
        yield
    finally:
        gluon.utils.check_sha1 = original


def run_d2lzh(folder, num_epochs, batch_size=256, lr=0.1):
    """The book's code path, timed; returns seconds per epoch and final test accuracy."""
    try:
        import d2lzh as d2l
    except ImportError:
        raise GluonNotesError("d2lzh is not installed; run `make install` (it installs the "
                              "book extra) or pip install -c constraints.txt d2lzh==1.0.0."
                              ) from None
    mx.random.seed(0)
    with _trust_verified_files():
        t = time.time()
        train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size, root=str(folder))
        load_seconds = time.time() - t
    net = softmax_net()
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": lr})
    log = io.StringIO()
    t = time.time()
    with contextlib.redirect_stdout(log):
        d2l.train_ch3(net, train_iter, test_iter, loss, num_epochs, batch_size, None, None,
                      trainer)
    seconds = time.time() - t
    test_acc = d2l.evaluate_accuracy(test_iter, net)
    return dict(seconds_per_epoch=seconds / num_epochs, load_seconds=load_seconds,
                test_acc=test_acc, log=log.getvalue().strip().splitlines())


def run_ours(num_epochs, hybridize, load_seconds, batch_size=256, lr=0.1):
    """gluon_notes' loader and loop; seconds per epoch include the test-set evaluation."""
    train_iter, test_iter = load_data_fashion_mnist(batch_size)
    net = softmax_net()
    t = time.time()
    h = fit(net, train_iter, test_iter, num_epochs=num_epochs, lr=lr, ctx=mx.cpu(), seed=0,
            hybridize=hybridize, verbose=False)
    seconds = time.time() - t
    return dict(seconds_per_epoch=seconds / num_epochs, load_seconds=load_seconds,
                test_acc=h.last["test_acc"],
                train_seconds_per_epoch=sum(h["seconds"]) / len(h))


def main(argv=None):
    p = ArgumentParser(prog="python -m gluon_notes.bench.pipeline", description=__doc__)
    p.add_argument("--epochs", type=positive_int, default=5)
    p.add_argument("--out", default=os.path.join("runs", "bench-pipeline"))
    p.add_argument("--skip-d2lzh", action="store_true", help="time gluon_notes only")
    args = p.parse_args(argv)
    out = prepare_out(args.out)
    folder = find_fashion_mnist()
    t = time.time()
    for split in ("train", "test"):
        load_fashion_mnist(split)  # decompress, verify, convert once (d2lzh reads the same files)
    load_seconds = time.time() - t
    results = {}
    results["gluon_notes (imperative)"] = run_ours(args.epochs, False, load_seconds)
    results["gluon_notes (hybridized)"] = run_ours(args.epochs, True, load_seconds)
    if not args.skip_d2lzh:
        results["d2lzh (book pipeline)"] = run_d2lzh(folder, args.epochs)
    base = results.get("d2lzh (book pipeline)")
    print("softmax regression, batch 256, lr 0.1, %d epochs, data from %s" % (args.epochs, folder))
    print("%-26s %12s %10s %9s %9s" % ("pipeline", "s/epoch", "load s", "test acc", "speed-up"))
    for name, r in results.items():
        speedup = base["seconds_per_epoch"] / r["seconds_per_epoch"] if base else None
        r["speedup_vs_d2lzh"] = speedup
        print("%-26s %12.3f %10.2f %9.4f %9s" % (name, r["seconds_per_epoch"], r["load_seconds"],
                                                r["test_acc"], "-" if speedup is None
                                                else "%.1fx" % speedup))
    machine = machine_info(torch=None)
    write_json(out / "bench_pipeline.json", dict(epochs=args.epochs, machine=machine,
                                                 results=results))
    print("wrote %s" % (out / "bench_pipeline.json"))
    return results


if __name__ == "__main__":
    sys.exit(run_script(main))
