"""The synthetic experiment: a real land mask (jaxgeo.regions), reproducibility, the stated
noise level."""

import numpy as np
import pytest

from jaxgeo import Grid, regions
from jaxgeo.downscale import synthetic
from jaxgeo.seasonal import trend_annual


def test_land_fraction_is_the_real_globe():
    grid = Grid.regular(1.0)
    frac = regions.land_fraction(grid)
    area = grid.cell_area
    # Land (incl. Antarctica) covers 29 % of the Earth's surface (e.g. CIA World Factbook:
    # 148.9 of 510.1 million km²); the GLOBE mask at 1 km gives the same within 1.5 points.
    assert np.sum(frac * area) / area.sum() == pytest.approx(0.292, abs=0.015)
    at = lambda lat, lon: frac[np.argmin(abs(grid.lat - lat)), np.argmin(abs(grid.lon - lon))]  # noqa: E731
    assert at(0.5, -30.5) == pytest.approx(0.0, abs=1e-12)  # mid-Atlantic
    assert at(50.5, 10.5) == pytest.approx(1.0, abs=1e-12)  # Germany
    assert at(23.5, 10.5) == pytest.approx(1.0, abs=1e-12)  # Sahara
    assert at(-0.5, 160.5) == pytest.approx(0.0, abs=1e-12)  # Pacific
    mask = regions.land_mask(grid)
    assert not mask[grid.lat < -60].any()          # no Antarctica
    assert not mask[np.argmin(abs(grid.lat - 72.5)), np.argmin(abs(grid.lon + 40.5))]  # Greenland


def test_land_fraction_lon_start_zero_is_a_roll():
    a = regions.land_fraction(Grid.regular(1.0))
    b = regions.land_fraction(Grid.regular(1.0, lon_start=0.0))
    np.testing.assert_array_equal(b, np.roll(a, -180, axis=1))
    # coarser grids are area-weighted block means of the 0.5° fractions
    c = regions.land_fraction(Grid.regular(2.0))
    area = Grid.regular(1.0).cell_area
    expected = (a * area).reshape(90, 2, 180, 2).sum(axis=(1, 3)) / area.reshape(
        90, 2, 180, 2).sum(axis=(1, 3))
    np.testing.assert_allclose(c, expected, rtol=1e-12)


@pytest.fixture(scope="module")
def small():
    return synthetic.make_experiment(4.0, 24, seed=5, noise_mm=10.0)


def test_experiment_is_reproducible_and_seeded(small):
    again = synthetic.make_experiment(4.0, 24, seed=5, noise_mm=10.0)
    for k in small.data_vars:
        np.testing.assert_array_equal(small[k].values, again[k].values)
    other = synthetic.make_experiment(4.0, 24, seed=6, noise_mm=10.0)
    assert not np.allclose(np.nan_to_num(small.truth.values), np.nan_to_num(other.truth.values))


def test_experiment_structure(small):
    mask = small.mask.values
    assert small.truth.dims == ("time", "lat", "lon") and small.truth.shape == (24, 45, 90)
    for k in ("truth", "model", "coarse", "precipitation"):
        assert np.isnan(small[k].values[:, ~mask]).all()
        assert np.isfinite(small[k].values[:, mask]).all()
    assert small.truth.attrs["units"] == "mm"


def test_coarse_noise_has_the_stated_level(small):
    from jaxgeo.sphere import gaussian_smooth

    grid = Grid.regular(4.0)
    mask = small.mask.values
    smooth = np.asarray(gaussian_smooth(small.truth.values, grid, 300.0, mask=mask))
    noise = small.coarse.values - smooth
    # unweighted std over the mask and months is rescaled to exactly noise_mm
    assert noise[:, mask].std() == pytest.approx(10.0, rel=1e-9)


def test_model_misses_the_depletion_trends():
    ds = synthetic.make_experiment(2.0, 36, seed=0)
    grid = Grid.regular(2.0)
    t = ds.time.dt.year + (ds.time.dt.month - 0.5) / 12
    tr_truth, _ = trend_annual(ds.truth.values, t.values)
    tr_model, _ = trend_annual(ds.model.values, t.values)
    i, j = np.argmin(abs(grid.lat - 29.0)), np.argmin(abs(grid.lon - 77.0))  # northern India
    # truth − model trend = depletion (−25 mm/yr peak) + 0.7 × a broad trend of σ = 4 mm/yr
    assert tr_truth[i, j] - tr_model[i, j] < -12.0
