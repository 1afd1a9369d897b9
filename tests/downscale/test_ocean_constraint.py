"""The global-mass constraint: the pure shift, and fit / predict with conserve_mass."""

import numpy as np
import pytest
from support.downscale_data import tiny_experiment

from jaxgeo import Grid
from jaxgeo.downscale import LossConfig, NetConfig, RunSettings, TrainConfig, fit
from jaxgeo.downscale._constraints import conserve_mass
from jaxgeo.downscale.metrics import global_mass_residual
from jaxgeo.regions import area_weights

GRID = Grid.regular(10.0)


def _fields(seed=0):
    rng = np.random.default_rng(seed)
    mask = rng.random(GRID.shape) < 0.5
    pred = np.where(mask, 100 * rng.normal(size=(4,) + GRID.shape), np.nan)
    coarse = np.where(mask, 100 * rng.normal(size=(4,) + GRID.shape) + 7.0, np.nan)
    return mask, pred, coarse


def test_conserve_mass_is_exact_and_a_uniform_shift():
    mask, pred, coarse = _fields()
    out = conserve_mass(pred, coarse, area_weights(GRID, mask))
    res = global_mass_residual(out, coarse, GRID, mask)
    assert res["max_abs"] < 1e-9
    assert global_mass_residual(pred, coarse, GRID, mask)["max_abs"] > 1.0  # it did move
    shift = out[:, mask] - pred[:, mask]
    np.testing.assert_allclose(shift, shift[:, :1] * np.ones_like(shift), atol=1e-9)
    assert np.isnan(out[:, ~mask]).all()  # outside the mask untouched
    # unnormalised weights (cell areas on the mask) give the same answer
    w = np.where(mask, GRID.cell_area, 0.0)
    np.testing.assert_allclose(conserve_mass(pred, coarse, w)[:, mask], out[:, mask],
                               rtol=1e-12)


def test_conserve_mass_refuses_bad_inputs_and_leaves_them_untouched():
    mask, pred, coarse = _fields(1)
    w = area_weights(GRID, mask)
    keep = pred.copy()
    bad = pred.copy()
    i, j = np.argwhere(mask)[0]
    bad[3, i, j] = np.inf
    cases = [((bad, coarse, w), "pred has a non-finite value on the mask in month index 3"),
             ((pred, coarse[:2], w), "must share the grid"),
             ((pred, coarse, w[:-1]), "must share the grid"),
             ((pred, coarse, -w), "finite, ≥ 0 and positive"),
             ((pred, coarse, 0 * w), "finite, ≥ 0 and positive"),
             ((pred, coarse, np.where(mask, np.nan, 0.0)), "finite, ≥ 0 and positive")]
    for args, words in cases:
        with pytest.raises(ValueError, match=words):
            conserve_mass(*args)
    np.testing.assert_array_equal(pred, keep)


def test_fit_and_predict_conserve_the_coarse_mass(monkeypatch):
    import jaxgeo.downscale._api as api

    # the constraint acts after the network: an untrained one shows it as well, and
    # skipping the training loop keeps this test short (test_api's tiny configuration, so
    # that the compiled forward pass is shared)
    monkeypatch.setattr(api, "run_training", lambda *args, **kwargs: [])
    d = tiny_experiment(8)
    ds = fit(d["coarse"], d["model"], mask=d["mask"], features=d["features"],
             radius_deg=15.0, noise2self=False, conserve_mass=True,
             net=NetConfig(width=4, depth=1, blocks=1), loss=LossConfig.published(),
             train=TrainConfig(epochs=1, batch_months=2), quiet=True)
    assert ds.settings.conserve_mass is True
    mask = d["mask"].values
    coarse = d["coarse"].values
    on = ds.predict(d["coarse"], d["model"], d["features"])  # as trained: on
    assert global_mass_residual(on.values, coarse, GRID, mask)["max_abs"] < 1e-6
    off = ds.predict(d["coarse"], d["model"], d["features"], conserve_mass=False)
    assert "conserve_mass" in on.attrs["comment"] and "conserve_mass" not in off.attrs["comment"]
    assert global_mass_residual(off.values, coarse, GRID, mask)["max_abs"] > 1e-3
    d_off = (on.values - off.values)[:, mask]
    np.testing.assert_allclose(d_off, d_off[:, :1] * np.ones_like(d_off), atol=1e-9)
    # stored with the settings; a checkpoint written before the option reads as off
    s = ds.settings
    assert RunSettings.from_dict(s.to_dict()) == s
    old = {k: v for k, v in s.to_dict().items() if k != "conserve_mass"}
    assert RunSettings.from_dict(old).conserve_mass is False
    assert RunSettings.from_dict(old).difference(s) is None  # a resume may change it
