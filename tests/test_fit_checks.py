"""What fit refuses, and how: non-finite data and weights, labels, input shapes, settings,
seeds, Ctrl-C, and a checkpoint that has already finished."""
import numpy as np
import mxnet as mx
import pytest
from mxnet import nd
from mxnet.gluon import nn

from gluon_notes.callbacks import Callback
from gluon_notes.data import ArrayLoader
from gluon_notes.errors import (DataError, GluonNotesError, InputShapeError, NonFiniteLossError,
                                NonFiniteWeightsError, TrainingInterrupted)
from gluon_notes.guards import epoch_seed
from gluon_notes.models import get_model
from gluon_notes.train import fit

KW = dict(num_epochs=1, lr=0.1, verbose=False, ctx=mx.cpu())


def blobs(n=48, d=6, classes=3, seed=0):
    rng = np.random.RandomState(seed)
    y = rng.randint(0, classes, size=n)
    X = rng.normal(scale=3, size=(classes, d))[y] + rng.normal(size=(n, d))
    return nd.array(X), nd.array(y)


def images(n=32, seed=0):
    rng = np.random.RandomState(seed)
    return nd.array(rng.uniform(size=(n, 1, 28, 28))), nd.array(rng.randint(0, 10, size=n))


def relu_mlp(classes=3):
    net = nn.HybridSequential()
    net.add(nn.Dense(16, activation="relu"), nn.Dense(classes))
    return net


def batches(X, y, size):
    """A plain list of batches: an iterator fit knows nothing about."""
    return [(X[i:i + size], y[i:i + size]) for i in range(0, len(X), size)]


# --- defect 4: non-finite data and weights --------------------------------------------------

@pytest.mark.parametrize("model", ["mlp", "lenet"])
def test_a_nan_sample_is_an_error_not_training_at_chance(model):
    X, y = images()
    X[9, 0, 5, 5] = np.nan
    with pytest.raises(DataError, match="X holds nan in sample 9"):
        fit(get_model(model), ArrayLoader(X, y, 8, shuffle=True), **KW)
    with pytest.raises(DataError, match="the first batch's X holds nan in sample 1"):
        fit(get_model(model), batches(X[8:], y[8:], 8), **KW)


def test_nan_weights_under_a_finite_loss_are_found_at_the_epoch_end():
    X, y = blobs()
    X[20] = np.nan  # batch 3 of an unchecked iterator: the ReLU MLP's loss stays finite
    with pytest.raises(NonFiniteWeightsError, match=r"parameter dense\d+_(weight|bias) became nan "
                                                    r"during epoch 1 while the loss stayed finite;"
                                                    r" make sure the data holds no NaN/inf"):
        fit(relu_mlp(), batches(X, y, 8), **KW)


def test_a_non_finite_loss_from_checked_data_blames_the_learning_rate():
    X, y = nd.random.normal(shape=(64, 3)) * 100, nd.random.normal(shape=(64,)) * 1e4
    with pytest.raises(NonFiniteLossError, match=r"; lower the learning rate \(it is 10"):
        fit(nn.Dense(1), ArrayLoader(X, y, 8), loss=mx.gluon.loss.L2Loss(), num_epochs=20,
            lr=10.0, accuracy=False, verbose=False)


# --- defect 5: labels -----------------------------------------------------------------------

@pytest.mark.parametrize("label, match", [
    (3, r"y holds label 3 at sample 5 but the network has 3 outputs"),
    (-1, r"negative label at sample 5"),
    (1.5, r"fractional label at sample 5"),
])
def test_labels_that_are_not_class_indices_stop_fit(label, match):
    X, y = blobs()
    y[5] = label
    with pytest.raises(DataError, match=match):
        fit(relu_mlp(), ArrayLoader(X, y, 8), **KW)
    with pytest.raises(DataError, match=match.replace("y holds", "the first batch's y holds")):
        fit(relu_mlp(), batches(X, y, 8), **KW)


def test_nan_and_one_hot_labels_get_their_own_sentence():
    X, y = blobs()
    bad = y.copy()
    bad[2] = np.nan
    with pytest.raises(DataError, match="y holds nan at sample 2"):
        fit(relu_mlp(), batches(X, bad, 8), **KW)
    with pytest.raises(DataError, match=r"one-hot rows of shape \(48, 3\); pass class indices"):
        fit(relu_mlp(), ArrayLoader(X, nd.one_hot(y, 3), 8), **KW)


