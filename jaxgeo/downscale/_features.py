"""Network inputs: normalisation statistics, the low-pass correction, tendency, channels."""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import jax.numpy as jnp
import numpy as np

from ..seasonal import seasonal_trend_fit
from ._data import Fields, prepare
from ._units import weighted_stats as _wstats

__all__ = ["NetworkInputs", "NormStats", "build_inputs", "network_inputs", "norm_stats"]


@dataclasses.dataclass(frozen=True)
class NormStats:
    """Offsets and scales that normalise the network's inputs and output.

    Coarse field, model field and output share one pair (the model's), so that cap means
    of the normalised fields stay comparable; each feature has its own.

    Attributes:
        offset, scale: area-weighted mean and standard deviation of the model field over
            the mask and all months, in the fields' unit.
        features: ``(name, offset, scale)`` of each feature, in the features' order.
    """

    offset: float
    scale: float
    features: tuple[tuple[str, float, float], ...] = ()

    def feature(self, name: str) -> tuple[float, float]:
        """``(offset, scale)`` of feature ``name``."""
        for n, off, scale in self.features:
            if n == name:
                return off, scale
        raise KeyError(f"no normalisation statistics for feature {name!r}")

    def to_dict(self) -> dict:
        """The JSON layout of checkpoints: ``{"field": [offset, scale], name: [..], ..}``."""
        return {"field": [self.offset, self.scale],
                **{n: [off, scale] for n, off, scale in self.features}}

    @classmethod
    def from_dict(cls, d: dict) -> NormStats:
        off, scale = d["field"]
        return cls(float(off), float(scale),
                   tuple((str(n), float(v[0]), float(v[1])) for n, v in d.items()
                         if n != "field"))


def norm_stats(fields: Fields) -> NormStats:
    """Area-weighted statistics over the mask of the model field and of each feature.

    Raises:
        ValueError: the model field or a feature is constant over the mask and all months
            (nothing to learn from; normalising it would divide by round-off).
    """
    w = np.where(fields.mask, fields.grid.cell_area, 0.0)

    def stats(values, what):
        off, scale = _wstats(values, w)
        if scale <= max(1e-12, 1e-6 * abs(off)):
            raise ValueError(f"{what} is constant over the mask and all months (mean {off:.6g}, "
                             f"spread {scale:.3g}): the network has nothing to learn from it")
        return off, scale

    off, scale = stats(fields.model, "the model field")
    return NormStats(off, scale, tuple((name, *stats(f, f"feature {name!r}"))
                                       for name, f in fields.features.items()))


def apply_chunked(op, x: np.ndarray, chunk: int = 16) -> np.ndarray:
    """``op`` over the months of ``x``, ``chunk`` at a time (bounded device memory)."""
    return np.concatenate([np.asarray(op(jnp.asarray(x[i:i + chunk])))
                           for i in range(0, len(x), chunk)])


def low_pass_correction(fields: Fields, radius_deg: float, op=None) -> np.ndarray:
    """``cap(coarse − model)`` over the mask, float64 ``(T, nlat, nlon)``, 0 outside.

    ``op``: the float32 masked :class:`~jaxgeo.sphere.CapAverage` of ``radius_deg`` on the
    data grid when the caller already has one (built here otherwise).
    """
    if op is None:
        from ..sphere import CapAverage

        op = CapAverage(fields.grid, radius_deg, mask=fields.mask, dtype=jnp.float32)
    diff = np.where(fields.mask, fields.coarse - fields.model, 0.0).astype(np.float32)
    return np.where(fields.mask, apply_chunked(op, diff).astype(np.float64), 0.0)


def tendency(x: np.ndarray) -> np.ndarray:
    """Centred month-to-month difference ``(x[t+1] − x[t−1]) / 2``, one-sided at the ends."""
    if x.shape[0] < 2:
        return np.zeros_like(x)
    return np.gradient(x, axis=0)


class NetworkInputs(NamedTuple):
    """What the network sees and what its loss compares with.

    Attributes:
        x: ``(T, nlat, nlon, C)`` float32 input channels.
        coarse, model: ``(T, nlat, nlon)`` float32 normalised coarse and model fields.
        residual_channel: the channel of ``x`` the network outputs a correction of.
        norm: the :class:`NormStats` used.
    """

    x: np.ndarray
    coarse: np.ndarray
    model: np.ndarray
    residual_channel: int
    norm: NormStats


#: months ``noise2self`` needs (each month's inputs come from a seasonal-trend fit of the rest)
NOISE2SELF_MIN_MONTHS = 12


