"""Saving and loading a trained :class:`~jaxgeo.downscale.PatchDownscaler`.

A saved patch network is a folder written atomically (:func:`jaxgeo._io.atomic_dir`: a
failed save leaves the previous folder untouched; a folder jaxgeo did not write is never
replaced) holding one orbax checkpoint (through the helpers of
:mod:`~jaxgeo.downscale._checkpoint`): the network's weights and batch statistics and the
mask (``state``), and the settings as JSON (``meta``: format
:data:`PATCH_FORMAT`, the grid, the :class:`PatchConfig`, the scalers, the units, the
training history) with a SHA-256 checksum of every array. Loading checks the format and
every checksum: a damaged or foreign folder is one :class:`CheckpointError` line naming
the folder and the problem, never a silently wrong network.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import jax
import numpy as np
from flax import nnx

from .._grid import Grid
from .._io import atomic_dir
from ._checkpoint import (
    _CHECKSUM,
    _TMP_MARK,
    CheckpointError,
    _abstract,
    _brief,
    checksums,
    manager,
)
from ._data import check_mask
from ._patchdata import PatchConfig, PatchScalers
from ._patchnet import PatchNet
from ._settings import FORMATS, fingerprint

__all__ = ["PATCH_FORMAT", "is_saved_patch", "load_patch", "save_patch", "settings_of"]

#: the ``format`` of a saved patch network's settings
PATCH_FORMAT = "jaxgeo.downscale.patch/1"


def settings_of(down) -> dict:
    """The JSON settings of a :class:`PatchDownscaler` (everything but the arrays)."""
    g = down.grid
    return {
        "format": PATCH_FORMAT,
        "grid": {"resolution_deg": g.resolution_deg, "lon_start": g.lon_start,
                 "radius_m": g.radius_m},
        "in_channels": len(down.scalers.channels) + 2,
        "config": {**dataclasses.asdict(down.config), "widths": list(down.config.widths)},
        "scalers": [[n, lo, hi] for n, lo, hi in down.scalers.channels],
        "units": down.units,
        "feature_units": list(down.feature_units),
        "mask_fingerprint": fingerprint(np.asarray(down.mask, bool)),
        "mask_cells": int(np.sum(down.mask)),
        "history": list(down.history),
    }


def _tree(net, mask) -> dict:
    return {"net": nnx.to_pure_dict(nnx.state(net)), "mask": np.asarray(mask, np.uint8)}


def save_patch(down, path, *, overwrite: bool = True) -> Path:
    """Write ``down`` to the folder ``path`` atomically; see the module docstring.

    Raises:
        FileExistsError: ``path`` exists and ``overwrite`` is False, or it is not a folder
            jaxgeo wrote.
        OutputError: a full disk, read-only file system or permission error.
    """
    import orbax.checkpoint as ocp

    tree = _tree(down.net, down.mask)
    meta = dict(settings_of(down), checksum=_CHECKSUM, checksums=checksums(tree))
    with atomic_dir(path, overwrite=overwrite) as tmp:
        mgr = manager(tmp)
        mgr.save(0, args=ocp.args.Composite(state=ocp.args.StandardSave(tree),
                                            meta=ocp.args.JsonSave(meta)), force=True)
        mgr.wait_until_finished()
        mgr.close()
    return Path(path)


def is_saved_patch(path) -> bool:
    """Whether the folder ``path`` holds the settings of a saved patch network (its format
    is :data:`PATCH_FORMAT`); False for anything else, damaged folders included."""
    import orbax.checkpoint as ocp

    path = Path(path)
    if not path.is_dir():
        return False
    try:
        mgr = manager(path)
        try:
            step = mgr.latest_step()
            meta = None if step is None else mgr.restore(step, args=ocp.args.Composite(
                meta=ocp.args.JsonRestore()))["meta"]
        finally:
            mgr.close()
    except Exception:  # not a readable checkpoint: not a saved patch network
        return False
    return isinstance(meta, dict) and meta.get("format") == PATCH_FORMAT


def _settings(meta: dict, path: Path):
    """``(grid, in_channels, config, scalers)`` of the JSON, or a :class:`CheckpointError`."""
    fmt = meta.get("format")
    if fmt != PATCH_FORMAT:
        if fmt in FORMATS:
            raise CheckpointError(f"{path} holds a network of jaxgeo.downscale.fit (format "
                                  f"{fmt!r}), not of fit_patches: load it with "
                                  "Downscaler.load")
        raise CheckpointError(f"{path}: unknown saved-network format {fmt!r}, expected "
                              f"{PATCH_FORMAT!r}")
    try:
        g = meta["grid"]
        grid = Grid(float(g["resolution_deg"]), float(g["lon_start"]), float(g["radius_m"]))
        config = PatchConfig(**meta["config"])
        scalers = PatchScalers(tuple((str(n), float(lo), float(hi))
                                     for n, lo, hi in meta["scalers"]))
        return grid, int(meta["in_channels"]), config, scalers
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{path}: the stored settings are incomplete or invalid "
                              f"({_brief(exc)})") from None


def _restore(mgr, path: Path):
    """``(net, meta, restored arrays)`` of the saved network, checked against its checksums."""
    import orbax.checkpoint as ocp

    try:
        step = mgr.latest_step()
    except Exception as exc:  # orbax raises various types for damaged trees
        raise CheckpointError(f"{path} is not a readable saved network ({_brief(exc)})") \
            from exc
    if step is None:
        empty = all(_TMP_MARK in p.name or p.name.startswith(".") for p in path.iterdir())
        raise CheckpointError(f"{path} holds no complete saved network"
                              + (" (empty folder)" if empty else ""))
    try:
        meta = dict(mgr.restore(step, args=ocp.args.Composite(
            meta=ocp.args.JsonRestore()))["meta"])
    except Exception as exc:
        raise CheckpointError(f"{path} is corrupted: settings unreadable ({_brief(exc)})") \
            from exc
    grid, n_in, config, scalers = _settings(meta, path)
    net = PatchNet.create(n_in, config.widths, config.blocks, config.bn_momentum,
                          seed=config.seed)
    target = _tree(net, np.zeros(grid.shape, bool))
    try:
        abstract = jax.tree.map(_abstract, target)
        restored = mgr.restore(step, args=ocp.args.Composite(
            state=ocp.args.StandardRestore(abstract)))["state"]
    except Exception as exc:
        raise CheckpointError(f"{path} is corrupted or does not match its settings "
                              f"({_brief(exc)})") from exc
    saved, now = meta.get("checksums") or {}, checksums(restored)
    for name in sorted(set(saved) | set(now)):
        if saved.get(name) != now.get(name):
            raise CheckpointError(f"{path} is corrupted: array {name!r} does not match its "
                                  "stored checksum; save or train it again")
    state = nnx.state(net)
    nnx.replace_by_pure_dict(state, restored["net"])
    nnx.update(net, state)
    return net, meta, restored


def load_patch(path, *, mask=None):
    """The :class:`PatchDownscaler` saved in the folder ``path``.

    ``mask``: optional; if given it must be the training mask (checked cell by cell).

    Raises:
        FileNotFoundError: no such folder.
        CheckpointError: not a saved patch network (e.g. one of ``fit``), damaged files
            (naming the array whose checksum differs) or invalid settings.
        ValueError: ``mask`` differs from the training mask.
    """
    from ._patch import PatchDownscaler

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no saved patch network at {path}")
    if not path.is_dir():
        raise CheckpointError(f"{path} is a file, not a saved patch network (a folder)")
    try:
        mgr = manager(path)
    except Exception as exc:  # orbax raises various types for damaged trees
        raise CheckpointError(f"{path} is not a readable saved network ({_brief(exc)})") \
            from exc
    try:
        net, meta, restored = _restore(mgr, path)
    finally:
        mgr.close()
    grid, _, config, scalers = _settings(meta, path)
    stored = np.asarray(restored["mask"]).astype(bool)
    if mask is not None:
        given = check_mask(mask, grid)
        if not np.array_equal(given, stored):
            raise ValueError(f"{path}: the mask differs from the one the network was "
                             f"trained with ({int(given.sum())} cells, trained on "
                             f"{int(stored.sum())})")
    return PatchDownscaler(net, config, scalers, grid, stored, meta.get("units"),
                           history=meta.get("history"),
                           feature_units=meta.get("feature_units") or ())
