"""Fashion-MNIST from local files: find, verify, load once (book section 3.5).

MXNet's ``gluon.data.vision.FashionMNIST`` checks the SHA-1 of its own mirror's ``.gz`` files and
downloads when they differ, so it rejects the official files that Debian's package
``dataset-fashion-mnist`` installs. This module reads the idx files itself, verifies the
*decompressed* payloads (which are the same whoever compressed them) and keeps each split in memory
as NDArrays, float32 in [0, 1], NCHW.
"""
import gzip
import hashlib
import os
import shutil
import sys
import tempfile
import urllib.request
import zlib
from pathlib import Path

import numpy as np
import mxnet as mx

from ..errors import DataError

SPLITS = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", 60000),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", 10000),
}
# MD5 of each decompressed payload (the official idx files of zalandoresearch/fashion-mnist).
PAYLOAD_MD5 = {
    "train-images-idx3-ubyte.gz": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
    "train-labels-idx1-ubyte.gz": "9018921c3c673c538a1fc5bad174d6f9",
    "t10k-images-idx3-ubyte.gz": "8181f5470baa50b63fa0f6fddb340f0a",
    "t10k-labels-idx1-ubyte.gz": "15d484375f8d13e6eb1aabb0c3f46965",
}
OFFICIAL_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
DEBIAN_DIR = "/usr/share/datasets/fashion-mnist"
TEXT_LABELS = ["t-shirt", "trouser", "pullover", "dress", "coat",
               "sandal", "shirt", "sneaker", "bag", "ankle boot"]
HOW_TO_GET = ("install Debian's package dataset-fashion-mnist (sudo apt-get install "
              "dataset-fashion-mnist, or `make data`), or put the four official .gz files in %s")

_CACHE = {}


def project_data_dir():
    """``data/`` of the checkout when gluon_notes runs from one, else ``~/.gluon_notes/data``."""
    repo_data = Path(__file__).resolve().parents[2] / "data"
    if (repo_data / "README.md").exists():
        return repo_data
    return Path.home() / ".gluon_notes" / "data"


def candidate_dirs(root=None):
    """Folders searched for the files, in order."""
    dirs = []
    if root is not None:
        return [Path(root).expanduser()]
    if os.environ.get("GLUON_NOTES_DATA"):
        dirs.append(Path(os.environ["GLUON_NOTES_DATA"]).expanduser())
    dirs += [project_data_dir() / "fashion-mnist", Path(DEBIAN_DIR),
             Path(mx.base.data_dir()) / "datasets" / "fashion-mnist"]
    return dirs


def _has_all(folder):
    return all((folder / name).is_file() for name in PAYLOAD_MD5)


def find_fashion_mnist(root=None, download=True):
    """Return the first folder holding all four files; download into ``data/`` as a last resort.

    Raises
    ------
    DataError
        If no folder has the files and the download fails.
    """
    dirs = candidate_dirs(root)
    for folder in dirs:
        if _has_all(folder):
            if root is None:
                _say_why_not_env(folder)
            return folder
    if root is not None:
        raise DataError("Fashion-MNIST files are missing from %s; %s."
                        % (root, HOW_TO_GET % root))
    target = project_data_dir() / "fashion-mnist"
    if not download:
        raise DataError("Fashion-MNIST was not found in %s; %s."
                        % (", ".join(map(str, dirs)), HOW_TO_GET % target))
    return download_fashion_mnist(target)


_SAID = set()


def _say_why_not_env(used):
    """One line on stderr (once per process) when ``$GLUON_NOTES_DATA`` is set but not used."""
    env = os.environ.get("GLUON_NOTES_DATA")
    if env is None or env in _SAID:
        return
    folder = Path(env).expanduser()
    if env.strip() and folder == used:
        return
    _SAID.add(env)
    if not env.strip():
        why = "is set but empty"
    elif not folder.is_dir():
        why = "names %s, which is not a folder" % folder
    else:
        missing = [n for n in PAYLOAD_MD5 if not (folder / n).is_file()]
        why = "names %s, which lacks %s" % (folder, ", ".join(missing))
    print("gluon-notes: GLUON_NOTES_DATA %s; using the Fashion-MNIST files in %s instead."
          % (why, used), file=sys.stderr)


