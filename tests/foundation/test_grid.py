import math

import numpy as np
import pytest
import xarray as xr

from jaxgeo import EARTH_RADIUS_M, Grid, to_grid_order


@pytest.mark.parametrize("res", [5.0, 1.0, 0.5, 0.25, 0.1])
def test_cell_area_sums_to_sphere(res):
    g = Grid.regular(res)
    assert g.shape == (round(180 / res), round(360 / res))
    np.testing.assert_allclose(g.cell_area.sum(), 4 * math.pi * EARTH_RADIUS_M**2, rtol=1e-12)


def test_coordinates():
    g = Grid.regular(0.5)
    assert g.lat[0] == -89.75 and g.lat[-1] == 89.75 and np.all(np.diff(g.lat) > 0)
    assert g.lon[0] == -179.75 and g.lon[-1] == 179.75
    g0 = Grid.regular(0.5, lon_start=0.0)
    assert g0.lon[0] == 0.25 and g0.lon[-1] == 359.75


def test_cell_area_band_formula_against_quadrature():
    # Independent oracle: integrate R² cos φ dφ dλ over one cell with Gauss-Legendre.
    g = Grid.regular(2.0)
    x, w = np.polynomial.legendre.leggauss(20)
    for i in [0, 17, 44, 89]:
        a, b = np.deg2rad(g.lat_edges[i]), np.deg2rad(g.lat_edges[i + 1])
        phi = (a + b) / 2 + (b - a) / 2 * x
        area = EARTH_RADIUS_M**2 * np.deg2rad(2.0) * (b - a) / 2 * np.sum(w * np.cos(phi))
        np.testing.assert_allclose(g.row_area[i], area, rtol=1e-13)


@pytest.mark.parametrize("res", [0.0, -1.0, 0.7, float("nan")])
def test_bad_resolution(res):
    with pytest.raises(ValueError, match="resolution_deg"):
        Grid.regular(res)


def _da(lat, lon):
    return xr.DataArray(np.zeros((len(lat), len(lon))), coords={"lat": lat, "lon": lon},
                        dims=("lat", "lon"))


def test_from_xarray_orders_and_lon_conventions():
    g = Grid.regular(2.0)
    assert Grid.from_xarray(_da(g.lat, g.lon)) == g
    desc = _da(g.lat[::-1], g.lon)
    assert Grid.from_xarray(desc) == g
    np.testing.assert_array_equal(to_grid_order(desc).lat.values, g.lat)
    g360 = Grid.from_xarray(_da(g.lat, np.arange(1.0, 360.0, 2.0)))
    assert g360.lon_start == 0.0 and g360.resolution_deg == 2.0
    ds = xr.Dataset({"v": _da(g.lat, g.lon).rename(lat="latitude", lon="longitude")})
    assert Grid.from_xarray(ds) == g


def test_from_xarray_errors():
    g = Grid.regular(2.0)
    with pytest.raises(ValueError, match="does not cover the globe"):
        Grid.from_xarray(_da(g.lat[10:-10], g.lon))
    with pytest.raises(ValueError, match="irregular"):
        Grid.from_xarray(_da(np.r_[g.lat[:5], g.lat[6:]], g.lon))
    with pytest.raises(ValueError, match="longitude"):
        Grid.from_xarray(_da(g.lat, g.lon[:-3]))
    with pytest.raises(ValueError, match="cell centres"):
        Grid.from_xarray(_da(g.lat + 0.5, g.lon))
    with pytest.raises(ValueError, match="latitude/longitude"):
        Grid.from_xarray(xr.DataArray(np.zeros((3, 3)), dims=("a", "b")))
