"""The published patch method of Gou & Soja (2024) as a peer of :func:`~jaxgeo.downscale.fit`.

:func:`fit_patches` trains the published set-up (GRACE-SeDA, re-implemented in JAX/Flax
NNX, not translated): one ``p × p`` patch per month and mask cell
(:mod:`~jaxgeo.downscale._patchdata` for the patch conventions), the
:class:`~jaxgeo.downscale._patchnet.PatchNet` encoder–decoder, the per-patch loss
``|mean(GRACE) − mean(ŷ)| + MAE(model, ŷ)·(1 − ρ)`` with plain (unweighted) patch means
(:func:`jaxgeo.downscale.losses.patch_loss_parity`), constant-rate Adam, batches of 512.
:meth:`PatchDownscaler.predict` slides the patch over every month and mask cell and keeps
the centre pixel.

Differences from the public code, on purpose: the longitude channel holds the longitude in
training too (the public code feeds the latitude there at training time, the longitude at
prediction); the last incomplete batch of an epoch is dropped; the patch order is a fresh
permutation each epoch (the public code shuffles once when writing its TFRecords, then
through a 1996-sample shuffle buffer).
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

from .._dtype import standard_promotion
from ._data import prepare
from ._patchdata import PatchConfig, PatchScalers, extract_patches, patch_scalers, stack_fields
from ._patchnet import PatchNet, count_parameters
from ._units import to_training_units
from .losses import patch_loss_parity

__all__ = ["PatchDownscaler", "fit_patches"]


@functools.lru_cache(maxsize=8)
def _train_step(patch_size: int, n_in: int):
    """A jit-compiled step ``(net, optimizer, stack, valid, t, i, j) → loss``."""

    @nnx.jit
    def step(net, optimizer, stack, valid, t, i, j):
        patches = extract_patches(stack, valid, t, i, j, patch_size)
        x, grace, model = patches[..., :n_in], patches[..., n_in], patches[..., n_in + 1]

        def loss_fn(net):
            return patch_loss_parity(net(x, train=True), grace, model)

        loss, grads = nnx.value_and_grad(loss_fn)(net)
        with standard_promotion():
            optimizer.update(net, grads)
        return loss

    return step


@functools.lru_cache(maxsize=8)
def _centres(graphdef, patch_size: int, n_in: int):
    """Jitted ``(state, stack, valid, t, i, j) → (B,)``: the centre pixels of the patches."""
    c = patch_size // 2 - 1

    @jax.jit
    def run(state, stack, valid, t, i, j):
        net = nnx.merge(graphdef, state)
        x = extract_patches(stack, valid, t, i, j, patch_size)[..., :n_in]
        return net(x, train=False)[:, c, c]

    return run


class PatchDownscaler:
    """A trained patch network (the published method); see :func:`fit_patches`.

    Attributes:
        net: the :class:`PatchNet`.
        config: the :class:`PatchConfig` of the run.
        scalers: min–max scalers of the data channels (coarse, model, features).
        grid, mask: the data grid and its ``(nlat, nlon)`` boolean mask.
        units: the coarse field's unit (the network's output unit).
        feature_units: the ``units`` label of each feature in training (None if none).
        history: one record per epoch: ``epoch``, ``loss`` (mean over its steps),
            ``seconds`` (training wall time of the epoch), ``patches``.
    """

    def __init__(self, net: PatchNet, config: PatchConfig, scalers: PatchScalers, grid, mask,
                 units: str | None = None, history=None, feature_units=()):
        self.net = net
        self.feature_units = tuple(feature_units)
        self.config = config
        self.scalers = scalers
        self.grid = grid
        self.mask = mask
        self.units = units
        self.history = list(history or [])

    @property
    def parameters(self) -> tuple[int, int]:
        """``(trainable, batch statistics)`` element counts of the network."""
        return count_parameters(self.net)

    def settings_dict(self) -> dict:
        """The run's settings as JSON (what :meth:`save` stores; format
        ``jaxgeo.downscale.patch/1``): grid, :class:`PatchConfig`, scalers, units, history."""
        from ._patchsave import settings_of

        return settings_of(self)

    def save(self, path, *, overwrite: bool = True):
        """Write the trained network, its settings and mask to the folder ``path``, atomically.

        Returns the path. Raises FileExistsError (``path`` exists and ``overwrite`` is
        False, or it is not a folder jaxgeo wrote) or OutputError (disk full, read-only).
        See :mod:`jaxgeo.downscale._patchsave`.
        """
        from ._patchsave import save_patch

        return save_patch(self, path, overwrite=overwrite)

    @staticmethod
    def is_saved(path) -> bool:
        """Whether the folder ``path`` holds a network saved by :meth:`save` (readable
        settings of its format); False for a checkpoint of ``fit`` or anything else."""
        from ._patchsave import is_saved_patch

        return is_saved_patch(path)

    @classmethod
    def load(cls, path, *, mask=None) -> PatchDownscaler:
        """The network saved by :meth:`save` in ``path`` (predicts as the saved one).

        ``mask``: optional, checked against the training mask (stored in the folder).

        Raises:
            FileNotFoundError: no such folder.
            CheckpointError: not a saved patch network, damaged files, invalid settings.
            ValueError: ``mask`` is not the training mask.
        """
        from ._patchsave import load_patch

        return load_patch(path, mask=mask)

    def predict(self, coarse, model, features=None):
        """Downscale every month of ``coarse`` and ``model`` by sliding patches.

        One patch per month and mask cell, centred as in training; the network's centre
        pixel is that cell's value (batch normalisation with its running statistics).

        Args:
            coarse, model: (time, lat, lon) DataArrays on the training grid.
            features: the Dataset of forcings the network was trained with.

        Returns:
            ``xarray.DataArray`` (time, lat, lon) in :attr:`units`, NaN outside the mask,
            like :meth:`Downscaler.predict`.

        Raises:
            ValueError: grid, features or units that differ from training.
        """
        import xarray as xr

        names = self.scalers.names[2:]
        fields = prepare(coarse, model, self.mask, features, names)
        if fields.grid != self.grid:
            raise ValueError(f"grids differ: the patch network was trained on {self.grid}, "
                             f"the data are on {fields.grid}")
        fields = to_training_units(fields, self.units, names, self.feature_units)
        stack, valid, n_in = stack_fields(fields, self.scalers)
        stack, valid = jnp.asarray(stack), jnp.asarray(valid)
        graphdef, state = nnx.split(self.net)
        run = _centres(graphdef, self.config.patch_size, n_in)
        ii, jj = np.nonzero(self.mask)
        nt, ncell = stack.shape[0], ii.size
        total = nt * ncell
        b = self.config.predict_batch
        out = np.empty(total, np.float32)
        for s in range(0, total, b):
            k = np.arange(s, s + b)
            k = np.minimum(k, total - 1)  # a constant batch shape: one compilation
            t, cell = k // ncell, k % ncell
            vals = run(state, stack, valid, jnp.asarray(t, jnp.int32),
                       jnp.asarray(ii[cell], jnp.int32), jnp.asarray(jj[cell], jnp.int32))
            n = min(b, total - s)
            out[s:s + n] = np.asarray(vals)[:n]
        pred = np.full((nt,) + self.grid.shape, np.nan)
        pred[:, ii, jj] = out.reshape(nt, ncell).astype(np.float64)
        attrs = {"long_name": "downscaled " + str(model.attrs.get("long_name", model.name or
                                                                  "field")),
                 "units": fields.units or "1",
                 "cell_methods": "area: mean where mask",
                 "comment": (f"jaxgeo.downscale.fit_patches: the published patch method "
                             f"(Gou & Soja 2024), {self.config.patch_size}x"
                             f"{self.config.patch_size} patches, centre pixel kept"),
                 "source": "jaxgeo.downscale"}
        coords = {"time": ("time", fields.time), **self.grid.to_xarray_coords()}
        return xr.DataArray(pred, dims=("time", "lat", "lon"), coords=coords, attrs=attrs,
                            name="downscaled")


def fit_patches(coarse, model, *, mask, features=None,
                config: PatchConfig = PatchConfig(),  # noqa: B008 (frozen: immutable default)
                quiet: bool = True,
                callback: Callable[[int, PatchDownscaler], None] | None = None
                ) -> PatchDownscaler:
    """Train the published patch method (Gou & Soja 2024) on one regular global grid.

    The peer of :func:`~jaxgeo.downscale.fit` for side-by-side comparisons: same inputs,
    same kind of output. Settings are :class:`PatchConfig` (published defaults: 32 × 32
    patches, batch 512, Adam 1e-3, 150 epochs, seed 1996); an epoch is one patch per month
    and mask cell unless ``config.max_patches_per_epoch`` subsamples it.

    Args:
        coarse, model: (time, lat, lon) DataArrays, as for :func:`~jaxgeo.downscale.fit`
            (the model is converted to the coarse field's unit).
        mask: (lat, lon) boolean, True where the fields are valid (land).
        features: optional Dataset of (time, lat, lon) forcings (the published inputs are
            precipitation, evapotranspiration and three runoff components).
        config: :class:`PatchConfig`.
        quiet: no per-epoch line.
        callback: ``callback(epoch, downscaler)`` after every epoch (1-based), outside the
            timed training (the benchmark evaluates the RMSE there).

    Returns:
        :class:`PatchDownscaler`.

    Raises:
        ValueError: inputs as in :func:`~jaxgeo.downscale.fit`; a constant channel; fewer
            patches than one batch; a non-finite loss (naming the epoch and step).

    Reference: Gou & Soja (2024), Nature Water 2, 139–150 (Methods); GRACE-SeDA code.
    """
    fields = prepare(coarse, model, mask, features)
    scalers = patch_scalers(fields)
    stack, valid, n_in = stack_fields(fields, scalers)
    ii, jj = np.nonzero(fields.mask)
    nt, ncell = stack.shape[0], ii.size
    n_all = nt * ncell
    per_epoch = n_all if config.max_patches_per_epoch is None else min(
        n_all, config.max_patches_per_epoch)
    steps = per_epoch // config.batch
    if steps < 1:
        raise ValueError(f"an epoch has {per_epoch} patches ({nt} months × {ncell} mask "
                         f"cells), fewer than one batch of {config.batch}; lower "
                         "PatchConfig.batch")
    net = PatchNet.create(n_in, config.widths, config.blocks, config.bn_momentum,
                          seed=config.seed)
    optimizer = nnx.Optimizer(net, optax.adam(config.learning_rate, eps=1e-7), wrt=nnx.Param)
    step = _train_step(config.patch_size, n_in)
    stack_d, valid_d = jnp.asarray(stack), jnp.asarray(valid)
    ii_d, jj_d = jnp.asarray(ii, jnp.int32), jnp.asarray(jj, jnp.int32)
    out = PatchDownscaler(net, config, scalers, fields.grid, fields.mask, fields.units,
                          feature_units=[fields.feature_units[n] for n in fields.features])
    for epoch in range(config.epochs):
        order = np.random.default_rng([config.seed, epoch]).permutation(n_all)[:per_epoch]
        t0 = time.perf_counter()
        losses = []
        for k in range(steps):
            idx = order[k * config.batch:(k + 1) * config.batch]
            cell = jnp.asarray(idx % ncell, jnp.int32)
            losses.append(step(net, optimizer, stack_d, valid_d,
                               jnp.asarray(idx // ncell, jnp.int32), ii_d[cell], jj_d[cell]))
        losses = [float(v) for v in losses]  # waits for the last step
        seconds = time.perf_counter() - t0
        bad = [k for k, v in enumerate(losses) if not math.isfinite(v)]
        if bad:
            raise ValueError(f"fit_patches: the loss became non-finite at step {bad[0] + 1} of "
                             f"epoch {epoch + 1}; likely cause: a learning_rate too large "
                             f"({config.learning_rate:g}) or extreme input values")
        out.history.append({"epoch": epoch + 1, "loss": float(np.mean(losses)),
                            "seconds": seconds, "patches": steps * config.batch})
        if not quiet:
            print(f"fit_patches: epoch {epoch + 1}/{config.epochs} loss "
                  f"{out.history[-1]['loss']:.4g} ({seconds:.1f} s)")
        if callback is not None:
            callback(epoch + 1, out)
    return out
