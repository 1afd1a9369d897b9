"""grace.region_sigma_series: the formal error bars of a Level-2 region series (issue 12,
item 6). Oracle: the region mean of the field of each coefficient alone (at its sigma),
synthesised by ewh_grid and averaged by regions.region_mean, summed in quadrature."""

import numpy as np
import pytest
from support.grace_files import random_coeffs, shm_name, write_shm

from jaxgeo import Grid
from jaxgeo.grace import ewh_grid, read_l2_series, region_sigma_series
from jaxgeo.regions import region_mean

LMAX = 6


def _series(tmp_path):
    paths = []
    for k in range(2):
        clm, slm = random_coeffs(LMAX, seed=k)
        d0 = 1 + 31 * k
        t0 = str(np.datetime64("2004-01-01") + np.timedelta64(d0 - 1, "D")).replace("-", "")
        t1 = str(np.datetime64("2004-01-01") + np.timedelta64(d0 + 27, "D")).replace("-", "")
        paths.append(write_shm(tmp_path / shm_name(2004, d0, 2004, d0 + 27)[:-3], clm, slm,
                               t0, t1))
    s = read_l2_series(paths, quiet=True)
    rng = np.random.default_rng(5)  # distinct sigmas per month and coefficient
    return s.replace(sigma_clm=s.sigma_clm * rng.uniform(0.5, 2.0, s.sigma_clm.shape),
                     sigma_slm=s.sigma_slm * rng.uniform(0.5, 2.0, s.sigma_slm.shape))


def test_quadrature_sum_of_single_coefficient_region_means(tmp_path):
    s = _series(tmp_path)
    grid = Grid(10.0)
    region = (grid.lat[:, None] > 10) & (grid.lat[:, None] < 50) & (grid.lon[None] > -30) \
        & (grid.lon[None] < 60)
    got = region_sigma_series(s, grid, region, half_width_km=500.0)
    want = np.zeros(2)
    for ell in range(LMAX + 1):
        for m in range(ell + 1):
            for which in ("clm", "slm"):
                if which == "slm" and m == 0:
                    continue
                c = np.zeros_like(s.clm)
                sig = getattr(s, f"sigma_{which}")
                c[:, ell, m] = sig[:, ell, m]
                one = s.replace(clm=c if which == "clm" else np.zeros_like(c),
                                slm=c if which == "slm" else np.zeros_like(c))
                f = ewh_grid(one, grid, half_width_km=500.0).values.astype(np.float64)
                want += region_mean(f, grid, region) ** 2
    np.testing.assert_allclose(got, np.sqrt(want), rtol=1e-5)  # float32 grids in the oracle
    cm = region_sigma_series(s, grid, region, half_width_km=500.0, units="cm")
    np.testing.assert_allclose(cm, got / 10, rtol=1e-12)


def test_missing_sigmas_are_named(tmp_path):
    s = _series(tmp_path)
    s = s.replace(sigma_clm=None, sigma_slm=None)
    with pytest.raises(ValueError, match=r"GSM-2_2004001-2004028.*no coefficient sigmas"):
        region_sigma_series(s, Grid(10.0), np.ones(Grid(10.0).shape, bool))
