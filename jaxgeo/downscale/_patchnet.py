"""The patch network of Gou & Soja (2024): a 3-stage encoder–decoder of residual blocks (Flax NNX).

Our own Flax NNX version of the published Keras network (GRACE-SeDA, ``code_v2019/model.py``),
layer by layer:

- encoder, per stage (16, 32, 64 channels): a 3 × 3 convolution of stride 2 with ReLU
  (``SAME`` padding, TensorFlow's convention: the extra row/column at the end), then
  3 residual blocks;
- decoder, per stage (64, 32, 16 channels): 2 × bilinear upsampling, a 3 × 3 convolution
  with ReLU, then 3 residual blocks; no skip connections;
- a 3 × 3 linear convolution to one output channel.

A residual block is ``BN(ReLU(x + conv(BN(ReLU(conv(x))))))`` (Keras batch normalisation:
momentum 0.99, epsilon 1e-3). Convolutions are zero-padded: a patch is a flat image. Weights
start as Keras' do: Glorot-uniform kernels, zero biases, unit BN scales.

Parameter count with 9 input channels (GRACE, model, 5 forcings, latitude, longitude):
669,249 trainable + 2,688 batch statistics = 671,937, the "~672 k" of the paper (Keras
counts both).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

__all__ = ["PatchNet", "count_parameters"]

# Keras BatchNormalization defaults
_BN_MOMENTUM = 0.99
_BN_EPSILON = 1e-3


def _conv(cin: int, cout: int, *, stride: int = 1, rngs: nnx.Rngs) -> nnx.Conv:
    return nnx.Conv(cin, cout, (3, 3), strides=(stride, stride), padding="SAME",
                    param_dtype=jnp.float32, dtype=jnp.float32, rngs=rngs)


def _bn(ch: int, momentum: float, *, rngs: nnx.Rngs) -> nnx.BatchNorm:
    return nnx.BatchNorm(ch, momentum=momentum, epsilon=_BN_EPSILON,
                         param_dtype=jnp.float32, dtype=jnp.float32, rngs=rngs)


class _ResBlock(nnx.Module):
    def __init__(self, ch: int, momentum: float, *, rngs: nnx.Rngs):
        self.conv1 = _conv(ch, ch, rngs=rngs)
        self.bn1 = _bn(ch, momentum, rngs=rngs)
        self.conv2 = _conv(ch, ch, rngs=rngs)
        self.bn2 = _bn(ch, momentum, rngs=rngs)

    def __call__(self, x, *, train: bool):
        avg = not train
        fx = self.bn1(jax.nn.relu(self.conv1(x)), use_running_average=avg)
        return self.bn2(jax.nn.relu(x + self.conv2(fx)), use_running_average=avg)


class _Stage(nnx.Module):
    """An entry convolution (with ReLU) followed by residual blocks."""

    def __init__(self, cin: int, cout: int, blocks: int, momentum: float, *, stride: int,
                 rngs: nnx.Rngs):
        self.entry = _conv(cin, cout, stride=stride, rngs=rngs)
        self.blocks = nnx.List([_ResBlock(cout, momentum, rngs=rngs) for _ in range(blocks)])

    def __call__(self, x, *, train: bool):
        x = jax.nn.relu(self.entry(x))
        for blk in self.blocks:
            x = blk(x, train=train)
        return x


def _upsample(x):
    """2 × bilinear upsampling (half-pixel centres, as Keras' UpSampling2D)."""
    b, h, w, c = x.shape
    return jax.image.resize(x, (b, 2 * h, 2 * w, c), method="bilinear")


class PatchNet(nnx.Module):
    """The published patch network: ``(B, p, p, C)`` normalised inputs → ``(B, p, p)``.

    The output is in the unit of the loss' labels (the coarse field's), not normalised.
    ``p`` must divide by ``2**len(widths)`` (8 for the published three stages).

    Args:
        in_channels: input channels C.
        widths: channels per stage (published: 16, 32, 64).
        blocks: residual blocks per stage (published: 3).
        bn_momentum: momentum of the batch-normalisation running statistics (Keras: 0.99).
        rngs: ``nnx.Rngs`` for the initial weights (see :meth:`create` for a numpy draw).
    """

    def __init__(self, in_channels: int, widths: tuple[int, ...] = (16, 32, 64),
                 blocks: int = 3, bn_momentum: float = _BN_MOMENTUM, *, rngs: nnx.Rngs):
        widths = tuple(int(w) for w in widths)
        self.widths = widths
        enc_in = (in_channels,) + widths[:-1]
        self.enc = nnx.List([_Stage(ci, co, blocks, bn_momentum, stride=2, rngs=rngs)
                             for ci, co in zip(enc_in, widths, strict=True)])
        dec_out = widths[::-1]
        dec_in = (widths[-1],) + dec_out[:-1]
        self.dec = nnx.List([_Stage(ci, co, blocks, bn_momentum, stride=1, rngs=rngs)
                             for ci, co in zip(dec_in, dec_out, strict=True)])
        self.head = _conv(widths[0], 1, rngs=rngs)

    @classmethod
    def create(cls, in_channels: int, widths: tuple[int, ...] = (16, 32, 64),
               blocks: int = 3, bn_momentum: float = _BN_MOMENTUM, *,
               seed: int = 0) -> PatchNet:
        """Build the network with Keras' initial weights drawn by numpy from ``seed``.

        Glorot-uniform kernels, zero biases (BN: unit scale, zero offset, zero mean, unit
        variance), without compiling one XLA random kernel per weight shape.
        """
        net = nnx.eval_shape(lambda: cls(in_channels, widths, blocks, bn_momentum,
                                         rngs=nnx.Rngs(0)))
        rng = np.random.default_rng(seed)
        for _, node in nnx.iter_graph(net):
            if isinstance(node, nnx.Conv):
                shape = node.kernel.get_value().shape  # (kh, kw, cin, cout)
                fan_in = shape[0] * shape[1] * shape[2]
                fan_out = shape[0] * shape[1] * shape[3]
                lim = np.sqrt(6.0 / (fan_in + fan_out))
                node.kernel.set_value(jnp.asarray(rng.uniform(-lim, lim, shape), jnp.float32))
                node.bias.set_value(jnp.zeros(shape[-1:], jnp.float32))
            elif isinstance(node, nnx.BatchNorm):
                n = node.scale.get_value().shape
                node.scale.set_value(jnp.ones(n, jnp.float32))
                node.bias.set_value(jnp.zeros(n, jnp.float32))
                node.mean.set_value(jnp.zeros(n, jnp.float32))
                node.var.set_value(jnp.ones(n, jnp.float32))
        return net

    def __call__(self, x, *, train: bool = False):
        """``train``: batch statistics (and update the running ones); else the running ones."""
        h = x
        for stage in self.enc:
            h = stage(h, train=train)
        for stage in self.dec:
            h = stage(_upsample(h), train=train)
        return self.head(h)[..., 0]


def count_parameters(net: nnx.Module) -> tuple[int, int]:
    """``(trainable, batch statistics)`` element counts of ``net``."""
    n = lambda f: sum(int(a.size) for a in jax.tree.leaves(nnx.state(net, f)))  # noqa: E731
    return n(nnx.Param), n(nnx.BatchStat)
