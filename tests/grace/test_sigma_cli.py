"""``jaxgeo grace l2 --sigma --complete-months / --interpolate-gaps`` and
``jaxgeo grace mascon --complete-months``: the NetCDF carries lwe_thickness_sigma and the
``observed`` gap mask; bad combinations are one-line errors, exit 2, nothing written."""

import warnings

import numpy as np
import xarray as xr
from support.cli import run_subcommand
from support.grace_files import random_coeffs, shm_name, write_mascon, write_shm

from jaxgeo import cli


def _dir(tmp_path):
    d = tmp_path / "l2"
    d.mkdir()
    # 2004-01, 2004-02, (2004-03 missing), 2004-04
    for k, (d0, d1, t0, t1) in enumerate([(1, 31, "20040101", "20040201"),
                                          (32, 60, "20040201", "20040301"),
                                          (92, 121, "20040401", "20040501")]):
        clm, slm = random_coeffs(6, seed=k)
        write_shm(d / shm_name(2004, d0, 2004, d1), clm, slm, t0, t1)
    return d


def test_cli_l2_sigma_and_gaps(tmp_path):
    d, out = _dir(tmp_path), tmp_path / "x.nc"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_subcommand(["grace", "l2", str(d), "--res", "30", "--sigma", "--complete-months",
                        "--mean-period", "2004-01-01", "2005-01-01", "--out", str(out),
                        "--quiet"])
    with xr.open_dataset(out) as ds:
        assert ds["observed"].values.tolist() == [True, True, False, True]
        assert ds["grace_month"].values.tolist() == [25, 26, 27, 28]
        assert np.isnan(ds["lwe_thickness"].values[2]).all()
        assert np.isnan(ds["lwe_thickness_sigma"].values[2]).all()
        assert (ds["lwe_thickness_sigma"].values[[0, 1, 3]] > 0).all()
        assert ds.attrs["gap_months"] == "2004-03"
        assert np.isnat(ds["time_start"].values[2])


def test_cli_l2_sigma_with_destripe_is_an_error(tmp_path, capsys):
    d, out = _dir(tmp_path), tmp_path / "x.nc"
    code = cli.main(["grace", "l2", str(d), "--sigma", "--destripe", "--out", str(out),
                     "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and not out.exists()
    assert err.strip() == ("jaxgeo grace l2: error: grace_l2_tws: sigma=True with "
                           "destripe=True is not supported (the destriping filter's error "
                           "propagation is not implemented)")


def test_cli_mascon_interpolate_gaps(tmp_path):
    src, out = tmp_path / "m.nc", tmp_path / "o.nc"
    write_mascon(src, 30.0, ["2003-01", "2003-03"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_subcommand(["grace", "mascon", str(src), "--interpolate-gaps", "--out", str(out),
                        "--quiet"])
    with xr.open_dataset(out) as ds:
        assert ds["observed"].values.tolist() == [True, False, True]
        assert ds["lwe_thickness"].attrs["interpolated_months"] == "2003-02"
        assert np.isfinite(ds["lwe_thickness"].values).all()
