"""The book's own code for LeNet + batch normalization (d2lzh 1.0.0, section 5.10.3), per seed.

What it answers: how often the book's code, scored as the book scores (moving averages), reaches
the 0.85 test accuracy that ``gluon-notes run batchnorm`` is held to. It trains exactly the
book's listing: ``nn.Sequential`` LeNet with ``nn.BatchNorm`` before each sigmoid, Xavier init,
SGD lr 1.0, batch 256, 5 epochs, ``d2lzh.load_data_fashion_mnist`` and ``d2lzh.train_ch5``, on
the files gluon_notes has verified (MXNet's SHA-1 check of its mirror is skipped, as in
``gluon_notes.bench.pipeline``).

Run: ``GLUON_NOTES_PERF=1 python docs/experiments/book_batchnorm.py --seeds 0,1,2,3``
(prints each seed's per-epoch test accuracy, then the mean of the last epoch's).
"""
import argparse
import contextlib
import io
import re

import numpy as np
import gluon_notes  # noqa: F401  (first: the CPU profile and, on numpy >= 1.24, the aliases)
import mxnet as mx
from mxnet import gluon, init
from mxnet.gluon import nn

from gluon_notes.bench.pipeline import _trust_verified_files
from gluon_notes.data import find_fashion_mnist, load_fashion_mnist


def book_net():
    net = nn.Sequential()
    net.add(nn.Conv2D(6, kernel_size=5), nn.BatchNorm(), nn.Activation("sigmoid"),
            nn.MaxPool2D(pool_size=2, strides=2),
            nn.Conv2D(16, kernel_size=5), nn.BatchNorm(), nn.Activation("sigmoid"),
            nn.MaxPool2D(pool_size=2, strides=2),
            nn.Dense(120), nn.BatchNorm(), nn.Activation("sigmoid"),
            nn.Dense(84), nn.BatchNorm(), nn.Activation("sigmoid"),
            nn.Dense(10))
    return net


def run_seed(seed, folder, lr=1.0, num_epochs=5, batch_size=256):
    import d2lzh as d2l
    mx.random.seed(seed)
    np.random.seed(seed)  # DataLoader's shuffling
    with _trust_verified_files():
        train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size, root=str(folder))
    net = book_net()
    net.initialize(ctx=mx.cpu(), init=init.Xavier())
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": lr})
    log = io.StringIO()
    with contextlib.redirect_stdout(log):
        d2l.train_ch5(net, train_iter, test_iter, batch_size, trainer, mx.cpu(), num_epochs)
    return [float(a) for a in re.findall(r"test acc ([0-9.]+)", log.getvalue())]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", default="0,1,2,3")
    args = p.parse_args()
    folder = find_fashion_mnist()
    for split in ("train", "test"):
        load_fashion_mnist(split)  # verify the payloads first
    last = []
    for seed in [int(s) for s in args.seeds.split(",")]:
        accs = run_seed(seed, folder)
        last.append(accs[-1])
        print("seed %d: test acc per epoch %s" % (seed, ", ".join("%.3f" % a for a in accs)),
              flush=True)
    print("last epoch: mean %.4f over seeds %s (%s)"
          % (np.mean(last), args.seeds, ", ".join("%.4f" % a for a in last)))


if __name__ == "__main__":
    main()
