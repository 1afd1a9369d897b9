"""The ocean bottom-pressure experiment: shapes, determinism, scales, ocean mean, gauges."""

import numpy as np
import pytest

from jaxgeo import Grid
from jaxgeo.downscale.ocean import ocean_experiment
from jaxgeo.regions import LAND, OCEAN_CLASSES, land_fraction


@pytest.fixture(scope="module")
def ds():
    return ocean_experiment(5.0, 12, seed=3)


def _area_mean(x, grid, mask):
    w = np.where(mask, np.cos(np.deg2rad(grid.lat))[:, None], 0.0)
    return np.nansum(np.where(mask, x, 0.0) * w, axis=(-2, -1)) / w.sum()


def test_shapes_mask_and_determinism(ds):
    grid = Grid.regular(5.0)
    for k in ("truth", "model_a", "model_b", "coarse"):
        assert ds[k].shape == (12,) + grid.shape and ds[k].attrs["units"] == "mm"
        assert np.isfinite(ds[k].values[:, ds.mask.values]).all()
        assert np.isnan(ds[k].values[:, ~ds.mask.values]).all()
    # the mask is every ocean cell (< 50 % land), classes labelled as documented
    np.testing.assert_array_equal(ds.mask.values, land_fraction(grid) < 0.5)
    assert set(np.unique(ds.ocean_class.values)) <= set(OCEAN_CLASSES)
    assert ((ds.ocean_class.values == LAND) == ~ds.mask.values).all()
    again = ocean_experiment(5.0, 12, seed=3)
    for k in ("truth", "model_a", "model_b", "coarse", "gauge_obp", "gauge_lat"):
        np.testing.assert_array_equal(again[k].values, ds[k].values)
    other = ocean_experiment(5.0, 12, seed=4)
    assert not np.allclose(other.truth.values[:, ds.mask.values],
                           ds.truth.values[:, ds.mask.values])


def test_truth_has_more_small_scale_variance_than_coarse():
    # without noise, coarse is the truth through the GRACE filter; on a 5° grid the noise
    # (std rising with degree, the filter barely truncating) would dominate the grid scale
    ds = ocean_experiment(5.0, 12, seed=3, noise_mm=0.0)
    m = ds.mask.values
    pair = m & np.roll(m, -1, axis=1)

    def hp(x):  # east-west neighbour differences over pairs of ocean cells: a high-pass
        return np.nanmean(((x - np.roll(x, -1, axis=2))[:, pair]) ** 2)

    assert hp(ds.truth.values) > 1.5 * hp(ds.coarse.values)  # measured 1.7 (5°), 3.2 (3°)


def test_models_lack_the_global_mass_and_coarse_tracks_it(ds):
    grid = Grid.regular(5.0)
    m = ds.mask.values
    for k in ("model_a", "model_b"):  # Boussinesq reanalyses: no ocean-mean
        np.testing.assert_allclose(_area_mean(ds[k].values, grid, m), 0.0, atol=1e-9)
    truth, coarse = (_area_mean(ds[k].values, grid, m) for k in ("truth", "coarse"))
    assert truth.std() > 2.0  # the barystatic cycle is there
    gain = np.polyfit(truth, coarse, 1)[0]
    assert 0.85 < gain < 1.05  # leakage onto land (documented: 0.94–0.97)
    assert np.sqrt(np.mean((truth - coarse) ** 2)) < 1.0


def test_gauges_sit_where_documented(ds):
    grid = Grid.regular(5.0)
    kinds = ds.gauge_kind.values
    assert (kinds == "tide_gauge").sum() == 300 and (kinds == "bottom_pressure_recorder").sum() \
        == 165
    i = np.searchsorted(grid.lat, ds.gauge_lat.values)
    j = np.searchsorted(grid.lon, ds.gauge_lon.values)
    np.testing.assert_allclose(grid.lat[i], ds.gauge_lat.values)
    assert ds.mask.values[i, j].all()
    assert len(set(zip(i.tolist(), j.tolist(), strict=True))) == len(i)  # distinct cells
    land = ~ds.mask.values
    tg = kinds == "tide_gauge"
    near = [land[max(a - 1, 0):a + 2, [(b - 1) % grid.nlon, b, (b + 1) % grid.nlon]].any()
            for a, b in zip(i[tg], j[tg], strict=True)]
    assert all(near)
    # recorders: > 500 km from every land cell centre (haversine oracle)
    la, lo = np.deg2rad(grid.lat[np.nonzero(land)[0]]), np.deg2rad(grid.lon[np.nonzero(land)[1]])
    for a, b in zip(i[~tg], j[~tg], strict=True):
        p, q = np.deg2rad(grid.lat[a]), np.deg2rad(grid.lon[b])
        h = np.sin((la - p) / 2) ** 2 + np.cos(p) * np.cos(la) * np.sin((lo - q) / 2) ** 2
        assert (2 * np.arcsin(np.sqrt(h)) * grid.radius_m / 1e3).min() > 500.0
    # the gauge series is the truth at its cell plus small local noise
    resid = ds.gauge_obp.values - ds.truth.values[:, i, j]
    assert resid[:, tg].std() < 15.0 and resid[:, ~tg].std() < 5.0


@pytest.mark.parametrize("kwargs, words", [
    ({"n_tide_gauges": -1}, "n_tide_gauges"),
    ({"n_recorders": 2.5}, "n_recorders"),
    ({"n_tide_gauges": True}, "n_tide_gauges"),
    ({"n_months": 1}, "n_months"),
    ({"seed": -2}, "seed"),
    ({"coastal_band_km": -5.0}, "coastal_band_km"),
])
def test_bad_arguments_are_named(kwargs, words):
    args = {"n_months": 4, **kwargs}
    with pytest.raises(ValueError, match=words):
        ocean_experiment(5.0, **args)
