"""INT8 inference: a trained HybridBlock quantized with MXNet's oneDNN backend, and its scores.

Design
------
* ``quantize(net, calib_data, mode)`` returns an int8 ``SymbolBlock`` built by MXNet's
  ``contrib.quantization.quantize_net_v2`` from a frozen copy of ``net`` (a ``SymbolBlock``
  sharing its parameters), so the caller's network keeps its own hybridization flags.
* Calibration reads the first ``num_calib_batches`` batches of ``calib_data`` (``(X, y)``
  batches, as the loaders give, or bare ``X``); ``naive`` takes each layer's min/max there,
  ``entropy`` the KL-optimal thresholds (it needs scipy and is much slower to calibrate).
* oneDNN quantizes convolution (fused with BatchNorm and ReLU), fully connected, pooling and
  BatchNorm; other operators (sigmoid activations) stay float between a dequantize and a
  quantize. ``layer_report`` names what was quantized and what stayed float.
* ``agreement`` and ``inference_ms`` serve the chapter's ``--quantize`` scores and the int8
  benchmark alike; every problem the caller can fix is one ``GluonNotesError`` sentence.
"""
import contextlib
import json
import os
import sys
import tempfile
import time
import warnings
from statistics import median

import mxnet as mx
from mxnet import gluon, nd

from .compat import param_state
from .errors import GluonNotesError
from .inputs import forward_checked
from .steps import evaluate_accuracy

MODES = ("naive", "entropy")
STATIC = dict(static_alloc=True, static_shape=True)
#: oneDNN operators that carry weights (after its graph fusion), and their float originals
_WEIGHT_OPS = ("Convolution", "FullyConnected", "_sg_mkldnn_conv", "_sg_mkldnn_fully_connected")


def check_settings(mode, ctx=None):
    """The CPU context to quantize on, after checking ``mode`` (scipy for ``entropy``) and
    ``ctx`` (one CPU context, or a list of CPU contexts whose first is taken)."""
    if mode not in MODES:
        raise GluonNotesError("unknown quantization mode %r; use one of %s."
                              % (mode, ", ".join(MODES)))
    ctx = mx.cpu() if ctx is None else ctx
    ctxs = list(ctx) if isinstance(ctx, (list, tuple)) else [ctx]
    bad = [c for c in ctxs if not isinstance(c, mx.Context) or c.device_type != "cpu"]
    if bad or not ctxs:
        raise GluonNotesError("INT8 inference runs on the CPU (MXNet's oneDNN backend); use "
                              "ctx=mx.cpu() (--ctx cpu), not %s." % (bad[0] if bad else ctx,))
    if mode == "entropy":
        try:
            import scipy.stats  # noqa: F401  (MXNet's entropy calibration imports it)
        except ImportError:
            raise GluonNotesError("entropy calibration needs scipy; install it (pip install "
                                  "scipy) or use the naive mode.") from None
    return ctxs[0]


def _check(net, mode, num_calib_batches, ctx):
    ctx = check_settings(mode, ctx)
    if not isinstance(net, gluon.HybridBlock):
        raise GluonNotesError("quantize needs a HybridBlock (a network built from HybridBlocks), "
                              "got a %s; rebuild the network as a HybridBlock."
                              % type(net).__name__)
    params = list(net.collect_params().values())
    waiting = [p.name for p in params if param_state(p) != "ready"]
    if not params or waiting:
        raise GluonNotesError("the network has %s; train it (or initialize it and run one batch) "
                              "before quantizing." % ("no parameters" if not params else
                                                     "uninitialized parameters (%s)"
                                                     % ", ".join(waiting[:3])))
    if not isinstance(num_calib_batches, int) or isinstance(num_calib_batches, bool) \
            or num_calib_batches < 1:
        raise GluonNotesError("num_calib_batches must be a positive integer, got %r."
                              % (num_calib_batches,))
    where = [c for c in params[0].list_ctx() if c.device_type != "cpu"]
    if where:
        raise GluonNotesError("the network lives on %s; move it to the CPU with "
                              "net.collect_params().reset_ctx(mx.cpu()) before quantizing."
                              % where[0])
    return ctx


