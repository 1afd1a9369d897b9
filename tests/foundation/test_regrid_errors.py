"""Conservative regridding refuses bad inputs with one ValueError line naming the problem."""

import numpy as np
import pytest
import xarray as xr

from jaxgeo import Grid, regrid

LAT, LON = np.arange(-89.5, 90), np.arange(0.5, 360)


def _field(lat=LAT, lon=LON):
    return np.random.default_rng(0).random((lat.size, lon.size))


def _one_line(exc):
    assert "\n" not in str(exc.value)
    return str(exc.value)


IRREGULAR = [
    ("lat", np.r_[np.arange(-89.5, 0), np.arange(0.7, 90)], LON),  # a kink at the equator
    ("lon", LAT, np.r_[np.arange(0.5, 180), np.arange(181.0, 360)]),
    ("lat", LAT[np.r_[0:100, 101:180]], LON),                         # a missing row
    ("lon", LAT, np.r_[LON[:10], LON[9:]]),                           # a repeated column
]


@pytest.mark.parametrize("coord,lat,lon", IRREGULAR)
def test_irregular_coordinates_are_named(coord, lat, lon):
    with pytest.raises(ValueError) as exc:
        regrid(_field(lat, lon), Grid(2.0), lat=lat, lon=lon)
    msg = _one_line(exc)
    assert f"coordinate {coord!r} is irregular" in msg


def test_irregular_dataarray_coordinate_is_named():
    lat = np.r_[np.arange(-89.5, 0), np.arange(0.7, 90)]
    da = xr.DataArray(_field(lat), dims=("latitude", "lon"),
                      coords={"latitude": lat, "lon": LON}, name="tws")
    with pytest.raises(ValueError, match="coordinate 'latitude' is irregular"):
        regrid(da, Grid(2.0))


@pytest.mark.parametrize("lat,lon,match", [
    (np.arange(-89.5, 90), np.arange(0.0, 361), r"'lon' spans more than 360°.*wrap-around"),
    (np.arange(-99.5, 100), LON, r"'lat' has latitudes outside \[-90, 90\]"),
    (np.array([10.0]), LON, r"'lat' must be 1-D with at least 2 cell centres"),
    (LAT, np.array([[0.5, 1.5]]), r"'lon' must be 1-D"),
    (np.r_[LAT[:-1], np.nan], LON, r"'lat' has non-finite values"),
])
def test_bad_coordinates(lat, lon, match):
    field = np.zeros((np.size(lat), np.size(lon)))
    with pytest.raises(ValueError, match=match) as exc:
        regrid(field, Grid(2.0), lat=lat, lon=lon)
    _one_line(exc)


def test_curvilinear_dataarray_is_refused():
    y, x = np.meshgrid(LAT[:3], LON[:4], indexing="ij")
    da = xr.DataArray(np.zeros((3, 4)), dims=("j", "i"),
                      coords={"lat": (("j", "i"), y), "lon": (("j", "i"), x)}, name="sst")
    with pytest.raises(ValueError, match=r"sst: coordinate 'lat' must be 1-D \(a regular"):
        regrid(da, Grid(2.0))


def test_no_lat_lon_in_dataarray():
    da = xr.DataArray(np.zeros((3, 4)), dims=("a", "b"), name="q")
    with pytest.raises(ValueError, match="q: could not find latitude/longitude"):
        regrid(da, Grid(2.0))


def test_source_too_small_for_any_target_cell():
    # a 0.3° patch of 1.2° × 1.2°: no 5° cell has half its area covered
    lat, lon = np.arange(10.15, 11.3, 0.3), np.arange(20.15, 21.3, 0.3)
    with pytest.raises(ValueError, match=r"no cell of the 5° grid has min_coverage=0.5.*"
                                         r"lat 10..11.2.*lower min_coverage") as exc:
        regrid(_field(lat, lon), Grid(5.0), lat=lat, lon=lon)
    _one_line(exc)
    # asking for any coverage works: one cell, the patch mean
    out = np.asarray(regrid(_field(lat, lon), Grid(5.0), lat=lat, lon=lon, min_coverage=0))
    assert np.isfinite(out).sum() == 1


def test_all_nan_field_is_refused():
    with pytest.raises(ValueError, match="tws: every source cell is NaN or masked"):
        regrid(np.full((2, LAT.size, LON.size), np.nan), Grid(2.0), lat=LAT, lon=LON,
               name="tws")
    with pytest.raises(ValueError, match="every source cell is NaN or masked"):
        regrid(_field(), Grid(2.0), lat=LAT, lon=LON, mask=np.zeros((LAT.size, LON.size)))


