"""The spherical encoder–decoder: padding geometry, symmetry, identity at initialisation."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from jaxgeo.downscale import DownscaleNet, NetConfig, sphere_pad

NLAT, NLON = 16, 32  # an 11.25° grid: tiny and divisible by 4


def test_sphere_pad_continues_over_poles_and_around_longitude():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, NLAT, NLON, 2)).astype(np.float32)
    p = 2
    got = np.asarray(sphere_pad(jnp.asarray(x), p))
    assert got.shape == (1, NLAT + 2 * p, NLON + 2 * p, 2)
    # Oracle: the cell reached by walking k rows past a pole is at latitude row (k-1) from
    # that pole, on the meridian 180° away; longitude indices wrap modulo NLON.
    for i in range(-p, NLAT + p):
        for j in range(-p, NLON + p):
            if i < 0:
                src_i, src_j = -i - 1, j + NLON // 2
            elif i >= NLAT:
                src_i, src_j = 2 * NLAT - i - 1, j + NLON // 2
            else:
                src_i, src_j = i, j
            np.testing.assert_array_equal(got[0, i + p, j + p], x[0, src_i, src_j % NLON])


_JITTED = {}


def _apply(net, x):
    graphdef, state = nnx.split(net)
    if graphdef not in _JITTED:  # one compilation per architecture keeps the test fast
        _JITTED[graphdef] = jax.jit(lambda s, x: nnx.merge(graphdef, s)(x))
    return np.asarray(_JITTED[graphdef](state, x))


def _random_net(cfg, cin=3, seed=0):
    net = DownscaleNet.create(cin, cfg, residual_channel=1, seed=seed)
    # Zero-initialised layers make an untrained net trivial; randomise every weight (numpy,
    # so no XLA compilation per weight shape).
    rng = np.random.default_rng(seed + 1)
    state = nnx.state(net, nnx.Param)
    state = jax.tree.map(lambda a: jnp.asarray(0.2 * rng.standard_normal(a.shape), a.dtype),
                         state)
    nnx.update(net, state)
    return net


def test_untrained_network_returns_its_residual_channel():
    x = jax.random.normal(jax.random.key(0), (2, NLAT, NLON, 3), jnp.float32)
    net = DownscaleNet.create(3, NetConfig(width=4, depth=2, blocks=1), residual_channel=1)
    np.testing.assert_array_equal(_apply(net, x), np.asarray(x[..., 1]))


@pytest.mark.parametrize("skips", [True, False])
def test_longitude_shift_equivariance(skips):
    # Circular padding in longitude: rotating the input by a multiple of the pooling factor
    # rotates the output identically (a zero-padded network fails this at the seam).
    net = _random_net(NetConfig(width=4, depth=2, blocks=1, skips=skips))
    x = jax.random.normal(jax.random.key(1), (1, NLAT, NLON, 3), jnp.float32)
    y = _apply(net, x)
    y_shift = _apply(net, jnp.roll(x, 8, axis=2))
    np.testing.assert_allclose(y_shift, np.roll(y, 8, axis=2), atol=1e-5)


def test_pole_rotation_equivariance():
    # Spherical padding across the poles: turning the globe upside down (lat → −lat,
    # lon → lon + 180°) commutes with a network whose kernels are flipped the same way.
    net = _random_net(NetConfig(width=4, depth=1, blocks=1))
    x = jax.random.normal(jax.random.key(2), (1, NLAT, NLON, 3), jnp.float32)
    y = _apply(net, x)
    flip = lambda a: jnp.roll(a[:, ::-1, ::-1], NLON // 2, axis=2)  # noqa: E731
    state = nnx.state(net, nnx.Param)
    state = jax.tree_util.tree_map_with_path(
        lambda path, a: a[::-1, ::-1] if "kernel" in jax.tree_util.keystr(path) else a, state)
    net2 = _random_net(NetConfig(width=4, depth=1, blocks=1))
    nnx.update(net2, state)
    y2 = _apply(net2, flip(x))
    expected = np.asarray(flip(jnp.asarray(y)[..., None]))[..., 0]
    np.testing.assert_allclose(y2, expected, atol=1e-5)


def test_parameter_count_matches_architecture():
    w, cin, k = 4, 3, 3
    net = DownscaleNet.create(cin, NetConfig(width=w, depth=1, blocks=1))
    conv = lambda a, b, kk=k: kk * kk * a * b + b  # noqa: E731
    expected = (conv(cin, w)                      # stem
                + 2 * conv(w, w) + 2 * conv(2 * w, 2 * w)  # encoder blocks (levels 0, 1)
                + conv(w, 2 * w) + conv(2 * w, w)          # down, up
                + 2 * conv(w, w)                           # decoder block
                + conv(w, 1, 1))                           # head
    got = sum(a.size for a in jax.tree.leaves(nnx.state(net, nnx.Param)))
    assert got == expected


def test_create_draws_lecun_normal_weights_and_zero_last_layers():
    net = DownscaleNet.create(3, NetConfig(width=8, depth=1, blocks=1), seed=3)
    k = np.asarray(net.enc[1][0].conv1.conv.kernel[...])  # 3·3·16 fan-in
    assert k.std() == pytest.approx(1 / np.sqrt(3 * 3 * 16), rel=0.05)
    assert not np.asarray(net.enc[1][0].conv2.conv.kernel[...]).any()
    assert not np.asarray(net.head.conv.kernel[...]).any()
    same = DownscaleNet.create(3, NetConfig(width=8, depth=1, blocks=1), seed=3)
    np.testing.assert_array_equal(np.asarray(same.stem.conv.kernel[...]),
                                  np.asarray(net.stem.conv.kernel[...]))


def test_bad_configs_are_named():
    with pytest.raises(ValueError, match="kernel must be odd"):
        NetConfig(kernel=4)
    with pytest.raises(ValueError, match="divisible by 8"):
        NetConfig(depth=3).check_grid((180, 360 + 4))
