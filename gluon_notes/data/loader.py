"""Mini-batches from arrays already in memory, with no per-sample Python work.

Design
------
* ``ArrayLoader`` replaces ``gluon.data.DataLoader`` + ``transform_first(ToTensor())``: a split
  is converted once, each epoch draws one permutation, and a batch is one ``take`` (plus one
  bilinear resize of the whole batch for the CNN chapters).
* The data is checked once, when the loader is built (``validate``): NaN/inf features or labels
  are refused naming the first bad sample, and ``label_info`` lets ``fit`` check the labels
  against the network's number of outputs without reading the data again.
"""
import math

import numpy as np
from mxnet import nd

from ..errors import DataError, GluonNotesError
from .validate import LabelInfo, check_finite


class ArrayLoader:
    """Iterate over ``(X, y)`` mini-batches of in-memory NDArrays (book: ``data_iter``).

    Parameters
    ----------
    X, y : NDArray
        Features ``(N, ...)`` and labels ``(N, ...)``.
    batch_size : int
        Samples per batch; the last batch is smaller unless ``last_batch='discard'``.
    shuffle : bool
        Draw a new permutation (from numpy's global RNG) every epoch.
    resize : int or (int, int), optional
        Bilinear resize of NCHW image batches to this height and width.
    last_batch : {'keep', 'discard'}
    classes : int, optional
        The labels are class indices in ``[0, classes)``: checked now. Without it they are
        checked by ``fit(accuracy=True)`` against the network's outputs (regression targets
        need only be finite).
    num_parts, part_index : int
        Serve only part ``part_index`` of ``num_parts`` disjoint, equal parts of every epoch
        (distributed training: ``kv.num_workers``, ``kv.rank``); each epoch deals a new
        permutation drawn from ``(seed, epoch)`` (``dist.shard``), the same on every worker, and
        the incomplete last batch is dropped so every worker steps with the same batch size.
    seed : int
        The seed all workers share (with ``num_parts > 1``).

    Attributes
    ----------
    label_info : validate.LabelInfo
        What the labels are (read once, here).

    Raises
    ------
    DataError
        NaN/inf in ``X`` or ``y``, or labels that are not class indices when ``classes`` is given.

    Examples
    --------
    >>> X, y = nd.arange(10).reshape(5, 2), nd.arange(5)
    >>> [len(yb) for _, yb in ArrayLoader(X, y, batch_size=2)]
    [2, 2, 1]
    """

    def __init__(self, X, y, batch_size, shuffle=False, resize=None, last_batch="keep",
                 classes=None, num_parts=1, part_index=0, seed=0):
        if not isinstance(batch_size, int) or batch_size < 1:
            raise GluonNotesError("batch_size must be a positive integer, got %r." % (batch_size,))
        if len(X) != len(y):
            raise DataError("X has %d samples but y has %d; give one label per sample."
                            % (len(X), len(y)))
        if last_batch not in ("keep", "discard"):
            raise GluonNotesError("last_batch must be 'keep' or 'discard', got %r." % (last_batch,))
        if resize is not None:
            resize = (resize, resize) if isinstance(resize, int) else tuple(resize)
            if X.ndim != 4:
                raise DataError("resize needs NCHW images, but X has shape %s." % (X.shape,))
        check_finite(X, "X")
        self.label_info = LabelInfo(y, "y")
        if classes is not None:
            self.label_info.check(classes)
        self.X, self.y, self.batch_size = X, y, batch_size
        self.shuffle, self.resize, self.last_batch = shuffle, resize, last_batch
        self.num_parts, self.part_index, self.seed, self.epoch = num_parts, part_index, seed, 0
        if num_parts != 1 or part_index != 0:
            from ..dist.worker import shard  # here: dist imports the loop, which imports data
            shard(len(X), num_parts, part_index, seed)  # checks the arguments in one sentence
            self.last_batch = "discard"

    def set_epoch(self, epoch):
        """The epoch whose shard ``__iter__`` serves next (``fit`` sets it, so a resumed run
        deals the same shards as an uninterrupted one)."""
        self.epoch = epoch

    @property
    def _size(self):
        return len(self.X) // self.num_parts if self.num_parts > 1 else len(self.X)

    def __len__(self):
        n = self._size / self.batch_size
        return math.floor(n) if self.last_batch == "discard" else math.ceil(n)

    @property
    def num_examples(self):
        """Samples served per epoch."""
        return min(len(self) * self.batch_size, self._size)

    def __iter__(self):
        n, bs = self._size, self.batch_size
        perm = None
        if self.num_parts > 1:  # this worker's part of the epoch's permutation
            from ..dist.worker import shard
            perm = shard(len(self.X), self.num_parts, self.part_index, self.seed, self.epoch)
            self.epoch += 1
        elif self.shuffle:
            perm = np.random.permutation(n)
        if perm is not None:  # one host-to-device copy per epoch
            perm = nd.array(perm, ctx=self.X.context, dtype="int32")
        for i in range(len(self)):
            lo, hi = i * bs, min((i + 1) * bs, n)
            if perm is None:
                X, y = self.X[lo:hi], self.y[lo:hi]
            else:
                idx = perm[lo:hi]
                X, y = nd.take(self.X, idx), nd.take(self.y, idx)
            if self.resize is not None:
                X = nd.contrib.BilinearResize2D(X, height=self.resize[0], width=self.resize[1])
            yield X, y  # (B, C, H, W), (B,)


