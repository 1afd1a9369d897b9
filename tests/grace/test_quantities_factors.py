"""Output quantities (EWH, geoid height, gravity disturbance, surface pressure) and Love
numbers by reference frame: closed forms, gravity-toolkit's ``units.harmonic`` and
``load_love_numbers(REFERENCE=...)`` (recorded, and live), the option in the chain and the
CLI, and the refusals."""

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from support.grace_files import random_coeffs, shm_name, write_shm

from jaxgeo import Grid, cli
from jaxgeo.grace import (
    K1_CF_TN13,
    QUANTITIES,
    REFERENCE_FRAMES,
    ewh_grid,
    load_love_numbers,
    love_numbers,
    quantity_factors,
    read_l2_series,
)

ORACLE = Path(__file__).resolve().parents[1] / "data" / "grace_corrections_gtk.json"
A = 6378136.3
GM = 3.986004415e14


def test_closed_forms():
    k = load_love_numbers(10)
    ell = np.arange(11.0)
    ewh_m = A * 5517.0 * (2 * ell + 1) / (3 * 1000.0 * (1 + k))
    np.testing.assert_allclose(quantity_factors(10, "ewh", radius_m=A), ewh_m * 1e3,
                               rtol=1e-15)
    np.testing.assert_allclose(quantity_factors(10, "ewh", radius_m=A, units="cm"),
                               ewh_m * 1e2, rtol=1e-15)
    np.testing.assert_allclose(quantity_factors(10, "geoid", radius_m=A), 6378136300.0,
                               rtol=1e-15)
    g = quantity_factors(10, "gravity_disturbance", radius_m=A)
    assert g[0] == pytest.approx(979828762.0, rel=1e-9)  # GM/a² in µGal (9.798 m/s²)
    np.testing.assert_allclose(g, g[0] * (ell + 1), rtol=1e-15)
    np.testing.assert_allclose(quantity_factors(10, "gravity_disturbance", radius_m=A,
                                                units="mGal"), g / 1e3, rtol=1e-15)
    # 1 mm of water weighs 9.80665 Pa = 0.0980665 hPa
    p = quantity_factors(10, "surface_pressure", radius_m=A)
    np.testing.assert_allclose(p / (ewh_m * 1e3), 0.0980665, rtol=1e-14)
    assert set(QUANTITIES) == {"ewh", "geoid", "gravity_disturbance", "surface_pressure"}


def _ours_with_gtk_constants(ref):
    c = ref["units"]["constants"]
    kw = {"radius_m": c["rad_e_m"], "love_k": love_numbers(ref["lmax"]).k}
    lmax = ref["lmax"]
    return {
        "mmwe": quantity_factors(lmax, "ewh", rho_earth_kg_m3=c["rho_e_kg_m3"], **kw),
        "mmGH": quantity_factors(lmax, "geoid", **kw),
        "microGal": quantity_factors(lmax, "gravity_disturbance", gm_m3_s2=c["GM_m3_s2"],
                                     **kw),
        "mbar": quantity_factors(lmax, "surface_pressure", rho_earth_kg_m3=c["rho_e_kg_m3"],
                                 g0_m_s2=c["g_wmo_m_s2"], **kw),
    }


def test_factors_and_love_numbers_against_recorded_gravity_toolkit():
    ref = json.loads(ORACLE.read_text())
    ours = _ours_with_gtk_constants(ref)
    for name, want in ref["units"].items():
        if name != "constants":
            np.testing.assert_allclose(ours[name], want, rtol=1e-13, err_msg=name)
    for frame in REFERENCE_FRAMES:
        ln = love_numbers(ref["lmax"], reference_frame=frame)
        for part in ("h", "k", "l"):
            np.testing.assert_allclose(getattr(ln, part), ref["love"][frame][part],
                                       rtol=1e-14, atol=1e-15, err_msg=f"{frame} {part}")


def test_live_gravity_toolkit():
    gtk = pytest.importorskip("gravity_toolkit")
    from gravity_toolkit.read_love_numbers import load_love_numbers as gtk_love

    for frame in REFERENCE_FRAMES:
        h, k, ell = gtk_love(120, REFERENCE=frame)
        ln = love_numbers(120, reference_frame=frame)
        np.testing.assert_allclose(np.stack(ln), np.stack([h, k, ell]), rtol=1e-14,
                                   atol=1e-15)
    u = gtk.units(lmax=60).harmonic(*gtk_love(60, REFERENCE="CF"))
    ref = {"lmax": 60, "units": {"constants": {
        "rad_e_m": u.rad_e / 100, "rho_e_kg_m3": u.rho_e * 1000, "GM_m3_s2": u.GM * 1e-6,
        "g_wmo_m_s2": u.g_wmo / 100}}}
    for name, ours in _ours_with_gtk_constants(ref).items():
        np.testing.assert_allclose(ours, getattr(u, name), rtol=1e-13, err_msg=name)


