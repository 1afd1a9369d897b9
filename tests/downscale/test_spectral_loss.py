"""The spectral consistency term: zero at the truth, positive elsewhere, its scale against a
NumPy oracle, gradients, dtypes, and one-line errors for bad settings."""

import dataclasses
import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

from jaxgeo import Grid
from jaxgeo.downscale import (
    LossConfig,
    LossConstants,
    RunSettings,
    composite_loss,
    loss_constants,
)
from jaxgeo.downscale._settings import HISTORICAL_LOSS_DEFAULTS
from jaxgeo.downscale._spectral import SpectralConsistency, default_degree_sigma
from jaxgeo.grace import filter_field, legendre_table

GRID = Grid.regular(10.0)  # 18 × 36 cells
LMAX, HW, SHIFT = 12, 800.0, 0.3


@pytest.fixture(scope="module")
def setup():
    rng = np.random.default_rng(3)
    mask = rng.random(GRID.shape) < 0.6
    op = SpectralConsistency.create(GRID, mask, LMAX, half_width_km=HW, shift=SHIFT,
                                    dtype=jnp.float64)
    truth = rng.standard_normal((1,) + GRID.shape)
    # the product's noise, drawn here (not the construction's draws): 32 months
    n = LMAX + 1
    sd = default_degree_sigma(LMAX)[:, None] * np.tri(n)
    c = rng.standard_normal((32, n, n)) * sd
    s = rng.standard_normal((32, n, n)) * sd
    s[..., 0] = 0.0
    p = legendre_table(GRID.lat, LMAX)  # NumPy synthesis, [m, l, lat]
    lam = np.deg2rad(GRID.lon)[None, :] * np.arange(n)[:, None]
    noise = (np.einsum("mlj,klm,mi->kji", p, c, np.cos(lam))
             + np.einsum("mlj,klm,mi->kji", p, s, np.sin(lam)))
    # the coarse field as the suite makes it: the physical field (normalised + shift) zero
    # outside the mask, through jaxgeo.grace.filter_field, known over the mask only; month 0
    # without noise, then 32 months of noise alone (the filter is linear)
    phys = np.concatenate([np.where(mask, truth + SHIFT, 0.0), noise])
    filtered = np.array(filter_field(phys, GRID, lmax=LMAX, half_width_km=HW))
    filtered[0] -= SHIFT
    return mask, op, truth, np.where(mask, filtered, np.nan), rng


def _months(x):
    """Month 0 as 32 months: every call below has one shape, so compiles once."""
    return np.broadcast_to(x[:1], (32,) + GRID.shape)


def test_zero_at_the_truth_positive_elsewhere(setup):
    mask, op, truth, coarse, rng = setup
    clm, slm = op.targets(_months(coarse))
    assert float(op(jnp.asarray(_months(truth)), clm, slm)) < 1e-24
    # values outside the mask do not matter (NaN there neither)
    assert float(op(jnp.asarray(_months(np.where(mask, truth, np.nan))), clm, slm)) < 1e-24
    off = truth + 0.1 * rng.standard_normal(truth.shape) * mask
    assert float(op(jnp.asarray(_months(off)), clm, slm)) > 1e-4
    assert float(op(jnp.asarray(_months(truth + 0.5)), clm, slm)) > 1e-4  # an offset too


def test_scale_is_the_noise_mean_square_over_the_mask(setup):
    """For the product's noise alone the term is about the noise's mean square over the mask
    (NumPy, area weights): the weights move trust between degrees, not the term's scale."""
    mask, op, _, coarse, _ = setup
    noise = np.nan_to_num(coarse[1:])
    area = np.where(mask, GRID.cell_area, 0.0)
    mean_square = np.sum(noise**2 * area) / (len(noise) * area.sum())
    clm, slm = op.targets(noise - SHIFT)  # the noise alone: a zero field's coefficients
    term = float(op(jnp.full(noise.shape, -SHIFT), clm, slm))  # zero, physically
    # the analysis keeps the masked noise's power up to LMAX only: a little below
    assert 0.6 * mean_square < term < 1.1 * mean_square


def test_gradients_float64_and_float32_keeps_its_dtype(setup):
    mask, op, truth, coarse, rng = setup
    clm, slm = op.targets(_months(coarse))
    pred = jnp.asarray(_months(truth) + 0.2 * rng.standard_normal((32,) + GRID.shape))
    check_grads(lambda p: op(p, clm, slm), (pred,), order=1, modes=["rev"])
    op32 = jax.tree.map(lambda a: a.astype(jnp.float32), op)
    c32, s32 = op32.targets(_months(coarse).astype(np.float32))
    val = op32(jnp.asarray(_months(truth), jnp.float32), c32, s32)
    assert c32.dtype == s32.dtype == val.dtype == jnp.float32 and float(val) < 1e-6