def download_fashion_mnist(target):
    """Download the official files into ``target`` (each written atomically, then verified)."""
    target = Path(target)
    try:
        target.mkdir(parents=True, exist_ok=True)
        for name in PAYLOAD_MD5:
            if (target / name).is_file():
                continue
            fd, tmp = tempfile.mkstemp(dir=target, suffix=".part")
            with os.fdopen(fd, "wb") as out, urllib.request.urlopen(OFFICIAL_URL + name,
                                                                     timeout=30) as resp:
                shutil.copyfileobj(resp, out)
            os.replace(tmp, target / name)
    except OSError as err:
        raise DataError("Fashion-MNIST was not found locally and the download failed (%s); %s."
                        % (getattr(err, "reason", err), HOW_TO_GET % target)) from None
    return target


def _read_payload(path):
    """Decompress ``path`` and check the payload's MD5; return the raw bytes."""
    try:
        with gzip.open(path, "rb") as f:
            payload = f.read()
    except (OSError, EOFError, zlib.error) as err:
        raise DataError("%s is corrupt (%s); delete it and %s."
                        % (path, err, HOW_TO_GET % path.parent)) from None
    expected = PAYLOAD_MD5.get(path.name)
    if expected and hashlib.md5(payload).hexdigest() != expected:
        raise DataError("%s does not match the published Fashion-MNIST checksum (corrupt or a "
                        "different data set); delete it and %s." % (path, HOW_TO_GET % path.parent))
    return payload


def parse_idx(payload, path="<bytes>"):
    """Parse an idx1/idx3 payload (big-endian header, uint8 data) into a numpy array."""
    if len(payload) < 8 or payload[:2] != b"\x00\x00" or payload[2] != 0x08:
        raise DataError("%s is not an idx file of unsigned bytes; delete it and get the data again."
                        % path)
    ndim = payload[3]
    dims = [int.from_bytes(payload[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    data = np.frombuffer(payload, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise DataError("%s is truncated: its header promises %s values, it holds %d."
                        % (path, "x".join(map(str, dims)), data.size))
    return data.reshape(dims)


def load_fashion_mnist(split="train", root=None):
    """Return ``(X, y)`` of one split: X float32 (N, 1, 28, 28) in [0, 1], y float32 (N,).

    Loaded once per process and kept on the CPU; later calls return the cached arrays.
    """
    if split not in SPLITS:
        raise DataError("split must be 'train' or 'test', got %r." % (split,))
    folder = find_fashion_mnist(root)
    key = (str(folder), split)
    if key not in _CACHE:
        img_name, lbl_name, n = SPLITS[split]
        images = parse_idx(_read_payload(folder / img_name), folder / img_name)
        labels = parse_idx(_read_payload(folder / lbl_name), folder / lbl_name)
        if images.shape != (n, 28, 28) or labels.shape != (n,):
            raise DataError("%s holds images %s and labels %s, expected (%d, 28, 28) and (%d,)."
                            % (folder, images.shape, labels.shape, n, n))
        X = mx.nd.array(images.reshape(n, 1, 28, 28), dtype="float32") / 255  # (N, 1, 28, 28)
        y = mx.nd.array(labels, dtype="float32")                               # (N,)
        _CACHE[key] = (X, y)
    return _CACHE[key]


def get_fashion_mnist_labels(labels):
    """Text labels (``t-shirt`` ... ``ankle boot``) of numeric labels (book section 3.5.1)."""
    return [TEXT_LABELS[int(i)] for i in np.asarray(labels.asnumpy() if hasattr(labels, "asnumpy")
                                                        else labels).ravel()]
