"""filter_field against ducc0 alone (test-only oracle): analysis of an arbitrary field at
the full degree nlat − 1, degrees above lmax zeroed, Gaussian weights per degree, synthesis.
The filter scales each degree, so the harmonic normalisation does not matter."""

import math

import numpy as np
import pytest

from jaxgeo import Grid
from jaxgeo.grace import filter_field
from jaxgeo.sphere import gaussian_legendre_weights

ducc0 = pytest.importorskip("ducc0")


def _ducc0_filter(field, grid, lmax, half_width_km):
    top = grid.nlat - 1
    phi0 = math.radians(grid.lon[0])
    alm = ducc0.sht.experimental.analysis_2d(
        map=np.ascontiguousarray(field[::-1])[None], spin=0, lmax=top, geometry="F1",
        phi0=phi0)[0]
    fl = np.zeros(top + 1)
    fl[:lmax + 1] = gaussian_legendre_weights(half_width_km, lmax) if half_width_km else 1.0
    for m in range(top + 1):  # healpy order: (l, m) at m (2 top + 1 − m) / 2 + l
        start = m * (2 * top + 1 - m) // 2 + m
        alm[start:start + top + 1 - m] *= fl[m:]
    out = ducc0.sht.synthesis_2d(alm=alm[None], spin=0, lmax=top, geometry="F1",
                                 ntheta=grid.nlat, nphi=grid.nlon, phi0=phi0)
    return np.ascontiguousarray(out[0, ::-1])


@pytest.mark.parametrize("res,lon_start,lmax,half_width_km", [
    (5.0, -180.0, 20, 500.0), (5.0, 0.0, 35, None), (2.0, -180.0, 60, 300.0)])
def test_filter_matches_ducc0_on_white_noise(res, lon_start, lmax, half_width_km):
    grid = Grid.regular(res, lon_start=lon_start)
    field = np.random.default_rng(int(res) + lmax).standard_normal((2, *grid.shape))
    got = np.asarray(filter_field(field, grid, lmax=lmax, half_width_km=half_width_km))
    for k in range(2):
        ref = _ducc0_filter(field[k], grid, lmax, half_width_km)
        np.testing.assert_allclose(got[k], ref, rtol=0, atol=1e-11)
