"""Atomic writes: the one helper every file the project writes goes through.

Design
------
* ``atomic_write(path, write)`` calls ``write(tmp)`` on a unique temporary file in the target
  folder (``mkstemp``, so two writers never share a name), gives it a normal file mode, and
  renames it over ``path``: a reader sees the old file or the new one, never half of one.
* ``write_group(folder, files)`` writes files that belong together (a figure and the
  ``metrics.json`` describing it) into one fresh temporary sub-folder, then moves them into
  place with the last one, the index, moved LAST; a JSON index records the sha256 of its
  companions, so a reader can tell that they belong to it.
* ``write_folder(path, files)`` creates a whole folder in one rename (a checkpoint).
* Temporary names start with ``TMP_PREFIX`` and carry the writer's host and process id; every
  call removes the ones left in its folder by writers that were killed (process gone), and
  never touches a live writer's. A completed call leaves no temporary file behind.
* Files are flushed to disk (fsync) before the rename that publishes them.
"""
import hashlib
import json
import math
import os
import re
import shutil
import socket
import tempfile

#: what every temporary file or folder of this module is called first
TMP_PREFIX = ".gluon-notes-tmp-"


def _host():
    return re.sub(r"[^A-Za-z0-9]", "_", socket.gethostname())[:40] or "host"


def _tmp_prefix():
    return "%s%d@%s~" % (TMP_PREFIX, os.getpid(), _host())


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def remove_stale(folder):
    """Remove the temporary files and folders in ``folder`` whose writer (a process on this
    host) no longer runs; return their names."""
    removed = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:
        m = re.match(re.escape(TMP_PREFIX) + r"(\d+)@([^~]*)~", name)
        if not m or m.group(2) != _host() or _alive(int(m.group(1))):
            continue
        path = os.path.join(folder, name)
        try:
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            else:
                os.remove(path)
            removed.append(name)
        except FileNotFoundError:  # another cleaner was faster
            pass
    return removed


def _umask():
    """The process umask, read without changing it where Linux allows (threads may be writing)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    umask = os.umask(0)
    os.umask(umask)
    return umask


def _normal_mode(path):
    os.chmod(path, 0o666 & ~_umask())  # mkstemp made it private; give it a normal file's mode


def fsync(path):
    """Flush ``path`` (a file, or a folder's entries) to disk; a no-op where not supported."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path, write):
    """Call ``write(tmp)`` on a unique temporary file beside ``path``, then rename it over
    ``path``: readers never see a partial file, and concurrent writers never collide.

    The temporary name ends with ``path``'s own name, so writers that infer a format from the
    extension (``savefig``) see the right one. Returns ``path``.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    remove_stale(folder)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=_tmp_prefix(),
                               suffix="~" + os.path.basename(path))
    os.close(fd)
    try:
        write(tmp)
        _normal_mode(tmp)
        fsync(tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return path


def clean_json(v):
    """``v`` with numpy scalars as Python numbers and NaN/inf as None (JSON null)."""
    if hasattr(v, "item") and getattr(v, "ndim", 1) == 0:  # numpy scalars
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: clean_json(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [clean_json(x) for x in v]
    return v


def _json_writer(obj):
    def write(tmp):
        with open(tmp, "w") as f:
            json.dump(clean_json(obj), f, indent=2)
    return write


def write_json(path, obj):
    """Write ``obj`` as JSON atomically (NaN written as null, numpy scalars as numbers)."""
    return atomic_write(path, _json_writer(obj))


def sha256(path):
    """The hex sha256 of the file at ``path``."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _check_names(names):
    if not names:
        raise ValueError("a group of files needs at least one file.")
    for name in names:
        if not name or os.path.basename(name) != name or name in (".", ".."):
            raise ValueError("a group of files takes plain file names, got %r." % (name,))


def _fill(tmp, files, checksums_key):
    """Write ``files`` into the folder ``tmp``, the last (the index) last, with the companions'
    checksums added to it when it is a dict."""
    names = list(files)
    for name in names[:-1]:
        _write_member(os.path.join(tmp, name), files[name])
    index_obj = files[names[-1]]
    if isinstance(index_obj, dict) and checksums_key:
        index_obj = dict(index_obj, **{checksums_key: {
            n: sha256(os.path.join(tmp, n)) for n in names[:-1]}})
    _write_member(os.path.join(tmp, names[-1]), index_obj)


def write_group(folder, files, checksums_key="files"):
    """Write files that belong together so that the index (the LAST entry) is replaced last.

    Parameters
    ----------
    folder : str or Path
        Where the files go (created if missing).
    files : dict
        ``{name: writer}`` in order; a writer is ``write(tmp_path)`` or, for JSON, the object
        itself (a dict or list). The last entry is the index.
    checksums_key : str or None
        When the index is a dict, it is written with ``{checksums_key: {name: sha256}}`` of
        its companions added (None: add nothing).

    Returns
    -------
    dict
        ``{name: final path}``.

    All files are first written into one fresh temporary sub-folder of ``folder``; a process
    killed then leaves the old files untouched (the sub-folder is removed by the next call).
    A kill while they are moved into place can leave new companions beside the old index,
    whose checksums then no longer match them, never a new index beside old companions.
    """
    folder = os.fspath(folder)
    names = list(files)
    _check_names(names)
    os.makedirs(folder, exist_ok=True)
    remove_stale(folder)
    tmp = tempfile.mkdtemp(dir=folder, prefix=_tmp_prefix(), suffix="~group")
    try:
        _fill(tmp, files, checksums_key)
        for name in names:  # the index last
            os.replace(os.path.join(tmp, name), os.path.join(folder, name))
        fsync(folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {n: os.path.join(folder, n) for n in names}


def write_folder(path, files, checksums_key="files"):
    """Create the folder ``path`` holding ``files`` in one rename: it appears complete or not
    at all (a killed writer leaves a temporary folder, removed by the next call).

    ``files`` and ``checksums_key`` are as in ``write_group``. ``path`` must not exist yet
    (an empty folder is replaced). Returns ``path``.
    """
    path = os.fspath(path)
    _check_names(list(files))
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    remove_stale(parent)
    tmp = tempfile.mkdtemp(dir=parent, prefix=_tmp_prefix(), suffix="~" + os.path.basename(path))
    try:
        _fill(tmp, files, checksums_key)
        os.chmod(tmp, 0o777 & ~_umask())
        fsync(tmp)
        os.rename(tmp, path)
        fsync(parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def _write_member(path, writer):
    if not callable(writer):
        writer = _json_writer(writer)
    writer(path)
    _normal_mode(path)
    fsync(path)


__all__ = ["TMP_PREFIX", "atomic_write", "clean_json", "fsync", "remove_stale", "sha256",
           "write_folder", "write_group", "write_json"]