def build_inputs(fields: Fields, norm: NormStats, radius_deg: float, *,
                 tendency_channel: bool = False, noise2self: bool = False,
                 cap_op=None, start: np.ndarray | None = None) -> NetworkInputs:
    """The inputs of :func:`network_inputs` from prepared :class:`Fields`.

    ``cap_op``: the float32 cap operator of the low-pass correction, if the caller has one.
    ``start``: ``(T, nlat, nlon)`` the filter-matched start (:mod:`._start`) in the fields'
    unit; given, the channels are model, start (the corrected one) and the rest, and no
    channel holds the coarse field itself (it enters through the start).

    Raises:
        ValueError: ``noise2self`` with fewer than 12 months, or ``tendency_channel`` with
            months that are not consecutive (naming the gap).
    """
    nt = fields.coarse.shape[0]
    if noise2self and nt < NOISE2SELF_MIN_MONTHS:
        raise ValueError(f"noise2self needs at least {NOISE2SELF_MIN_MONTHS} months (each "
                         f"month's inputs come from a seasonal-trend fit of the others), got {nt}")
    if tendency_channel and nt > 1:
        months = np.asarray(fields.time).astype("datetime64[M]")
        gap = np.flatnonzero(np.diff(months) != np.timedelta64(1, "M"))
        if gap.size:
            k = int(gap[0]) + 1
            raise ValueError(f"model_tendency needs consecutive months: {months[k]} (index "
                             f"{k}) follows {months[k - 1]}; fill the gap or drop "
                             "model_tendency")
    off, scale = norm.offset, norm.scale
    msk = fields.mask

    def normed(x, o, s):
        return np.where(msk, (x - o) / s, 0.0).astype(np.float32)

    coarse_n, model_n = normed(fields.coarse, off, scale), normed(fields.model, off, scale)
    feats = [normed(f, *norm.feature(k)) for k, f in fields.features.items()]
    if start is not None:
        if noise2self:
            raise ValueError("noise2self applies to the classical start (start='cap'), not "
                             "to the filter-matched one")
        chans, residual = [model_n, normed(start, off, scale)] + feats, 1
    elif noise2self:
        correction = low_pass_correction(fields, radius_deg, cap_op)
        blind = seasonal_trend_fit(correction, fields.time, leave_out=True)
        chans, residual = [model_n, normed(fields.model + blind, off, scale)] + feats, 1
    else:
        correction = low_pass_correction(fields, radius_deg, cap_op)
        chans = [coarse_n, model_n, normed(fields.model + correction, off, scale)] + feats
        residual = 2
    if tendency_channel:
        chans.append(np.where(msk, tendency(fields.model) / scale, 0.0).astype(np.float32))
    nt = fields.coarse.shape[0]
    lat = np.deg2rad(fields.grid.lat)[:, None]
    lon = np.deg2rad(fields.grid.lon)[None, :]
    pos = [np.sin(lat) + 0 * lon, np.cos(lat) + 0 * lon, np.sin(lon) + 0 * lat,
           np.cos(lon) + 0 * lat, msk.astype(np.float64)]
    chans += [np.broadcast_to(p.astype(np.float32), (nt,) + fields.grid.shape) for p in pos]
    return NetworkInputs(np.stack(chans, axis=-1), coarse_n, model_n, residual, norm)


def network_inputs(coarse, model, *, mask, features=None, radius_deg: float = 3.0,
                   model_tendency: bool = False, noise2self: bool = False,
                   norm: NormStats | None = None) -> NetworkInputs:
    """The network's input channels for ``coarse`` and ``model``, as :func:`fit` builds them.

    Channels: coarse, model, the baseline ``model + cap(coarse − model)`` (the network
    outputs a correction of it), the features, optionally the model's tendency (centred
    difference over the neighbouring months, which lets the network shift the model's
    seasonal timing), then sin/cos of latitude and longitude and the mask. Data channels
    are normalised by ``norm`` and zero outside the mask.

    With ``noise2self`` no channel of month ``t`` depends on the coarse field of month
    ``t``: coarse and baseline are replaced by one channel, ``model + L_t``, where ``L_t``
    is the leave-one-out :func:`jaxgeo.seasonal.seasonal_trend_fit` of ``cap(coarse −
    model)`` from the other months.

    Args:
        coarse, model, mask, features: as for :func:`fit`.
        radius_deg: cap radius of the low-pass correction, degrees.
        model_tendency, noise2self: as for :func:`fit`.
        norm: normalisation statistics (None: computed from ``model`` and ``features``).

    Returns:
        :class:`NetworkInputs`.
    """
    fields = prepare(coarse, model, mask, features)
    return build_inputs(fields, norm_stats(fields) if norm is None else norm, radius_deg,
                        tendency_channel=model_tendency, noise2self=noise2self)
