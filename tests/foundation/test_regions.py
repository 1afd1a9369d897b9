"""jaxgeo.regions against closed forms and brute force."""

import numpy as np
import pytest

from jaxgeo import Grid, regions
from jaxgeo.constants import EARTH_RADIUS_M


def test_land_fraction_is_the_earths():
    g = Grid.regular(1.0)
    frac = regions.land_fraction(g)
    # about 29 % of the Earth's surface is land (ice sheets included)
    share = float((frac * g.cell_area).sum() / g.cell_area.sum())
    assert 0.28 < share < 0.30
    # a 0..360 grid holds the same cells, rotated
    g0 = Grid.regular(1.0, 0.0)
    np.testing.assert_array_equal(regions.land_fraction(g0), np.roll(frac, -180, axis=1))
    hyd = regions.land_mask(g)
    # the hydrology mask leaves Antarctica out; the GLOBE mask counts its ice as land
    assert not hyd[g.lat < -60].any() and frac[g.lat < -86].min() > 0.99


def test_polygon_mask_box_against_brute_force():
    g = Grid.regular(2.0)
    got = regions.polygon_mask(g, [(-80.5, -20.5), (-45.5, -20.5), (-45.5, 5.5), (-80.5, 5.5)])
    lat, lon = np.meshgrid(g.lat, g.lon, indexing="ij")
    ref = (lon > -80.5) & (lon < -45.5) & (lat > -20.5) & (lat < 5.5)
    np.testing.assert_array_equal(got, ref)
    with pytest.raises(ValueError, match="vertices"):
        regions.polygon_mask(g, [(0, 0), (1, 1)])


def test_nearest_distance_against_haversine():
    g = Grid.regular(10.0)
    rng = np.random.default_rng(0)
    a, b = rng.random(g.shape) < 0.3, rng.random(g.shape) < 0.1
    got = regions.nearest_distance_km(g, a, b)
    lat, lon = np.meshgrid(np.radians(g.lat), np.radians(g.lon), indexing="ij")

    def hav(p1, l1, p2, l2):
        h = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin((l2 - l1) / 2) ** 2
        return 2 * np.arcsin(np.sqrt(h)) * EARTH_RADIUS_M / 1000

    ref = [hav(p, q, lat[b], lon[b]).min() for p, q in zip(lat[a], lon[a], strict=True)]
    # arccos near 1 resolves ~0.1 m on the Earth: 1 m absolute tolerance
    np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-3)


def test_region_mass_and_mean_closed_forms():
    g = Grid.regular(5.0)
    everywhere = np.ones(g.shape, bool)
    # 1 mm of water over the whole sphere: 4πR² · 1e-3 m · 1000 kg/m³ / 1e12 kg/Gt
    want = 4 * np.pi * EARTH_RADIUS_M**2 * 1e-3 * 1000 / 1e12
    np.testing.assert_allclose(regions.region_mass_gt(np.ones((2,) + g.shape), g, everywhere),
                               want, rtol=1e-12)
    x = np.random.default_rng(1).normal(size=g.shape)
    north = np.broadcast_to(g.lat[:, None] > 0, g.shape)
    np.testing.assert_allclose(regions.region_mean(x, g, north),
                               (x * g.cell_area)[north].sum() / g.cell_area[north].sum())
    np.testing.assert_allclose(regions.area_weights(g, north).sum(), 1.0)
    with pytest.raises(ValueError, match="empty"):
        regions.region_mean(x, g, np.zeros(g.shape, bool))


def test_ocean_mask_keeps_away_from_coasts():
    g = Grid.regular(2.0)
    land = regions.land_mask(g, hydrology_only=False)
    ocean = regions.ocean_mask(g, land, coast_buffer_deg=5.0)
    assert not (ocean & land).any() and 0.15 < ocean.mean() < 0.5
    d = regions.nearest_distance_km(g, ocean, land)
    assert d.min() > 5.0 * np.pi / 180 * EARTH_RADIUS_M / 1000 * 0.99
