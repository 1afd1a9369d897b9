"""Coefficient sigmas through the Level-2 chain (issue 12, item 6): read from the GSM/.gfc
rows, propagated to ``lwe_thickness_sigma`` by ``grace_l2_tws(sigma=True)``; real CSR
magnitudes; bad or missing sigmas are clear errors."""

import gzip
import warnings

import jax.numpy as jnp
import numpy as np
import pytest
from support.grace_files import random_coeffs, shm_name, write_shm

from jaxgeo import Grid
from jaxgeo.grace import (
    SynthesisTable,
    degree_weights,
    ewh_sigma_grid,
    grace_l2_tws,
    read_l2_series,
    read_shm,
    region_sigma,
)
from jaxgeo.regions import region_mean


def _csr(shared_data):
    return sorted((shared_data / "grace-l2" / "csr-rl06").glob("GSM-2_*.gz"))


def test_sigmas_read_as_in_the_rows(shared_data):
    path = _csr(shared_data)[0]
    sol = read_shm(path, lmax=40)
    n = 0
    with gzip.open(path, "rt") as fh:
        for line in fh:
            p = line.split()
            if p and p[0] == "GRCOF2" and int(p[1]) <= 40:
                ell, m = int(p[1]), int(p[2])
                assert sol.sigma_clm[ell, m] == float(p[5])
                assert sol.sigma_slm[ell, m] == float(p[6])
                n += 1
    assert n == 41 * 42 // 2 and sol.sigma_clm.shape == (41, 41)
    assert sol.sigma_clm[30, 5] == 0.6296e-12


