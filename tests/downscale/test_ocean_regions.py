"""Ocean classes (open ocean, coastal band, marginal seas) against a brute-force oracle."""

import numpy as np
import pytest

from jaxgeo import Grid
from jaxgeo.regions import (
    COASTAL_BAND,
    LAND,
    MARGINAL_SEA,
    OPEN_OCEAN,
    coast_distance_km,
    land_fraction,
    ocean_classes,
    ocean_domain,
)


def _brute_distance_km(grid, land):
    """Haversine distance from every cell centre to every land centre, minimum (oracle)."""
    lat, lon = np.meshgrid(np.deg2rad(grid.lat), np.deg2rad(grid.lon), indexing="ij")
    la, lo = lat[land][None, :], lon[land][None, :]
    a = (np.sin((lat.ravel()[:, None] - la) / 2) ** 2
         + np.cos(lat.ravel()[:, None]) * np.cos(la) * np.sin((lon.ravel()[:, None] - lo) / 2) ** 2)
    d = 2 * np.arcsin(np.sqrt(np.clip(a, 0, 1))) * grid.radius_m / 1000.0
    return d.min(axis=1).reshape(grid.shape)


def _cell(grid, lat, lon):
    return (int(np.argmin(abs(grid.lat - lat))),
            int(np.argmin(abs((grid.lon - lon + 180.0) % 360.0 - 180.0))))


def test_coast_distance_matches_brute_force_within_the_band():
    grid = Grid.regular(5.0)
    rng = np.random.default_rng(1)
    land = rng.random(grid.shape) < 0.15
    land[-3:] = True  # a polar cap: rows far apart in longitude near the pole
    want = _brute_distance_km(grid, land)
    for band in (0.0, 400.0, 1500.0):
        got = coast_distance_km(grid, land, band)
        inside = want <= band
        np.testing.assert_allclose(got[inside], want[inside], rtol=1e-9, atol=1e-6)
        assert np.isinf(got[~inside]).all()


def test_classes_on_the_real_coastline():
    grid = Grid.regular(5.0)
    labels = ocean_classes(grid, coastal_band_km=600.0)
    land = land_fraction(grid) >= 0.5
    assert ((labels == LAND) == land).all()
    near = _brute_distance_km(grid, land) <= 600.0
    sea = ~land & (labels != MARGINAL_SEA)
    np.testing.assert_array_equal(labels[sea] == COASTAL_BAND, near[sea])
    assert labels[_cell(grid, 35.0, 18.0)] == MARGINAL_SEA    # central Mediterranean
    assert labels[_cell(grid, 43.0, 34.0)] == MARGINAL_SEA    # Black Sea
    assert labels[_cell(grid, 60.0, -86.0)] == MARGINAL_SEA   # Hudson Bay
    assert labels[_cell(grid, 0.0, -150.0)] == OPEN_OCEAN     # mid-Pacific
    assert labels[_cell(grid, -30.0, -20.0)] == OPEN_OCEAN    # South Atlantic
    assert labels[_cell(grid, 17.0, 88.0)] == COASTAL_BAND    # Bay of Bengal
    # the domain keeps or drops each class as asked
    all_sea = ocean_domain(grid, coastal_band_km=600.0)
    assert (all_sea == ~land).all()
    open_only = ocean_domain(grid, coastal_band_km=600.0, marginal_seas=False,
                             coastal_band=False)
    assert (open_only == (labels == OPEN_OCEAN)).all()
    no_band = ocean_classes(grid, coastal_band_km=0.0)
    assert not (no_band == COASTAL_BAND).any()


@pytest.mark.parametrize("kwargs, words", [
    ({"coastal_band_km": -1.0}, "coastal_band_km"),
    ({"coastal_band_km": float("nan")}, "coastal_band_km"),
    ({"min_land_fraction": 0.0}, "min_land_fraction"),
])
def test_bad_arguments_are_named(kwargs, words):
    with pytest.raises(ValueError, match=words):
        ocean_classes(Grid.regular(5.0), **kwargs)


def test_empty_domain_and_bad_land_shape_are_errors():
    grid = Grid.regular(5.0)
    with pytest.raises(ValueError, match="no ocean cell left"):
        ocean_domain(grid, coastal_band_km=20000.0, coastal_band=False, marginal_seas=False)
    with pytest.raises(ValueError, match="land mask has shape"):
        coast_distance_km(grid, np.zeros((3, 4), bool), 100.0)
    with pytest.raises(ValueError, match="finite distance"):
        coast_distance_km(grid, np.zeros(grid.shape, bool), float("inf"))
