"""Fully convolutional encoder–decoder of residual blocks on the sphere (Flax NNX).

The network sees whole global grids ``(batch, nlat, nlon, channels)``; every convolution
is padded spherically: circularly in longitude, and across the poles by the rows on the
far side (the same latitudes, shifted by 180° in longitude), so there is no edge anywhere.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
from flax import nnx
from jax.sharding import PartitionSpec as P

from .._sharding import has_explicit_axes

__all__ = ["DownscaleNet", "NetConfig", "sphere_pad"]


@dataclasses.dataclass(frozen=True)
class NetConfig:
    """Architecture of :class:`DownscaleNet`.

    Attributes:
        width: channels at full resolution; level k has ``width · 2^k``.
        depth: number of 2× downsamplings (the grid's nlat must divide by 2^depth).
        blocks: residual blocks per level (encoder and decoder each).
        skips: U-Net skip connections from encoder to decoder.
        kernel: convolution kernel size (odd).
    """

    width: int = 16
    depth: int = 2
    blocks: int = 1
    skips: bool = True
    kernel: int = 3

    def __post_init__(self):
        for name in ("width", "blocks", "kernel"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"NetConfig.{name} must be ≥ 1, got {getattr(self, name)!r}")
        if self.depth < 0:
            raise ValueError(f"NetConfig.depth must be ≥ 0, got {self.depth!r}")
        if self.kernel % 2 != 1:
            raise ValueError(f"NetConfig.kernel must be odd, got {self.kernel!r}")

    def check_grid(self, shape: tuple[int, int]) -> None:
        nlat, nlon = shape
        f = 2**self.depth
        if nlat % f or nlon % f:
            raise ValueError(f"a network of depth {self.depth} needs nlat and nlon divisible "
                             f"by {f}; the grid is {nlat} × {nlon}")


def sphere_pad(x, p: int):
    """Pad ``(B, nlat, nlon, C)`` by ``p`` cells on the sphere.

    Longitude wraps around; beyond a pole the rows continue with the same latitudes seen
    from the other side (reversed order, longitude shifted by half a turn).
    """
    if p == 0:
        return x
    nlon = x.shape[2]
    if nlon % 2 == 0:
        north = jnp.roll(x[:, -p:][:, ::-1], nlon // 2, axis=2)
        south = jnp.roll(x[:, :p][:, ::-1], nlon // 2, axis=2)
    else:  # no antipodal column: repeat the edge rows
        north = jnp.repeat(x[:, -1:], p, axis=1)
        south = jnp.repeat(x[:, :1], p, axis=1)
    x = jnp.concatenate([south, x, north], axis=1)
    return jnp.concatenate([x[:, :, -p:], x, x[:, :, :p]], axis=2)


class _SConv(nnx.Module):
    """A convolution with spherical padding."""

    def __init__(self, cin: int, cout: int, kernel: int, *, rngs: nnx.Rngs, zero: bool = False):
        init = nnx.initializers.zeros_init() if zero else nnx.initializers.lecun_normal()
        self.zero = zero
        self.pad = kernel // 2
        self.conv = nnx.Conv(cin, cout, (kernel, kernel), padding="VALID", kernel_init=init,
                             param_dtype=jnp.float32, dtype=jnp.float32, rngs=rngs)

    def __call__(self, x):
        return self.conv(sphere_pad(x, self.pad))


class _ResBlock(nnx.Module):
    def __init__(self, ch: int, kernel: int, *, rngs: nnx.Rngs):
        self.conv1 = _SConv(ch, ch, kernel, rngs=rngs)
        # The second convolution starts at zero, so each block starts as the identity.
        self.conv2 = _SConv(ch, ch, kernel, rngs=rngs, zero=True)

    def __call__(self, x):
        return x + self.conv2(nnx.gelu(self.conv1(nnx.gelu(x))))


def _pool(x):
    b, h, w, c = x.shape
    out = None
    sharding = jax.typeof(x).sharding
    if has_explicit_axes(sharding.mesh):
        # Explicit mesh axes: the batch (months) keeps its split; the pooled axes are whole
        spec = tuple(sharding.spec) + (None,) * 4
        out = sharding.update(spec=P(spec[0], None, None, None, None, spec[3]))
    return jnp.reshape(x, (b, h // 2, 2, w // 2, 2, c), out_sharding=out).mean(axis=(2, 4))


def _upsample(x):
    return jnp.repeat(jnp.repeat(x, 2, axis=1), 2, axis=2)


class DownscaleNet(nnx.Module):
    """Encoder–decoder of residual blocks that outputs a correction to the model field.

    Input ``(B, nlat, nlon, C)`` float32 features (normalised coarse and model fields,
    forcings, position, mask); output ``(B, nlat, nlon)``: the prediction, in the
    normalised unit, as ``x[..., residual_channel] + head(...)``. The head starts at zero,
    so an untrained network returns the model field.

    Args:
        in_channels: number of input channels C.
        config: :class:`NetConfig`.
        residual_channel: input channel the output is a correction of (the model field).
        rngs: ``nnx.Rngs`` for the initial weights.
    """

    def __init__(self, in_channels: int, config: NetConfig = NetConfig(), *,
                 residual_channel: int = 1, rngs: nnx.Rngs):
        self.config = config
        self.residual_channel = residual_channel
        w, k = config.width, config.kernel
        self.stem = _SConv(in_channels, w, k, rngs=rngs)
        widths = [w * 2**i for i in range(config.depth + 1)]
        self.enc = nnx.List([nnx.List([_ResBlock(c, k, rngs=rngs) for _ in range(config.blocks)])
                             for c in widths])
        self.down = nnx.List([_SConv(widths[i], widths[i + 1], k, rngs=rngs)
                              for i in range(config.depth)])
        self.up = nnx.List([_SConv(widths[i + 1], widths[i], k, rngs=rngs)
                            for i in range(config.depth)])
        self.dec = nnx.List([nnx.List([_ResBlock(widths[i], k, rngs=rngs)
                                       for _ in range(config.blocks)])
                             for i in range(config.depth)])
        self.head = _SConv(w, 1, 1, rngs=rngs, zero=True)

    @classmethod
    def create(cls, in_channels: int, config: NetConfig = NetConfig(), *,
               residual_channel: int = 1, seed: int = 0) -> DownscaleNet:
        """Build a network with weights drawn by numpy from ``seed``.

        Same architecture and initial distribution (LeCun normal; zero for the last layer of
        each block and the head) as the constructor, but without compiling one XLA random
        kernel per weight shape, which dominates start-up time on a small CPU.
        """
        import numpy as np

        net = nnx.eval_shape(lambda: cls(in_channels, config, residual_channel=residual_channel,
                                         rngs=nnx.Rngs(0)))
        rng = np.random.default_rng(seed)
        for _, node in nnx.iter_graph(net):
            if isinstance(node, _SConv):
                shape = node.conv.kernel.get_value().shape
                fan_in = int(np.prod(shape[:-1]))
                w = (np.zeros(shape) if node.zero
                     else rng.standard_normal(shape) / np.sqrt(fan_in))
                node.conv.kernel.set_value(jnp.asarray(w, jnp.float32))
                node.conv.bias.set_value(jnp.zeros(shape[-1:], jnp.float32))
        return net

    def __call__(self, x):
        h = self.stem(x)
        skips = []
        for level in range(self.config.depth + 1):
            for blk in self.enc[level]:
                h = blk(h)
            if level < self.config.depth:
                skips.append(h)
                h = self.down[level](_pool(h))
        for level in reversed(range(self.config.depth)):
            h = self.up[level](_upsample(h))
            if self.config.skips:
                h = h + skips[level]
            for blk in self.dec[level]:
                h = blk(h)
        return x[..., self.residual_channel] + self.head(nnx.gelu(h))[..., 0]
