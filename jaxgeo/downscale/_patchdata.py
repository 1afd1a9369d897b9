"""Data side of the published patch method: settings, scalers, the stacked grid, patch extraction.

The published set-up (Gou & Soja 2024; GRACE-SeDA ``code_v2019/genTFRecord.py``) cuts one
``p × p`` patch (p = 32 at 0.5°) per month and land pixel. Conventions reproduced here:

- **Centre.** The patch's centre pixel is the upper-left one of the central four: patch
  index ``(p/2 − 1, p/2 − 1)`` (15, 15) in a north-up image (row 0 northernmost, column 0
  westernmost): ``p/2 − 1`` rows to the north of it, ``p/2`` to the south, ``p/2 − 1``
  columns to the west, ``p/2`` to the east.
- **Longitude wraps around** (columns are taken modulo the grid's nlon).
- **Beyond the poles** there is no data: those rows are missing, like cells outside the
  mask (the published code appends NaN rows; it does not continue across the pole).
- **Missing cells are filled with the patch's mean** over its valid cells, per channel
  (0 when none is valid): outside the mask for the data channels (GRACE, model, forcings
  and the labels), beyond the poles for every channel.
- **Normalisation**: each data channel min–max scaled between its 0.01 and 99.99
  percentiles over the mask and all months; latitude as ``(lat + 90)/180``, longitude as
  ``(lon + 180)/360`` (lon in [−180, 180)). The labels (GRACE and model for the loss) stay
  in the coarse field's unit, so the network outputs that unit.

The public training code writes the *latitude* patch into the longitude channel
(``"Lon": ... Sample_Lat``) while its prediction code uses the longitude: training and
prediction disagree. We reproduce the intended behaviour: longitude in the longitude
channel, in training and prediction alike.
"""

from __future__ import annotations

import dataclasses
import math

import jax.numpy as jnp
import numpy as np

from ._data import Fields

__all__ = ["PatchConfig", "PatchScalers", "extract_patches", "patch_scalers", "stack_fields"]

# the percentiles of the published min–max normalisation
_PCT_LO, _PCT_HI = 0.01, 99.99


@dataclasses.dataclass(frozen=True)
class PatchConfig:
    """Settings of :func:`~jaxgeo.downscale.fit_patches` (defaults: the published ones).

    Attributes:
        patch_size: cells per patch side p (published: 32 at 0.5°, i.e. 16°); must divide
            by ``2**len(widths)``.
        batch: patches per Adam step (published 512). The last incomplete batch of an
            epoch is dropped (the order changes every epoch).
        learning_rate: constant Adam learning rate (published 1e-3; Keras' ε = 1e-7).
        epochs: passes (published 150).
        seed: seed of the weights and of each epoch's patch order (published 1996).
        max_patches_per_epoch: None: an epoch is one patch per month and mask cell, as
            published; a number: each epoch takes that many patches drawn without
            replacement (for CPU runs).
        widths: channels of the three stages (published 16, 32, 64).
        blocks: residual blocks per stage (published 3).
        predict_batch: patches per forward pass in prediction (published 5000).
        bn_momentum: momentum of the batch-normalisation running statistics used in
            prediction (published: Keras' 0.99, which needs a few hundred steps to forget
            its initial values; a short CPU run may lower it, e.g. 0.9).
    """

    patch_size: int = 32
    batch: int = 512
    learning_rate: float = 1e-3
    epochs: int = 150
    seed: int = 1996
    max_patches_per_epoch: int | None = None
    widths: tuple[int, ...] = (16, 32, 64)
    blocks: int = 3
    predict_batch: int = 4096
    bn_momentum: float = 0.99

    def __post_init__(self):
        object.__setattr__(self, "widths", tuple(self.widths))
        for name in ("patch_size", "batch", "epochs", "blocks", "predict_batch"):
            v = getattr(self, name)
            if isinstance(v, bool) or int(v) != v or v < 1:
                raise ValueError(f"PatchConfig.{name} must be a positive integer, got {v!r}")
        if not self.widths or any(int(w) != w or w < 1 for w in self.widths):
            raise ValueError(f"PatchConfig.widths must be positive integers, got "
                             f"{self.widths!r}")
        f = 2 ** len(self.widths)
        if self.patch_size % f:
            raise ValueError(f"PatchConfig.patch_size must be a multiple of {f} (2 to the "
                             f"number of stages), got {self.patch_size}")
        m = self.max_patches_per_epoch
        if m is not None and (isinstance(m, bool) or int(m) != m or m < 1):
            raise ValueError(f"PatchConfig.max_patches_per_epoch must be None or a positive "
                             f"integer, got {m!r}")
        if not (self.learning_rate > 0) or not math.isfinite(self.learning_rate):
            raise ValueError(f"PatchConfig.learning_rate must be a positive number, got "
                             f"{self.learning_rate!r}")
        if not 0.0 <= self.bn_momentum < 1.0:
            raise ValueError(f"PatchConfig.bn_momentum must be in [0, 1), got "
                             f"{self.bn_momentum!r}")
        if isinstance(self.seed, bool) or int(self.seed) != self.seed or self.seed < 0:
            raise ValueError(f"PatchConfig.seed must be a non-negative integer, got "
                             f"{self.seed!r}")

    @property
    def centre(self) -> int:
        """Row and column of the centre pixel in a patch (15 for 32)."""
        return self.patch_size // 2 - 1


