"""xarray in, xarray out: ``fit``, ``Downscaler.predict`` and the classical ``baseline``."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from .._grid import Grid, to_grid_order
from ._model import DownscaleNet, NetConfig
from ._train import LossConfig, TrainConfig, read_meta, restore_checkpoint, train
from .metrics import seasonal_design

__all__ = ["Downscaler", "baseline", "fit", "seasonal_trend_fit"]

_RESIDUAL_CHANNEL = 2  # the baseline channel of _inputs (checkpoints without the key)


# -- validation -------------------------------------------------------------------------------
def _as_tll(da, name: str, grid: Grid | None = None):
    """``da`` as a float64 (time, lat, lon) array in grid order, with its grid and times."""
    import xarray as xr

    if not isinstance(da, xr.DataArray):
        raise TypeError(f"{name} must be an xarray.DataArray (time, lat, lon), got "
                        f"{type(da).__name__}")
    try:
        lat_name, lon_name = Grid.coord_names(da)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None
    if "time" not in da.dims or da.ndim != 3:
        raise ValueError(f"{name} must have dims (time, lat, lon), got {da.dims}")
    try:
        g = Grid.from_xarray(da)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None
    if grid is not None:
        shift = (g.lon_start - grid.lon_start) % 360.0
        if g.resolution_deg != grid.resolution_deg or min(shift, 360.0 - shift) > 1e-6:
            raise ValueError(f"grids differ: {name} is on a {g.resolution_deg}° grid starting at "
                             f"lon {g.lon_start}, the coarse field on {grid.resolution_deg}° "
                             f"starting at {grid.lon_start}")
        g = grid
    da = to_grid_order(da).transpose("time", lat_name, lon_name)
    lon = np.asarray(da[lon_name].values, dtype=np.float64)
    order = np.argsort(np.mod(lon - g.lon_start, 360.0))
    values = np.asarray(da.values, dtype=np.float64)[:, :, order]
    return values, g, da["time"].values


def _check_mask(mask, grid: Grid) -> np.ndarray:
    import xarray as xr

    if mask is None:
        raise ValueError("mask is required: pass a (lat, lon) boolean DataArray that is True "
                         "where the fields are valid (e.g. the land mask)")
    if isinstance(mask, xr.DataArray):
        try:
            grid.check_xarray(mask)
        except ValueError as exc:
            raise ValueError(f"mask is not on the data grid: {exc}") from None
        lat_name, lon_name = Grid.coord_names(mask)
        if mask.ndim != 2:
            raise ValueError(f"mask must be 2-D (lat, lon), got dims {mask.dims}")
        m = to_grid_order(mask).transpose(lat_name, lon_name)
        lon = np.asarray(m[lon_name].values, dtype=np.float64)
        m = np.asarray(m.values)[:, np.argsort(np.mod(lon - grid.lon_start, 360.0))]
    else:
        m = np.asarray(mask)
    if m.shape != grid.shape:
        raise ValueError(f"mask has shape {m.shape}, the data grid is {grid.shape}")
    if m.dtype != bool:
        if not np.all(np.isin(m, (0, 1))):
            raise ValueError("mask must be boolean (or 0/1)")
        m = m.astype(bool)
    if not m.any():
        raise ValueError("mask is empty (no True cell)")
    return m


def _check_finite(values: np.ndarray, mask: np.ndarray, name: str, times) -> None:
    inside = values[:, mask]
    bad = ~np.isfinite(inside)
    if not bad.any():
        return
    all_bad = np.flatnonzero(bad.all(axis=1))
    if all_bad.size:
        k = int(all_bad[0])
        raise ValueError(f"{name} is all-NaN over the mask in {all_bad.size} month(s), first "
                         f"{str(times[k])[:10]} (index {k}); drop those months first")
    k = int(np.flatnonzero(bad.any(axis=1))[0])
    raise ValueError(f"{name} has {int(bad.sum())} NaN/inf value(s) inside the mask (first in "
                     f"month {str(times[k])[:10]}, index {k}); fill them or shrink the mask")


@dataclasses.dataclass
class _Data:
    grid: Grid
    time: np.ndarray
    mask: np.ndarray
    coarse: np.ndarray
    model: np.ndarray
    features: dict[str, np.ndarray]


def _prepare(coarse, model, mask, features, feature_names=None) -> _Data:
    c, grid, time = _as_tll(coarse, "coarse")
    m, _, mtime = _as_tll(model, "model", grid)
    if c.shape[0] != m.shape[0] or not np.array_equal(time, mtime):
        raise ValueError(f"time axes differ: coarse has {c.shape[0]} steps "
                         f"({str(time[0])[:10]}..{str(time[-1])[:10]}), model has "
                         f"{m.shape[0]} ({str(mtime[0])[:10]}..{str(mtime[-1])[:10]})")
    msk = _check_mask(mask, grid)
    _check_finite(c, msk, "coarse", time)
    _check_finite(m, msk, "model", time)
    feats = {}
    if features is not None:
        import xarray as xr

        if not isinstance(features, xr.Dataset):
            raise TypeError(f"features must be an xarray.Dataset, got {type(features).__name__}")
        for name in features.data_vars:
            f, _, ftime = _as_tll(features[name], f"feature {name!r}", grid)
            if not np.array_equal(ftime, time):
                raise ValueError(f"time axes differ: feature {name!r} does not have the coarse "
                                 "field's time steps")
            _check_finite(f, msk, f"feature {name!r}", time)
            feats[str(name)] = f
    if feature_names is not None and list(feats) != list(feature_names):
        raise ValueError(f"features differ from training: got {list(feats)}, the network was "
                         f"trained with {list(feature_names)}")
    return _Data(grid, time, msk, c, m, feats)


# -- normalisation and inputs -----------------------------------------------------------------
def _wstats(values: np.ndarray, weights: np.ndarray) -> tuple[float, float]:
    w = weights / weights.sum()
    x = np.where(weights > 0, values, 0.0)
    mean = float(np.mean(np.sum(w * x, axis=(-2, -1))))
    var = float(np.mean(np.sum(w * (x - mean) ** 2, axis=(-2, -1))))
    return mean, max(np.sqrt(var), 1e-12)


def _norm_stats(data: _Data) -> dict:
    """Offsets and scales; coarse, model and output share the model's so caps stay consistent."""
    w = np.where(data.mask, data.grid.cell_area, 0.0)
    off, scale = _wstats(data.model, w)
    stats = {"field": [off, scale]}
    for name, f in data.features.items():
        stats[name] = list(_wstats(f, w))
    return stats


