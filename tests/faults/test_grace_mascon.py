"""Mascon reader faults (issue 11): implausible scale factors, units labels that
contradict the values, infinite values, and months (duplicates, special months)."""

import warnings

import numpy as np
import pytest
import xarray as xr
from support.grace_files import write_mascon

from jaxgeo.grace import open_mascon


def _rewrite(src, dst, fn):
    with xr.open_dataset(src, decode_times=False) as ds:
        ds = ds.load()
    fn(ds)
    ds.to_netcdf(dst)
    return dst


def _scale(tmp_path, g, values, name="scale.nc"):
    ds = xr.Dataset({"scale_factor": (("lat", "lon"), values)}, coords=g.to_xarray_coords())
    ds.to_netcdf(tmp_path / name)
    return tmp_path / name


@pytest.mark.parametrize("kind,match", [
    ("inf", r"sc.nc: scale factor 'scale_factor': 1 infinite scale factor"),
    ("nan", r"sc.nc: scale factor 'scale_factor': every scale factor is NaN"),
    ("huge", r"sc.nc: scale factor 'scale_factor': implausible scale factor 1e\+06")])
def test_bad_scale_factors(tmp_path, kind, match):
    g = write_mascon(tmp_path / "m.nc", 3.0, ["2004-01"])
    sf = np.full(g.shape, 1.5)
    sf[:, :2] = np.nan  # NaN marks cells without a gain: fine
    if kind == "inf":
        sf[4, 4] = np.inf
    elif kind == "nan":
        sf[:] = np.nan
    else:
        sf[4, 4] = 1e6
    with pytest.raises(ValueError, match=match):
        open_mascon(tmp_path / "m.nc", scale_factor=_scale(tmp_path, g, sf, "sc.nc"))


@pytest.mark.parametrize("factor,label", [
    (1.0, "m"),       # cm values (Greenland-like -350 cm) labelled m: 350 m of water
    (10.0, "cm"),     # mm values labelled cm
    (0.01, "mm"),     # m values labelled mm: 3.5 mm at most
])
def test_units_label_contradicting_values(tmp_path, factor, label):
    write_mascon(tmp_path / "m.nc", 3.0, ["2004-01", "2004-02"])

    def edit(ds):
        v = ds["lwe_thickness"].values
        v[1, 10, 10] = -350.0  # cm, a realistic ice-loss mascon
        ds["lwe_thickness"].values = v * factor
        ds["lwe_thickness"].attrs["units"] = label

    p = _rewrite(tmp_path / "m.nc", tmp_path / "bad.nc", edit)
    with pytest.raises(ValueError, match=rf"bad.nc: lwe_thickness labelled '{label}' reaches "
                                         r".* mm of water, outside the plausible .*units label"):
        open_mascon(p)


def test_infinite_value_names_month_and_cell(tmp_path):
    write_mascon(tmp_path / "m.nc", 3.0, ["2004-01", "2004-02"])

    def edit(ds):
        ds["lwe_thickness"][1, 7, 9] = np.inf

    p = _rewrite(tmp_path / "m.nc", tmp_path / "inf.nc", edit)
    with pytest.raises(ValueError, match=r"inf.nc: lwe_thickness is infinite at 2004-02-16 "
                                         r"\(row \d+, column \d+\); 1 infinite"):
        open_mascon(p)


def test_duplicate_month_without_bounds(tmp_path):
    write_mascon(tmp_path / "m.nc", 3.0, ["2004-01", "2004-02", "2004-03"])

    def edit(ds):
        t = ds["time"].values.copy()
        t[2] = t[1] + 5.0
        ds["time"] = ("time", t, ds["time"].attrs)
        del ds["time_bounds"]

    p = _rewrite(tmp_path / "m.nc", tmp_path / "dup.nc", edit)
    with pytest.raises(ValueError, match=r"dup.nc: two times in month 2004-02 \(2004-02-16, "
                                         r"2004-02-21\) and no time_bounds"):
        open_mascon(p)


def test_special_month_by_time_bounds(tmp_path):
    """May 2015 (Apr 12..May 12) is centred in April: with its bounds it is 2015-05,
    neither a duplicate of April nor reported missing."""
    write_mascon(tmp_path / "m.nc", 3.0, ["2015-03", "2015-04", "2015-05", "2015-06"])
    d0 = np.datetime64("2002-01-01")

    def edit(ds):
        b = ds["time_bounds"].values.copy()
        t = ds["time"].values.copy()
        b[2] = [(np.datetime64("2015-04-12") - d0).astype(int),
                (np.datetime64("2015-05-12") - d0).astype(int)]
        t[2] = b[2].mean()
        ds["time"] = ("time", t, ds["time"].attrs)
        ds["time_bounds"] = (("time", "bounds"), b)

    p = _rewrite(tmp_path / "m.nc", tmp_path / "special.nc", edit)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "months without data" warning
        da = open_mascon(p)
    assert str(da.time.values[2])[:10] == "2015-04-27"