@dataclasses.dataclass(frozen=True)
class PatchScalers:
    """Min–max scalers of the data channels: ``(name, lo, hi)`` in channel order."""

    channels: tuple[tuple[str, float, float], ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(n for n, _, _ in self.channels)


def _data_channels(fields: Fields) -> list[tuple[str, np.ndarray]]:
    return [("coarse", fields.coarse), ("model", fields.model), *fields.features.items()]


def patch_scalers(fields: Fields) -> PatchScalers:
    """The 0.01 / 99.99 percentiles over the mask and all months of each data channel.

    Raises:
        ValueError: a channel whose percentiles coincide (constant), naming it.
    """
    out = []
    for name, values in _data_channels(fields):
        lo, hi = np.percentile(values[:, fields.mask], [_PCT_LO, _PCT_HI])
        if not hi > lo:
            raise ValueError(f"{name} is constant over the mask and all months ({lo:.6g}): "
                             "the patch network has nothing to learn from it")
        out.append((name, float(lo), float(hi)))
    return PatchScalers(tuple(out))


def stack_fields(fields: Fields, scalers: PatchScalers) -> tuple[np.ndarray, np.ndarray, int]:
    """The grid as one ``(T, nlat, nlon, C + 2)`` float32 array and its validity.

    Channels: the scaled data channels (coarse, model, features), latitude, longitude (the
    network's C inputs), then coarse and model in their unit (the loss' labels).
    Returns ``(stack, valid, C)``; ``valid`` ``(nlat, nlon, C + 2)`` is True where a
    channel has data (the mask; everywhere for the position channels).

    Raises:
        ValueError: the fields' channels are not the scalers' (names differ).
    """
    data = _data_channels(fields)
    names = tuple(n for n, _ in data)
    if names != scalers.names:
        raise ValueError(f"features differ from training: got {list(names[2:])}, the patch "
                         f"network was trained with {list(scalers.names[2:])}")
    grid, mask = fields.grid, fields.mask
    nt = fields.coarse.shape[0]
    lat2d = np.broadcast_to(grid.lat[:, None], grid.shape)
    lon = (np.asarray(grid.lon) + 180.0) % 360.0 - 180.0
    lon2d = np.broadcast_to(lon[None, :], grid.shape)
    chans = [(v - lo) / (hi - lo) for (_, v), (_, lo, hi) in zip(data, scalers.channels,
                                                                   strict=True)]
    chans += [np.broadcast_to((lat2d + 90.0) / 180.0, (nt,) + grid.shape),
              np.broadcast_to((lon2d + 180.0) / 360.0, (nt,) + grid.shape),
              fields.coarse, fields.model]
    stack = np.stack([np.where(np.isfinite(c), c, 0.0).astype(np.float32) for c in chans],
                     axis=-1)
    n_in = len(data) + 2
    valid = np.stack([mask] * len(data) + [np.ones_like(mask)] * 2 + [mask] * 2, axis=-1)
    return stack, valid, n_in


def extract_patches(stack, valid, t, i, j, patch_size: int):
    """Patches ``(B, p, p, K)`` centred on cells ``(i, j)`` of months ``t``, gaps filled.

    Vectorised gather (jit-able; no loop over patches). ``stack`` ``(T, nlat, nlon, K)`` in
    grid order (latitude ascending, south first), ``valid`` ``(nlat, nlon, K)`` boolean;
    ``t, i, j`` ``(B,)`` integer month, row and column of each centre. Patches are north-up
    (see the module docstring for the centre, the wrap-around in longitude and the poles);
    every missing value (``valid`` False, or beyond a pole) is the patch's mean over its
    valid cells of that channel, or 0 when it has none.
    """
    p = int(patch_size)
    c = p // 2 - 1
    nlat, nlon = stack.shape[1], stack.shape[2]
    r = jnp.arange(p, dtype=i.dtype)
    rows = i[:, None] + (c - r)[None, :]  # north-up: row 0 is the northernmost
    cols = (j[:, None] + (r - c)[None, :]) % nlon
    inside = (rows >= 0) & (rows < nlat)
    rows = jnp.clip(rows, 0, nlat - 1)
    x = stack[t[:, None, None], rows[:, :, None], cols[:, None, :]]
    ok = valid[rows[:, :, None], cols[:, None, :]] & inside[:, :, None, None]
    zero = jnp.zeros((), x.dtype)
    total = jnp.sum(jnp.where(ok, x, zero), axis=(1, 2))
    count = jnp.sum(ok, axis=(1, 2)).astype(x.dtype)
    fill = jnp.where(count > 0, total / jnp.maximum(count, jnp.ones((), x.dtype)), zero)
    return jnp.where(ok, x, fill[:, None, None, :])