def _apply_chunked(op, x: np.ndarray, chunk: int = 16) -> np.ndarray:
    """``op`` over the months of ``x``, ``chunk`` at a time (bounded device memory)."""
    return np.concatenate([np.asarray(op(jnp.asarray(x[i:i + chunk])))
                           for i in range(0, len(x), chunk)])


def _low_pass_correction(data: _Data, radius_deg: float, op=None) -> np.ndarray:
    """``cap(coarse − model)`` over the mask, float64 ``(T, nlat, nlon)``, 0 outside.

    ``op``: the float32 masked :class:`~jaxgeo.sphere.CapAverage` of ``radius_deg`` on the
    data grid when the caller already has one (built here otherwise).
    """
    if op is None:
        from ..sphere import CapAverage

        op = CapAverage(data.grid, radius_deg, mask=data.mask, dtype=jnp.float32)
    diff = np.where(data.mask, data.coarse - data.model, 0.0).astype(np.float32)
    return np.where(data.mask, _apply_chunked(op, diff).astype(np.float64), 0.0)


def _decimal_years(times) -> np.ndarray:
    t = np.asarray(times)
    if np.issubdtype(t.dtype, np.datetime64):
        days = (t - np.datetime64("2000-01-01")) / np.timedelta64(1, "D")
        return 2000.0 + np.asarray(days, dtype=np.float64) / 365.25
    return np.asarray(t, dtype=np.float64)


