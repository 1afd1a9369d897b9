"""xarray in, xarray out: ``fit``, ``Downscaler.predict`` and the classical ``baseline``."""

from __future__ import annotations

import dataclasses
import functools
import warnings
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from .._deprecation import reject_unknown, renamed
from .._sharding import auto_axes
from ._checkpoint import read_settings, restore_checkpoint
from ._data import check_mask, prepare
from ._features import NOISE2SELF_MIN_MONTHS, apply_chunked, build_inputs, norm_stats
from ._loss import LossConfig, loss_constants
from ._model import DownscaleNet, NetConfig
from ._settings import RunSettings, fingerprint
from ._train import TrainConfig
from ._train import train as run_training
from ._units import check_training_spread, to_training_units

__all__ = ["Downscaler", "baseline", "fit"]


@functools.lru_cache(maxsize=8)
def _forward(graphdef):
    """Jitted forward pass of one architecture (cached so predictions compile once)."""
    return jax.jit(lambda state, x: nnx.merge(graphdef, state)(x))


class Downscaler:
    """A trained downscaling network with its run settings; see :func:`fit`.

    Attributes:
        net: the :class:`DownscaleNet` (Flax NNX module).
        settings: the :class:`RunSettings` (grid, inputs, normalisation, configs) stored
            with checkpoints.
        mask: ``(nlat, nlon)`` boolean mask of the data grid.
        history: per-step loss terms of the training run (empty when loaded).
        units: the unit of the fields the network was trained on (the coarse field's
            ``units``; None if unlabelled); :meth:`predict` converts its inputs to it.
    """

    def __init__(self, net: DownscaleNet, settings: RunSettings, mask: np.ndarray,
                 history=None, units: str | None = None):
        self.net = net
        self.settings = settings
        self.mask = mask
        self.history = list(history or [])
        self.units = units

    @property
    def grid(self):
        """The data grid of the training run."""
        return self.settings.grid

    @property
    def meta(self) -> dict:
        """Deprecated: the settings as a dict; use :attr:`settings`."""
        warnings.warn("Downscaler.meta is deprecated, use Downscaler.settings (RunSettings)",
                      DeprecationWarning, stacklevel=2)
        return self.settings.to_dict()

    @classmethod
    def load(cls, checkpoint_dir, *, mask) -> Downscaler:
        """Rebuild the network of the latest checkpoint in ``checkpoint_dir``.

        ``mask``: the mask of the training run (checked against its stored fingerprint;
        checkpoints written before it was stored cannot be checked).

        Raises:
            FileNotFoundError: no checkpoint there.
            ValueError: ``mask`` is not the training's (naming the cell counts), or a
                :class:`CheckpointError`.
        """
        found = read_settings(Path(checkpoint_dir))
        if found is None:
            raise FileNotFoundError(f"no checkpoint in {checkpoint_dir}")
        step, settings = found
        mask = check_mask(mask, settings.grid)
        if settings.mask_fingerprint and fingerprint(np.asarray(mask, bool)) != \
                settings.mask_fingerprint:
            raise ValueError(f"checkpoint {checkpoint_dir}: the mask differs from the one the "
                             f"network was trained with ({int(np.sum(mask))} cells, trained "
                             f"on {settings.mask_cells}); pass the training mask")
        net = DownscaleNet.create(settings.in_channels, settings.net,
                                  residual_channel=settings.residual_channel)
        units = restore_checkpoint(Path(checkpoint_dir), step, net)
        return cls(net, settings, mask, units=units)

    def predict(self, coarse, model, features=None, *, batch_months: int = 8, mesh=None,
                **retired):
        """Downscale months of ``coarse`` and ``model`` (same grid as training).

        Args:
            coarse, model: (time, lat, lon) DataArrays on the training grid.
            features: the Dataset of extra inputs the network was trained with.
            batch_months: months per forward pass (with ``mesh``: rounded up to a multiple
                of the devices on its ``"months"`` axis). Retired spelling: ``batch_size``.
            mesh: a :class:`jax.sharding.Mesh` with a ``"months"`` axis: each batch is split
                over it (the last one padded with zero months, whose outputs are dropped;
                months do not interact in the network) and the weights are replicated.
                Explicit or Auto axes. None: one device.

        Returns:
            ``xarray.DataArray`` (time, lat, lon) in the unit of the training fields
            (:attr:`units`; ``coarse`` and ``model`` are converted to it, see :func:`fit`),
            NaN outside the mask, with CF attributes.

        Raises:
            ValueError: an input that does not match training: grid, features, a unit
                label that contradicts the training's (each feature's label is converted
                when both are water thicknesses), or a spread of the model or a feature
                more than :data:`~jaxgeo.downscale.SPREAD_RATIO_LIMIT` times off the
                training's (a unit mix-up), naming the input.
        """
        import xarray as xr

        if "batch_size" in retired:
            batch_months = renamed(retired, "batch_size", "batch_months",
                                   where="Downscaler.predict")
        reject_unknown(retired, where="Downscaler.predict")
        s = self.settings
        fields = prepare(coarse, model, self.mask, features, s.features)
        if fields.grid != self.grid:
            raise ValueError(f"grids differ: the network was trained on {self.grid}, the data "
                             f"are on {fields.grid}")
        fields = to_training_units(fields, self.units, s.features, s.feature_units)
        check_training_spread(fields, s.norm)
        x = build_inputs(fields, s.norm, s.radius_deg, tendency_channel=s.model_tendency,
                         noise2self=s.noise2self).x
        graphdef, state = nnx.split(self.net)
        run = _forward(graphdef)
        if mesh is None:
            out = np.concatenate([np.asarray(run(state, jnp.asarray(x[i:i + batch_months])))
                                  for i in range(0, len(x), batch_months)])
        else:
            from .._sharding import months_axis_size, replicate, shard_months, to_host

            mesh = auto_axes(mesh)
            k = months_axis_size(mesh)
            step = -(-int(batch_months) // k) * k
            state = replicate(state, mesh)
            out = []
            for i in range(0, len(x), step):
                shards = shard_months(x[i:i + step], mesh)
                out.append(to_host(run(state, shards.array))[:shards.n_months])
            out = np.concatenate(out)
        pred = np.where(self.mask, out.astype(np.float64) * s.norm.scale + s.norm.offset,
                        np.nan)
        attrs = {"long_name": "downscaled " + str(model.attrs.get("long_name", model.name or
                                                                  "field")),
                 "units": fields.units or "1",
                 "cell_methods": "area: mean where mask",
                 "comment": (f"jaxgeo.downscale network; spherical-cap consistency radius "
                             f"{s.radius_deg} deg with the coarse field"),
                 "source": "jaxgeo.downscale"}
        coords = {"time": ("time", fields.time), **self.grid.to_xarray_coords()}
        return xr.DataArray(pred, dims=("time", "lat", "lon"), coords=coords, attrs=attrs,
                            name="downscaled")


# fit's retired flat keywords → the TrainConfig field they set
_TRAIN_KEYWORDS = {"epochs": "epochs", "seed": "seed", "batch_size": "batch_months",
                   "batch_months": "batch_months", "learning_rate": "learning_rate",
                   "checkpoint_every": "checkpoint_every"}
# → the LossConfig field they set
_LOSS_KEYWORDS = {"centres_res_deg": "targets_resolution_deg",
                  "observation_km": "observation_half_width_km",
                  "observation_half_width_km": "observation_half_width_km"}


def _retired_fit_keywords(kwargs: dict, net, loss, train, quiet):
    """Fold fit's retired keywords into ``(net, loss, train, quiet)``, with warnings."""

    def warn(old, new):
        warnings.warn(f"fit: {old}= is deprecated, use {new}", DeprecationWarning, stacklevel=4)

    if "net_config" in kwargs:
        if net != NetConfig():
            raise TypeError("fit: pass net= only (net_config= is its retired name)")
        warn("net_config", "net=NetConfig(...)")
        net = kwargs.pop("net_config") or NetConfig()
    if isinstance(loss, dict):
        warn("loss as a dict", "loss=LossConfig(...)")
        loss = LossConfig(**loss)
    elif loss is None:
        loss = LossConfig()
    if "progress" in kwargs:
        warn("progress", "quiet=")
        quiet = not kwargs.pop("progress")
    given = [old for old in _TRAIN_KEYWORDS if old in kwargs]
    if given and train != TrainConfig():
        raise TypeError(f"fit: pass train=TrainConfig(...) only, not also its retired flat "
                        f"keywords {given}")
    changes = {}
    for old in given:
        warn(old, f"train=TrainConfig({_TRAIN_KEYWORDS[old]}=...)")
        changes[_TRAIN_KEYWORDS[old]] = kwargs.pop(old)
    train = dataclasses.replace(train, **changes) if changes else train
    # the old fit took loss= and centres_res_deg= together: these merge into loss
    changes = {}
    for old, new in _LOSS_KEYWORDS.items():
        if old in kwargs:
            warn(old, f"loss=LossConfig({new}=...)")
            changes[new] = kwargs.pop(old)
    loss = dataclasses.replace(loss, **changes) if changes else loss
    reject_unknown(kwargs, where="fit")
    return net, loss, train, quiet


def _resolve_noise2self(noise2self: bool | None, n_months: int) -> bool:
    """``fit``'s ``noise2self``: None → True with enough months, else False with a warning."""
    if noise2self is not None:
        return bool(noise2self)
    if n_months >= NOISE2SELF_MIN_MONTHS:
        return True
    warnings.warn(f"fit: {n_months} months are too few for noise2self (needs "
                  f"{NOISE2SELF_MIN_MONTHS}); training with the published inputs "
                  "(noise2self=False)", UserWarning, stacklevel=3)
    return False


def fit(coarse, model, *, mask, features=None, radius_deg: float = 3.0,
        model_tendency: bool = False, noise2self: bool | None = None,
        net: NetConfig = NetConfig(),  # noqa: B008 (frozen: immutable default)
        loss: LossConfig = LossConfig(),  # noqa: B008
        train: TrainConfig = TrainConfig(),  # noqa: B008
        mesh=None, checkpoint_dir=None, quiet: bool = False, callback=None,
        **retired) -> Downscaler:
    """Train a downscaling network self-supervised on one regular global grid.

    The loss makes area-weighted spherical-cap means (radius ``radius_deg``, over the mask)
    of the output equal those of ``coarse`` while the pattern follows ``model``.

    Settings are grouped by what they define: the *inputs* are keywords of ``fit`` (they
    travel with the network and are applied again by :meth:`Downscaler.predict`:
    ``features``, ``radius_deg``, ``model_tendency``, ``noise2self``); the architecture is
    ``net``, the loss ``loss``, the optimisation loop ``train``.

    The defaults are the best measured settings (``noise2self`` inputs, squared misfit of
    cap means of the prediction seen through a 300 km Gaussian). The published set-up of
    Gou & Soja (2024) is one call: ``fit(coarse, model, mask=mask, noise2self=False,
    loss=LossConfig.published())``.

    Args:
        coarse: (time, lat, lon) DataArray of the coarse-resolution field (GRACE), on the
            high-resolution grid; NaN allowed outside the mask only.
        model: (time, lat, lon) DataArray of the high-resolution model field, same grid and
            times. Its ``units`` are converted to the coarse field's when both are known
            water thicknesses (m, cm, mm, kg m-2); other differing labels are an error,
            one missing label a UserWarning (the other unit is assumed), and spreads of
            coarse and model that differ more than
            :data:`~jaxgeo.downscale.SPREAD_RATIO_LIMIT` times (a unit mix-up) an error.
        mask: (lat, lon) boolean DataArray (or array), True where fields are valid.
        features: optional Dataset of extra (time, lat, lon) inputs (forcings); each
            variable's ``units`` attribute is stored with the network
            (:attr:`RunSettings.feature_units`) and checked by :meth:`Downscaler.predict`.
        radius_deg: cap radius of the consistency constraint and of the low-pass correction
            in the inputs, degrees.
        model_tendency: add the model's month-to-month tendency as an input channel (the
            months must then be consecutive, in training and in ``predict``).
        noise2self: train blind to the current month's coarse field (J-invariant
            inputs, after Batson & Royer 2019, Noise2Self): the network corrects ``model +
            L_t``, where ``L_t`` is the leave-one-out seasonal-trend fit
            (:func:`jaxgeo.seasonal.seasonal_trend_fit`) of ``cap(coarse − model)`` from the
            other months.
            The cap term then cannot be lowered by reproducing month ``t``'s noise, so it
            teaches the network the expected cap means, not the noisy ones. Needs at least
            12 months, in training and in ``predict`` (a month's prediction uses the
            others). None (default): True with at least 12 months; with fewer, False and a
            UserWarning. False: the published inputs (the month's own coarse field).
        net: :class:`NetConfig` (default: width 16, depth 2, 1 block per level).
        loss: :class:`LossConfig` (default: squared misfit of cap means at every cell of
            the prediction smoothed by 300 km, + MAE·(1−ρ) similarity;
            :meth:`LossConfig.published`: the published L1 misfit of raw cap means;
            ``spectral_weight > 0`` adds the spectral consistency term, whose targets, the
            coarse field's coefficients, are computed here once).
        train: :class:`TrainConfig` (epochs, batch_months, learning_rate, seed,
            checkpoint_every).
        mesh: data-parallel training over a :class:`jax.sharding.Mesh` with a ``"months"``
            axis (:func:`jaxgeo.distributed.make_mesh`): every batch is split over that
            axis, weights and optimizer state are replicated; ``train.batch_months`` must be
            a multiple of its device count. The loss and the weights are those of the
            one-device run up to float32 summation order. A checkpoint resumes with any
            device count. None (default): one device.
        checkpoint_dir: orbax checkpoints every ``train.checkpoint_every`` steps; an
            existing compatible checkpoint is resumed, an incompatible or corrupted one is
            an error.
        quiet: no progress bar.
        callback: ``callback(step, terms)`` after every step.
        **retired: the flat keywords of earlier releases (``epochs``, ``seed``,
            ``batch_size``, ``learning_rate``, ``checkpoint_every``, ``net_config``,
            ``centres_res_deg``, ``progress``, a ``loss`` dict) still work for one release
            with a DeprecationWarning.

    Returns:
        :class:`Downscaler`.

    Raises:
        ValueError: ``noise2self=True`` with fewer than 12 months (among the checks of
            the inputs); a ``loss.spectral_lmax`` the grid does not resolve.

    Reference: Gou & Soja (2024), Nature Water 2, 139–150 (method, patch-based).
    """
    net, loss, train, quiet = _retired_fit_keywords(retired, net, loss, train, quiet)
    fields = prepare(coarse, model, mask, features)
    net.check_grid(fields.grid.shape)
    noise2self = _resolve_noise2self(noise2self, fields.coarse.shape[0])
    norm = norm_stats(fields)
    constants = loss_constants(fields.grid, fields.mask, radius_deg, loss,
                               field_shift=norm.offset / norm.scale)
    # with caps at every cell the loss operator is the low-pass operator too: build it once
    inputs = build_inputs(fields, norm, radius_deg, tendency_channel=model_tendency,
                          noise2self=noise2self,
                          cap_op=constants.cap_op if loss.targets_resolution_deg is None
                          else None)
    target_caps = np.nan_to_num(apply_chunked(constants.cap_op, inputs.coarse)).astype(
        np.float32)
    if constants.spectral_op is not None:  # the coarse field's coefficients, once
        target_caps = (target_caps, *constants.spectral_op.month_targets(inputs.coarse))
    settings = RunSettings(
        resolution_deg=fields.grid.resolution_deg, lon_start=fields.grid.lon_start,
        in_channels=int(inputs.x.shape[-1]), features=tuple(fields.features), norm=norm,
        radius_deg=float(radius_deg), model_tendency=bool(model_tendency),
        noise2self=bool(noise2self), residual_channel=inputs.residual_channel, net=net,
        loss=loss, batch_months=train.batch_months, learning_rate=train.learning_rate,
        seed=train.seed, epochs=train.epochs, n_months=int(inputs.x.shape[0]),
        data=fingerprint(inputs.x, fields.mask),
        feature_units=tuple(fields.feature_units[n] for n in fields.features),
        mask_fingerprint=fingerprint(np.asarray(fields.mask, bool)),
        mask_cells=int(np.sum(fields.mask)))
    network = DownscaleNet.create(inputs.x.shape[-1], net,
                                  residual_channel=inputs.residual_channel, seed=train.seed)
    history = run_training(network, inputs.x, inputs.model, target_caps, constants,
                           train_cfg=train, loss_cfg=loss, settings=settings,
                           checkpoint_dir=checkpoint_dir, quiet=quiet, callback=callback,
                           mesh=mesh, units=fields.units)
    return Downscaler(network, settings, fields.mask, history, units=fields.units)


def baseline(coarse, model, *, mask, radius_deg: float = 3.0):
    """The classical combination ``model + cap(coarse − model)``: low-pass correction.

    The model's large-scale error is replaced by the coarse field's cap means over the mask
    while its small-scale pattern is kept; any network must beat it.

    Args:
        coarse, model: (time, lat, lon) DataArrays on one grid (NaN outside the mask only).
        mask: (lat, lon) boolean.
        radius_deg: cap radius of the low-pass filter, degrees.

    Returns:
        (time, lat, lon) DataArray in the unit of ``coarse``, NaN outside the mask.
    """
    import xarray as xr

    from ..sphere import CapAverage

    fields = prepare(coarse, model, mask, None)
    op = CapAverage(fields.grid, radius_deg, mask=fields.mask, dtype=jnp.float64
                    if jax.config.jax_enable_x64 else jnp.float32)
    diff = np.where(fields.mask, fields.coarse - fields.model, 0.0)
    corr = np.asarray(op(jnp.asarray(diff, op.dtype)), dtype=np.float64)
    out = np.where(fields.mask, fields.model + corr, np.nan)
    coords = {"time": ("time", fields.time), **fields.grid.to_xarray_coords()}
    attrs = {"long_name": "model + cap-mean correction toward the coarse field",
             "units": fields.units or "1",
             "comment": f"jaxgeo.downscale.baseline, cap radius {radius_deg} deg"}
    return xr.DataArray(out, dims=("time", "lat", "lon"), coords=coords, attrs=attrs,
                        name="baseline")
