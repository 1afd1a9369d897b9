"""`jaxgeo zwd fit/eval/validate` end to end, and the validation on the real files."""

import json

import numpy as np
import pytest
from support.cli import run_subcommand

from jaxgeo import troposphere as tr
from jaxgeo.time import day_of_year

ERA5 = "troposphere/ERA-5_2018_03_27_T13_00_00.nc"


def _run(argv):
    return run_subcommand(argv)


def test_registered_in_main_cli():
    from jaxgeo import cli

    assert "zwd" in cli._GROUPS


@pytest.mark.shared_data
def test_fit_then_eval(shared_data, tmp_path, capsys):
    out = tmp_path / "coeffs.nc"
    assert _run(["zwd", "fit", str(shared_data / ERA5), "--out", str(out), "--steps", "20",
                 "--report", str(tmp_path / "rep.json")]) == 0
    assert out.is_file() and not list(tmp_path.glob("*.part"))
    rep = json.loads((tmp_path / "rep.json").read_text())
    assert rep["n_nodes_fitted"] >= 4
    capsys.readouterr()
    assert _run(["zwd", "eval", str(out), "--lat-deg", "18.1", "--lon-deg", "-99.3",
                 "--height-msl-m", "500", "3000", "--time", "2018-03-27T13:00", "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    doy = float(day_of_year(np.array([got["time"]]))[0])
    model = tr.HZWD.from_netcdf(out)
    ref = np.asarray(model(18.1, -99.3, np.array([500.0, 3000.0]), np.datetime64(got["time"])))
    np.testing.assert_allclose(got["zwd_m"], ref, rtol=1e-12)
    assert doy == pytest.approx(86 + 13 / 24)
    # against the ERA5 column nearest to the point: a 5° node model within 40 mm
    ds = tr.read_era5_profiles(shared_data / ERA5)
    k = int(np.argmin((ds["lat"].values - 18.1) ** 2 + (ds["lon"].values + 99.3) ** 2))
    z = np.asarray(tr.zwd_profile(ds["height"].values[k], ds["temperature"].values[k],
                                  ds["vapour_pressure"].values[k]))
    z_at = np.interp([500.0, 3000.0], ds["height"].values[k][::-1], z[::-1])
    np.testing.assert_allclose(got["zwd_m"], z_at, atol=0.04)
    with pytest.raises(ValueError, match="height outside"):
        _run(["zwd", "eval", str(out), "--lat-deg", "18", "--lon-deg", "-99",
              "--height-msl-m", "20000", "--time", "2018-03-27"])
    with pytest.raises(ValueError, match="does not cover"):
        _run(["zwd", "eval", str(out), "--lat-deg", "-60", "--lon-deg", "10",
              "--height-msl-m", "0", "--time", "2018-03-27"])
    with pytest.raises(ValueError, match="ISO"):
        _run(["zwd", "eval", str(out), "--lat-deg", "18", "--lon-deg", "-99",
              "--height-msl-m", "0", "--time", "27/03/2018"])


@pytest.mark.shared_data
def test_validate_cli_era5_subset_and_sounding(shared_data, tmp_path, capsys):
    import xarray as xr

    # a 4 x 9 column subset of the ERA5 file keeps the test fast
    with xr.open_dataset(shared_data / ERA5, mask_and_scale=False) as raw:
        raw.isel(latitude=slice(0, 24, 6), longitude=slice(0, 67, 8)).load().to_netcdf(
            tmp_path / "era5_subset.nc")
    out = tmp_path / "val.json"
    assert _run(["zwd", "validate", "--data-dir", str(shared_data / "troposphere"), "--era5",
                 str(tmp_path / "era5_subset.nc"), "--steps", "60", "--out", str(out)]) == 0
    res = json.loads(out.read_text())
    assert len(res["datasets"]) == 2
    for name, d in res["datasets"].items():
        # the requirement: piecewise beats the single exponential in every interval
        assert res["piecewise_beats_single_exponential"][name] == {
            "0-2 km": True, "2-5 km": True, "5-10 km": True}, name
        assert set(d["models"]) >= {"GPT3 (5° grid)", "UNB3m", "Saastamoinen (level met)",
                                    "single exp (per column)", "piecewise exp (per column)"}
    assert "0-2 km" in capsys.readouterr().out
    # an independent check of the statistic: GPT3's 0-2 km RMS on the subset by hand
    ds = tr.read_era5_profiles(tmp_path / "era5_subset.nc")
    gpt3 = tr.GPT3.from_file(shared_data / "troposphere/gpt3_5.grd")
    h = ds["height"].values
    z = np.asarray(tr.zwd_profile(h, ds["temperature"].values, ds["vapour_pressure"].values))
    lat = ds["lat"].values[:, None] + 0.0 * h
    lon = ds["lon"].values[:, None] + 0.0 * h
    t = ds["time"].values[0]
    undu = np.asarray(gpt3(lat, lon, 0.0 * h, t).undu)  # same shapes: one compilation
    g = np.asarray(gpt3(lat, lon, h + undu, t).zwd)
    sel = (h >= 0) & (h < 2000)
    era5_name = next(n for n in res["datasets"] if n.startswith("ERA5"))
    got = res["datasets"][era5_name]["models"]["GPT3 (5° grid)"]["0-2 km"]
    assert got["rms_m"] == pytest.approx(np.sqrt(np.mean((g - z)[sel] ** 2)), rel=1e-10)
    assert got["n"] == int(sel.sum())
