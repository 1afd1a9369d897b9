"""HZWD fit with its nodes split over 8 simulated CPU devices equals the one-device fit.

Oracle: ``fit_hzwd`` without a mesh. Each device solves and refines its own nodes with the
one-device code (nothing is exchanged), so coefficients and residual statistics agree to
float64 round-off: ``RTOL`` = 1e-12 relative to each coefficient's scale (the node's
largest coefficient), after 60 Adam steps (on jax 0.10.2 / CPU they are bit-identical).
"""

import jax.numpy as jnp
import numpy as np
import pytest
from support.troposphere_oracles import time_of_doy

from jaxgeo import Grid
from jaxgeo import troposphere as tr
from jaxgeo.distributed import make_mesh

GRID = Grid.regular(30.0, lon_start=0.0)  # 6 × 12 = 72 nodes
RTOL = 1e-12


def _truth(rng, family):
    c = np.zeros((*GRID.shape, 7, 5))
    if family == "exp":
        c[..., 0, 0] = np.log(rng.uniform(0.05, 0.3, GRID.shape))
        c[..., 1:, 0] = rng.uniform(0.2, 0.6, (*GRID.shape, 6)) * np.array([1, 0.1] * 3)
        c[..., :, 1:] = rng.normal(0, 0.02, (*GRID.shape, 7, 4))
    else:
        c[..., 0, 0] = rng.uniform(0.3, 0.4, GRID.shape)
        c[..., 1::2, 0] = rng.uniform(0.0, 0.02, (*GRID.shape, 3))
        c[..., 0, 1:] = rng.normal(0, 0.01, (*GRID.shape, 4))
    return tr.HZWD(jnp.asarray(c), GRID, family)


def _profiles(family, seed):
    """Noisy profiles at every node but 5 (left unfitted): 67 fitted nodes, not a multiple
    of 8, so the sharded fit pads; one further node gets too few points (NaN)."""
    rng = np.random.default_rng(seed)
    model = _truth(rng, family)
    lat2, lon2 = np.meshgrid(GRID.lat, GRID.lon, indexing="ij")
    keep = np.ones(lat2.size, bool)
    keep[[3, 17, 40, 41, 66]] = False
    lat, lon = lat2.ravel()[keep], lon2.ravel()[keep]
    n_t, n_lev = 10, 16
    time = time_of_doy(np.linspace(1, 365, n_t))
    h = np.sort(rng.uniform(-400, 10500, (n_t, lat.size, n_lev)), axis=-1)
    z = np.asarray(model(lat[None, :, None], lon[None, :, None], np.clip(h, -500, 10000),
                         time[:, None, None]))
    z = np.where((h >= -500) & (h <= 10000), z * np.exp(0.05 * rng.normal(size=z.shape)),
                 np.nan)
    z[:, 5, 2:] = np.nan  # a node with 2 levels a profile: below min_points_per_node
    return lat, lon, [tr.ProfileChunk(time[k:k + 5], h[k:k + 5], z[k:k + 5]) for k in (0, 5)]


@pytest.mark.parametrize("family, mesh_shape", [("exp", (8, 1)), ("exp", (2, 4)),
                                                ("poly", (8, 1))])
def test_sharded_fit_equals_single_device(family, mesh_shape):
    lat, lon, chunks = _profiles(family, seed=3)
    kw = dict(grid=GRID, family=family, refine_steps=60, max_samples_per_node=8)
    ref, ref_rep = tr.fit_hzwd(lat, lon, chunks, **kw)
    got, rep = tr.fit_hzwd(lat, lon, chunks, mesh=make_mesh(*mesh_shape), **kw)
    a, b = np.asarray(got.coefficients), np.asarray(ref.coefficients)
    assert ref_rep.n_nodes_fitted == rep.n_nodes_fitted == 66
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    ok = ~np.isnan(b[..., 0, 0])
    scale = np.abs(b[ok]).max(axis=(-2, -1), keepdims=True)
    np.testing.assert_allclose(a[ok] / scale, b[ok] / scale, rtol=0, atol=RTOL)
    assert [s for s, _ in rep.stages] == [s for s, _ in ref_rep.stages]
    for (_, got_s), (_, ref_s) in zip(rep.stages, ref_rep.stages, strict=True):
        for lab in range(3):
            np.testing.assert_allclose(got_s.rms_m[lab], ref_s.rms_m[lab], rtol=RTOL)
            np.testing.assert_allclose(got_s.bias_m[lab], ref_s.bias_m[lab],
                                       rtol=1e-9, atol=1e-15)
    assert rep.n_points_per_interval == ref_rep.n_points_per_interval
    if family == "exp":  # the refinement ran and changed something
        assert rep.refined.rms_m != rep.closed_form.rms_m


def test_sharded_fit_rejects_a_non_mesh():
    lat, lon, chunks = _profiles("poly", seed=4)
    with pytest.raises(TypeError, match="mesh must be a jax.sharding.Mesh"):
        tr.fit_hzwd(lat, lon, chunks, grid=GRID, family="poly", mesh=8)
