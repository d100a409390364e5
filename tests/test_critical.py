"""critical: autograd gradient and Hessian against the closed form, eigenvalue classification,
gradient descent at the saddle of x^2 - y^2."""
import numpy as np
import pytest
from mxnet import nd

from gluon_notes import critical
from gluon_notes.errors import GluonNotesError

POINTS = ([0.0, 0.0], [0.7, -1.3], [-2.0, 0.5])


@pytest.mark.parametrize("name,f,closed,kind", critical.EXAMPLES, ids=[e[0] for e in
                                                                      critical.EXAMPLES])
def test_hessian_matches_the_closed_form(name, f, closed, kind):
    for p in POINTS:
        H, _ = critical.hessian(f, p)
        np.testing.assert_allclose(H, closed(p), atol=1e-7)


@pytest.mark.parametrize("name,f,closed,kind", critical.EXAMPLES, ids=[e[0] for e in
                                                                      critical.EXAMPLES])
def test_the_four_functions_are_classified_at_the_origin(name, f, closed, kind):
    r = critical.classify(f, [0.0, 0.0])
    assert r["kind"] == kind
    np.testing.assert_allclose(r["gradient"], [0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(r["eigenvalues"], np.sort(np.diag(closed([0.0, 0.0]))),
                               atol=1e-7)


def test_gradient_matches_the_closed_form():
    p = np.array([0.7, -1.3])
    np.testing.assert_allclose(critical.gradient(critical.saddle, p), [2 * p[0], -2 * p[1]])
    np.testing.assert_allclose(critical.gradient(critical.cubic, p), [3 * p[0] ** 2, 2 * p[1]])


def test_second_order_autograd_where_mxnet_has_it_and_differences_elsewhere():
    p = [0.3, 1.1]
    H, method = critical.hessian(nd.sin, p)                 # sin has a registered 2nd derivative
    assert method == "autograd"
    np.testing.assert_allclose(H, np.diag(-np.sin(p)), atol=1e-12)
    H2, method2 = critical.hessian(nd.sin, p, method="differences")
    assert method2 == "differences"
    np.testing.assert_allclose(H2, H, atol=1e-7)
    assert critical.hessian(critical.bowl, p)[1] == "autograd"      # only `square`
    assert critical.hessian(critical.saddle, p)[1] == "differences"  # x[0] * x[0]: slicing, mul
    with pytest.raises(GluonNotesError, match="method='differences'"):
        critical.hessian(critical.saddle, p, method="autograd")


def test_a_mixed_hessian_by_differences():
    def f(x):                                               # x*y + x^2 y: H = [[2y, 1+2x], ...]
        return x[0] * x[1] + x[0] * x[0] * x[1]
    p = [0.5, -1.5]
    H, method = critical.hessian(f, p)
    assert method == "differences"
    np.testing.assert_allclose(H, [[2 * p[1], 1 + 2 * p[0]], [1 + 2 * p[0], 0.0]], atol=1e-7)


def test_classify_eigenvalues_and_non_critical_points():
    assert critical.classify_eigenvalues([1, 2]) == "local minimum"
    assert critical.classify_eigenvalues([-1, -2]) == "local maximum"
    assert critical.classify_eigenvalues([-1, 0, 2]) == "saddle"
    assert critical.classify_eigenvalues([0, 2]) == "degenerate"
    assert critical.classify_eigenvalues([0, -2]) == "degenerate"
    assert critical.classify(critical.bowl, [1.0, 0.0])["kind"] == "not a critical point"


def test_bad_points_and_methods_are_one_sentence():
    with pytest.raises(GluonNotesError, match="1-D vector"):
        critical.gradient(critical.bowl, [[0.0, 0.0]])
    with pytest.raises(GluonNotesError, match="method must be"):
        critical.hessian(critical.bowl, [0.0, 0.0], method="exact")


def test_gradient_descent_stalls_on_the_stable_manifold_and_escapes_when_perturbed():
    lr = 0.05
    stuck = critical.gradient_descent(critical.saddle, [1.0, 0.0], lr, 80)
    np.testing.assert_allclose(stuck[:, 0], (1 - 2 * lr) ** np.arange(81))   # x shrinks
    assert np.all(stuck[:, 1] == 0)
    steps = np.linalg.norm(np.diff(stuck, axis=0), axis=1)
    assert np.all(np.diff(steps) < 0)                       # every step shorter: slowing down
    free = critical.gradient_descent(critical.saddle, [1.0, 1e-3], lr, 80)
    np.testing.assert_allclose(free[:, 1], 1e-3 * (1 + 2 * lr) ** np.arange(81))
    dist = np.linalg.norm(free, axis=1)
    closest = int(np.argmin(dist))
    assert 20 < closest < 60 and dist[closest] < 0.05       # it first slows down near the saddle
    assert dist[-1] > 1 and free[-1, 0] ** 2 - free[-1, 1] ** 2 < -1   # then escapes downhill