def load_data_fashion_mnist(batch_size, resize=None, root=None, limit=None, shuffle_train=True,
                            train_last_batch="discard", num_parts=1, part_index=0, seed=0):
    """Return ``(train_iter, test_iter)`` over Fashion-MNIST (book section 3.5).

    The shuffled training split drops its last, incomplete batch (a different random 96 samples
    each epoch at batch size 256): that batch's noisier gradient, at the book's high learning
    rates, is the last update before each evaluation and lowers the MLP and dropout chapters'
    test accuracy (figures in the README). The book's ``train_ch3`` hid the same effect by
    passing the nominal batch size to ``trainer.step`` for the short batch too. The test split
    keeps every sample. Both splits are checked once (``ArrayLoader(classes=10)``).

    Parameters
    ----------
    batch_size : int
    resize : int, optional
        Image side after resizing (96 or 224 for the CNN chapters), done on whole batches.
    root : str, optional
        Folder with the four idx files; by default the usual places are searched.
    limit : int, optional
        Use only the first ``limit`` samples of each split (quick CPU runs of big models).
    train_last_batch : {'discard', 'keep'}
    num_parts, part_index, seed : int
        Distributed training: this worker's disjoint part of the training split, reshuffled
        every epoch from ``seed`` (shared by all workers); see ``ArrayLoader``. Every worker
        keeps the whole test split.
    """
    from .fashion_mnist import TEXT_LABELS, load_fashion_mnist
    if limit is not None and (not isinstance(limit, int) or limit < 1):
        raise GluonNotesError("limit must be a positive integer, got %r." % (limit,))
    iters = []
    for split, shuffle, last in (("train", shuffle_train, train_last_batch),
                                 ("test", False, "keep")):
        X, y = load_fashion_mnist(split, root)
        if limit is not None:
            X, y = X[:limit], y[:limit]
        if last == "discard" and len(X) < batch_size:
            last = "keep"  # a tiny --limit still gives one batch
        parts = dict(num_parts=num_parts, part_index=part_index, seed=seed) \
            if split == "train" else {}
        iters.append(ArrayLoader(X, y, batch_size, shuffle=shuffle, resize=resize,
                                 last_batch=last, classes=len(TEXT_LABELS), **parts))
    return tuple(iters)


__all__ = ["ArrayLoader", "load_data_fashion_mnist"]