def test_real_csr_sigma_magnitude(shared_data):
    """Three CSR months (2005-11..2006-01), lmax 60, 300 km Gaussian, 2°: the per-cell
    formal sigma is 5-33 mm (median ~13 mm), larger at the equator than near the poles
    (ground-track density); we require 2-60 mm everywhere and a median of 8-25 mm."""
    files = _csr(shared_data)[40:43]
    kw = dict(grid=Grid.regular(2.0), lmax=60, half_width_km=300.0, quiet=True,
              mean_period=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ds = grace_l2_tws(files, sigma=True, **kw)
        plain = grace_l2_tws(files, **kw)
    np.testing.assert_array_equal(ds["lwe_thickness"].values, plain.values)
    s = ds["lwe_thickness_sigma"].values
    assert ds["lwe_thickness_sigma"].attrs["units"] == "mm"
    assert "diagonal approximation" in ds["lwe_thickness_sigma"].attrs["comment"]
    assert 2.0 < s.min() and s.max() < 60.0 and 8.0 < np.median(s) < 25.0
    lat = ds["lat"].values
    assert np.median(s[:, np.abs(lat) > 70]) < np.median(s[:, np.abs(lat) < 20])
    # the same numbers from the public pieces directly
    series = read_l2_series(files, lmax=60, quiet=True)
    table = SynthesisTable.create(kw["grid"], 60, dtype=jnp.float64)
    w = degree_weights(60, radius_m=series.radius_m, half_width_km=300.0) * 1e3
    want = np.asarray(ewh_sigma_grid(table, series.sigma_clm, series.sigma_slm, w))
    np.testing.assert_allclose(s, want, rtol=1e-5)
    # region mean over an Amazon box (15S-0, 70W-50W, ~2.2e6 km²): measured 1.7-2.5 mm
    # (1° grid), an order of magnitude below the cells' (~21-30 mm): in the diagonal
    # approximation the errors of the many coefficients average out over a region
    grid = kw["grid"]
    box = np.zeros(grid.shape, bool)
    box[np.ix_((grid.lat > -15) & (grid.lat < 0), (grid.lon > -70) & (grid.lon < -50))] = True
    rs = np.asarray(region_sigma(table, series.sigma_clm, series.sigma_slm, w, box))
    assert rs.shape == (3,) and (1.0 < rs).all() and (rs < 4.0).all()
    assert (rs < region_mean(want, grid, box) / 5).all()


def _files(tmp_path, n=2, lmax=6):
    out = []
    for k in range(n):
        clm, slm = random_coeffs(lmax, seed=k)
        d0 = 1 + 31 * k
        p = tmp_path / shm_name(2004, d0, 2004, d0 + 27)[:-3]  # plain text
        t0 = str(np.datetime64("2004-01-01") + np.timedelta64(d0 - 1, "D")).replace("-", "")
        t1 = str(np.datetime64("2004-01-01") + np.timedelta64(d0 + 27, "D")).replace("-", "")
        out.append(write_shm(p, clm, slm, t0, t1))
    return out


def _set_sigma(path, ell, m, value):
    lines = path.read_text().splitlines(keepends=True)
    for i, ln in enumerate(lines):
        p = ln.split()
        if p and p[0] == "GRCOF2" and (int(p[1]), int(p[2])) == (ell, m):
            p[6] = value
            lines[i] = " ".join(p) + "\n"
    path.write_text("".join(lines))


def _gfc(tmp_path, with_sigma):
    c, s = random_coeffs(6, seed=4)
    lines = ["modelname ITSG-Grace2018_n96_2004-03", "max_degree 6",
             "norm fully_normalized", "end_of_head =========="]
    for ell in range(7):
        for m in range(ell + 1):
            lines.append(f"gfc {ell} {m} {c[ell, m]:.15e} {s[ell, m]:.15e}"
                         + (" 2e-12 3e-12" if with_sigma else ""))
    p = tmp_path / f"ITSG-Grace2018_n96_2004-03_{int(with_sigma)}.gfc"
    p.write_text("\n".join(lines) + "\n")
    return p


def test_gfc_sigmas_are_read(tmp_path):
    series = read_l2_series([_gfc(tmp_path, True)], quiet=True)
    assert series.sigma_clm[0, 5, 3] == 2e-12 and series.sigma_slm[0, 5, 3] == 3e-12
    assert read_l2_series([_gfc(tmp_path, False)], quiet=True).sigma_clm is None


@pytest.mark.parametrize("case,match", [
    ("negative", r"_0600: sigma_S at degree 5, order 3 is -1e-12; a standard deviation "
                 r"must be finite and >= 0"),
    ("nan", r"_0600: sigma_S at degree 4, order 2 is nan"),
    ("gfc_none", r"_0\.gfc: no coefficient sigmas"),
    ("destripe", r"sigma=True with destripe=True is not supported"),
])
def test_bad_sigmas_are_clear_errors(tmp_path, case, match):
    files = _files(tmp_path)
    if case == "negative":
        _set_sigma(files[1], 5, 3, "-1.0E-12")
    elif case == "nan":
        _set_sigma(files[0], 4, 2, "NaN")
    elif case == "gfc_none":
        files = [_gfc(tmp_path, False)]
    before = {p: p.read_bytes() for p in files}
    with warnings.catch_warnings(), pytest.raises(ValueError, match=match):
        warnings.simplefilter("ignore", UserWarning)
        grace_l2_tws(files, grid=Grid.regular(30.0), sigma=True, quiet=True,
                     destripe=case == "destripe", mean_period=None)
    assert {p: p.read_bytes() for p in files} == before  # inputs untouched


def test_sigma_memory_counts_two_fields(tmp_path):
    from jaxgeo.grace._l2 import grid_memory_bytes

    files = _files(tmp_path)  # 2 months
    grid = Grid.regular(0.05)
    limit = 1.5
    # one field fits the limit, two do not: the check must count the sigma field
    assert grid_memory_bytes(2, grid, 0) < limit * 1024 ** 3 < grid_memory_bytes(4, grid, 0)
    with pytest.raises(ValueError, match=r"grace_l2_tws with sigma \(two fields\): 4 months "
                                         r"on a 3600 x 7200 grid"):
        grace_l2_tws(files, grid=grid, sigma=True, max_memory_gb=limit, quiet=True)
