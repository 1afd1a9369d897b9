"""Orbax checkpoints of a training run: weights, optimizer state and the run settings.

Each checkpoint holds the network and optimizer state (``state``) and the JSON of the
:class:`RunSettings` plus the step (``meta``). Arrays are restored onto the sharding of the
live arrays of the current run, so a checkpoint resumes with any device count.
"""

from __future__ import annotations

import json
from pathlib import Path

import jax
import numpy as np
from flax import nnx

from ._settings import RunSettings

__all__ = ["CheckpointError", "check_compatible", "manager", "read_settings",
           "restore_checkpoint", "save_checkpoint"]


class CheckpointError(ValueError):
    """A checkpoint directory that cannot be resumed from."""


def manager(directory: Path):
    """An orbax ``CheckpointManager`` on ``directory`` (keeps the last two, synchronous)."""
    import orbax.checkpoint as ocp

    options = ocp.CheckpointManagerOptions(max_to_keep=2, create=True,
                                           enable_async_checkpointing=False)
    return ocp.CheckpointManager(Path(directory).absolute(), options=options,
                                 item_names=("state", "meta"))


def _state_tree(net, optimizer) -> dict:
    return {"net": nnx.to_pure_dict(nnx.state(net)),
            "opt": nnx.to_pure_dict(nnx.state(optimizer))}


def save_checkpoint(mgr, step: int, net, optimizer, settings: RunSettings) -> None:
    """Write checkpoint ``step`` and wait until it is complete."""
    import orbax.checkpoint as ocp

    mgr.save(step, args=ocp.args.Composite(
        state=ocp.args.StandardSave(_state_tree(net, optimizer)),
        meta=ocp.args.JsonSave(dict(settings.to_dict(), step=step))), force=True)
    mgr.wait_until_finished()


def read_settings(directory: Path) -> tuple[int, RunSettings] | None:
    """``(step, settings)`` of the latest checkpoint in ``directory``; None if there is none.

    Raises:
        CheckpointError: the directory holds files but no readable checkpoint, or one of
            an unknown format.
    """
    import orbax.checkpoint as ocp

    directory = Path(directory)
    if not directory.exists() or not any(directory.iterdir()):
        return None
    try:
        mgr = manager(directory)
        step = mgr.latest_step()
    except Exception as exc:  # orbax raises various types for damaged trees
        raise CheckpointError(f"checkpoint directory {directory} is not readable: {exc}") from exc
    if step is None:
        raise CheckpointError(f"checkpoint directory {directory} is not empty but holds no "
                              "complete checkpoint; remove it or pass another directory")
    try:
        restored = mgr.restore(step, args=ocp.args.Composite(meta=ocp.args.JsonRestore()))
        meta = dict(restored["meta"])
    except Exception as exc:
        raise CheckpointError(f"checkpoint {directory} step {step} is corrupted: metadata "
                              f"unreadable ({type(exc).__name__}: {exc})") from exc
    try:
        return step, RunSettings.from_dict(meta)
    except ValueError as exc:
        raise CheckpointError(f"checkpoint {directory}: {exc}") from None


def _abstract(a) -> jax.ShapeDtypeStruct:
    # Restore onto the sharding the live array has now (one device, or replicated over this
    # run's mesh), never onto the one recorded at save time: the checkpoint may come from
    # a run with another number of devices, which this process may not even have.
    sharding = (a.sharding if isinstance(a, jax.Array)
                else jax.sharding.SingleDeviceSharding(jax.devices()[0]))
    return jax.ShapeDtypeStruct(np.shape(a), np.dtype(a.dtype), sharding=sharding)


def restore_checkpoint(directory: Path, step: int, net, optimizer=None) -> None:
    """Load the state of checkpoint ``step`` into ``net`` (and ``optimizer``) in place.

    Each array is restored onto the sharding of the corresponding live array of ``net`` /
    ``optimizer`` (replicate them over a mesh first for a sharded run), whatever the device
    count of the run that wrote the checkpoint.
    """
    import orbax.checkpoint as ocp

    if optimizer is None:  # same state layout as in training; its values are discarded
        from ._train import TrainConfig, make_optimizer

        optimizer = make_optimizer(net, TrainConfig(), 1)
    target = _state_tree(net, optimizer)
    abstract = jax.tree.map(_abstract, target)
    try:
        restored = manager(Path(directory)).restore(
            step, args=ocp.args.Composite(state=ocp.args.StandardRestore(abstract)))["state"]
    except Exception as exc:
        raise CheckpointError(f"checkpoint {directory} step {step} is corrupted or does not "
                              f"match the network ({type(exc).__name__}: {exc})") from exc
    bad = [jax.tree_util.keystr(k) for k, a in jax.tree_util.tree_leaves_with_path(
        jax.tree.map(lambda r, t: np.shape(r) != np.shape(t), restored, target)) if a]
    if bad:
        raise CheckpointError(f"checkpoint {directory} does not match the network: shapes "
                              f"differ at {bad[:3]}")
    for obj, key in ((net, "net"), (optimizer, "opt")):
        state = nnx.state(obj)
        nnx.replace_by_pure_dict(state, restored[key])
        nnx.update(obj, state)


def _short(value) -> str:
    if hasattr(value, "to_dict"):
        value = value.to_dict()
    try:
        return json.dumps(value, default=str)[:120]
    except TypeError:
        return repr(value)[:120]


def check_compatible(saved: RunSettings, current: RunSettings, directory) -> None:
    """Raise :class:`CheckpointError` naming the first setting that differs."""
    diff = saved.difference(current)
    if diff is not None:
        key, a, b = diff
        raise CheckpointError(f"checkpoint in {directory} is incompatible with this run: "
                              f"'{key}' differs (checkpoint {_short(a)}, now {_short(b)}); use "
                              "another checkpoint_dir or the original settings")
