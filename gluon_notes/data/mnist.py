"""MNIST from a local folder with the four official idx files (the PyTorch course's data set).

Design
------
* MNIST cannot be downloaded here: ``load_mnist(split, root)`` reads a folder the user names
  (``--data-root DIR``), holding the files under the names Fashion-MNIST uses
  (``train-images-idx3-ubyte.gz`` ...; the uncompressed ``train-images-idx3-ubyte`` also works).
* Checked the same way as Fashion-MNIST as far as it can be: each file must decompress, carry an
  idx header of unsigned bytes (``fashion_mnist.parse_idx``) and hold 60,000 / 10,000 images of
  28x28 with labels 0-9. MNIST's payload MD5s are not recorded here, so unlike Fashion-MNIST the
  payloads' checksums are not verified (a Fashion-MNIST folder would pass these checks too).
* Same result as ``load_fashion_mnist``: X float32 (N, 1, 28, 28) in [0, 1], y float32 (N,),
  loaded once per process.
"""
import gzip
import zlib
from pathlib import Path

import numpy as np
import mxnet as mx

from ..errors import DataError
from .fashion_mnist import SPLITS, parse_idx

HOW_TO_GET = ("put the four MNIST idx files (train-images-idx3-ubyte.gz, "
              "train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, "
              "t10k-labels-idx1-ubyte.gz) in one folder and pass it as --data-root")
_CACHE = {}


def _read(folder, name):
    """Raw idx bytes of ``name`` (``.gz``) or of its uncompressed twin."""
    path = folder / name
    if not path.is_file():
        plain = folder / name[:-3]
        if plain.is_file():
            return plain.read_bytes(), plain
        raise DataError("MNIST file %s is missing from %s; %s." % (name, folder, HOW_TO_GET))
    try:
        with gzip.open(path, "rb") as f:
            return f.read(), path
    except (OSError, EOFError, zlib.error) as err:
        raise DataError("%s is corrupt (%s); delete it and %s." % (path, err, HOW_TO_GET)) from None


def load_mnist(split="train", root=None):
    """Return ``(X, y)`` of one MNIST split from ``root``: X (N, 1, 28, 28) in [0, 1], y (N,).

    Raises
    ------
    DataError
        When ``root`` is not given or a file is missing, corrupt or of the wrong shape.
    """
    if split not in SPLITS:
        raise DataError("split must be 'train' or 'test', got %r." % (split,))
    if root is None:
        raise DataError("MNIST cannot be downloaded here; %s." % HOW_TO_GET)
    folder = Path(root).expanduser()
    if not folder.is_dir():
        raise DataError("--data-root %s is not a folder; %s." % (folder, HOW_TO_GET))
    key = (str(folder.resolve()), split)
    if key not in _CACHE:
        img_name, lbl_name, n = SPLITS[split]
        images = parse_idx(*_read(folder, img_name))
        labels = parse_idx(*_read(folder, lbl_name))
        if images.shape != (n, 28, 28) or labels.shape != (n,):
            raise DataError("%s holds MNIST %s images %s and labels %s, expected (%d, 28, 28) and "
                            "(%d,); %s." % (folder, split, images.shape, labels.shape, n, n,
                                            HOW_TO_GET))
        if labels.max() > 9:
            raise DataError("%s has a %s label %d; MNIST labels are 0-9, so the file is not "
                            "MNIST's; %s." % (folder, split, int(labels.max()), HOW_TO_GET))
        X = mx.nd.array(images.reshape(n, 1, 28, 28), dtype="float32") / 255  # (N, 1, 28, 28)
        y = mx.nd.array(labels.astype(np.float32), dtype="float32")            # (N,)
        _CACHE[key] = (X, y)
    return _CACHE[key]


__all__ = ["load_mnist"]
