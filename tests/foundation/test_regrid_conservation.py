"""Conservative regridding conserves the area integral (float64) and keeps constants constant.

The source integral is computed independently of jaxgeo._regrid: from the cell edges written
out here (midpoints of the regular centres, clipped to ±90°) with the band formula.
"""

import numpy as np
import pytest
import xarray as xr

import jaxgeo
from jaxgeo import Grid, regrid
from jaxgeo._regrid import source_edges


def _sin_diff(north, south):
    """sin φ_n − sin φ_s (degrees) as 2 cos(mean) sin(half difference): no cancellation."""
    n, s = np.deg2rad(north), np.deg2rad(south)
    return 2.0 * np.cos((n + s) / 2) * np.sin((n - s) / 2)


def _areas(lat, lon):
    """Source cell areas (sin φ_n − sin φ_s) · Δλ [rad], from the centres alone."""
    hl = abs(lat[1] - lat[0]) / 2
    hn = abs(lon[1] - lon[0]) / 2
    band = _sin_diff(np.clip(lat + hl, -90, 90), np.clip(lat - hl, -90, 90))
    return np.outer(band, np.full(lon.size, np.deg2rad(2 * hn)))


def _target_areas(g):
    return np.outer(_sin_diff(g.lat_edges[1:], g.lat_edges[:-1]),
                    np.full(g.nlon, np.deg2rad(g.resolution_deg)))


# (name, source lat centres, source lon centres, target grid)
PAIRS = [
    ("0.1->0.25 regional", np.arange(300, 400) * 0.1 + 0.05, np.arange(100, 200) * 0.1 + 0.05,
     Grid(0.25)),
    ("0.1->0.25 regional, unaligned, across 0°",
     np.arange(301, 421) * 0.1 + 0.05, np.arange(-37, 117) * 0.1 + 0.05, Grid(0.25)),
    ("0.3->0.5 global 0..360", np.arange(600) * 0.3 - 89.85, np.arange(1200) * 0.3 + 0.15,
     Grid(0.5)),
    ("2->0.5 refining, descending lat", np.arange(89.0, -90, -2), np.arange(-179.0, 180, 2),
     Grid(0.5)),
    ("1 (0..360) -> 1 (-180..180)", np.arange(-89.5, 90), np.arange(0.5, 360), Grid(1.0)),
    ("1 -> 1 shifted half a cell", np.arange(-89.5, 90), np.arange(0.0, 360), Grid(1.0)),
    ("0.7 -> 3 coarsening, lon_start 0", np.arange(89.65, -90, -0.7)[:256],
     np.arange(514) * 0.7 + 0.35, Grid(3.0, 0.0)),
]


@pytest.mark.parametrize("name,lat,lon,grid", PAIRS, ids=[p[0] for p in PAIRS])
def test_area_integral_is_conserved(name, lat, lon, grid):
    rng = np.random.default_rng(len(name))
    field = rng.random((2, lat.size, lon.size)) + rng.normal(size=(2, 1, 1))
    value, cover = regrid(field, grid, lat=lat, lon=lon, min_coverage=0, return_coverage=True)
    value, cover = np.asarray(value), np.asarray(cover)
    src = _areas(lat, lon)
    ref = np.einsum("tij,ij->t", field, src)
    got = np.nansum(value * cover * _target_areas(grid), axis=(-2, -1))
    scale = np.einsum("tij,ij->t", np.abs(field), src)
    np.testing.assert_array_less(np.abs(got - ref) / scale, 1e-12)
    np.testing.assert_array_less(np.abs(got - ref) / np.abs(ref), 1e-12)
    # against the regridder's own cell edges (the above also carries the ~1e-14° rounding of
    # the coordinates, i.e. which edges are meant), conservation is at round-off
    lo, hi = source_edges(lat, "lat", lat=True)
    west, east = source_edges(lon, "lon", lat=False)
    own = np.einsum("tij,ij->t", field, np.outer(_sin_diff(hi, lo), np.deg2rad(east - west)))
    np.testing.assert_array_less(np.abs(got - own) / scale, 1e-14)
    # coverage is the covered fraction: its area sum is the source's area
    np.testing.assert_allclose((cover[0] * _target_areas(grid)).sum(), src.sum(), rtol=1e-12)
    assert np.all(cover <= 1 + 1e-12) and np.all(np.isnan(value) == (cover[...] == 0))


