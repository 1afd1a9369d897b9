"""CapAverage / GaussianSmooth against a dense brute-force oracle (tests/oracles.py).

Tolerances: float64 operators agree with the float64 oracle to 1e-12 relative to max|field|
(the FFT path rounds at ~1e-15 per term); float32 operators to 2e-6 (float32 round-off of a
few hundred FFT terms).
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads
from support.oracles import apply_dense, cap_kernel, dense_matrix, gaussian_kernel

from jaxgeo import Grid
from jaxgeo.sphere import CapAverage, GaussianSmooth, cap_average, gaussian_b, gaussian_smooth

G4 = Grid.regular(4.0)                    # 45 x 90: odd number of rows
G5 = Grid.regular(5.0, lon_start=0.0)     # 0-360 longitudes
RNG = np.random.default_rng(42)


def _field(grid, *lead):
    return RNG.normal(size=lead + grid.shape)


def _assert_matches(y, ref, rtol_of_max, scale):
    y = np.asarray(y, dtype=np.float64)
    np.testing.assert_array_equal(np.isnan(y), np.isnan(ref))
    np.testing.assert_allclose(np.nan_to_num(y), np.nan_to_num(ref), rtol=0,
                               atol=rtol_of_max * scale)


@pytest.mark.parametrize("grid", [G4, G5], ids=["4deg", "5deg-0to360"])
@pytest.mark.parametrize("radius", [1.0, 4.0, 4.0 * 2.7, 23.0, 90.0, 180.0])
def test_cap_equals_brute_force_float64(grid, radius):
    f = _field(grid, 2)
    op = CapAverage(grid, radius, dtype=jnp.float64)
    ref = apply_dense(dense_matrix(grid, cap_kernel(radius)), f)
    _assert_matches(op(jnp.asarray(f)), ref.reshape(f.shape), 1e-12, np.abs(f).max())


def test_one_cell_cap_is_identity_away_from_poles():
    f = _field(G4)
    # where neighbouring centres are > 1° apart (4° · cos φ > 1°), a 1° cap holds one cell
    rows = np.abs(G4.lat) < np.rad2deg(np.arccos(0.25))
    y1 = np.asarray(CapAverage(G4, 1.0, dtype=jnp.float64)(f))
    np.testing.assert_allclose(y1[rows], f[rows], rtol=0, atol=1e-14)
    assert np.abs(y1[~rows] - f[~rows]).max() > 0.01


@pytest.mark.parametrize("radius", [2.0, 9.0, 45.0])
def test_cap_float32_within_roundoff(radius):
    f = _field(G4, 3)
    op = CapAverage(G4, radius, dtype=jnp.float32)
    y = op(jnp.asarray(f, jnp.float32))
    assert y.dtype == jnp.float32
    ref = apply_dense(dense_matrix(G4, cap_kernel(radius)), f)
    _assert_matches(y, ref.reshape(f.shape), 2e-6, np.abs(f).max())


@pytest.mark.parametrize("kind", ["bool", "weights"])
@pytest.mark.parametrize("radius", [4.0, 13.0])
def test_masked_cap_equals_brute_force(kind, radius):
    mask = RNG.random(G4.shape) > 0.7
    mask[20:25, :] = False  # a wide empty band: caps there must be NaN
    if kind == "weights":
        mask = mask * RNG.random(G4.shape)
    f = _field(G4, 2)
    f_nan = np.where(mask > 0, f, np.nan)  # values outside the mask are ignored, even NaN
    y = CapAverage(G4, radius, mask=mask, dtype=jnp.float64)(jnp.asarray(f_nan))
    ref = apply_dense(dense_matrix(G4, cap_kernel(radius), mask=mask), f, mask=mask)
    ref = ref.reshape(f.shape)
    assert np.isnan(ref).any() and not np.isnan(ref).all()
    _assert_matches(y, ref, 1e-12, np.abs(f).max())


@pytest.mark.parametrize("targets", [Grid.regular(12.0), Grid.regular(20.0, lon_start=0.0),
                                     Grid.regular(4.0, lon_start=-178.0)],
                         ids=["12deg", "20deg-0to360", "4deg-shifted"])
def test_cap_at_target_centres(targets):
    mask = RNG.random(G4.shape) > 0.5
    f = _field(G4, 2)
    for m in (None, mask):
        op = CapAverage(G4, 9.0, mask=m, targets=targets, dtype=jnp.float64)
        y = op(jnp.asarray(f))
        assert y.shape == (2,) + targets.shape
        ref = apply_dense(dense_matrix(G4, cap_kernel(9.0), mask=m, targets=targets), f, mask=m)
        _assert_matches(y, ref.reshape(y.shape), 1e-12, np.abs(f).max())


def test_gaussian_equals_brute_force():
    b = gaussian_b(500.0)
    f = _field(G4, 2)
    mask = RNG.random(G4.shape) > 0.4
    for m, tgt in [(None, None), (mask, None), (mask, Grid.regular(12.0))]:
        op = GaussianSmooth(G4, 500.0, mask=m, targets=tgt, dtype=jnp.float64)
        y = op(jnp.asarray(f))
        ref = apply_dense(dense_matrix(G4, gaussian_kernel(b), mask=m, targets=tgt), f, mask=m)
        _assert_matches(y, ref.reshape(y.shape), 1e-12, np.abs(f).max())


def test_functional_forms_match_operators():
    f = jnp.asarray(_field(G5))
    np.testing.assert_allclose(cap_average(f, G5, 7.0), CapAverage(G5, 7.0)(f), rtol=1e-14)
    m = RNG.random(G5.shape) > 0.5
    np.testing.assert_allclose(cap_average(f, G5, 7.0, mask=m),
                               CapAverage(G5, 7.0, mask=m)(f), rtol=1e-14)
    np.testing.assert_allclose(gaussian_smooth(f, G5, 400.0), GaussianSmooth(G5, 400.0)(f),
                               rtol=1e-14)


# -- differentiation ------------------------------------------------------------------------
@pytest.mark.parametrize("masked, targets", [(False, None), (True, None),
                                             (True, Grid.regular(10.0))])
def test_check_grads(masked, targets):
    mask = (RNG.random(G5.shape) > 0.5) if masked else None
    op = CapAverage(G5, 8.0, mask=mask, targets=targets, dtype=jnp.float64)
    f = jnp.asarray(_field(G5, 2))

    def loss(x):
        y = op(x)
        return jnp.where(jnp.isnan(y), 0.0, y) ** 2

    check_grads(loss, (f,), order=2, modes=("fwd", "rev"))


@pytest.mark.parametrize("targets", [None, Grid.regular(10.0, lon_start=0.0)])
def test_vjp_and_jvp_equal_dense_transpose(targets):
    mask = RNG.random(G5.shape) > 0.3
    op = CapAverage(G5, 11.0, mask=mask, targets=targets, dtype=jnp.float64)
    a = np.nan_to_num(dense_matrix(G5, cap_kernel(11.0), mask=mask, targets=targets))
    f = jnp.asarray(_field(G5))
    y, vjp = jax.vjp(op, f)
    ct = RNG.normal(size=y.shape)
    (g,) = vjp(jnp.asarray(ct))
    np.testing.assert_allclose(np.asarray(g).reshape(-1), a.T @ ct.reshape(-1), rtol=0,
                               atol=1e-12 * np.abs(ct).max())
    t = _field(G5)
    _, jvp_out = jax.jvp(op, (f,), (jnp.asarray(t),))
    ref = a @ np.where(mask, t, 0.0).reshape(-1)
    np.testing.assert_allclose(np.nan_to_num(np.asarray(jvp_out)).reshape(-1), ref, rtol=0,
                               atol=1e-12 * np.abs(t).max())


def test_jit_vmap_and_pytree():
    op = CapAverage(G5, 6.0, mask=RNG.random(G5.shape) > 0.5)
    f = jnp.asarray(_field(G5, 4, 3))
    direct = op(f)
    looped = jnp.stack([jnp.stack([op(f[i, j]) for j in range(3)]) for i in range(4)])
    np.testing.assert_allclose(direct, looped, rtol=1e-13, atol=1e-13)
    vm = jax.vmap(jax.vmap(op))(f)
    np.testing.assert_allclose(vm, direct, rtol=1e-13, atol=1e-13)
    jitted = jax.jit(lambda o, x: o(x))(op, f)  # the operator passes through jit as a pytree
    np.testing.assert_allclose(jitted, direct, rtol=1e-13, atol=1e-13)
    leaves, treedef = jax.tree_util.tree_flatten(op)
    assert all(isinstance(x, jax.Array) for x in leaves)
    rebuilt = jax.tree_util.tree_unflatten(treedef, leaves)
    np.testing.assert_allclose(rebuilt(f), direct, rtol=0, atol=0)
    grads = jax.jit(jax.vmap(jax.grad(lambda x: jnp.nansum(op(x) ** 2))))(f[0])
    assert grads.shape == f[0].shape and np.all(np.isfinite(grads))


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
def test_dtypes_are_kept(dtype):
    op = CapAverage(G5, 6.0, dtype=dtype)
    f = jnp.asarray(_field(G5), dtype)
    assert op(f).dtype == dtype
    assert jax.grad(lambda x: op(x).sum())(f).dtype == dtype


# -- bad input -------------------------------------------------------------------------------
@pytest.mark.parametrize("radius, match", [(0.0, "radius_deg"), (-3.0, "radius_deg"),
                                           (180.5, "radius_deg"), (float("nan"), "radius_deg"),
                                           ("three", "radius_deg")])
def test_bad_radius(radius, match):
    with pytest.raises(ValueError, match=match):
        CapAverage(G5, radius)


def test_bad_shapes_and_masks():
    op = CapAverage(G5, 6.0)
    with pytest.raises(ValueError, match=r"field has shape \(36, 71\)"):
        op(jnp.zeros((36, 71)))
    with pytest.raises(ValueError, match="expected"):
        op(jnp.zeros(72))
    with pytest.raises(ValueError, match="mask has shape"):
        CapAverage(G5, 6.0, mask=np.ones((36, 70), bool))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        CapAverage(G5, 6.0, mask=np.full(G5.shape, 2.0))
    with pytest.raises(ValueError, match="NaN"):
        CapAverage(G5, 6.0, mask=np.full(G5.shape, np.nan))
    with pytest.raises(ValueError, match="whole multiple"):
        CapAverage(G5, 6.0, targets=Grid.regular(7.5))
    with pytest.raises(TypeError, match="jaxgeo.Grid"):
        CapAverage((36, 72), 6.0)


def test_nan_inside_mask_is_an_error_outside_is_ignored():
    f = _field(G5)
    f[3, 7] = np.nan
    with pytest.raises(ValueError, match=r"1 NaN value\(s\) \(first at index \(3, 7\)"):
        CapAverage(G5, 6.0)(f)
    mask = np.ones(G5.shape, bool)
    mask[3, 7] = False
    y = CapAverage(G5, 6.0, mask=mask)(f)
    assert np.all(np.isfinite(y))
    mask[3, 7] = True
    with pytest.raises(ValueError, match="inside the mask"):
        CapAverage(G5, 6.0, mask=mask)(f)