def seasonal_trend_fit(x: np.ndarray, times, *, leave_out: bool = False) -> np.ndarray:
    """Per-cell least-squares fit of mean, trend, annual and semi-annual terms over time.

    Args:
        x: ``(T, nlat, nlon)`` values.
        times: ``(T,)`` datetime64 or decimal years; gaps are fine.
        leave_out: return, for each step, the fit to all *other* steps evaluated at it
            (exact leave-one-out via the hat matrix: ``(ŷ_t − h_tt x_t) / (1 − h_tt)``),
            so that the value at ``t`` does not depend on ``x[t]``.

    Returns:
        ``(T, nlat, nlon)`` the fitted series. Month-to-month noise (GRACE's errors are
        nearly uncorrelated between months) averages out over the record, while trends and
        seasonal cycles, the bulk of a model's large-scale error, pass.

    Raises:
        ValueError: fewer than 12 time steps, too few to separate six terms from noise.
    """
    t = _decimal_years(times)
    if t.size < 12:
        raise ValueError(f"the seasonal-trend fit needs at least 12 time steps, got {t.size}")
    basis = seasonal_design(t, 2)
    hat = basis @ np.linalg.solve(basis.T @ basis, basis.T)
    flat = x.reshape(t.size, -1)
    fitted = hat @ flat
    if leave_out:
        h = np.diag(hat)[:, None]
        fitted = (fitted - h * flat) / (1.0 - h)
    return fitted.reshape(x.shape)


def _tendency(x: np.ndarray) -> np.ndarray:
    """Centred month-to-month difference ``(x[t+1] − x[t−1]) / 2``, one-sided at the ends."""
    if x.shape[0] < 2:
        return np.zeros_like(x)
    return np.gradient(x, axis=0)


