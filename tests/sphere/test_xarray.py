"""The DataArray accessor: coordinates, attributes, orders and masks survive the round trip."""

import jax.numpy as jnp
import numpy as np
import pytest
import xarray as xr

import jaxgeo.sphere  # noqa: F401  (registers the accessor)
from jaxgeo import Grid
from jaxgeo.sphere import CapAverage

G = Grid.regular(4.0)
RNG = np.random.default_rng(3)


def _da(lat_desc=False, lon_start=-180.0):
    g = Grid.regular(4.0, lon_start=lon_start)
    lat = g.lat[::-1] if lat_desc else g.lat
    data = RNG.normal(size=(5, g.nlat, g.nlon))
    return xr.DataArray(data, dims=("time", "lat", "lon"),
                        coords={"time": np.arange(5), "lat": lat, "lon": g.lon},
                        attrs={"units": "mm", "long_name": "TWSA"}, name="tws")


def test_accessor_matches_operator_and_keeps_metadata():
    da = _da()
    land = xr.DataArray(RNG.random(G.shape) > 0.5, dims=("lat", "lon"),
                        coords={"lat": G.lat, "lon": G.lon})
    out = da.jaxgeo.cap_average(radius_deg=9.0, mask=land)
    ref = CapAverage(G, 9.0, mask=land.values, dtype=jnp.float64)(da.values)
    np.testing.assert_allclose(out.values, np.asarray(ref), rtol=1e-12, atol=1e-12)
    assert out.dims == da.dims and out.attrs == da.attrs and out.name == "tws"
    xr.testing.assert_equal(out.coords.to_dataset(), da.coords.to_dataset())


def test_descending_latitude_and_transposed_dims():
    da = _da()
    desc = da.isel(lat=slice(None, None, -1)).transpose("lat", "time", "lon")
    out = desc.jaxgeo.cap_average(9.0)
    assert out.dims == ("lat", "time", "lon")
    np.testing.assert_array_equal(out.lat.values, desc.lat.values)
    ref = da.jaxgeo.cap_average(9.0)
    np.testing.assert_allclose(out.transpose(*da.dims).sortby("lat").values, ref.values,
                               rtol=1e-12)


def test_descending_mask_dataarray_is_aligned():
    da = _da()
    mask = RNG.random(G.shape) > 0.5
    mda = xr.DataArray(mask[::-1], dims=("lat", "lon"), coords={"lat": G.lat[::-1], "lon": G.lon})
    np.testing.assert_allclose(da.jaxgeo.cap_average(9.0, mask=mda).values,
                               da.jaxgeo.cap_average(9.0, mask=mask).values, rtol=1e-12)


def test_targets_and_gaussian():
    da = _da(lon_start=0.0)
    tgt = Grid.regular(12.0, lon_start=0.0)
    out = da.jaxgeo.cap_average(9.0, targets=tgt)
    assert out.shape == (5, 15, 30)
    np.testing.assert_array_equal(out.lon.values, tgt.lon)
    sm = da.jaxgeo.gaussian_smooth(500.0)
    assert sm.shape == da.shape and sm.attrs == da.attrs
    # smoothing preserves the area-weighted global mean
    a = Grid.regular(4.0, lon_start=0.0).cell_area
    np.testing.assert_allclose((sm.values * a).sum((1, 2)) / a.sum(),
                               (da.values * a).sum((1, 2)) / a.sum(), atol=1e-3)


def test_not_a_global_grid():
    da = _da().isel(lat=slice(2, -2))
    with pytest.raises(ValueError, match="does not cover the globe"):
        da.jaxgeo.cap_average(3.0)
