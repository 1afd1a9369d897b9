"""global_mass_residual and gauge_agreement against brute-force oracles."""

import numpy as np
import pytest
import xarray as xr

from jaxgeo import Grid
from jaxgeo.downscale.metrics import gauge_agreement, global_mass_residual

GRID = Grid.regular(10.0)


def _fields(seed=0, nt=5):
    rng = np.random.default_rng(seed)
    mask = rng.random(GRID.shape) < 0.6
    a = rng.normal(size=(nt,) + GRID.shape) * 10
    b = rng.normal(size=(nt,) + GRID.shape) * 10
    return mask, np.where(mask, a, np.nan), np.where(mask, b, np.nan)


def test_global_mass_residual_matches_a_loop():
    mask, a, b = _fields()
    got = global_mass_residual(a, b, GRID, mask)
    want = []
    for t in range(a.shape[0]):
        num = den = 0.0
        for i in range(GRID.nlat):
            for j in range(GRID.nlon):
                if mask[i, j]:
                    w = np.cos(np.deg2rad(GRID.lat[i]))  # cell area ∝ cos(lat) on a row
                    num += w * (a[t, i, j] - b[t, i, j])
                    den += w
        want.append(num / den)
    np.testing.assert_allclose(got["per_month"], want, rtol=1e-6, atol=1e-9)
    assert got["max_abs"] == pytest.approx(np.max(np.abs(want)), rel=1e-6)


def test_global_mass_residual_refuses_bad_inputs():
    mask, a, b = _fields()
    i, j = np.argwhere(mask)[0]
    bad = a.copy()
    bad[2, i, j] = np.nan
    with pytest.raises(ValueError, match=r"pred is nan inside the mask at month index 2"):
        global_mass_residual(bad, b, GRID, mask)
    with pytest.raises(ValueError, match=r"coarse must be \(time, 18, 36\)"):
        global_mass_residual(a, b[0], GRID, mask)
    with pytest.raises(ValueError, match="differ"):
        global_mass_residual(a, b[:3], GRID, mask)
    with pytest.raises(ValueError, match="mask is empty"):
        global_mass_residual(a, b, GRID, np.zeros(GRID.shape, bool))


def _gauges(pred, cells, kinds, noise, rng, gap=False):
    obs = np.stack([pred[:, i, j] for i, j in cells], axis=1) + noise * rng.normal(
        size=(pred.shape[0], len(cells)))
    if gap:
        obs[1, 0] = np.nan
    return xr.Dataset({
        "gauge_lat": ("gauge", [GRID.lat[i] + 1.0 for i, _ in cells]),  # off-centre
        "gauge_lon": ("gauge", [GRID.lon[j] + 360.0 for _, j in cells]),  # 0–360 spelling
        "gauge_kind": ("gauge", kinds),
        "gauge_obp": (("time", "gauge"), obs)})


@pytest.mark.parametrize("gap", [False, True])
def test_gauge_agreement_matches_a_loop(gap):
    rng = np.random.default_rng(3)
    mask, pred, _ = _fields(seed=3, nt=12)
    cells = [tuple(c) for c in np.argwhere(mask)[:7]]
    kinds = ["tide_gauge"] * 4 + ["bottom_pressure_recorder"] * 3
    g = _gauges(pred, cells, kinds, 5.0, rng, gap=gap)
    got = gauge_agreement(pred, g, GRID)
    obs = g.gauge_obp.values
    for kind, sel in (("tide_gauge", range(4)), ("bottom_pressure_recorder", range(4, 7)),
                      ("all", range(7))):
        sq, corr = [], []
        for k in sel:
            i, j = cells[k]
            ok = np.isfinite(obs[:, k])
            x, y = pred[ok, i, j], obs[ok, k]
            sq += list((x - y) ** 2)
            corr.append(np.corrcoef(x, y)[0, 1])
        assert got[kind]["n"] == len(sel)
        assert got[kind]["rmse"] == pytest.approx(np.sqrt(np.mean(sq)), rel=1e-9)
        assert got[kind]["correlation"] == pytest.approx(np.median(corr), rel=1e-9)


def test_gauge_agreement_names_the_gauge_outside_the_field():
    rng = np.random.default_rng(4)
    mask, pred, _ = _fields(seed=4, nt=6)
    inside = [tuple(c) for c in np.argwhere(mask)[:2]]
    outside = tuple(np.argwhere(~mask)[0])
    g = _gauges(np.nan_to_num(pred), inside + [outside], ["tide_gauge"] * 3, 1.0, rng)
    with pytest.raises(ValueError, match=r"no value at gauge 2 \(tide_gauge, lat"):
        gauge_agreement(pred, g, GRID)
    with pytest.raises(ValueError, match="gauges lack gauge_kind"):
        gauge_agreement(pred, g.drop_vars("gauge_kind"), GRID)
    with pytest.raises(ValueError, match=r"pred must be \(6, 18, 36\)"):
        gauge_agreement(pred[:4], g, GRID)
