"""The downscaling loss, network and training step called directly on month-sharded batches.

``jax.make_mesh((8,), ("months",))`` makes Explicit axes by default in current JAX; a batch
laid out on them made ``make_train_step``'s step (and ``DownscaleNet`` itself) fail with
``ShardingTypeError: This reshape is not supported`` (the network's pooling) and, with
weights not on the mesh, ``conv_general_dilated`` asking for an ``out_sharding``. Oracle:
the same call on one device, unsharded.
"""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from flax import nnx
from jax.sharding import AxisType, NamedSharding
from jax.sharding import PartitionSpec as P

from jaxgeo import Grid
from jaxgeo.distributed import replicate
from jaxgeo.downscale import (
    DownscaleNet,
    LossConfig,
    LossConstants,
    NetConfig,
    TrainConfig,
    composite_loss,
    loss_constants,
    losses,
    make_optimizer,
    make_train_step,
    sphere_pad,
)
from jaxgeo.sphere import CapAverage, GaussianSmooth

G = Grid.regular(10.0)
MASK = np.random.default_rng(3).random(G.shape) > 0.3
B, C = 8, 3
MESHES = {"default": lambda: jax.make_mesh((8,), ("months",)),
          "explicit": lambda: jax.make_mesh((8,), ("months",), (AxisType.Explicit,)),
          "auto": lambda: jax.make_mesh((8,), ("months",), (AxisType.Auto,))}
CONFIGS = [LossConfig.published(),  # the configurations of before the defaults changed
           LossConfig.published(cap_power=2,
                                similarity=("mse", "gradient", "mae_decorrelation"),
                                similarity_weights=(1.0, 0.5, 2.0)),
           LossConfig.published(observation_half_width_km=800.0),
           LossConfig.published(targets_resolution_deg=20.0)]
NET = NetConfig(width=4, depth=1, blocks=1)


def _batch(dtype):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(B,) + G.shape + (C,)).astype(dtype)
    model = rng.normal(size=(B,) + G.shape).astype(dtype)
    coarse = rng.normal(size=(B,) + G.shape).astype(dtype)
    return x, model, coarse


def _constants64(cfg):
    """The loss constants in float64 (loss_constants builds float32 ones for training)."""
    c = loss_constants(G, MASK, 15.0, cfg)
    f64 = jnp.float64
    targets = None if cfg.targets_resolution_deg is None else Grid.regular(
        cfg.targets_resolution_deg, G.lon_start)
    obs = (None if cfg.observation_half_width_km is None else
           GaussianSmooth(G, cfg.observation_half_width_km, mask=MASK, dtype=f64))
    return LossConstants(cap_op=CapAverage(G, 15.0, mask=MASK, targets=targets, dtype=f64),
                         centre_weights=c.centre_weights.astype(f64),
                         pixel_weights=c.pixel_weights.astype(f64), observation_op=obs)


def _split(mesh, *arrays):
    return [jax.device_put(a, NamedSharding(mesh, P("months"))) for a in arrays]