def _calibration_images(calib_data, num_calib_batches):
    """The first batches of ``calib_data`` as one CPU array and the batch size."""
    batches = []
    try:
        for batch in calib_data:
            X = batch[0] if isinstance(batch, (list, tuple)) else batch
            batches.append(X.as_in_context(mx.cpu()) if isinstance(X, nd.NDArray)
                           else nd.array(X))
            if len(batches) == num_calib_batches:
                break
    except TypeError:
        raise GluonNotesError("calib_data must be an iterable of (X, y) batches or of X arrays, "
                              "got a %s." % type(calib_data).__name__) from None
    if not batches:
        raise GluonNotesError("calib_data gave no batch; pass training batches to calibrate on.")
    return nd.concat(*batches, dim=0), batches[0].shape[0]


def frozen(net):
    """A ``SymbolBlock`` computing ``net`` with ``net``'s own parameters (shared, not copied),
    hybridized with static memory and shapes: the fp32 twin of an int8 network."""
    data = mx.sym.var("data")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Cannot decide type for ... data"
        block = gluon.SymbolBlock(net(data), data, params=net.collect_params())
    block.hybridize(**STATIC)
    return block


@contextlib.contextmanager
def _quiet_native():
    """Hold back what MXNet's C++ side logs to stderr (one line per excluded operator); show it
    only if the block fails."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as log:
        os.dup2(log.fileno(), 2)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                yield
        except BaseException:
            os.dup2(saved, 2)
            log.seek(0)
            sys.stderr.write(log.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def quantize(net, calib_data, mode="naive", num_calib_batches=8, ctx=None, exclude=()):
    """The int8 version of a trained ``net``, calibrated on ``calib_data``.

    Parameters
    ----------
    net : HybridBlock
        Trained, with every parameter initialized; it is not changed.
    calib_data : iterable of ``(X, y)`` batches (or of ``X``)
        Training batches; only the images are used. ``X`` has the shape the network takes,
        e.g. ``(N, 1, 28, 28)``.
    mode : {'naive', 'entropy'}
        Calibration: each layer's min/max on the calibration images (``naive``), or the
        thresholds that minimize the KL divergence to the fp32 distribution (``entropy``).
    num_calib_batches : int
        Batches of ``calib_data`` to calibrate on (a few hundred images in all).
    ctx : Context, optional
        Must be a CPU (the default).
    exclude : sequence of str
        Keep the layers whose symbol name contains one of these strings in fp32 (e.g.
        ``('conv0',)`` for the first convolution).

    Returns
    -------
    SymbolBlock
        The int8 network, hybridized with static memory and shapes; input ``(N, ...)`` as
        ``net``'s, output the same logits shape.

    Raises
    ------
    GluonNotesError
        Bad mode, non-CPU ``ctx``, a network that is not a trained HybridBlock, empty or
        ill-shaped calibration data, scipy missing for ``entropy``.
    """
    from mxnet.contrib.quantization import quantize_net_v2
    ctx = _check(net, mode, num_calib_batches, ctx)
    X, batch_size = _calibration_images(calib_data, num_calib_batches)
    forward_checked(net, X[:1])
    calib = mx.io.NDArrayIter(X, batch_size=batch_size, last_batch_handle="discard")
    fp32 = frozen(net)
    with _quiet_native():
        qnet = quantize_net_v2(fp32, calib_data=calib, calib_mode=mode, ctx=ctx,
                               exclude_layers_match=list(exclude), num_calib_examples=len(X))
    qnet.hybridize(**STATIC)
    return qnet


def layer_report(qnet):
    """``{'int8': [names], 'float': [names]}``: the weight layers and activations of an int8
    network that run quantized, and those left in float (by oneDNN or by ``exclude``)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nodes = json.loads(qnet(mx.sym.var("data")).tojson())["nodes"]
    report = {"int8": [], "float": []}
    for node in nodes:
        op, name = node["op"], node["name"]
        if op == "null" or op.startswith("_contrib_") and not op.startswith("_contrib_quantized"):
            continue  # inputs, (de/re)quantize
        quantized = (name.startswith("quantized_") or op.startswith("_contrib_quantized")
                     or node.get("attrs", {}).get("quantized") == "true")
        if quantized or op in _WEIGHT_OPS or op in ("Activation", "BatchNorm", "Pooling"):
            report["int8" if quantized else "float"].append(name.replace("quantized_", "", 1))
    return report