def test_test_labels_are_checked_before_training():
    X, y = blobs()
    seen = []

    class Count(Callback):
        def on_batch_end(self, batch, logs):
            seen.append(batch)

    with pytest.raises(DataError, match="label 7"):
        fit(relu_mlp(), ArrayLoader(X, y, 8), ArrayLoader(X, y * 0 + 7, 8),
            callbacks=[Count()], **KW)
    assert seen == []


def test_regression_targets_need_only_be_finite():
    X, _ = blobs()
    h = fit(nn.Dense(1), ArrayLoader(X, nd.random.normal(shape=(48,)), 8),
            loss=mx.gluon.loss.L2Loss(), accuracy=False, **KW)
    assert np.isfinite(h.last["loss"])


# --- defect 9: shapes, learning rate, optimizer instances -----------------------------------

@pytest.mark.parametrize("shape, reason", [((2, 784), ""), ((2, 1, 8, 8), "kernel size")])
@pytest.mark.parametrize("hybridize", [False, True])
def test_a_wrong_input_shape_is_one_sentence(shape, reason, hybridize, capsys):
    net = get_model("lenet")
    net.initialize()
    if hybridize:
        net.hybridize()
    with pytest.raises(InputShapeError, match=r"^lenet takes inputs of shape \(N, 1, 28, 28\) but "
                                              r"got %s.*%s" % (re_shape(shape), reason)):
        net(nd.zeros(shape))
    assert "infer_shape error" not in capsys.readouterr().out  # MXNet's dump is held back


def re_shape(shape):
    return str(tuple(shape)).replace("(", r"\(").replace(")", r"\)")


def test_the_mlp_names_the_features_it_was_built_for():
    net = get_model("mlp")
    net.initialize()
    net(nd.zeros((2, 784)))
    with pytest.raises(InputShapeError, match=r"mlp takes inputs of shape \(N, 784\) but got "
                                              r"\(2, 100\)"):
        net(nd.zeros((2, 100)))


def test_fit_translates_shape_errors_of_any_network():
    X = nd.zeros((8, 784))
    y = nd.zeros((8,))
    with pytest.raises(InputShapeError, match=r"lenet takes inputs of shape \(N, 1, 28, 28\)"):
        fit(get_model("lenet"), ArrayLoader(X, y, 4), **KW)
    conv = nn.HybridSequential()
    conv.add(nn.Conv2D(4, kernel_size=3), nn.Dense(3))
    with pytest.raises(InputShapeError, match=r"cannot take inputs of shape \(4, 784\)"):
        fit(conv, ArrayLoader(X, y, 4), **KW)


@pytest.mark.parametrize("lr", [float("inf"), float("nan"), "0.1", 0.0])
def test_a_learning_rate_that_is_not_a_finite_positive_number_is_refused(lr):
    X, y = blobs(8)
    with pytest.raises(GluonNotesError, match="learning rate must be a finite number > 0"):
        fit(relu_mlp(), ArrayLoader(X, y, 4), **dict(KW, lr=lr))


def test_an_optimizer_instance_brings_its_settings_and_is_not_changed():
    X, y = blobs()
    adam = mx.optimizer.Adam(learning_rate=0.01)
    before = dict(vars(adam))
    h = fit(relu_mlp(), ArrayLoader(X, y, 8), **dict(KW, lr=None), optimizer=adam)
    assert h["lr"] == [0.01] and np.isfinite(h.last["loss"])
    assert vars(adam).keys() == before.keys()
    assert all(vars(adam)[k] is before[k] or vars(adam)[k] == before[k] for k in before)
    fit(relu_mlp(), ArrayLoader(X, y, 8), **dict(KW, lr=0.01), optimizer=adam)  # the same lr
    with pytest.raises(GluonNotesError, match="lr=0.1 contradicts the optimizer instance's lr"):
        fit(relu_mlp(), ArrayLoader(X, y, 8), **KW, optimizer=adam)
    with pytest.raises(GluonNotesError, match="lr_scheduler cannot be given next to"):
        fit(relu_mlp(), ArrayLoader(X, y, 8), **dict(KW, lr=None), optimizer=adam,
            lr_scheduler=mx.lr_scheduler.FactorScheduler(step=2))


