"""Patch extraction of the published method against a numpy slice oracle; its loss unweighted.

Conventions under test (jaxgeo.downscale._patchdata): north-up patches whose centre is the
upper-left of the central four pixels, longitude wrapping around, nothing beyond the poles,
and every missing value (outside the channel's validity or beyond a pole) replaced by the
patch's mean of that channel over its valid cells (0 when none).
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgeo.downscale import PatchConfig, losses
from jaxgeo.downscale._patchdata import extract_patches as _extract_patches

P = 8  # patch side; centre index 3
NLAT, NLON = 18, 36  # a 10° grid, latitude ascending (south first), as jaxgeo's Grid
extract_patches = jax.jit(_extract_patches, static_argnums=5)


def _oracle(stack, valid, t, i, j, p):
    """One patch by plain slicing: flip north-up, pad NaN rows beyond the poles, wrap columns."""
    c = p // 2 - 1
    data = np.where(valid[None], stack, np.nan)[t][::-1]  # (nlat, nlon, K), row 0 = north
    pad = np.full((p, data.shape[1], data.shape[2]), np.nan)
    data = np.concatenate([pad, data, pad], axis=0)
    row = (NLAT - 1 - i) + p  # the centre's row in the padded north-up array
    block = data[row - c:row - c + p]
    block = np.take(block, np.arange(j - c, j - c + p), axis=1, mode="wrap")
    out = block.copy()
    for k in range(out.shape[-1]):
        m = np.nanmean(out[..., k]) if np.isfinite(out[..., k]).any() else 0.0
        out[..., k] = np.where(np.isfinite(out[..., k]), out[..., k], m)
    return out


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(3)
    stack = rng.standard_normal((2, NLAT, NLON, 3)).astype(np.float32)
    valid = np.stack([rng.random((NLAT, NLON)) < 0.5, np.ones((NLAT, NLON), bool),
                      np.zeros((NLAT, NLON), bool)], axis=-1)
    # the third channel has data only in one corner cell: most patches have none of it
    valid[0, 0, 2] = True
    return stack, valid


# interior; both sides of the dateline; next to each pole; a pole corner across the dateline
CENTRES = [(0, 9, 18), (1, 9, 0), (0, 9, 35), (1, 17, 10), (0, 0, 20), (1, 16, 34),
           (0, 1, 1)]


def test_extraction_matches_numpy_slices(data):
    stack, valid = data
    t, i, j = (jnp.asarray(np.array(v, np.int32)) for v in zip(*CENTRES, strict=True))
    got = np.asarray(extract_patches(jnp.asarray(stack), jnp.asarray(valid), t, i, j, P))
    assert got.shape == (len(CENTRES), P, P, 3)
    for k, (tk, ik, jk) in enumerate(CENTRES):
        np.testing.assert_allclose(got[k], _oracle(stack, valid, tk, ik, jk, P), rtol=1e-6,
                                   atol=1e-6, err_msg=f"centre {CENTRES[k]}")


def test_centre_and_wraparound_are_the_published_ones(data):
    stack, valid = data
    c = PatchConfig(patch_size=P, widths=(4, 8, 16)).centre
    assert c == P // 2 - 1
    i, j = 9, 0
    got = np.asarray(extract_patches(jnp.asarray(stack), jnp.asarray(valid),
                                     *(jnp.asarray([v], jnp.int32) for v in (0, i, j)), P))[0]
    # channel 1 is valid everywhere: the patch is the raw data; centre at (c, c)
    assert got[c, c, 1] == stack[0, i, j, 1]
    assert got[c, 0, 1] == stack[0, i, NLON - c, 1]  # west of the dateline, wrapped
    assert got[0, c, 1] == stack[0, i + c, j, 1]  # north is up: row 0 is i + c
    assert got[P - 1, c, 1] == stack[0, i - (P - 1 - c), j, 1]


def test_beyond_the_pole_is_the_patch_mean(data):
    stack, valid = data
    i = NLAT - 1  # northernmost row: c rows of the patch lie beyond the pole
    got = np.asarray(extract_patches(jnp.asarray(stack), jnp.asarray(valid),
                                     *(jnp.asarray([v], jnp.int32) for v in (1, i, 5)), P))[0]
    c = P // 2 - 1
    inside = got[c:, :, 1]
    np.testing.assert_allclose(got[:c, :, 1], np.full((c, P), inside.mean()), rtol=1e-5)
    # a channel with no valid cell in the patch is all zeros
    assert np.all(got[..., 2] == 0.0)


def test_loss_is_the_unweighted_patch_formula(data):
    """The training loss on extracted patches: plain patch means, no area (cos φ) weights."""
    stack, valid = data
    t, i, j = (jnp.asarray(np.array(v, np.int32)) for v in zip(*CENTRES, strict=True))
    patches = np.asarray(extract_patches(jnp.asarray(stack), jnp.asarray(valid), t, i, j, P),
                         np.float64)
    rng = np.random.default_rng(5)
    pred = patches[..., 1] + 0.3 * rng.standard_normal(patches.shape[:-1])
    grace, model = patches[..., 0], patches[..., 1]
    expected = np.mean([abs(g.mean() - y.mean()) + np.mean(np.abs(m - y))
                        * (1 - np.corrcoef(m.ravel(), y.ravel())[0, 1])
                        for y, g, m in zip(pred, grace, model, strict=True)])
    got = float(losses.patch_loss_parity(jnp.asarray(pred), jnp.asarray(grace),
                                         jnp.asarray(model)))
    np.testing.assert_allclose(got, expected, rtol=1e-10)
    # area weights (cos φ of each patch row) would give a different value: the loss has none
    lat = -85.0 + 10.0 * np.asarray(i)[:, None] + 10.0 * (P // 2 - 1 - np.arange(P))[None]
    w = np.clip(np.cos(np.deg2rad(lat)), 0, None)[:, :, None] * np.ones((1, 1, P))
    wmean = lambda x: np.sum(w * x, axis=(1, 2)) / np.sum(w, axis=(1, 2))  # noqa: E731
    assert abs(np.mean(np.abs(wmean(grace) - wmean(pred))) -
               np.mean(np.abs(grace.mean(axis=(1, 2)) - pred.mean(axis=(1, 2))))) > 1e-3
