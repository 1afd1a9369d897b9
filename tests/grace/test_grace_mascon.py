"""Mascon readers on synthetic files laid out like the JPL and CSR products."""

import numpy as np
import pytest
import xarray as xr
from support.grace_files import mascon_field as _field
from support.grace_files import write_mascon as _write_mascon

from jaxgeo import Grid
from jaxgeo.grace import open_mascon


def test_open_jpl_like_with_scale_and_mask(tmp_path):
    g0 = _write_mascon(tmp_path / "GRCTellus.JPL.nc", 3.0, ["2004-01", "2004-02", "2004-03"])
    sf = xr.Dataset({"scale_factor": (("lat", "lon"), np.full(g0.shape, 2.0))},
                    coords=g0.to_xarray_coords())
    sf["scale_factor"][:, :3] = np.nan
    sf.to_netcdf(tmp_path / "scale.nc")
    lm = xr.Dataset({"land_mask": (("lat", "lon"), (g0.lat[:, None] > 0) * np.ones(g0.shape))},
                    coords=g0.to_xarray_coords())
    lm.to_netcdf(tmp_path / "mask.nc")

    da = open_mascon(tmp_path / "GRCTellus.JPL.nc")
    grid = Grid.from_xarray(da)
    assert grid == Grid.regular(3.0) and da.dims == ("time", "lat", "lon")
    assert da.dtype == np.float32 and da.attrs["units"] == "mm"
    assert str(da.time.values[1])[:10] == "2004-02-16"
    # oracle: the analytic field at the new (−180..180) longitudes, cm → mm
    np.testing.assert_allclose(da[2].values, 10 * _field(grid.lat, grid.lon, 2), rtol=1e-5,
                               atol=1e-4)
    da2 = open_mascon(tmp_path / "GRCTellus.JPL.nc", scale_factor=tmp_path / "scale.nc",
                      land_mask=tmp_path / "mask.nc", units="cm")
    ref = _field(grid.lat, grid.lon, 0).astype(np.float64)
    lon_nan = (grid.lon % 360) < 9.0  # the first three native columns had NaN factors
    ref = np.where(lon_nan[None, :], ref, 2 * ref)
    ref = np.where(grid.lat[:, None] > 0, ref, np.nan)
    np.testing.assert_allclose(da2[0].values, ref, rtol=1e-5, atol=1e-5)


def test_open_csr_like_descending_and_gaps(tmp_path):
    _write_mascon(tmp_path / "CSR_Mascons.nc", 2.0, ["2004-01", "2004-04"], descending=True)
    with pytest.warns(UserWarning, match="CSR_Mascons.nc: 2 calendar months without data: "
                                         "2004-02, 2004-03"):
        da = open_mascon(tmp_path / "CSR_Mascons.nc", lon_start=0.0, units="m")
    g = Grid.from_xarray(da)
    assert g == Grid.regular(2.0, 0.0) and np.all(np.diff(da.lat) > 0)
    np.testing.assert_allclose(da[1].values, 0.01 * _field(g.lat, g.lon, 1), rtol=1e-5,
                               atol=1e-6)


def test_mascon_bad_input(tmp_path):
    _write_mascon(tmp_path / "m.nc", 3.0, ["2004-01"], units="furlongs")
    with pytest.raises(ValueError, match="m.nc: unknown lwe_thickness units 'furlongs'"):
        open_mascon(tmp_path / "m.nc")
    (tmp_path / "junk.nc").write_bytes(b"CDF\x01garbage")
    with pytest.raises(ValueError, match="junk.nc"):
        open_mascon(tmp_path / "junk.nc")
    with pytest.raises(ValueError, match="m.nc: no variable 'lwe'"):
        open_mascon(tmp_path / "m.nc", variable="lwe")


def test_mascon_land_mask_follows_the_mask_rule(tmp_path):
    # NaN in a land mask is an error naming the file, never read as 0 (ocean)
    g0 = _write_mascon(tmp_path / "m.nc", 3.0, ["2004-01"])
    lm = np.ones(g0.shape)
    lm[5, 7] = np.nan
    xr.Dataset({"land_mask": (("lat", "lon"), lm)}, coords=g0.to_xarray_coords()).to_netcdf(
        tmp_path / "nan_mask.nc")
    with pytest.raises(ValueError, match="nan_mask.nc: land mask 'land_mask' has 1 NaN"):
        open_mascon(tmp_path / "m.nc", land_mask=tmp_path / "nan_mask.nc")
    # membership only: fractional values are refused; a boolean DataArray is accepted
    frac = xr.DataArray(np.full(g0.shape, 0.5), dims=("lat", "lon"),
                        coords=g0.to_xarray_coords())
    with pytest.raises(ValueError, match="fractional"):
        open_mascon(tmp_path / "m.nc", land_mask=frac)
    da = open_mascon(tmp_path / "m.nc", land_mask=frac > 0.4)
    assert np.isfinite(da.values).all() and "a DataArray" in da.attrs["history"]
