"""Legendre weights against the published check values and independent quadrature."""

import numpy as np
import pytest

from jaxgeo.sphere import cap_legendre_weights, gaussian_b, gaussian_legendre_weights


@pytest.mark.parametrize(
    "radius, degree, expected",
    [(3.0, 10, 0.962774), (3.0, 20, 0.862810), (3.0, 30, 0.713410), (3.0, 60, 0.173174),
     (1.0, 40, 0.938840)],
)
def test_cap_check_values(radius, degree, expected):
    assert cap_legendre_weights(radius, 100)[degree] == pytest.approx(expected, abs=5e-7)


@pytest.mark.parametrize(
    "half_width, degree, expected",
    [(300, 10, 0.915741), (300, 20, 0.714579), (300, 60, 0.053583), (500, 20, 0.392992),
     (500, 60, 0.000305)],
)
def test_gaussian_check_values(half_width, degree, expected):
    assert gaussian_legendre_weights(half_width, 100)[degree] == pytest.approx(expected, abs=5e-7)


def test_gaussian_matches_quadrature_at_high_degree():
    # Oracle: W_l = ∫ K(x) P_l(x) dx / ∫ K(x) dx by Gauss-Legendre in x = cos α over
    # [0.9, 1], where the kernel lives (beyond it K < e^-140).
    b = gaussian_b(200.0)
    x, w = np.polynomial.legendre.leggauss(2000)
    xs = 0.9 + 0.1 * (x + 1) / 2
    k = np.exp(-b * (1 - xs)) * w
    ref = (k @ np.polynomial.legendre.legvander(xs, 400)) / k.sum()
    got = gaussian_legendre_weights(200.0, 400)
    np.testing.assert_allclose(got, ref, rtol=0, atol=5e-11)


def test_cap_matches_quadrature():
    c = np.cos(np.deg2rad(20.0))
    # the cap indicator is discontinuous; split the integral at its edge instead
    x, w = np.polynomial.legendre.leggauss(400)
    xs = c + (1 - c) * (x + 1) / 2
    p = np.polynomial.legendre.legvander(xs, 60)
    ref = (w @ p) / w.sum()
    np.testing.assert_allclose(cap_legendre_weights(20.0, 60), ref, rtol=0, atol=1e-12)


def test_gaussian_stable_at_very_high_degree():
    w = gaussian_legendre_weights(50.0, 3000)
    assert np.all(np.isfinite(w)) and np.all(w >= 0) and np.all(np.diff(w) <= 0)


@pytest.mark.parametrize("bad", [0.0, -1.0, 181.0])
def test_cap_bad_radius(bad):
    with pytest.raises(ValueError, match="radius_deg"):
        cap_legendre_weights(bad, 10)


def test_bad_lmax():
    with pytest.raises(ValueError, match="lmax"):
        gaussian_legendre_weights(300.0, -1)