def test_composite_loss_adds_the_weighted_term(setup):
    mask, op, truth, coarse, rng = setup
    cfg = LossConfig(spectral_weight=2.5, spectral_lmax=LMAX, observation_half_width_km=None)
    w = jnp.asarray(np.where(mask, GRID.cell_area / GRID.cell_area.max(), 0.0))
    # the identity as the cap operator: the cap term is then a plain weighted misfit
    c = LossConstants(cap_op=lambda x: x, centre_weights=w, pixel_weights=w, spectral_op=op)
    pred = jnp.asarray(_months(truth) + 0.2 * rng.standard_normal((32,) + GRID.shape))
    clm, slm = op.targets(_months(coarse))
    caps = jnp.asarray(np.nan_to_num(_months(coarse)))
    total, terms = composite_loss(pred, pred, (caps, clm, slm), c, cfg)
    assert set(terms) == {"cap", "mae_decorrelation", "spectral"}
    np.testing.assert_allclose(float(terms["spectral"]), float(op(pred, clm, slm)), rtol=1e-12)
    np.testing.assert_allclose(float(total), float(terms["cap"] + terms["mae_decorrelation"]
                                                   + 2.5 * terms["spectral"]), rtol=1e-12)
    with pytest.raises(ValueError, match="spectral_weight > 0 needs .* targets"):
        composite_loss(pred, pred, caps, c, cfg)
    with pytest.raises(ValueError, match="spectral_weight > 0 needs loss_constants built"):
        composite_loss(pred, pred, (caps, clm, slm), LossConstants(None, w, w), cfg)


@pytest.mark.parametrize(("changes", "message"), [
    ({"spectral_weight": -1.0}, "spectral_weight must be a finite number >= 0, got -1.0"),
    ({"spectral_weight": float("nan")}, "spectral_weight must be a finite number >= 0"),
    ({"spectral_weight": "1"}, "spectral_weight must be a finite number >= 0, got '1'"),
    ({"spectral_lmax": 0}, "spectral_lmax must be an integer >= 1 .*got 0"),
    ({"spectral_lmax": 2.5}, "spectral_lmax must be an integer >= 1 .*got 2.5"),
    ({"spectral_lmax": True}, "spectral_lmax must be an integer >= 1 .*got True"),
    ({"spectral_half_width_km": 0.0}, "spectral_half_width_km must be a positive number"),
    ({"spectral_half_width_km": float("inf")}, "spectral_half_width_km must be a positive"),
    ({"spectral_sigma": (1.0, 0.0, 2.0)}, "spectral_sigma is 0.0 at degree 1"),
    ({"spectral_sigma": (1.0, float("nan"))}, "spectral_sigma is nan at degree 1"),
    ({"spectral_sigma": "abc"}, "spectral_sigma must be a sequence of per-degree errors"),
    ({"spectral_sigma": (1.0, 2.0), "spectral_lmax": 3},
     "spectral_sigma has 2 values; spectral_lmax=3 needs 4"),
])
def test_bad_loss_config_is_a_one_line_error(changes, message):
    with pytest.raises(ValueError, match=message) as err:
        LossConfig(**changes)
    assert "\n" not in str(err.value) and "LossConfig." in str(err.value)


def test_settings_the_grid_cannot_hold_are_named_when_the_constants_are_built():
    mask = np.ones(GRID.shape, bool)
    with pytest.raises(ValueError, match="spectral_lmax=20 exceeds .* 10° grid resolves "
                                         r"\(17 = nlat - 1\)"):
        loss_constants(GRID, mask, 15.0, LossConfig(spectral_weight=1.0, spectral_lmax=20))
    with pytest.raises(ValueError, match="spectral_sigma has 3 values; degree 17 needs 18"):
        loss_constants(GRID, mask, 15.0, LossConfig(spectral_weight=1.0,
                                                    spectral_sigma=(1.0, 1.0, 1.0)))
    # off (weight 0): nothing is built, nothing checked against the grid
    assert loss_constants(GRID, mask, 15.0, LossConfig(spectral_lmax=20)).spectral_op is None


def test_stored_runs_keep_their_meaning():
    # runs stored before the spectral keys existed had no spectral term
    assert HISTORICAL_LOSS_DEFAULTS["spectral_weight"] == 0.0
    cfg = LossConfig(spectral_weight=0.5, spectral_lmax=3, spectral_sigma=[1, 2, 3, 4])
    assert cfg.spectral_sigma == (1.0, 2.0, 3.0, 4.0) and hash(cfg)
    assert LossConfig().spectral_weight == 0.0  # default behaviour unchanged
    d = {"format": "jaxgeo.downscale/2", "grid": {"resolution_deg": 10.0, "lon_start": -180.0},
         "in_channels": 3, "features": [], "norm": {"field": [0.0, 1.0]}, "radius_deg": 15.0,
         "model_tendency": False, "noise2self": False, "residual_channel": 2,
         "net": {"width": 4, "depth": 1, "blocks": 1}, "loss": {},
         "train": {"batch_months": 4, "learning_rate": 1e-3, "seed": 0, "epochs": 1},
         "n_months": 8, "data": "x"}
    d["loss"] = dataclasses.asdict(cfg)
    back = RunSettings.from_dict(json.loads(json.dumps({**d, "loss": d["loss"]})))
    assert back.loss == cfg
