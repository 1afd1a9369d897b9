"""Public operators beyond the sphere's and jaxgeo.distributed's on month-sharded inputs.

GRACE synthesis, a ``vmap`` of the cap operator and the downscaling metrics on fields split
over a mesh with Explicit (``jax.make_mesh``'s default) and with Auto axes: value and
gradient equal the one-device ones (float64). Gradients over Explicit axes are taken inside
``jax.set_mesh``, as JAX requires for any reduction over them (even ``jax.grad(jnp.sum)``).
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.sharding import AxisType, NamedSharding
from jax.sharding import PartitionSpec as P

from jaxgeo import Grid
from jaxgeo.downscale import metrics
from jaxgeo.grace import SynthesisTable, synthesize, synthesize_ewh
from jaxgeo.sphere import CapAverage, gaussian_smooth

KINDS = {"default": None, "explicit": AxisType.Explicit, "auto": AxisType.Auto}
G = Grid.regular(10.0)
MASK = np.random.default_rng(3).random(G.shape) > 0.3
LMAX = 8


def _mesh(kind):
    t = KINDS[kind]
    return (jax.make_mesh((8,), ("months",)) if t is None
            else jax.make_mesh((8,), ("months",), (t,)))


def _sq(y):
    return jnp.sum(jnp.where(jnp.isnan(y), 0.0, y) ** 2)


@pytest.mark.parametrize("kind", KINDS)
def test_synthesis_cap_vmap_and_gaussian(kind):
    mesh = _mesh(kind)
    rng = np.random.default_rng(0)
    table = SynthesisTable.create(G, LMAX)
    clm, slm = (rng.normal(size=(8, LMAX + 1, LMAX + 1)) for _ in range(2))
    x = rng.normal(size=(8,) + G.shape)
    op = CapAverage(G, 20.0, mask=MASK)
    cases = {"synthesize": (lambda c, s: synthesize(table, c, s), (clm, slm)),
             "synthesize_ewh": (lambda c, s: synthesize_ewh(table, c, s, jnp.ones(LMAX + 1)),
                                (clm, slm)),
             "vmap(CapAverage)": (lambda f: jax.vmap(op)(f), (x,)),
             "gaussian_smooth": (lambda f: gaussian_smooth(f, G, 800.0, mask=MASK), (x,))}
    for name, (f, args) in cases.items():
        want = np.asarray(f(*map(jnp.asarray, args)))
        gwant = jax.grad(lambda *a, f=f: _sq(f(*a)))(*map(jnp.asarray, args))
        split = [jax.device_put(a, NamedSharding(mesh, P("months"))) for a in args]
        np.testing.assert_allclose(np.asarray(f(*split)), want, rtol=1e-12, atol=1e-12,
                                   err_msg=name)
        with jax.set_mesh(mesh):
            y = jax.jit(f)(*split)
            g = jax.jit(jax.grad(lambda *a, f=f: _sq(f(*a))))(*split)
        np.testing.assert_allclose(np.asarray(y), want, rtol=1e-12, atol=1e-12, err_msg=name)
        np.testing.assert_allclose(np.asarray(g), np.asarray(gwant), rtol=1e-10, atol=1e-12,
                                   err_msg=name)


@pytest.mark.parametrize("kind", KINDS)
def test_downscale_metrics(kind):
    mesh = _mesh(kind)
    rng = np.random.default_rng(1)
    a = rng.normal(size=(8,) + G.shape)
    b = a * 0.5 + rng.normal(size=a.shape)
    op = CapAverage(G, 20.0, mask=MASK)
    sa, sb = (jax.device_put(v, NamedSharding(mesh, P("months"))) for v in (a, b))
    for name, f in {"rmse": lambda p, q: metrics.rmse(p, q, G, MASK),
                    "correlation": lambda p, q: metrics.correlation(p, q, G, MASK),
                    "spatial_correlation": lambda p, q: metrics.spatial_correlation(p, q, G,
                                                                                    MASK),
                    "cap_residual": lambda p, q: metrics.cap_residual(p, q, op, MASK)}.items():
        want = np.asarray(f(a, b))
        assert np.all(np.isfinite(want)) and np.all(want != 0), name
        np.testing.assert_allclose(np.asarray(f(sa, sb)), want, rtol=1e-12, err_msg=name)


@pytest.mark.parametrize("kind", KINDS)
def test_hzwd_fit_with_its_nodes_split(kind):
    # fit_hzwd(mesh=) on Explicit and Auto axes equals the one-device fit (float64)
    from support.troposphere_oracles import time_of_doy

    from jaxgeo import troposphere as tr

    grid = Grid.regular(30.0, lon_start=0.0)
    rng = np.random.default_rng(2)
    lat2, lon2 = np.meshgrid(grid.lat, grid.lon, indexing="ij")
    lat, lon = lat2.ravel()[:-3], lon2.ravel()[:-3]  # 69 nodes: padded over 8 devices
    time = time_of_doy(np.linspace(1, 365, 8))
    h = np.sort(rng.uniform(-400, 10000, (8, lat.size, 16)), axis=-1)
    z = 0.2 * np.exp(-h / 2000.0) * np.exp(0.05 * rng.normal(size=h.shape))
    chunks = [tr.ProfileChunk(time[k:k + 4], h[k:k + 4], z[k:k + 4]) for k in (0, 4)]
    kw = dict(grid=grid, family="exp", refine_steps=10, max_samples_per_node=8)
    ref, _ = tr.fit_hzwd(lat, lon, chunks, **kw)
    got, _ = tr.fit_hzwd(lat, lon, chunks, mesh=_mesh(kind), **kw)
    a, b = np.asarray(got.coefficients), np.asarray(ref.coefficients)
    assert np.isfinite(b).any()
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
