"""The grid operators' response to single spherical harmonics against the Legendre weights.

A cap or Gaussian mean multiplies a degree-l harmonic by W_l (Funk–Hecke). On a grid the cap's
rim is staircased, an error of first order in Δ/ψ; the test checks a bound and that refining
the grid halves it. Harmonics come from scipy (independent of jaxgeo).
"""

import jax.numpy as jnp
import numpy as np
import pytest
import scipy.special as sp

from jaxgeo import Grid
from jaxgeo.sphere import (
    CapAverage,
    GaussianSmooth,
    cap_legendre_weights,
    gaussian_legendre_weights,
)

DEGREES = [(10, 3), (20, 0), (30, 5), (40, 17), (60, 2), (60, 40)]


def _response(op, grid):
    """Projection of op(Y_lm) on Y_lm, for each (l, m) in DEGREES."""
    theta = np.deg2rad(90 - grid.lat)[:, None]
    phi = np.deg2rad(grid.lon)[None, :]
    out = []
    for ell, m in DEGREES:
        y_lm = np.real(sp.sph_harm_y(ell, m, theta, phi))
        smoothed = np.asarray(op(jnp.asarray(y_lm)))
        a = grid.cell_area
        out.append((a * smoothed * y_lm).sum() / (a * y_lm * y_lm).sum())
    return np.array(out)


def test_cap_response_matches_legendre_weights_and_converges():
    w = cap_legendre_weights(3.0, 60)
    expected = np.array([w[ell] for ell, _ in DEGREES])
    errors = {}
    for res in (0.5, 0.25):
        grid = Grid.regular(res)
        errors[res] = np.abs(_response(CapAverage(grid, 3.0, dtype=jnp.float64), grid) - expected)
        assert errors[res].max() < 0.12 * res / 3.0, (res, errors[res])
    # first-order convergence: halving Δ at least roughly halves the worst error
    assert errors[0.25].max() < 0.6 * errors[0.5].max()


@pytest.mark.parametrize("half_width", [300.0, 500.0])
def test_gaussian_response_matches_legendre_weights(half_width):
    w = gaussian_legendre_weights(half_width, 60)
    expected = np.array([w[ell] for ell, _ in DEGREES])
    grid = Grid.regular(0.5)
    got = _response(GaussianSmooth(grid, half_width, dtype=jnp.float64), grid)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-4)
