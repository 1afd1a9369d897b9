"""Loss terms against numpy oracles; gradients by finite differences."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads
from support.downscale_oracle import cap_mean, cell_area

from jaxgeo import Grid
from jaxgeo.downscale import losses
from jaxgeo.sphere import CapAverage

RES = 10.0  # 18 × 36 cells: small enough for brute force


@pytest.fixture(scope="module")
def setup():
    rng = np.random.default_rng(1)
    grid = Grid.regular(RES)
    mask = rng.random(grid.shape) < 0.6
    pred = rng.standard_normal((3,) + grid.shape)
    model = pred + 0.5 * rng.standard_normal((3,) + grid.shape)
    coarse = rng.standard_normal((3,) + grid.shape)
    w = np.where(mask, cell_area(RES), 0.0)
    return grid, mask, pred, model, coarse, w / w.max()


def _np_wmean(x, w):
    return np.sum(np.where(w > 0, x, 0.0) * w, axis=(-2, -1)) / w.sum()


def test_patch_loss_parity_matches_published_formula():
    rng = np.random.default_rng(0)
    pred, grace, model = (rng.standard_normal((5, 32, 32)) for _ in range(3))
    expected = []
    for p, g, m in zip(pred, grace, model, strict=True):
        rho = np.corrcoef(m.ravel(), p.ravel())[0, 1]
        expected.append(abs(g.mean() - p.mean()) + np.mean(np.abs(m - p)) * (1 - rho))
    got = losses.patch_loss_parity(jnp.asarray(pred), jnp.asarray(grace), jnp.asarray(model))
    np.testing.assert_allclose(float(got), np.mean(expected), rtol=1e-12)


def test_weighted_terms_match_numpy(setup):
    _, mask, pred, model, _, w = setup
    wj = jnp.asarray(w)
    # np.cov with aweights is an independent route to the weighted correlation
    rho = np.array([np.cov(np.stack([m[mask], p[mask]]), aweights=w[mask])
                    for m, p in zip(model, pred, strict=True)])
    rho = rho[:, 0, 1] / np.sqrt(rho[:, 0, 0] * rho[:, 1, 1])
    np.testing.assert_allclose(losses.weighted_pearson(jnp.asarray(model), jnp.asarray(pred), wj),
                               rho, rtol=1e-10)
    mae = _np_wmean(np.abs(pred - model), w)
    np.testing.assert_allclose(float(losses.mae_decorrelation(jnp.asarray(pred),
                                                              jnp.asarray(model), wj)),
                               np.mean(mae * (1 - rho)), rtol=1e-10)
    np.testing.assert_allclose(float(losses.mse(jnp.asarray(pred), jnp.asarray(model), wj)),
                               np.mean(_np_wmean((pred - model) ** 2, w)), rtol=1e-12)


def test_gradient_matching_brute_force(setup):
    _, _, pred, model, _, w = setup
    d = pred - model
    nlat, nlon = w.shape
    expected = []
    for k in range(d.shape[0]):
        num = den = 0.0
        for i in range(nlat):
            for j in range(nlon):
                if i + 1 < nlat:
                    ww = min(w[i, j], w[i + 1, j])
                    if ww > 0:
                        num += ww * (d[k, i + 1, j] - d[k, i, j]) ** 2
                    den += ww
                ww = min(w[i, j], w[i, (j + 1) % nlon])
                if ww > 0:
                    num += ww * (d[k, i, (j + 1) % nlon] - d[k, i, j]) ** 2
                den += ww
        expected.append(num / den)
    got = losses.gradient_matching(jnp.asarray(pred), jnp.asarray(model), jnp.asarray(w))
    np.testing.assert_allclose(float(got), np.mean(expected), rtol=1e-12)


@pytest.mark.parametrize("targets_res", [None, 20.0])
@pytest.mark.parametrize("power", [1, 2])
def test_cap_consistency_brute_force(setup, targets_res, power):
    grid, mask, pred, _, coarse, _ = setup
    radius = 15.0
    targets = None if targets_res is None else Grid.regular(targets_res)
    op = CapAverage(grid, radius, mask=mask, targets=targets)
    cp = cap_mean(pred, RES, radius, mask, targets_res)
    cc = cap_mean(coarse, RES, radius, mask, targets_res)
    cw = np.where(np.isfinite(cc[0]), cell_area(targets_res or RES), 0.0)
    err = np.abs(cp - cc) ** power
    expected = np.mean(_np_wmean(np.nan_to_num(err), cw))
    got = losses.cap_consistency(jnp.asarray(pred), jnp.asarray(np.nan_to_num(cc)), op,
                                 jnp.asarray(cw / cw.max()), power=power)
    np.testing.assert_allclose(float(got), expected, rtol=1e-10)


def test_nan_outside_mask_is_ignored_in_value_and_gradient(setup):
    grid, mask, pred, model, coarse, w = setup
    model_nan = np.where(mask, model, np.nan)
    wj = jnp.asarray(w)
    for fn in (losses.mae_decorrelation, losses.mse, losses.gradient_matching):
        v, g = jax.value_and_grad(fn)(jnp.asarray(pred), jnp.asarray(model_nan), wj)
        np.testing.assert_allclose(float(v), float(fn(jnp.asarray(pred), jnp.asarray(model), wj)),
                                   rtol=1e-12)
        assert np.all(np.isfinite(g))
        assert np.all(np.asarray(g)[:, ~mask] == 0.0)


def test_loss_gradients_finite_differences(setup):
    grid, mask, pred, model, coarse, w = setup
    op = CapAverage(grid, 15.0, mask=mask)
    cc = jnp.asarray(np.nan_to_num(cap_mean(coarse, RES, 15.0, mask)))
    wj = jnp.asarray(w)
    p = jnp.asarray(pred[:1])
    m = jnp.asarray(model[:1])
    # squared cap misfit is smooth; the L1 form is checked away from its kinks by the value test
    check_grads(jax.jit(lambda x: losses.cap_consistency(x, cc[:1], op, wj, power=2)), (p,),
                order=1,
                modes=["rev"], atol=1e-6, rtol=1e-6)
    check_grads(jax.jit(lambda x: losses.mse(x, m, wj)), (p,), order=1, modes=["rev"])
    check_grads(jax.jit(lambda x: losses.gradient_matching(x, m, wj)), (p,), order=1,
                modes=["rev"])
    check_grads(jax.jit(lambda x: losses.weighted_pearson(m, x, wj)[0]), (p,), order=1,
                modes=["rev"])
    check_grads(jax.jit(lambda x: losses.patch_loss_parity(x[..., :8, :8], m[..., :8, :8] + 1.0,
                                                   m[..., :8, :8])), (p,), order=1,
                modes=["rev"])


def test_composite_loss_is_the_weighted_sum_of_its_terms(setup):
    from jaxgeo.downscale import LossConfig, LossConstants, composite_loss
    from jaxgeo.sphere import GaussianSmooth

    grid, mask, pred, model, coarse, w = setup
    op = CapAverage(grid, 15.0, mask=mask)
    obs = GaussianSmooth(grid, 800.0, mask=mask)
    cc = jnp.asarray(np.nan_to_num(cap_mean(coarse, RES, 15.0, mask)))
    cw = jnp.asarray(np.where(np.isfinite(cap_mean(coarse[:1], RES, 15.0, mask)[0]), w, 0.0))
    aux = LossConstants(cap_op=op, centre_weights=cw, pixel_weights=jnp.asarray(w),
                        observation_op=obs)
    cfg = LossConfig(cap_weight=2.0, similarity=("mse", "gradient"),
                     similarity_weights=(0.5, 3.0), observation_half_width_km=800.0,
                     cap_power=1)  # the published L1 misfit, as the oracle below
    p, m = jnp.asarray(pred), jnp.asarray(model)
    total, terms = composite_loss(p, m, cc, aux, cfg)
    cap_term = losses.cap_consistency(obs(p), cc, op, cw)
    expected = (2.0 * cap_term + 0.5 * losses.mse(p, m, jnp.asarray(w))
                + 3.0 * losses.gradient_matching(p, m, jnp.asarray(w)))
    np.testing.assert_allclose(float(total), float(expected), rtol=1e-12)
    np.testing.assert_allclose(float(terms["cap"]), float(cap_term), rtol=1e-12)
    with pytest.raises(ValueError, match="unknown similarity"):
        LossConfig(similarity=("ssim",))


def test_loss_constants_are_a_pytree_that_keeps_its_attributes():
    from jaxgeo.downscale import LossConfig, LossConstants, loss_constants

    grid = Grid.regular(RES)
    mask = np.random.default_rng(2).random(grid.shape) < 0.6
    c = loss_constants(grid, mask, 15.0, LossConfig(observation_half_width_km=800.0,
                                                    targets_resolution_deg=20.0))
    assert c.centre_weights.shape == (9, 18) and c.pixel_weights.shape == grid.shape
    for again in (jax.tree.map(lambda x: x, c), jax.jit(lambda t: t)(c)):
        assert isinstance(again, LossConstants)
        assert type(again.cap_op) is type(c.cap_op)
        assert type(again.observation_op) is type(c.observation_op)
        assert again.cap_op.radius_deg == c.cap_op.radius_deg == 15.0
        assert again.observation_op.half_width_km == c.observation_op.half_width_km == 800.0
        np.testing.assert_array_equal(again.centre_weights, c.centre_weights)
        np.testing.assert_array_equal(again.pixel_weights, c.pixel_weights)
