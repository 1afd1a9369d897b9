"""The best measured settings are the defaults of ``fit`` and ``LossConfig``; the published
set-up stays one call away; short records fall back with a warning; stored runs keep the
meaning they had; a network refuses another mask than its training's."""

import dataclasses
import warnings

import numpy as np
import pytest
from support.downscale_data import tiny_experiment

from jaxgeo.downscale import Downscaler, LossConfig, NetConfig, RunSettings, TrainConfig, fit
from jaxgeo.downscale._settings import HISTORICAL_LOSS_DEFAULTS

NET = NetConfig(width=4, depth=1, blocks=1)
TRAIN = TrainConfig(epochs=1, batch_months=4)


@pytest.fixture(scope="module")
def short():
    return tiny_experiment(8)


@pytest.fixture(scope="module")
def fallback(short, tmp_path_factory):
    """``fit`` with its defaults on 8 months (too few for noise2self), with a checkpoint;
    the caught warnings. (12 months and more: tests/cli/test_downscale_predict.py.)"""
    ckpt = tmp_path_factory.mktemp("defaults") / "ckpt"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fitted = _fit(short, checkpoint_dir=ckpt)
    return fitted, ckpt, [w for w in caught if issubclass(w.category, UserWarning)]


def _fit(d, **kw):
    return fit(d["coarse"], d["model"], mask=d["mask"], radius_deg=15.0, net=NET, train=TRAIN,
               quiet=True, **kw)


def test_loss_defaults_are_the_best_measured_and_published_is_named():
    best = LossConfig()
    # the demo's measured settings (README): squared misfit, the 300 km observation Gaussian
    assert (best.cap_power, best.observation_half_width_km) == (2, 300.0)
    pub = LossConfig.published()
    assert (pub.cap_power, pub.observation_half_width_km) == (1, None)
    assert pub.similarity == ("mae_decorrelation",) and pub.similarity_weights == (1.0,)
    assert pub.cap_weight == 1.0 and pub.targets_resolution_deg is None
    assert LossConfig.published(cap_weight=2.0) == dataclasses.replace(pub, cap_weight=2.0)
    # the published set-up is still checked like any other
    with pytest.raises(ValueError, match="cap_power must be 1 or 2, got 3"):
        LossConfig.published(cap_power=3)


def test_short_record_falls_back_with_one_warning(short, fallback):
    fitted, _, caught = fallback
    assert [str(w.message) for w in caught] == [
        "fit: 8 months are too few (or not consecutive) to tell the coarse field's noise from "
        "its signal (needs 12 consecutive); the start uses radius_deg=15 and is the output "
        "(use_network=True to use the network's)"]
    assert caught[0].filename == __file__  # points at the caller's line
    s = fitted.settings
    assert s.start == "matched" and s.start_radius_deg == 15.0 and not s.noise2self
    assert not fitted.selection.use_network and "8 months" in fitted.selection.reason
    # the matched start's loss: spectral consistency through the product's filter
    assert (s.loss.cap_weight, s.loss.spectral_weight) == (0.0, 1.0)
    # the classical start falls back from noise2self with its own warning
    with warnings.catch_warnings(record=True) as cap:
        warnings.simplefilter("always")
        classical = _fit(short, start="cap")
    assert [str(w.message) for w in cap if issubclass(w.category, UserWarning)] == [
        "fit: 8 months are too few for noise2self (needs 12); training with the published "
        "inputs (noise2self=False)"]
    assert not classical.settings.noise2self and classical.settings.residual_channel == 2
    # an explicit noise2self=True with a short record stays an error
    with pytest.raises(ValueError, match="noise2self needs at least 12 months.*got 8"):
        _fit(short, start="cap", noise2self=True)
    with pytest.raises(ValueError, match="noise2self applies to start='cap'"):
        _fit(short, noise2self=True)


def test_published_setup_is_one_call_and_equals_the_old_defaults():
    assert LossConfig.published() == LossConfig(cap_power=1, observation_half_width_km=None)


def test_stored_runs_without_loss_keys_mean_the_published_loss(fallback):
    # the cap loss's keys (the matched start's default loss is the spectral one)
    s = dataclasses.replace(fallback[0].settings, loss=LossConfig())
    d = s.to_dict()
    assert RunSettings.from_dict(d) == s  # every key written: the new defaults survive
    # a version-2 checkpoint written before cap_power and the observation Gaussian existed
    legacy = {**d, "loss": {k: v for k, v in d["loss"].items()
                            if k not in ("cap_power", "observation_half_width_km")}}
    old = RunSettings.from_dict(legacy)
    assert old.loss.cap_power == 1 and old.loss.observation_half_width_km is None
    assert old.loss == LossConfig.published()
    assert HISTORICAL_LOSS_DEFAULTS["cap_power"] == 1
    # a version-1 checkpoint (flat layout, no loss keys but the cap weight)
    v1 = {"format": "jaxgeo.downscale/1", "grid": [s.resolution_deg, s.lon_start],
          "net": dataclasses.asdict(s.net), "in_channels": s.in_channels,
          "features": [], "norm": s.norm.to_dict(), "radius_deg": s.radius_deg,
          "loss": {"cap_weight": 1.0}, "train": {"batch_size": 4, "learning_rate": 1e-3,
                                                 "seed": 0},
          "n_months": s.n_months, "data": s.data, "train_epochs": 1}
    one = RunSettings.from_dict(v1)
    assert one.loss == LossConfig.published() and not one.noise2self
    assert (one.mask_fingerprint, one.mask_cells) == ("", 0)  # unknown: not checked


def test_load_refuses_another_mask_than_the_trainings(short, fallback):
    fitted, ckpt, _ = fallback
    mask = short["mask"].values
    assert fitted.settings.mask_cells == int(mask.sum())
    same = Downscaler.load(ckpt, mask=short["mask"])
    np.testing.assert_array_equal(same.mask, mask)
    other = mask.copy()
    other[np.argwhere(mask)[0][0], np.argwhere(mask)[0][1]] = False
    with pytest.raises(ValueError, match=rf"checkpoint {ckpt}: the mask differs from the one "
                                         rf"the network was trained with \({mask.sum() - 1} "
                                         rf"cells, trained on {mask.sum()}\)"):
        Downscaler.load(ckpt, mask=other)
