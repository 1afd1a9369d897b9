"""The one xarray adapter (on_grid) and the one mask rule (check_mask)."""

import numpy as np
import pytest
import xarray as xr

from jaxgeo import Grid, check_mask, grid_of, on_grid, to_dataarray

G = Grid.regular(30.0)
V = np.arange(2 * 6 * 12, dtype=float).reshape(2, 6, 12)
T = np.array(["2002-01-16", "2002-02-15"], "datetime64[ns]")


def _reordered():
    """The same field with descending latitude, 0..360 longitude and (lon, time, lat) dims."""
    da = to_dataarray(V, G, name="x", units="mm", time=T)
    da = da.assign_coords(lon=da.lon % 360).sortby("lon").isel(lat=slice(None, None, -1))
    return da.transpose("lon", "time", "lat")


def test_on_grid_undoes_order_rotation_and_transpose():
    values, grid = on_grid(_reordered(), G, name="x", leading=("time",))
    assert grid == G
    np.testing.assert_array_equal(values, V)
    own, own_grid = on_grid(_reordered(), name="x", leading=("time",))
    assert own_grid == Grid.regular(30.0, 0.0)
    np.testing.assert_array_equal(own, np.roll(V, -6, axis=-1))


def test_on_grid_errors_name_the_input():
    with pytest.raises(ValueError, match="coarse is on a 30° grid .* expected 15°"):
        on_grid(_reordered(), Grid.regular(15.0), name="coarse")
    with pytest.raises(ValueError, match=r"model must have dims \('time', 'lat', 'lon'\)"):
        on_grid(_reordered().isel(time=0), name="model", leading=("time",))
    with pytest.raises(ValueError, match="^f: latitude does not cover the globe"):
        grid_of(xr.DataArray(np.zeros((3, 12)), dims=("lat", "lon"),
                             coords={"lat": [0.0, 30.0, 60.0], "lon": G.lon}), name="f")
    with pytest.raises(TypeError, match="must be an xarray.DataArray"):
        on_grid(V, name="x")


def test_mask_rule():
    weights = np.full(G.shape, 0.5)
    np.testing.assert_array_equal(check_mask(weights, G), weights)
    with pytest.raises(ValueError, match="boolean \\(or 0/1\\)"):
        check_mask(weights, G, weights=False)
    ones = check_mask(np.ones(G.shape, "i1"), G, weights=False)
    assert ones.dtype == bool and ones.all()
    nan = np.ones(G.shape)
    nan[2, 3] = np.nan
    with pytest.raises(ValueError, match=r"1 NaN/inf value\(s\) \(first at lat -15, lon -75\)"):
        check_mask(nan, G)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        check_mask(np.full(G.shape, 2.0), G)
    with pytest.raises(ValueError, match="empty"):
        check_mask(np.zeros(G.shape, bool), G)
    with pytest.raises(ValueError, match="required"):
        check_mask(None, G, required=True)
    assert check_mask(None, G) is None
    with pytest.raises(ValueError, match=r"shape \(3, 3\)"):
        check_mask(np.ones((3, 3)), G)
    # an xarray mask is put on the grid by the adapter (descending latitude, 0..360)
    m = np.zeros(G.shape, bool)
    m[1, 2] = True
    da = to_dataarray(m, G, name="m", units="1")
    da = da.assign_coords(lon=da.lon % 360).sortby("lon").isel(lat=slice(None, None, -1))
    np.testing.assert_array_equal(check_mask(da, G, weights=False), m)
