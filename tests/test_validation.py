"""Data checked once where it is loaded: non-finite features, labels that are not class indices."""
import numpy as np
import pytest
from mxnet import nd

from gluon_notes.data import ArrayLoader, poly_data, synthetic_data
from gluon_notes.data.validate import LabelInfo, check_finite
from gluon_notes.errors import DataError, GluonNotesError


def images(n=8):
    return nd.array(np.random.RandomState(0).uniform(size=(n, 1, 4, 4)))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_features_name_the_first_bad_sample(bad):
    X = images()
    X[5, 0, 1, 2] = bad
    X[7, 0, 0, 0] = bad
    with pytest.raises(DataError, match=r"X holds %s in sample 5 \(2 sample\(s\)" % bad):
        ArrayLoader(X, nd.zeros(8), 4)


def test_large_finite_features_are_not_mistaken_for_inf():
    X = nd.full((3, 4), 3e38)  # each row's sum overflows float32, the values do not
    check_finite(X)
    ArrayLoader(X, nd.zeros(3), 2)


def test_non_finite_labels_are_refused_also_for_regression():
    y = nd.arange(6)
    y[4] = np.nan
    with pytest.raises(DataError, match="y holds nan at sample 4"):
        ArrayLoader(nd.zeros((6, 2)), y, 2)


@pytest.mark.parametrize("labels, match", [
    ([0, 1, 10, 2], r"label 10 at sample 2 but the network has 10 outputs"),
    ([0, -1, 2, 3], r"negative label at sample 1"),
    ([0, 1, 2.5, 3], r"fractional label at sample 2"),
])
def test_labels_that_are_not_class_indices_are_refused(labels, match):
    with pytest.raises(DataError, match=match):
        ArrayLoader(nd.zeros((4, 2)), nd.array(labels), 2, classes=10)


def test_one_hot_labels_get_a_sentence_about_class_indices():
    y = nd.one_hot(nd.array([0, 2, 1, 2]), 3)  # (4, 3)
    with pytest.raises(DataError, match=r"one-hot rows of shape \(4, 3\); pass class indices"):
        ArrayLoader(nd.zeros((4, 2)), y, 2, classes=3)


def test_label_info_without_classes_accepts_regression_targets():
    info = ArrayLoader(nd.zeros((4, 2)), nd.array([0.5, -2.0, 3.25, 1.0]), 2).label_info
    assert not info.integral and info.first_fractional == 0 and info.first_negative == 1
    assert (info.low, info.high, info.first_max) == (-2.0, 3.25, 2)
    with pytest.raises(DataError, match="fractional label at sample 0"):
        info.check(4)


def test_valid_class_labels_pass():
    info = LabelInfo(nd.array([0, 9, 3, 3]))
    info.check(10)
    assert info.integral and (info.low, info.high) == (0, 9)


def test_synthetic_sets_refuse_non_finite_parameters_and_bad_counts():
    with pytest.raises(DataError, match="true w"):
        synthetic_data([2, np.inf], 4.2, 10)
    with pytest.raises(DataError, match="true b"):
        poly_data(5, 5, b=np.nan)
    with pytest.raises(GluonNotesError, match="noise"):
        synthetic_data([2, 1], 4.2, 10, noise=-1)
    with pytest.raises(GluonNotesError, match="num_examples"):
        synthetic_data([2, 1], 4.2, 0)
    assert poly_data(5, 0)[0].shape == (5, 1)