def _inputs(data: _Data, stats: dict, radius_deg: float, *, tendency: bool = False,
            noise2self: bool = False, cap_op=None
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Network inputs ``(T, nlat, nlon, C)`` float32, normalised coarse and model fields.

    Channels: coarse, model, the baseline ``model + cap(coarse − model)`` (the network
    outputs a correction of it), the features, optionally the model's tendency (centred
    difference over the neighbouring months, which lets the network shift the model's
    seasonal timing), then sin/cos of latitude and longitude and the mask.

    With ``noise2self`` no channel of month ``t`` depends on the coarse field of month
    ``t``: coarse and baseline are replaced by one channel, ``model + L_t``, where ``L_t``
    is the leave-one-out :func:`seasonal_trend_fit` of ``cap(coarse − model)`` from the
    other months. ``cap_op``: the cap operator of the low-pass correction, if the caller
    has one. Returns the inputs, the normalised coarse and model fields, and the index of
    the channel the network corrects.
    """
    off, scale = stats["field"]
    msk = data.mask

    def norm(x, o, s):
        return np.where(msk, (x - o) / s, 0.0).astype(np.float32)

    coarse_n, model_n = norm(data.coarse, off, scale), norm(data.model, off, scale)
    correction = _low_pass_correction(data, radius_deg, cap_op)
    feats = [norm(f, *stats[k]) for k, f in data.features.items()]
    if noise2self:
        blind = seasonal_trend_fit(correction, data.time, leave_out=True)
        chans = [model_n, norm(data.model + blind, off, scale)] + feats
    else:
        chans = [coarse_n, model_n, norm(data.model + correction, off, scale)] + feats
    residual = 1 if noise2self else 2
    if tendency:
        chans.append(np.where(msk, _tendency(data.model) / scale, 0.0).astype(np.float32))
    nt = data.coarse.shape[0]
    lat = np.deg2rad(data.grid.lat)[:, None]
    lon = np.deg2rad(data.grid.lon)[None, :]
    pos = [np.sin(lat) + 0 * lon, np.cos(lat) + 0 * lon, np.sin(lon) + 0 * lat,
           np.cos(lon) + 0 * lat, msk.astype(np.float64)]
    chans += [np.broadcast_to(p.astype(np.float32), (nt,) + data.grid.shape) for p in pos]
    return np.stack(chans, axis=-1), coarse_n, model_n, residual


def _fingerprint(*arrays) -> str:
    h = hashlib.sha256()
    for a in arrays:
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:16]


def _loss_constants(grid: Grid, mask: np.ndarray, radius_deg: float,
                    centres_res_deg: float | None, observation_km: float | None = None):
    from ..sphere import CapAverage, GaussianSmooth

    targets = None if centres_res_deg is None else Grid.regular(centres_res_deg, grid.lon_start)
    op = CapAverage(grid, radius_deg, mask=mask, targets=targets, dtype=jnp.float32)
    if targets is None:
        centre_w = np.where(mask, grid.cell_area, 0.0)
    else:
        # A coarse centre counts in proportion to the masked area of its own cell.
        f = int(round(targets.resolution_deg / grid.resolution_deg))
        area = np.where(mask, grid.cell_area, 0.0)
        area = np.roll(area, -int(round((targets.lon_start - grid.lon_start)
                                        / grid.resolution_deg)), axis=1)
        centre_w = area.reshape(targets.nlat, f, targets.nlon, f).sum(axis=(1, 3))
    centre_w = np.where(np.broadcast_to(np.asarray(op.valid), op.out_shape), centre_w, 0.0)
    pixel_w = np.where(mask, grid.cell_area, 0.0)
    aux = {"cap_op": op,
           "centre_weights": jnp.asarray(centre_w / centre_w.max(), jnp.float32),
           "pixel_weights": jnp.asarray(pixel_w / pixel_w.max(), jnp.float32)}
    if observation_km is not None:
        aux["observation_op"] = GaussianSmooth(grid, observation_km, mask=mask,
                                               dtype=jnp.float32)
    return op, aux


def _cap_means(op, field_n: np.ndarray) -> np.ndarray:
    return np.nan_to_num(_apply_chunked(op, field_n)).astype(np.float32)


@functools.lru_cache(maxsize=8)
def _forward(graphdef):
    """Jitted forward pass of one architecture (cached so predictions compile once)."""
    return jax.jit(lambda state, x: nnx.merge(graphdef, state)(x))


# -- public API -------------------------------------------------------------------------------
class Downscaler:
    """A trained downscaling network with its normalisation; see :func:`fit`.

    Attributes:
        net: the :class:`DownscaleNet` (Flax NNX module).
        meta: the run description stored with checkpoints (grid, settings, statistics).
        history: per-step loss terms of the training run (empty when loaded).
    """

    def __init__(self, net: DownscaleNet, meta: dict, mask: np.ndarray, history=None):
        self.net = net
        self.meta = meta
        self.mask = mask
        self.history = list(history or [])
        self.grid = Grid.regular(meta["grid"][0], meta["grid"][1])

    @classmethod
    def load(cls, checkpoint_dir, *, mask) -> Downscaler:
        """Rebuild the network of the latest checkpoint in ``checkpoint_dir``."""
        found = read_meta(Path(checkpoint_dir))
        if found is None:
            raise FileNotFoundError(f"no checkpoint in {checkpoint_dir}")
        step, meta = found
        net = DownscaleNet.create(meta["in_channels"], NetConfig(**meta["net"]),
                                  residual_channel=meta.get("residual_channel",
                                                            _RESIDUAL_CHANNEL))
        restore_checkpoint(Path(checkpoint_dir), step, net)
        grid = Grid.regular(meta["grid"][0], meta["grid"][1])
        return cls(net, meta, _check_mask(mask, grid))

    def predict(self, coarse, model, features=None, *, batch_size: int = 8, mesh=None):
        """Downscale months of ``coarse`` and ``model`` (same grid as training).

        Args:
            coarse, model: (time, lat, lon) DataArrays on the training grid.
            features: the Dataset of extra inputs the network was trained with.
            batch_size: months per forward pass (with ``mesh``: rounded up to a multiple
                of the devices on its ``"months"`` axis).
            mesh: a :class:`jax.sharding.Mesh` with a ``"months"`` axis: each batch is split
                over it (the last one padded with zero months, whose outputs are dropped;
                months do not interact in the network) and the weights are replicated.
                None: one device.

        Returns:
            ``xarray.DataArray`` (time, lat, lon) in the unit of ``model``, NaN outside the
            mask, with CF attributes.
        """
        import xarray as xr

        data = _prepare(coarse, model, self.mask, features, self.meta["features"])
        if data.grid != self.grid:
            raise ValueError(f"grids differ: the network was trained on {self.grid}, the data "
                             f"are on {data.grid}")
        x, _, _, _ = _inputs(data, self.meta["norm"], self.meta["radius_deg"],
                             tendency=self.meta.get("model_tendency", False),
                             noise2self=self.meta.get("noise2self", False))
        graphdef, state = nnx.split(self.net)
        run = _forward(graphdef)
        if mesh is None:
            out = np.concatenate([np.asarray(run(state, jnp.asarray(x[i:i + batch_size])))
                                  for i in range(0, len(x), batch_size)])
        else:
            from .._sharding import months_axis_size, replicate, shard_months, to_host

            k = months_axis_size(mesh)
            step = -(-int(batch_size) // k) * k
            state = replicate(state, mesh)
            out = []
            for i in range(0, len(x), step):
                shards = shard_months(x[i:i + step], mesh)
                out.append(to_host(run(state, shards.array))[:shards.n_months])
            out = np.concatenate(out)
        off, scale = self.meta["norm"]["field"]
        pred = np.where(self.mask, out.astype(np.float64) * scale + off, np.nan)
        attrs = {"long_name": "downscaled " + str(model.attrs.get("long_name", model.name or
                                                                  "field")),
                 "units": model.attrs.get("units", "1"),
                 "cell_methods": "area: mean where mask",
                 "comment": (f"jaxgeo.downscale network; spherical-cap consistency radius "
                             f"{self.meta['radius_deg']} deg with the coarse field"),
                 "source": "jaxgeo.downscale"}
        coords = {"time": ("time", data.time), **self.grid.to_xarray_coords()}
        return xr.DataArray(pred, dims=("time", "lat", "lon"), coords=coords, attrs=attrs,
                            name="downscaled")


def fit(coarse, model, *, mask, features=None, radius_deg: float = 3.0, epochs: int = 10,
        seed: int = 0, checkpoint_dir=None, batch_size: int = 4, learning_rate: float = 1e-3,
        net_config: NetConfig | None = None, loss: LossConfig | None = None,
        centres_res_deg: float | None = None, model_tendency: bool = False,
        noise2self: bool = False, checkpoint_every: int = 50, progress: bool = True,
        callback=None, mesh=None) -> Downscaler:
    """Train a downscaling network self-supervised on one regular global grid.

    The loss makes area-weighted spherical-cap means (radius ``radius_deg``, over the mask)
    of the output equal those of ``coarse`` while the pattern follows ``model``.

    Args:
        coarse: (time, lat, lon) DataArray of the coarse-resolution field (GRACE), on the
            high-resolution grid; NaN allowed outside the mask only.
        model: (time, lat, lon) DataArray of the high-resolution model field, same grid and
            times.
        mask: (lat, lon) boolean DataArray (or array), True where fields are valid.
        features: optional Dataset of extra (time, lat, lon) inputs (forcings).
        radius_deg: cap radius of the consistency constraint, degrees.
        epochs, seed, batch_size, learning_rate: optimisation (see :class:`TrainConfig`).
        checkpoint_dir: orbax checkpoints every ``checkpoint_every`` steps; an existing
            compatible checkpoint is resumed, an incompatible or corrupted one is an error.
        net_config: :class:`NetConfig` (default: width 16, depth 2, 1 block per level).
        loss: :class:`LossConfig` (default: published MAE·(1−ρ) similarity, L1 caps).
        centres_res_deg: evaluate caps only at the centres of this coarser grid (None: at
            every cell).
        model_tendency: add the model's month-to-month tendency as an input channel (the
            months must then be consecutive, in training and in ``predict``).
        noise2self: train blind to the current month's coarse field (J-invariant
            inputs, after Batson & Royer 2019, Noise2Self): the network corrects ``model +
            L_t``, where ``L_t`` is the leave-one-out seasonal-trend fit
            (:func:`seasonal_trend_fit`) of ``cap(coarse − model)`` from the other months.
            The cap term then cannot be lowered by reproducing month ``t``'s noise, so it
            teaches the network the expected cap means, not the noisy ones. Needs at least
            12 months, in training and in ``predict`` (a month's prediction uses the
            others).
        progress: tqdm progress bar with the loss terms.
        callback: ``callback(step, terms)`` after every step.
        mesh: data-parallel training over a :class:`jax.sharding.Mesh` with a ``"months"``
            axis (:func:`jaxgeo.distributed.make_mesh`): every batch is split over that
            axis, weights and optimizer state are replicated; ``batch_size`` must be a
            multiple of its device count. The loss and the weights are those of the
            one-device run up to float32 summation order. A checkpoint resumes with any
            device count. None (default): one device.

    Returns:
        :class:`Downscaler`.

    Reference: Gou & Soja (2024), Nature Water 2, 139–150 (method, patch-based).
    """
    net_config = net_config or NetConfig()
    loss = loss or LossConfig()
    train_cfg = TrainConfig(epochs=epochs, batch_size=batch_size, learning_rate=learning_rate,
                            seed=seed, checkpoint_every=checkpoint_every)
    data = _prepare(coarse, model, mask, features)
    net_config.check_grid(data.grid.shape)
    stats = _norm_stats(data)
    op, aux = _loss_constants(data.grid, data.mask, radius_deg, centres_res_deg,
                              loss.observation_km)
    # with caps at every cell the loss operator is the low-pass operator too: build it once
    x, coarse_n, model_n, residual = _inputs(
        data, stats, radius_deg, tendency=model_tendency, noise2self=noise2self,
        cap_op=op if centres_res_deg is None else None)
    target_caps = _cap_means(op, coarse_n)
    meta = {
        "grid": [data.grid.resolution_deg, data.grid.lon_start],
        "net": dataclasses.asdict(net_config),
        "in_channels": int(x.shape[-1]),
        "features": list(data.features),
        "norm": stats,
        "radius_deg": float(radius_deg),
        "centres_res_deg": centres_res_deg,
        "model_tendency": bool(model_tendency),
        "noise2self": bool(noise2self),
        "residual_channel": residual,
        "loss": dataclasses.asdict(loss),
        "train": {"batch_size": batch_size, "learning_rate": learning_rate, "seed": seed},
        "n_months": int(x.shape[0]),
        "data": _fingerprint(x, data.mask),
    }
    meta["loss"]["similarity"] = list(loss.similarity)
    meta["loss"]["similarity_weights"] = list(loss.similarity_weights)
    net = DownscaleNet.create(x.shape[-1], net_config, residual_channel=residual,
                              seed=seed)
    history = train(net, x, model_n, target_caps, aux, train_cfg=train_cfg, loss_cfg=loss,
                    meta=meta, checkpoint_dir=checkpoint_dir, progress=progress,
                    callback=callback, mesh=mesh)
    return Downscaler(net, meta, data.mask, history)


def baseline(coarse, model, *, mask, radius_deg: float = 3.0):
    """The classical combination ``model + cap(coarse − model)``: low-pass correction.

    The model's large-scale error is replaced by the coarse field's cap means over the mask
    while its small-scale pattern is kept; any network must beat it.

    Args:
        coarse, model: (time, lat, lon) DataArrays on one grid (NaN outside the mask only).
        mask: (lat, lon) boolean.
        radius_deg: cap radius of the low-pass filter, degrees.

    Returns:
        (time, lat, lon) DataArray, NaN outside the mask.
    """
    import xarray as xr

    from ..sphere import CapAverage

    data = _prepare(coarse, model, mask, None)
    op = CapAverage(data.grid, radius_deg, mask=data.mask, dtype=jnp.float64
                    if jax.config.jax_enable_x64 else jnp.float32)
    diff = np.where(data.mask, data.coarse - data.model, 0.0)
    corr = np.asarray(op(jnp.asarray(diff, op.dtype)), dtype=np.float64)
    out = np.where(data.mask, data.model + corr, np.nan)
    coords = {"time": ("time", data.time), **data.grid.to_xarray_coords()}
    attrs = {"long_name": "model + cap-mean correction toward the coarse field",
             "units": model.attrs.get("units", "1"),
             "comment": f"jaxgeo.downscale.baseline, cap radius {radius_deg} deg"}
    return xr.DataArray(out, dims=("time", "lat", "lon"), coords=coords, attrs=attrs,
                        name="baseline")