@pytest.mark.parametrize("mesh_kind", MESHES)
def test_composite_loss_and_its_terms(mesh_kind):
    # float64: the sharded loss is the one-device loss to round-off (rtol 1e-12)
    mesh = MESHES[mesh_kind]()
    _, model, coarse = _batch(np.float64)
    pred = model + 0.3 * np.random.default_rng(5).normal(size=model.shape)
    for cfg in CONFIGS:
        c = _constants64(cfg)
        caps = np.nan_to_num(np.asarray(c.cap_op(jnp.asarray(coarse))))
        want_total, want = composite_loss(jnp.asarray(pred), jnp.asarray(model),
                                          jnp.asarray(caps), c, cfg)
        args = _split(mesh, pred, model, caps)
        for constants in (c, replicate(c, mesh)):
            total, terms = composite_loss(*args, constants, cfg)
            np.testing.assert_allclose(float(total), float(want_total), rtol=1e-12,
                                       err_msg=repr(cfg))
            for k in want:
                np.testing.assert_allclose(float(terms[k]), float(want[k]), rtol=1e-12,
                                           err_msg=f"{cfg!r}: {k}")
        with jax.set_mesh(mesh):
            total, _ = jax.jit(lambda p, m, t, cc, cfg=cfg: composite_loss(p, m, t, cc, cfg))(
                *args, replicate(c, mesh))
        np.testing.assert_allclose(float(total), float(want_total), rtol=1e-12)
        # its gradient with respect to the prediction, as a training step takes it (JAX
        # differentiates a reduction over Explicit axes only inside jax.set_mesh: even
        # jax.grad(jnp.sum) of such an array asks for it)
        with jax.set_mesh(mesh):
            g = jax.grad(lambda p, c=c, cfg=cfg, rest=args[1:]: composite_loss(
                p, *rest, c, cfg)[0])(args[0])
        gref = jax.grad(lambda p, c=c, cfg=cfg, t=caps: composite_loss(
            p, jnp.asarray(model), jnp.asarray(t), c, cfg)[0])(jnp.asarray(pred))
        np.testing.assert_allclose(np.asarray(g), np.asarray(gref), rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("mesh_kind", MESHES)
def test_loss_terms(mesh_kind):
    mesh = MESHES[mesh_kind]()
    _, model, coarse = _batch(np.float64)
    w = jnp.asarray(np.where(MASK, G.cell_area, 0.0))
    op = CapAverage(G, 15.0, mask=MASK)
    caps = np.nan_to_num(np.asarray(op(jnp.asarray(coarse))))
    cw = jnp.asarray(np.where(np.asarray(op.valid), 1.0, 0.0) * np.ones(G.shape))
    ps, ms, cs = _split(mesh, coarse, model, caps)
    cases = {"mse": lambda a, b: losses.mse(a, b, w),
             "gradient": lambda a, b: losses.gradient_matching(a, b, w),
             "mae_decorrelation": lambda a, b: losses.mae_decorrelation(a, b, w),
             "pearson": lambda a, b: losses.weighted_pearson(a, b, w),
             "cap": lambda a, b: losses.cap_consistency(a, b, op, cw),
             "patch": lambda a, b: losses.patch_loss_parity(a, b, b)}
    for name, f in cases.items():
        a, b, sa, sb = ((model, caps, ms, cs) if name == "cap" else (coarse, model, ps, ms))
        want = np.asarray(f(jnp.asarray(a), jnp.asarray(b)))
        assert np.all(np.abs(want) > 1e-3), name  # not a trivial zero
        np.testing.assert_allclose(np.asarray(f(sa, sb)), want, rtol=1e-12, err_msg=name)


def _step(mesh, *, on_mesh_weights, cfg=CONFIGS[0], set_mesh=False, adam=False):
    x, model, coarse = _batch(np.float32)
    c = loss_constants(G, MASK, 15.0, cfg)
    caps = np.nan_to_num(np.asarray(c.cap_op(jnp.asarray(coarse)))).astype(np.float32)
    net = DownscaleNet.create(C, NET, seed=0)
    opt = (make_optimizer(net, TrainConfig(learning_rate=1e-2), 10) if adam else
           nnx.Optimizer(net, optax.sgd(1e-2), wrt=nnx.Param))
    args = [jnp.asarray(a) for a in (x, model, caps)]
    if mesh is not None:
        args = _split(mesh, x, model, caps)
        if on_mesh_weights:
            for obj in (net, opt):
                nnx.update(obj, replicate(nnx.state(obj), mesh))
            c = replicate(c, mesh)
    step = make_train_step(cfg)
    if set_mesh:
        with jax.set_mesh(mesh):
            terms = step(net, opt, *args, c)
    else:
        terms = step(net, opt, *args, c)
    # a second step: the updated (Auto-view) weights are used again
    terms2 = step(net, opt, *args, c)
    params = jax.tree.leaves(nnx.state(net, nnx.Param))
    return ({k: float(v) for k, v in terms.items()}, {k: float(v) for k, v in terms2.items()},
            [np.asarray(p) for p in params])


@pytest.fixture(scope="module")
def one_device_step():
    return {(i, adam): _step(None, on_mesh_weights=False, cfg=cfg, adam=adam)
            for i, cfg in enumerate(CONFIGS[:2]) for adam in (False, True)}


STEP_CASES = [("default", "weights_on_mesh"), ("explicit", "weights_on_one_device"),
              ("explicit", "set_mesh"), ("auto", "weights_on_mesh"),
              ("auto", "weights_on_one_device")]


@pytest.mark.parametrize(("mesh_kind", "how"), STEP_CASES)
def test_training_step(mesh_kind, how, one_device_step):
    # The network is float32: loss terms agree to float32 summation order (rtol 1e-5).
    # Weights after two steps: SGD (learning rate 1e-2) moves them by 1e-2 × gradient, so
    # they agree to 1e-7; Adam (make_optimizer) moves each by about ± the learning rate
    # whatever the gradient's size, so a gradient near Adam's eps (1e-8) that differs by
    # round-off moves its weight differently: 1 % of the learning rate (1e-4) there.
    mesh = MESHES[mesh_kind]()
    for i, cfg in enumerate(CONFIGS[:2] if how == "weights_on_mesh" else CONFIGS[:1]):
        for adam, atol in ((False, 1e-7), (True, 1e-4))[:2 if i == 0 else 1]:
            want_terms, want_terms2, want_params = one_device_step[i, adam]
            terms, terms2, params = _step(mesh, on_mesh_weights=how != "weights_on_one_device",
                                          cfg=cfg, set_mesh=how == "set_mesh", adam=adam)
            for got, want in ((terms, want_terms), (terms2, want_terms2)):
                assert got.keys() == want.keys()
                for k in want:
                    np.testing.assert_allclose(got[k], want[k], rtol=1e-5, err_msg=k)
            assert len(params) == len(want_params)
            for p, q in zip(params, want_params, strict=True):
                np.testing.assert_allclose(p, q, rtol=0, atol=atol)
            # the oracle moved: the comparison is not of two initial states
            assert max(np.abs(q - p0).max() for q, p0 in zip(want_params, _initial(),
                                                             strict=True)) > 10 * atol


def _initial():
    return [np.asarray(p) for p in
            jax.tree.leaves(nnx.state(DownscaleNet.create(C, NET, seed=0), nnx.Param))]


@pytest.mark.parametrize("mesh_kind", MESHES)
def test_network_forward(mesh_kind):
    mesh = MESHES[mesh_kind]()
    x, _, _ = _batch(np.float32)
    want = np.asarray(DownscaleNet.create(C, NET, seed=0)(jnp.asarray(x)))
    (xs,) = _split(mesh, x)
    np.testing.assert_allclose(np.asarray(DownscaleNet.create(C, NET, seed=0)(xs)), want,
                               rtol=1e-6, atol=1e-6)
    net = DownscaleNet.create(C, NET, seed=0)
    nnx.update(net, replicate(nnx.state(net), mesh))
    with jax.set_mesh(mesh):
        y = nnx.jit(lambda n, a: n(a))(net, xs)
    np.testing.assert_allclose(np.asarray(y), want, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(np.asarray(sphere_pad(xs, 2)),
                                  np.asarray(sphere_pad(jnp.asarray(x), 2)))