def test_unknown_or_misplaced_optimizer_settings_are_one_sentence():
    X, y = blobs(8)
    with pytest.raises(GluonNotesError, match=r"unknown argument\(s\) wdd; its optimizer settings"):
        fit(relu_mlp(), ArrayLoader(X, y, 4), **KW, wdd=1e-3)
    with pytest.raises(GluonNotesError, match="wd must be a finite number >= 0"):
        fit(relu_mlp(), ArrayLoader(X, y, 4), **KW, wd=-1.0)
    net = relu_mlp()
    net.initialize()
    trainer = mx.gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    with pytest.raises(GluonNotesError, match="wd apply to the Trainer fit builds"):
        fit(net, ArrayLoader(X, y, 4), **KW, trainer=trainer, wd=1e-3)


# --- seeds, Ctrl-C, a finished checkpoint ---------------------------------------------------

@pytest.mark.parametrize("seed", [2 ** 32, -1, 1.5, True])
def test_seeds_outside_numpys_range_are_refused(seed):
    X, y = blobs(8)
    with pytest.raises(GluonNotesError, match=r"seed must be an integer from 0 to 2\*\*32 - 1"):
        fit(relu_mlp(), ArrayLoader(X, y, 4), **KW, seed=seed)


def test_epoch_seeds_never_overflow_and_keep_the_old_values_where_they_fit():
    assert epoch_seed(3, 2) == 3002  # seed * 1000 + epoch, as before
    big = [epoch_seed(2 ** 32 - 1, e) for e in range(50)]
    assert all(0 <= s < 2 ** 32 for s in big) and len(set(big)) == 50
    assert big == [epoch_seed(2 ** 32 - 1, e) for e in range(50)]  # a function of (seed, epoch)


class InterruptAt(Callback):
    """Ctrl-C in the middle of epoch ``epoch`` (from 0)."""

    def __init__(self, epoch):
        self.epoch, self.ended = epoch, False

    def on_batch_end(self, batch, logs):
        if self.state.epoch == self.epoch and batch == 1:
            raise KeyboardInterrupt

    def on_train_end(self, logs):
        self.ended = True


def test_ctrl_c_keeps_the_finished_epochs():
    X, y = blobs()
    stop = InterruptAt(2)  # in epoch 3
    with pytest.raises(TrainingInterrupted) as info:
        fit(relu_mlp(), ArrayLoader(X, y, 8), ArrayLoader(X, y, 16), callbacks=[stop],
            **dict(KW, num_epochs=5))
    assert isinstance(info.value, KeyboardInterrupt) and stop.ended
    assert info.value.history["epoch"] == [1, 2] and len(info.value.history["test_acc"]) == 2


def test_resume_with_the_largest_seed_is_exact(tmp_path):
    X, y = blobs()
    kw = dict(KW, num_epochs=3, seed=2 ** 32 - 1)
    full = fit(relu_mlp(), ArrayLoader(X, y, 8, shuffle=True), **kw)
    with pytest.raises(TrainingInterrupted):
        fit(relu_mlp(), ArrayLoader(X, y, 8, shuffle=True), checkpoint=str(tmp_path),
            callbacks=[InterruptAt(2)], **kw)
    resumed = fit(relu_mlp(), ArrayLoader(X, y, 8, shuffle=True), checkpoint=str(tmp_path),
                  resume=True, **kw)
    assert resumed["loss"] == full["loss"]


def test_resuming_a_finished_checkpoint_trains_nothing(tmp_path):
    X, y = blobs()
    kw = dict(KW, num_epochs=2, seed=0)
    done = fit(relu_mlp(), ArrayLoader(X, y, 8), checkpoint=str(tmp_path), **kw)
    stop = InterruptAt(0)  # would stop any epoch that ran
    again = fit(relu_mlp(), ArrayLoader(X, y, 8), checkpoint=str(tmp_path), resume=True,
                callbacks=[stop], **kw)
    assert again.epochs == done.epochs