def agreement(net, qnet, data_iter, num_batches=None):
    """Share of examples whose argmax prediction ``qnet`` keeps from ``net`` (read once)."""
    same, n = [], 0
    for i, batch in enumerate(data_iter):
        if num_batches is not None and i == num_batches:
            break
        X = batch[0] if isinstance(batch, (list, tuple)) else batch
        same.append((net(X).argmax(axis=1) == qnet(X).argmax(axis=1)).sum())
        n += X.shape[0]
    if n == 0:
        raise GluonNotesError("the data to compare predictions on is empty; give one batch.")
    return nd.add_n(*same).asscalar() / n


def inference_ms(net, X, repeats=5, target_seconds=0.2):
    """Median milliseconds of one ``net(X)`` call (output read), over ``repeats`` timed runs of
    as many calls as last about ``target_seconds``, after two warm-up calls."""
    for _ in range(2):
        net(X).wait_to_read()
    start = time.perf_counter()
    net(X).wait_to_read()
    calls = max(1, int(target_seconds / max(time.perf_counter() - start, 1e-6)))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            net(X).wait_to_read()
        times.append((time.perf_counter() - start) / calls)
    return 1000 * median(times)


def batch_of(images, batch_size):
    """The first ``batch_size`` of ``images`` (N, ...), repeated when N is smaller."""
    reps = -(-batch_size // images.shape[0])
    if reps > 1:
        images = nd.concat(*[images] * reps, dim=0)
    return images[:batch_size]


def speeds(net, qnet, images, batch_sizes=(1, 64), **timing):
    """``[(batch_size, fp32 ms, int8 ms)]``: ``inference_ms(..., **timing)`` of ``net`` and
    ``qnet`` on the first images of ``images`` at each batch size."""
    rows = []
    for b in batch_sizes:
        X = batch_of(images, b)
        rows.append((b, inference_ms(net, X, **timing), inference_ms(qnet, X, **timing)))
    return rows


def compare(net, qnet, test_iter, images, batch_sizes=(1, 64), **timing):
    """What int8 changes: ``{fp32_test_acc, int8_test_acc, int8_agreement,
    fp32_images_per_sec_bB, int8_images_per_sec_bB, int8_speedup_bB}`` for each batch size B.

    ``net`` is best given ``frozen`` (the fp32 network timed the way ``qnet`` is run);
    ``timing`` goes to ``inference_ms`` (``repeats``, ``target_seconds``)."""
    rec = dict(fp32_test_acc=evaluate_accuracy(net, test_iter),
               int8_test_acc=evaluate_accuracy(qnet, test_iter),
               int8_agreement=agreement(net, qnet, test_iter))
    for b, fp32_ms, int8_ms in speeds(net, qnet, images, batch_sizes, **timing):
        rec.update({"fp32_images_per_sec_b%d" % b: 1000 * b / fp32_ms,
                    "int8_images_per_sec_b%d" % b: 1000 * b / int8_ms,
                    "int8_speedup_b%d" % b: fp32_ms / int8_ms})
    return rec


__all__ = ["MODES", "check_settings", "quantize", "frozen", "layer_report", "agreement",
           "inference_ms", "batch_of", "speeds", "compare"]
