"""numpy 1.24-1.26 under mxnet 1.9.1: the removed aliases come back, and nothing else changes.

Runs on both tested numpys (``make test`` on 1.23.5, ``make test NUMPY=1.26.4``): what the shim
must do is derived from what the installed numpy lacks, never from its version number.
"""
import builtins
import json
import subprocess
import sys
import types
import warnings

import pytest

from gluon_notes import compat, numpy_compat
from gluon_notes.numpy_compat import REMOVED_ALIASES, check_numpy, restore_numpy_aliases

SIX = ("bool", "int", "float", "complex", "object", "str")


def _numpy_124_like(missing=SIX):
    """A stand-in numpy module whose ``__getattr__`` behaves like numpy 1.24-1.26's for the
    names in ``missing`` (FutureWarning for some, then AttributeError)."""
    fake = types.ModuleType("numpy")
    fake.bool_, fake.float64, fake.sum = object(), object(), object()

    def __getattr__(name):
        if name in ("bool", "str", "object"):
            warnings.warn("In the future `np.%s` will be defined as the corresponding NumPy "
                          "scalar." % name, FutureWarning, stacklevel=2)
        if name in missing:
            raise AttributeError("module 'numpy' has no attribute %r" % name)
        if name in SIX:  # still served, as numpy 1.20-1.23 did
            warnings.warn("`np.%s` is a deprecated alias" % name, DeprecationWarning, stacklevel=2)
            return getattr(builtins, name)
        raise AttributeError(name)

    fake.__getattr__ = __getattr__
    return fake


def _one_sentence(message):
    return "\n" not in message and message.endswith(".") and ". " not in message


def test_the_six_removed_aliases_are_the_ones_restored():
    assert REMOVED_ALIASES == SIX
    assert compat.restore_numpy_aliases is restore_numpy_aliases  # compat's public face


def test_missing_aliases_come_back_as_the_exact_builtins_and_nothing_else_changes():
    fake = _numpy_124_like()
    before = dict(vars(fake))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # restoring must not leak numpy's FutureWarnings
        added = restore_numpy_aliases(fake)
    assert added == list(SIX)
    for name in SIX:
        assert vars(fake)[name] is getattr(builtins, name)
    assert {k: v for k, v in vars(fake).items() if k not in SIX} == before
    assert all(vars(fake)[k] is v for k, v in before.items())  # same objects, not equal copies
    assert restore_numpy_aliases(fake) == []  # applied once: a second call changes nothing


def test_names_numpy_still_serves_are_left_alone():
    fake = _numpy_124_like(missing=("bool",))  # numpy 1.23 serves the other five itself
    fake.int = sentinel = object()  # even an unexpected value of a present name stays
    before = dict(vars(fake))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert restore_numpy_aliases(fake) == ["bool"]
    assert vars(fake)["bool"] is bool and fake.int is sentinel
    assert {k: v for k, v in vars(fake).items() if k != "bool"} == before


def test_numpy_123_like_module_gets_nothing():
    fake = _numpy_124_like(missing=())
    before = dict(vars(fake))
    assert restore_numpy_aliases(fake) == []
    assert vars(fake) == before


SNAPSHOT = r'''
import builtins, json, types, warnings
import numpy
warnings.simplefilter("ignore")
MISSING = object()

def resolve(name):
    try:
        return getattr(numpy, name)
    except AttributeError:
        return MISSING

SIX = %r
before_dir = dir(numpy)
before = {n: resolve(n) for n in before_dir}
lacked = [n for n in SIX if resolve(n) is MISSING]
import gluon_notes  # noqa: F401
from gluon_notes import numpy_compat
import mxnet as mx
x = mx.np.array([1.0, -1.0])
after_dir = dir(numpy)
added = sorted(set(after_dir) - set(before_dir))
print(json.dumps(dict(
    changed=[n for n in before_dir if resolve(n) is not before[n]],
    removed=sorted(set(before_dir) - set(after_dir)),
    added_not_submodules=[n for n in added if not (isinstance(getattr(numpy, n), types.ModuleType)
                                                   and getattr(numpy, n).__name__ == "numpy." + n)],
    lacked=lacked, restored=numpy_compat.RESTORED,
    aliases_are_builtins=all(getattr(numpy, n) is getattr(builtins, n) for n in SIX),
    mxnet_bool=str(x[x > 0].asnumpy().tolist()),
)))
'''


def _run(code):
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_importing_gluon_notes_leaves_every_existing_numpy_attribute_untouched():
    seen = _run(SNAPSHOT % (SIX,))
    assert seen["changed"] == [] and seen["removed"] == []  # identity of every attribute kept
    assert seen["restored"] == seen["lacked"]  # exactly what this numpy lacked: all six or none
    assert set(seen["added_not_submodules"]) <= set(seen["restored"])  # and nothing else
    assert seen["aliases_are_builtins"]
    assert seen["mxnet_bool"] == "[1.0]"  # mx.np boolean indexing reads np.bool


@pytest.mark.parametrize("version", ["2.0.1", "1.22.4"])
def test_numpy_outside_the_range_stops_the_import_with_one_sentence_before_mxnet(version):
    seen = _run("import json, sys, numpy\n"
                "numpy.__version__ = %r\n"
                "try:\n"
                "    import gluon_notes\n"
                "except ImportError as err:\n"
                "    print(json.dumps([str(err), 'mxnet' in sys.modules]))\n" % version)
    message, mxnet_imported = seen
    assert _one_sentence(message), message
    assert "numpy %s is installed" % version in message
    assert "numpy>=1.23.5,<2" in message and "Python 3.9-3.12" in message
    assert not mxnet_imported


@pytest.mark.parametrize("version", ["1.23.5", "1.24.0", "1.26.4", "1.26.0rc1", "1.25.0.dev0+g1"])
def test_check_numpy_accepts_the_supported_range(version):
    assert check_numpy(version) is None


@pytest.mark.parametrize("version", ["1.23.4", "1.22.4", "2.0.0rc1", "2.0.0", "2.4.6"])
def test_check_numpy_refuses_outside_the_range_in_one_sentence(version):
    with pytest.raises(ImportError) as info:
        check_numpy(version)
    assert _one_sentence(str(info.value)) and ("numpy %s is installed" % version) in str(info.value)


def test_the_shim_loads_by_file_path_without_the_package_and_lets_mxnet_import():
    """What a script that must not import the package (``dist/role.py``: mxnet's import turns it
    into a KVStore server) can do: load numpy_compat.py by path, then import mxnet."""
    seen = _run("import importlib.util, json, sys\n"
                "spec = importlib.util.spec_from_file_location('shim', %r)\n"
                "shim = importlib.util.module_from_spec(spec)\n"
                "spec.loader.exec_module(shim)\n"
                "shim.check_numpy()\n"
                "restored = shim.restore_numpy_aliases()\n"
                "import mxnet as mx\n"
                "x = mx.np.array([1.0, -1.0])\n"
                "print(json.dumps([restored, x[x > 0].asnumpy().tolist(),\n"
                "                  [m for m in sys.modules if m.startswith('gluon_notes')]]))\n"
                % numpy_compat.__file__)
    restored, positive, package_modules = seen
    assert set(restored) <= set(SIX) and positive == [1.0] and package_modules == []


def test_this_process_restored_exactly_what_its_numpy_lacked():
    import numpy
    assert all(getattr(numpy, n) is getattr(builtins, n) for n in numpy_compat.RESTORED)
    assert set(numpy_compat.RESTORED) <= set(SIX)
