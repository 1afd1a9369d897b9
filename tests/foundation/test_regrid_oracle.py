"""Conservative regridding against a brute-force oracle, under jit, and with check_grads.

The oracle assigns the points of a fine (0.01°) midpoint grid to source and target cells by
their edges and sums ``cos φ dφ dλ``: every cell edge here is a multiple of 0.05°, so no
sample straddles an edge and the only error is the midpoint rule's (~1e-9 relative).
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

from jaxgeo import Grid, regrid
from jaxgeo._regrid import overlap_matrices, source_edges

H = 0.01  # oracle sample spacing, degrees


def _oracle(lat, lon, grid, lat_range, lon_range):
    """Overlap areas W[i, j, k, l] (unit sphere) by fine sampling, and the target rows/cols."""
    plat = np.arange(lat_range[0] + H / 2, lat_range[1], H)
    plon = np.arange(lon_range[0] + H / 2, lon_range[1], H)
    step_lat, step_lon = lat[1] - lat[0], lon[1] - lon[0]
    # source cell of each sample (edges at centre ± step/2, latitudes clipped to ±90)
    k = np.floor((plat - (lat[0] - step_lat / 2)) / step_lat).astype(int)
    lon_rel = np.mod(plon - (lon[0] - step_lon / 2), 360.0)
    m = np.floor(lon_rel / step_lon).astype(int)
    i = np.floor((plat + 90.0) / grid.resolution_deg).astype(int)
    j = np.floor(np.mod(plon - grid.lon_start, 360.0) / grid.resolution_deg).astype(int)
    w_lat = np.cos(np.deg2rad(plat)) * np.deg2rad(H)
    ok_k = (k >= 0) & (k < lat.size)
    ok_m = (m >= 0) & (m < lon.size)
    ui, uj = np.unique(i[ok_k]), np.unique(j[ok_m])
    W = np.zeros((ui.size, uj.size, lat.size, lon.size))
    # separable: accumulate the latitude and longitude factors, then take their product
    lat_f = np.zeros((ui.size, lat.size))
    np.add.at(lat_f, (np.searchsorted(ui, i[ok_k]), k[ok_k]), w_lat[ok_k])
    lon_f = np.zeros((uj.size, lon.size))
    np.add.at(lon_f, (np.searchsorted(uj, j[ok_m]), m[ok_m]), np.deg2rad(H))
    W = np.einsum("ik,jl->ijkl", lat_f, lon_f)
    return W, ui, uj


CASES = [
    # 0.3° source, 0.5° target, across the 0° meridian in a -180..180 grid
    (np.arange(10.15, 14.0, 0.3), np.arange(-2.05, 2.0, 0.3), Grid(0.5), (10.0, 13.9),
     (-2.2, 2.0)),
    # node-registered source touching the pole (last row a half cell), 0..360 target
    (np.arange(87.3, 90.01, 0.3), np.arange(357.15, 361.0, 0.3), Grid(1.0, 0.0), (87.15, 90.0),
     (357.0, 360.9)),
    # refining 1° -> 0.25°, descending latitude source
    (np.arange(-30.5, -35.0, -1.0), np.arange(100.5, 104.0, 1.0), Grid(0.25), (-35.0, -30.0),
     (100.0, 104.0)),
]


@pytest.mark.parametrize("lat,lon,grid,lat_range,lon_range", CASES)
def test_overlaps_match_brute_force(lat, lon, grid, lat_range, lon_range):
    W, ui, uj = _oracle(lat, lon, grid, lat_range, lon_range)
    a_lat, a_lon = overlap_matrices(source_edges(lat, "lat", lat=True),
                                    source_edges(lon, "lon", lat=False), grid)
    got = np.einsum("ik,jl->ijkl", a_lat, a_lon)
    # nothing outside the oracle's rows/cols, and equal weights there
    assert np.count_nonzero(np.delete(a_lat.sum(1), ui)) == 0
    assert np.count_nonzero(np.delete(a_lon.sum(1), uj)) == 0
    sub = got[np.ix_(ui, uj)]
    np.testing.assert_allclose(sub, W, rtol=1e-7, atol=1e-8 * W.max())
    # and the regridded means equal the oracle's weighted means
    field = np.random.default_rng(0).normal(size=(lat.size, lon.size))
    value = np.asarray(regrid(field, grid, lat=lat, lon=lon, min_coverage=0))
    den = W.sum(axis=(2, 3))
    ref = np.einsum("ijkl,kl->ij", W, field) / den
    np.testing.assert_allclose(value[np.ix_(ui, uj)], ref, rtol=1e-6, atol=1e-9)
    assert np.isnan(np.delete(value, ui, axis=0)).all()


def _small():
    lat, lon = np.arange(-87.0, 90, 6.0), np.arange(3.0, 360, 6.0)  # 6° source
    field = np.random.default_rng(4).normal(size=(2, lat.size, lon.size))
    field[0, 3, 5] = field[1, 10, 40] = np.nan
    return lat, lon, field


def test_jit_matches_eager():
    lat, lon, field = _small()
    g = Grid(10.0)
    eager = regrid(field, g, lat=lat, lon=lon, min_coverage=0)
    jitted = jax.jit(lambda f: regrid(f, g, lat=lat, lon=lon, min_coverage=0))(field)
    np.testing.assert_allclose(np.asarray(jitted), np.asarray(eager), rtol=1e-14)


def test_check_grads():
    lat, lon, field = _small()
    g = Grid(10.0, 0.0)  # non-nested 6° -> 10°; every target cell covered
    mask = np.ones((lat.size, lon.size))
    mask[5:8, 10:20] = 0.5

    def f(x):
        return jnp.sin(regrid(x, g, lat=lat, lon=lon, mask=mask, min_coverage=0.2))

    assert np.isfinite(np.asarray(f(field))).all()
    check_grads(f, (jnp.asarray(field),), order=2, modes=("fwd", "rev"), eps=1e-4)
    # the gradient of the global area integral is each valid source cell's area share
    g_int = jax.grad(lambda x: jnp.sum(regrid(x, g, lat=lat, lon=lon, min_coverage=0)[0]))(
        jnp.asarray(field))
    assert float(g_int[0, 3, 5]) == 0.0 and float(g_int[1].sum()) == 0.0