def test_integral_with_nan_holes_and_mask_counts_valid_area_only():
    rng = np.random.default_rng(3)
    lat, lon = np.arange(600) * 0.3 - 89.85, np.arange(1200) * 0.3 + 0.15
    field = rng.random((3, lat.size, lon.size))
    field[rng.random(field.shape) < 0.2] = np.nan  # holes differ per month
    mask = rng.random((lat.size, lon.size))  # fractional weights
    value, cover = regrid(field, Grid(0.5), lat=lat, lon=lon, mask=mask, min_coverage=0,
                          return_coverage=True)
    w = np.where(np.isnan(field), 0, 1) * mask * _areas(lat, lon)
    ref = np.nansum(field * w, axis=(-2, -1))
    got = np.nansum(np.asarray(value) * np.asarray(cover) * _target_areas(Grid(0.5)),
                    axis=(-2, -1))
    np.testing.assert_allclose(got, ref, rtol=1e-12)


@pytest.mark.parametrize("holes", [False, True])
def test_constant_stays_constant(holes):
    rng = np.random.default_rng(1)
    lat, lon = np.arange(89.85, -90, -0.3), np.arange(-179.85, 180, 0.3)
    field = np.full((2, lat.size, lon.size), 7.25)
    if holes:
        field[rng.random(field.shape) < 0.3] = np.nan
        field[:, 100:200, 300:500] = np.nan  # a large hole: some target cells have none
    value, cover = regrid(field, Grid(2.0), lat=lat, lon=lon, min_coverage=0.5,
                          return_coverage=True)
    value, cover = np.asarray(value), np.asarray(cover)
    ok = np.isfinite(value)
    np.testing.assert_allclose(value[ok], 7.25, rtol=1e-13)
    assert np.array_equal(ok, cover >= 0.5)
    if holes:
        assert 0 < (~ok).sum() < ok.size  # some cells NaN for low coverage, most kept
    else:
        assert ok.all()
        # full coverage passes even min_coverage=1 (coverage is 1 only up to round-off)
        full = regrid(field, Grid(2.0), lat=lat, lon=lon, min_coverage=1)
        assert np.isfinite(np.asarray(full)).all()


def test_float32_stays_float32():
    lat, lon = np.arange(-89.5, 90), np.arange(0.5, 360)
    field = np.random.default_rng(0).random((lat.size, lon.size)).astype(np.float32)
    out = regrid(field, Grid(2.0), lat=lat, lon=lon)
    assert out.dtype == np.float32
    ref = regrid(field.astype(np.float64), Grid(2.0), lat=lat, lon=lon)
    np.testing.assert_allclose(np.asarray(out), np.asarray(ref), rtol=1e-5)


def test_dataarray_in_dataarray_out():
    g = Grid(1.0, 0.0)
    rng = np.random.default_rng(2)
    da = xr.DataArray(rng.random((2, g.nlat, g.nlon)), dims=("time", "latitude", "longitude"),
                      coords={"time": np.array(["2003-01-16", "2003-02-15"], "datetime64[ns]"),
                              "latitude": g.lat[::-1], "longitude": g.lon},
                      name="tws", attrs={"units": "mm", "source": "model"})
    out, cover = regrid(da, Grid(2.0), return_coverage=True)
    assert out.dims == ("time", "lat", "lon") and out.name == "tws"
    assert out.attrs == {"units": "mm", "source": "model"}
    np.testing.assert_array_equal(out.time.values, da.time.values)
    np.testing.assert_array_equal(out.lat.values, Grid(2.0).lat)
    # the 2° cell (i, j) is the area-weighted mean of 2×2 one-degree cells
    v = da.values[:, ::-1]  # ascending latitude; lon 0..360 → grid starts at -180
    v = np.roll(v, 180, axis=-1)
    a = np.asarray(g.row_area)[:, None]
    num = (v * a).reshape(2, 90, 2, 180, 2).sum(axis=(2, 4))
    den = np.broadcast_to(a, v.shape[1:]).reshape(90, 2, 180, 2).sum(axis=(1, 3))
    # (row_area's plain sine differences lose ~1e-13 relative in the polar rows)
    np.testing.assert_allclose(out.values, num / den, rtol=1e-12)
    np.testing.assert_allclose(cover.values, 1.0, rtol=1e-12)
    assert jaxgeo.regrid is regrid
