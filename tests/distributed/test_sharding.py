"""jaxgeo.distributed on 8 simulated CPU devices: sharded results equal single-device ones.

Oracle: the same operator applied on one device (``op(x)``); data-parallel results must be
identical bit for bit, latitude-band results equal to float64 round-off (1e-13 relative).
"""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgeo import Grid
from jaxgeo.distributed import (
    band_plan,
    make_mesh,
    shard_months,
    sharded_apply,
    to_host,
)
from jaxgeo.sphere import CapAverage, GaussianSmooth

RTOL = 1e-13


def _field(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


def test_make_mesh_shapes():
    assert jax.device_count() == 8
    mesh = make_mesh()
    assert dict(mesh.shape) == {"months": 8, "lat": 1}
    assert dict(make_mesh(lat=4).shape) == {"months": 2, "lat": 4}
    assert dict(make_mesh(months=3).shape) == {"months": 3, "lat": 1}
    with pytest.raises(ValueError, match="needs 16 devices"):
        make_mesh(months=4, lat=4)
    with pytest.raises(ValueError, match="cannot be split"):
        make_mesh(lat=3)


def test_shard_months_pads_and_masks():
    mesh = make_mesh()
    x = _field((13, 4, 6))
    shards = shard_months(x, mesh)
    assert shards.array.shape == (16, 4, 6) and shards.n_months == 13
    np.testing.assert_array_equal(shards.valid, np.arange(16) < 13)
    a = np.asarray(shards.array)
    np.testing.assert_array_equal(a[:13], x)
    np.testing.assert_array_equal(a[13:], 0.0)
    np.testing.assert_array_equal(np.asarray(shards.unpad(shards.array)), x)
    # every device holds 2 months
    assert {s.data.shape for s in shards.array.addressable_shards} == {(2, 4, 6)}


@pytest.mark.parametrize("months", [1, 5, 8, 13])
def test_month_parallel_cap_is_exact(months):
    g = Grid.regular(3.0)
    op = CapAverage(g, 8.0)
    x = _field((months,) + g.shape, months)
    y = sharded_apply(op, x, make_mesh())
    assert y.shape == x.shape
    np.testing.assert_array_equal(to_host(y), np.asarray(op(x)))


def test_month_parallel_masked_targets_gaussian_exact():
    g = Grid.regular(3.0)
    rng = np.random.default_rng(1)
    mask = rng.random(g.shape) > 0.4
    x = _field((11, 2) + g.shape, 2)
    x[..., ~mask] = np.nan  # outside the mask: ignored, not spread
    mesh = make_mesh(months=4)
    for op in (CapAverage(g, 10.0, mask=mask, targets=Grid.regular(6.0)),
               GaussianSmooth(g, 500.0, mask=mask)):
        ref = np.asarray(op(x))
        np.testing.assert_array_equal(to_host(sharded_apply(op, x, mesh)), ref)


def test_month_parallel_any_callable_and_float32():
    g = Grid.regular(4.0)
    op = CapAverage(g, 9.0, dtype=jnp.float32)
    x = _field((6,) + g.shape).astype(np.float32)

    def fn(f):
        return op(f) ** 2

    y = sharded_apply(fn, x, make_mesh())
    assert y.dtype == jnp.float32
    np.testing.assert_array_equal(to_host(y), np.asarray(fn(x)))


def test_month_parallel_rejects_nan_inside():
    g = Grid.regular(4.0)
    x = _field((3,) + g.shape)
    x[1, 5, 7] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        sharded_apply(CapAverage(g, 9.0), x, make_mesh())


@pytest.mark.parametrize(
    "res, radius, lat",
    [(2.0, 7.0, 8),    # 90 rows: 12 per shard, last padded; halo 4 rows
     (3.0, 40.0, 8),   # halo 14 rows > 8 rows per shard: two ppermute hops
     (2.0, 7.0, 2),
     (4.0, 180.0, 4)],  # whole sphere: every output reads every row
)
def test_lat_band_cap_matches_unsharded(res, radius, lat):
    g = Grid.regular(res)
    op = CapAverage(g, radius)
    plan = band_plan(op, lat)
    assert plan.halo_rows >= np.ceil(min(radius, 180) / res) - 1
    x = _field((3,) + g.shape, 3)
    ref = np.asarray(op(x))
    y = to_host(sharded_apply(op, x, make_mesh(lat=lat)))
    np.testing.assert_allclose(y, ref, rtol=RTOL, atol=RTOL * np.abs(ref).max())


def test_lat_band_halo_is_cap_rows():
    g = Grid.regular(0.5)
    plan = band_plan(CapAverage(g, 3.0), 8)
    assert plan.block_rows == 45 and plan.halo_rows == 6 and plan.hops == 1  # ⌈3/0.5⌉ rows


def test_lat_band_masked_and_gaussian_single_field():
    g = Grid.regular(2.0)
    mask = np.random.default_rng(4).random(g.shape) > 0.5
    x = _field(g.shape, 4)
    mesh = make_mesh(months=1, lat=8)
    for op in (CapAverage(g, 5.0, mask=mask), GaussianSmooth(g, 400.0)):
        ref = np.asarray(op(x))
        y = to_host(sharded_apply(op, x, mesh))
        np.testing.assert_array_equal(np.isnan(y), np.isnan(ref))
        ok = ~np.isnan(ref)
        np.testing.assert_allclose(y[ok], ref[ok], rtol=RTOL, atol=RTOL * np.abs(ref[ok]).max())


def test_lat_band_gradient_and_2d_mesh():
    g = Grid.regular(3.0)
    op = CapAverage(g, 10.0)
    x = jnp.asarray(_field((4,) + g.shape, 5))
    w = jnp.asarray(_field((4,) + g.shape, 6))
    mesh = make_mesh(months=2, lat=4)

    def loss_sharded(f):
        return jnp.sum(w * sharded_apply(op, f, mesh) ** 2)

    def loss_ref(f):
        return jnp.sum(w * op(f) ** 2)

    np.testing.assert_allclose(float(loss_sharded(x)), float(loss_ref(x)), rtol=RTOL)
    g_sh = np.asarray(jax.grad(loss_sharded)(x))
    g_ref = np.asarray(jax.grad(loss_ref)(x))
    np.testing.assert_allclose(g_sh, g_ref, rtol=1e-12, atol=1e-12 * np.abs(g_ref).max())
    # and under jit
    g_jit = np.asarray(jax.jit(jax.grad(loss_sharded))(x))
    np.testing.assert_allclose(g_jit, g_ref, rtol=1e-12, atol=1e-12 * np.abs(g_ref).max())


def test_lat_band_rejects_targets_and_callables():
    g = Grid.regular(4.0)
    mesh = make_mesh(lat=2)
    x = _field((2,) + g.shape)
    with pytest.raises(ValueError, match="targets"):
        sharded_apply(CapAverage(g, 9.0, targets=Grid.regular(12.0)), x, mesh)
    with pytest.raises(ValueError, match="IsotropicOperator"):
        sharded_apply(lambda f: f, x, mesh)


def test_month_parallel_gradient_through_padding():
    g = Grid.regular(4.0)
    op = CapAverage(g, 9.0)
    x = jnp.asarray(_field((5,) + g.shape, 7))  # 5 months on 8 devices: 3 padded
    mesh = make_mesh()

    def loss(f, apply):
        return jnp.sum(jnp.sin(apply(f)))

    g_sh = jax.grad(loss)(x, lambda f: sharded_apply(op, f, mesh))
    g_ref = jax.grad(loss)(x, op)
    np.testing.assert_allclose(np.asarray(g_sh), np.asarray(g_ref), rtol=1e-13, atol=1e-15)


def test_lat_band_gather_fallback_for_non_centred_tables():
    g = Grid.regular(2.0)
    op = CapAverage(g, 7.0)
    assert band_plan(op, 8).centred and band_plan(GaussianSmooth(g, 400.0), 8).centred
    # the same tables flagged non-symmetric: the band loop's gather path, as for any layout
    gathered = op.replace(tables=dataclasses.replace(op.tables, symmetric=False))
    plan = band_plan(gathered, 8)
    assert not plan.centred and plan.rows.shape[-1] == plan.block_rows
    x = _field((3,) + g.shape, 8)
    ref = np.asarray(op(x))
    y = to_host(sharded_apply(gathered, x, make_mesh(lat=8)))
    np.testing.assert_allclose(y, ref, rtol=RTOL, atol=RTOL * np.abs(ref).max())
