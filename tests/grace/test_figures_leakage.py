"""The second processing of the GRACE validation (jaxgeo.validation._grace_leakage) on
small synthetic inputs, without the shared files: the stand-in load conserves mass, the
margin of a region is the brute-force one, a gain does not depend on the load's time
shape, and the figure helpers return the coefficients a series was built from."""

import numpy as np
import pytest

from jaxgeo import Grid
from jaxgeo.regions import nearest_distance_km, region_mass_gt
from jaxgeo.validation import _grace_leakage as L
from jaxgeo.validation import grace as V

G = Grid.regular(2.0)


@pytest.fixture(scope="module")
def masks():
    land = V.land(G)
    gl, _ = V.greenland_region(G, land)
    return land, gl, V.amazon_region(G, land)


def test_stand_in_conserves_mass_and_follows_its_time_shape(masks):
    land, gl, _ = masks
    shape = np.array([2.0, -1.0, 0.5])
    m = L.stand_in(G, gl, land, shape)
    assert m.shape == (3, *G.shape) and m.dtype == np.float64
    area = np.asarray(G.cell_area)
    load_mass = (area * gl).sum()
    # what the land loads, the ocean carries with the opposite sign: no degree 0
    assert np.abs((m * area).sum(axis=(1, 2))).max() < 1e-12 * load_mass
    np.testing.assert_array_equal(m[:, gl], shape[:, None] * np.ones(gl.sum()))
    assert (m[:, land & ~gl] == 0).all()  # other land untouched
    ocean = ~land
    assert np.allclose(m[:, ocean], -shape[:, None] * load_mass / (area * ocean).sum())


def test_margin_cells_equal_the_brute_force_margin(masks):
    land, gl, amazon = masks
    for region in (gl, amazon):
        for width in (250.0, 400.0, 800.0):  # 2° cells: ≥ 1 cell spacing
            brute = np.zeros_like(region)
            brute[region] = nearest_distance_km(G, region, ~land) <= width
            got = L.margin_cells(G, land, region, width)
            np.testing.assert_array_equal(got, brute)
            assert got.any() and not (got & ~region).any()


def test_gains_do_not_depend_on_the_time_shape(masks):
    from jaxgeo.grace import region_gain

    land, gl, amazon = masks
    kw = {"lmax": 60, "half_width_km": 300.0, "destripe": True}
    t = np.arange(30) / 12.0
    k = [float(region_gain(L.stand_in(G, gl, land, s), G, gl, **kw))
         for s in ((1.0, -1.0), np.sin(2 * np.pi * t) + 0.5 * t, np.exp(-t))]
    assert np.ptp(k) < 1e-9 * k[0] and k[0] > 1
    gains, cell = L.leakage_gains(G, 60, land, gl, amazon)
    assert gains["greenland_gain"] == pytest.approx(k[0], rel=1e-9)
    assert gains["greenland_gain_time_shape_rel_diff"] < 1e-9
    assert gains["greenland_gain_margin"] > gains["greenland_gain"] > 1
    assert gains["greenland_gain_not_destriped"] > 1
    assert 1 < gains["amazon_gain"] < gains["greenland_gain"]
    assert np.isfinite(cell[amazon]).all() and np.isnan(cell[~amazon]).all()


def test_greenland_figures_recover_the_series_coefficients():
    t = 2002.25 + np.arange(264) / 12.0
    rng = np.random.default_rng(0)
    noise = rng.normal(0.0, 5.0, t.size)
    y = 30.0 - 250.0 * (t - 2010) + 80.0 * np.cos(2 * np.pi * (t - 0.4)) + noise
    plain = L.greenland_figures(y - noise, t, "x")
    for name in L.WINDOWS:
        assert plain[f"x_trend_{name}_gt_yr"] == pytest.approx(-250.0, abs=1e-8)
        assert plain[f"x_trend_{name}_sigma_gt_yr"] < 1e-8
    assert plain["x_annual_amplitude_gt"] == pytest.approx(80.0, abs=1e-8)
    one, two = L.greenland_figures(y, t, "a"), L.greenland_figures(y, t, "b", gain=1.5)
    for key in one:
        assert two["b" + key[1:]] == pytest.approx(1.5 * one[key], rel=1e-12)
        assert np.isfinite(one[key])
    assert one["a_trend_2002_2024_sigma_gt_yr"] < one["a_trend_2013_2017_sigma_gt_yr"]  # longer


def test_amazon_figures_on_a_uniform_cycle(masks):
    _, _, amazon = masks
    t = 2002.25 + np.arange(96) / 12.0
    cycle = 200.0 * np.cos(2 * np.pi * (t - 0.3))
    field = np.where(amazon, cycle[:, None, None], 0.0).astype(np.float32)
    cell = np.where(amazon, np.linspace(1.0, 2.0, amazon.size).reshape(G.shape), np.nan)
    f = L.amazon_figures(field, G, amazon, t, "a", gain=1.25, cell_gain=cell)
    assert f["a_annual_amplitude_mm"] == pytest.approx(250.0, rel=1e-5)
    assert f["a_annual_peak_month"] == pytest.approx(0.3 * 12 + 1, abs=1e-3)
    # every cell has amplitude 200; times its own gain
    assert f["a_local_amplitude_max_mm"] == pytest.approx(200.0 * np.nanmax(cell), rel=1e-5)
    assert f["a_local_amplitude_at_peak_mm"] == pytest.approx(
        200.0 * f["a_local_gain_at_peak"], rel=1e-5)
    # a pure seasonal cycle has no non-seasonal anomaly
    scale = np.abs(region_mass_gt(field, G, amazon)).max()
    assert abs(f["a_nonseasonal_2009_03_gt"]) < 1e-5 * scale