def test_nan_holes_below_min_coverage_give_nan_cells():
    f = _field()
    f[:90] = np.nan  # southern hemisphere missing
    out, cover = regrid(f, Grid(2.0), lat=LAT, lon=LON, return_coverage=True)
    out, cover = np.asarray(out), np.asarray(cover)
    assert np.isnan(out[:45]).all() and np.isfinite(out[45:]).all()
    assert (cover[:45] == 0).all() and np.allclose(cover[45:], 1, rtol=1e-12)


@pytest.mark.parametrize("mask,match", [
    (np.full((LAT.size, LON.size), np.nan), r"mask of field has \d+ NaN/inf"),
    (np.full((LAT.size, LON.size), 2.0), r"mask of field values must lie in \[0, 1\]"),
    (np.ones((3, 3)), r"mask of field has shape \(3, 3\)"),
    (np.full((LAT.size, LON.size), "a"), "mask of field must be boolean or numbers"),
])
def test_bad_masks(mask, match):
    with pytest.raises(ValueError, match=match) as exc:
        regrid(_field(), Grid(2.0), lat=LAT, lon=LON, mask=mask)
    _one_line(exc)


def test_mask_dataarray_on_other_coordinates():
    da = xr.DataArray(_field(), dims=("lat", "lon"), coords={"lat": LAT, "lon": LON}, name="t")
    mask = xr.DataArray(np.ones((LAT.size, LON.size)), dims=("lat", "lon"),
                        coords={"lat": LAT, "lon": LON - 180}, name="m")
    with pytest.raises(ValueError, match="mask of t: its 'lon' coordinate differs"):
        regrid(da, Grid(2.0), mask=mask)


@pytest.mark.parametrize("kwargs,err,match", [
    ({"min_coverage": 1.5}, ValueError, r"min_coverage must be a number in \[0, 1\]"),
    ({"min_coverage": float("nan")}, ValueError, "min_coverage must be"),
    ({"lat": None}, ValueError, "needs its cell-centre coordinates lat= and lon="),
])
def test_bad_arguments(kwargs, err, match):
    args = {"lat": LAT, "lon": LON, **kwargs}
    with pytest.raises(err, match=match):
        regrid(_field(), Grid(2.0), **args)


def test_shape_and_grid_type():
    with pytest.raises(ValueError, match=r"field has shape \(180, 359\), expected"):
        regrid(_field()[:, 1:], Grid(2.0), lat=LAT, lon=LON)
    with pytest.raises(TypeError, match="grid must be a jaxgeo.Grid"):
        regrid(_field(), 2.0, lat=LAT, lon=LON)


def test_inf_is_refused_naming_the_cell():
    f = _field()
    f[100, 7] = np.inf
    with pytest.raises(ValueError, match=r"tws has 1 ±inf value\(s\) \(first at lat 10.5, "
                                         r"lon 7.5\); use NaN") as exc:
        regrid(f, Grid(2.0), lat=LAT, lon=LON, name="tws")
    _one_line(exc)


def test_dimension_without_coordinate_values():
    da = xr.DataArray(_field(), dims=("y", "x"), name="q")  # y/x are 0, 1, 2...: not degrees
    with pytest.raises(ValueError, match="q: dimension 'y' has no coordinate values"):
        regrid(da, Grid(2.0))


def test_one_dimensional_non_dimension_coordinates_are_used():
    da = xr.DataArray(_field(), dims=("y", "x"), coords={"lat": ("y", LAT), "lon": ("x", LON)},
                      name="q")
    ref = xr.DataArray(_field(), dims=("lat", "lon"), coords={"lat": LAT, "lon": LON}, name="q")
    np.testing.assert_array_equal(regrid(da, Grid(2.0)).values, regrid(ref, Grid(2.0)).values)


def test_mask_dataarray_in_the_other_latitude_order_is_aligned():
    da = xr.DataArray(_field(), dims=("lat", "lon"), coords={"lat": LAT, "lon": LON}, name="t")
    keep = np.random.default_rng(3).random((LAT.size, LON.size)) > 0.5
    mask = xr.DataArray(keep[::-1], dims=("lat", "lon"), coords={"lat": LAT[::-1], "lon": LON})
    np.testing.assert_array_equal(regrid(da, Grid(3.0), mask=mask).values,
                                  regrid(da, Grid(3.0), mask=keep).values)
