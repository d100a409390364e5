"""The book's MLP listing (section 3.10) through ``gluon_notes.d2l``, per seed.

What it answers: what the book's own code path reaches on this machine, next to
``gluon-notes run mlp`` (whose loader drops the last, smaller batch of each epoch, where the
book keeps it and steps it with the nominal batch size).

Run: ``python docs/experiments/book_mlp.py --seeds 0,1,2`` (prints the book's per-epoch lines,
then the mean of the last epoch's test accuracy).
"""
import argparse

import gluon_notes  # noqa: F401  (first: on numpy >= 1.24 it restores the aliases mxnet needs)
from mxnet import gluon, init
from mxnet.gluon import loss as gloss, nn

from gluon_notes import d2l
from gluon_notes.train import seed_everything


def run_seed(seed, num_epochs=5, batch_size=256, lr=0.5):
    seed_everything(seed)
    net = nn.Sequential()
    net.add(nn.Dense(256, activation="relu"), nn.Dense(10))
    net.initialize(init.Normal(sigma=0.01))
    train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size)
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": lr})
    h = d2l.train_ch3(net, train_iter, test_iter, gloss.SoftmaxCrossEntropyLoss(), num_epochs,
                      batch_size, None, None, trainer)
    return h.last["test_acc"]


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", default="0,1,2")
    seeds = [int(s) for s in p.parse_args().seeds.split(",")]
    accs = [run_seed(s) for s in seeds]
    print("mean %.4f over seeds %s (%s)" % (sum(accs) / len(accs), seeds,
                                           ", ".join("%.4f" % a for a in accs)))