def test_love_frames_explicit_k1():
    ce, cm, cf = (love_numbers(3, reference_frame=f) for f in ("CE", "CM", "cf"))
    assert ce.k[1] == 0.0 and cm.k[1] == -1.0
    assert cm.h[1] == pytest.approx(ce.h[1] - 1) and cm.l[1] == pytest.approx(ce.l[1] - 1)
    alpha = (ce.h[1] + 2 * ce.l[1]) / 3  # Blewitt (2003)
    assert cf.k[1] == pytest.approx(-alpha) and cf.k[1] == pytest.approx(0.027432, abs=1e-6)
    np.testing.assert_array_equal(cf.k[2:], ce.k[2:])
    assert load_love_numbers(3)[1] == K1_CF_TN13 == 0.021  # the TN-13 default is unchanged
    assert load_love_numbers(3, reference_frame="CM")[1] == -1.0
    assert load_love_numbers(3, k1=0.0)[1] == 0.0


def test_refusals():
    with pytest.raises(ValueError, match=r"unknown reference_frame 'CX'; expected one of CE"):
        love_numbers(3, reference_frame="CX")
    with pytest.raises(ValueError, match=r"give k1 or reference_frame, not both"):
        load_love_numbers(3, k1=0.021, reference_frame="CF")
    with pytest.raises(ValueError, match=r"stop at degree 200; got lmax=201"):
        love_numbers(201)
    with pytest.raises(ValueError, match=r"unknown quantity 'geoid_height'; expected one of"):
        quantity_factors(3, "geoid_height", radius_m=A)
    with pytest.raises(ValueError, match=r"quantity 'geoid' takes units mm, cm, m; got 'hPa'"):
        quantity_factors(3, "geoid", radius_m=A, units="hPa")


def _l2_dir(tmp_path):
    d = tmp_path / "l2"
    d.mkdir()
    for k, (d0, d1) in enumerate(((1, 31), (32, 60))):
        c, s = random_coeffs(6, seed=k)
        t0 = (np.datetime64("2005-01-01") + np.timedelta64(d0 - 1, "D")).astype(str)
        t1 = (np.datetime64("2005-01-01") + np.timedelta64(d1, "D")).astype(str)
        write_shm(d / shm_name(2005, d0, 2005, d1), c, s, t0.replace("-", ""),
                  t1.replace("-", ""))
    return d


def test_quantity_in_the_grid_and_the_cli(tmp_path, capsys):
    d = _l2_dir(tmp_path)
    s = read_l2_series(d, quiet=True)
    grid = Grid.regular(15.0)
    ewh = ewh_grid(s, grid, half_width_km=300.0)
    hpa = ewh_grid(s, grid, half_width_km=300.0, quantity="surface_pressure")
    assert hpa.name == "surface_pressure" and hpa.attrs["units"] == "hPa"
    np.testing.assert_allclose(hpa.values, ewh.values * 0.0980665, rtol=2e-5,
                               atol=2e-5 * float(np.abs(hpa.values).max()))
    out = tmp_path / "geoid.nc"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # no TN-13
        assert cli.main(["grace", "l2", str(d), "--quantity", "geoid", "--resolution-deg",
                         "15", "--mean-period", "2005-01-01", "2005-03-01", "--out",
                         str(out), "--quiet"]) == 0
    with xr.open_dataset(out) as ds:
        assert list(ds.data_vars) == ["geoid_height"]
        assert ds.geoid_height.attrs["units"] == "mm"
        assert ds.geoid_height.attrs["quantity"] == "geoid"
    capsys.readouterr()
    out2 = tmp_path / "bad.nc"
    code = cli.main(["grace", "l2", str(d), "--units", "hPa", "--resolution-deg", "15",
                     "--out", str(out2), "--quiet"])
    assert code == 2 and not out2.exists()
    assert capsys.readouterr().err.strip() == (
        "jaxgeo grace l2: error: quantity 'ewh' takes units mm, cm, m; got 'hPa'")
