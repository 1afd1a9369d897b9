"""regions.regionmask_mask and ``grace region --regionmask`` (issue 12, item 5): the cells
are those regionmask's own mask gives (its centre-in-polygon rule), for shipped region sets."""

import json

import numpy as np
import pytest
import xarray as xr

from jaxgeo import Grid
from jaxgeo.cli import main
from jaxgeo.regions import regionmask_mask

regionmask = pytest.importorskip("regionmask")


@pytest.mark.parametrize("res", [1.0, 2.5])
@pytest.mark.parametrize("key", ["AMZ", 12, "Sahara"])
def test_cells_equal_regionmask_own_mask(res, key):
    grid = Grid(res)
    srex = regionmask.defined_regions.srex
    got = regionmask_mask(grid, srex, key)
    number = srex.map_keys(key)
    theirs = srex.mask(grid.lon, grid.lat).values == number
    assert got.sum() > 10
    np.testing.assert_array_equal(got, theirs)


def test_outline_east_of_180_is_the_same_region():
    from shapely.geometry import Polygon

    grid = Grid(1.0)
    west = regionmask.Regions([Polygon([(-100, 10), (-60, 10), (-60, 40), (-100, 40)])])
    east = regionmask.Regions([Polygon([(260, 10), (300, 10), (300, 40), (260, 40)])])
    a, b = regionmask_mask(grid, west, 0), regionmask_mask(grid, east[0])
    np.testing.assert_array_equal(a, b)
    assert a.sum() == 40 * 30


def test_unknown_region_is_named():
    with pytest.raises(ValueError, match=r"regionmask: no region 'XYZ' in SREX \(ALA, CGI"):
        regionmask_mask(Grid(2.0), regionmask.defined_regions.srex, "XYZ")
    with pytest.raises(ValueError, match="needs a regionmask.Regions with a key"):
        regionmask_mask(Grid(2.0), regionmask.defined_regions.srex)


def test_grace_region_cli_with_regionmask(tmp_path, capsys):
    grid = Grid(2.0)
    t = np.arange(np.datetime64("2005-01-15"), np.datetime64("2007-01-15"),
                  np.timedelta64(30, "D"))
    x = 10.0 * np.sin(2 * np.pi * np.arange(t.size) / 12)[:, None, None] * np.ones(grid.shape)
    xr.Dataset({"tws": (("time", "lat", "lon"), x, {"units": "mm"})},
               {"time": t, **grid.to_xarray_coords()}).to_netcdf(tmp_path / "g.nc")
    rc = main(["grace", "region", str(tmp_path / "g.nc"), "--regionmask", "srex:AMZ",
               "--out", str(tmp_path / "r.json"), "--quiet"])
    assert rc == 0
    doc = json.loads((tmp_path / "r.json").read_text())
    want = regionmask.defined_regions.srex.mask(grid.lon, grid.lat).values == 7
    assert doc["n_cells"] == int(want.sum()) and doc["region"] == "regionmask srex:AMZ"
    np.testing.assert_allclose(doc["mean_mm"], x[:, 0, 0], rtol=0, atol=1e-12)  # uniform
    rc = main(["grace", "region", str(tmp_path / "g.nc"), "--regionmask", "nope:AMZ",
               "--out", str(tmp_path / "bad.json")])
    assert rc == 2 and "defined_regions has no 'nope'" in capsys.readouterr().err
