"""Restoring the AOD1B background (GAC/GAD files) to a GSM series: coefficient sums in
closed form, matching by data span, the chain/CLI option and its refusals."""

import warnings

import numpy as np
import pytest
import xarray as xr
from support.grace_files import random_coeffs, shm_name, write_shm

from jaxgeo import Grid, cli
from jaxgeo.grace import grace_l2_tws, read_l2_series, restore_aod

SPANS = ((2004, 1, 31), (2004, 32, 60), (2004, 61, 91))


def _write(d, prefix, spans, lmax, seed0):
    d.mkdir(exist_ok=True)
    out = []
    for k, (y, d0, d1) in enumerate(spans):
        c, s = random_coeffs(lmax, seed=seed0 + k)
        t0 = (np.datetime64(f"{y}-01-01") + np.timedelta64(d0 - 1, "D")).astype(str)
        t1 = (np.datetime64(f"{y}-01-01") + np.timedelta64(d1, "D")).astype(str)
        name = shm_name(y, d0, y, d1).replace("GSM-2_", prefix)
        out.append((write_shm(d / name, c, s, t0.replace("-", ""), t1.replace("-", "")), c, s))
    return out


def _read(d, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return read_l2_series(d, quiet=True, **kw)


def test_restore_adds_the_same_span(tmp_path):
    _write(tmp_path / "gsm", "GSM-2_", SPANS, 6, 0)
    # GAD to degree 10, in another order, with an extra month that is ignored
    gad = _write(tmp_path / "gad", "GAD-2_", SPANS[::-1] + ((2004, 92, 121),), 10, 50)
    series = _read(tmp_path / "gsm")
    out, kind = restore_aod(series, tmp_path / "gad")
    assert kind == "GAD"
    for j, (_, c, s) in enumerate(gad[:3][::-1]):
        np.testing.assert_allclose(out.clm[j] - series.clm[j], c[:7, :7], rtol=1e-12,
                                   atol=1e-25)
        np.testing.assert_allclose(out.slm[j] - series.slm[j], s[:7, :7], rtol=1e-12,
                                   atol=1e-25)


def test_chain_and_cli(tmp_path):
    gsm = tmp_path / "gsm"
    _write(gsm, "GSM-2_", SPANS, 6, 0)
    _write(tmp_path / "gac", "GAC-2_", SPANS, 6, 20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kw = dict(grid=Grid.regular(15.0), half_width_km=None, mean_period=None, quiet=True)
        plain = grace_l2_tws(gsm, **kw)
        both = grace_l2_tws(gsm, aod=tmp_path / "gac", **kw)
    assert plain.attrs["aod_restored"] == "none" and both.attrs["aod_restored"] == "GAC"
    assert "GAC (AOD1B) restored" in both.attrs["history"]
    assert np.abs(both.values - plain.values).max() > 0.1
    out = tmp_path / "o.nc"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert cli.main(["grace", "l2", str(gsm), "--aod", str(tmp_path / "gac"),
                         "--resolution-deg", "15", "--half-width-km", "0", "--mean-period",
                         "2004-01-01", "2004-04-01", "--out", str(out), "--quiet"]) == 0
    with xr.open_dataset(out) as ds:
        assert ds.lwe_thickness.attrs["aod_restored"] == "GAC"
        np.testing.assert_allclose(ds.lwe_thickness.values, both.values, atol=1e-3)


def test_refusals(tmp_path, capsys):
    gsm = tmp_path / "gsm"
    _write(gsm, "GSM-2_", SPANS, 6, 0)
    series = _read(gsm)
    short = _write(tmp_path / "short", "GAD-2_", SPANS[:2], 6, 30)
    with pytest.raises(ValueError, match=r"no GAD solution for month 2004-03 \(GSM-2_2004061"
                                         r"-2004091.*span .* in the 2 GAD files given"):
        restore_aod(series, tmp_path / "short")
    with pytest.raises(ValueError, match=r"GSM-2_2004001-2004031\S*: not a GAC-2_\* or "
                                         r"GAD-2_\* file"):
        restore_aod(series, gsm)
    mixed = tmp_path / "mixed"
    _write(mixed, "GAD-2_", SPANS[:1], 6, 40)
    _write(mixed, "GAC-2_", SPANS[1:], 6, 40)
    with pytest.raises(ValueError, match=r"mixed: both GAC and GAD files given"):
        restore_aod(series, mixed)
    with pytest.raises(FileNotFoundError, match=r"nothere: no such file or directory"):
        restore_aod(series, tmp_path / "nothere")
    out = tmp_path / "o.nc"
    capsys.readouterr()
    code = cli.main(["grace", "l2", str(gsm), "--aod", str(mixed), "--resolution-deg", "15",
                     "--out", str(out), "--quiet"])
    assert code == 2 and not out.exists()
    assert capsys.readouterr().err.strip() == (
        f"jaxgeo grace l2: error: {mixed}: both GAC and GAD files given; restore one product")
    assert short[0][0].exists()


def test_background_of_too_low_degree_is_refused(tmp_path):
    _write(tmp_path / "gsm", "GSM-2_", SPANS, 6, 0)
    _write(tmp_path / "gad", "GAD-2_", SPANS, 4, 60)
    with pytest.raises(ValueError, match=r"GAD-2_2004001-2004031\S*: requested lmax=6 exceeds "
                                         r"the file degree 4"):
        restore_aod(_read(tmp_path / "gsm"), tmp_path / "gad")
