"""Orbax checkpoints of a training run: weights, optimizer state and the run settings.

Each checkpoint holds the network and optimizer state (``state``) and the JSON of the
:class:`RunSettings` plus the step and a SHA-256 checksum of every saved array (``meta``).
Arrays are restored onto the sharding of the live arrays of the current run, so a checkpoint
resumes with any device count, and checked against their checksums: a damaged array file is
a :class:`CheckpointError` naming the step and the array, never a silently wrong network.
Temporary folders of a save that was killed are ignored (and removed by the next training
run), so a kill during the first save does not block the rerun.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import jax
import numpy as np
from flax import nnx

from ._settings import RunSettings

__all__ = ["CheckpointError", "check_compatible", "manager", "read_settings",
           "restore_checkpoint", "save_checkpoint"]


def _brief(exc: BaseException) -> str:
    """A library error on one line, at most 240 characters (orbax/tensorstore errors span
    dozens of lines of spec)."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:240]}" + ("..." if len(text) > 240 else "")


class CheckpointError(ValueError):
    """A checkpoint directory that cannot be resumed from."""


#: orbax names the folder of a save in progress ``<step>.orbax-checkpoint-tmp...``
_TMP_MARK = ".orbax-checkpoint-tmp"
#: the checksum algorithm recorded in ``meta`` (key ``checksums``)
_CHECKSUM = "sha256"


def manager(directory: Path, *, cleanup: bool = False):
    """An orbax ``CheckpointManager`` on ``directory`` (keeps the last two, synchronous).

    ``cleanup``: remove the temporary folders of interrupted saves (the writer of a run
    only; a reader must not remove a concurrent writer's save in progress).
    """
    import orbax.checkpoint as ocp

    options = ocp.CheckpointManagerOptions(max_to_keep=2, create=True,
                                           enable_async_checkpointing=False,
                                           cleanup_tmp_directories=cleanup)
    return ocp.CheckpointManager(Path(directory).absolute(), options=options,
                                 item_names=("state", "meta"))


def _state_tree(net, optimizer) -> dict:
    return {"net": nnx.to_pure_dict(nnx.state(net)),
            "opt": nnx.to_pure_dict(nnx.state(optimizer))}


def _host(a) -> np.ndarray:
    # a replicated array of a multi-process mesh is not fully addressable; any copy will do
    if isinstance(a, jax.Array) and not a.is_fully_addressable:
        a = a.addressable_data(0)
    return np.ascontiguousarray(np.asarray(a))


def _array_name(path) -> str:
    return "/".join(str(getattr(k, "key", getattr(k, "idx", getattr(k, "name", k))))
                    for k in path)


def checksums(tree) -> dict[str, str]:
    """``{array name: sha256 of its dtype, shape and bytes}`` of every leaf of ``tree``."""
    out = {}
    for path, leaf in jax.tree_util.tree_leaves_with_path(tree):
        a = _host(leaf)
        h = hashlib.sha256(f"{a.dtype.str}{a.shape}".encode())
        h.update(a.tobytes())
        out[_array_name(path)] = h.hexdigest()
    return out


def save_checkpoint(mgr, step: int, net, optimizer, settings: RunSettings,
                    units: str | None = None) -> None:
    """Write checkpoint ``step`` (with the checksum of every array) and wait until done.

    ``units``: the unit of the fields the network was trained on (stored when given).
    """
    import orbax.checkpoint as ocp

    tree = _state_tree(net, optimizer)
    meta = dict(settings.to_dict(), step=step, checksum=_CHECKSUM, checksums=checksums(tree))
    if units:
        meta["units"] = units
    mgr.save(step, args=ocp.args.Composite(
        state=ocp.args.StandardSave(tree), meta=ocp.args.JsonSave(meta)), force=True)
    mgr.wait_until_finished()


def _verify(restored, meta: dict, directory, step: int) -> None:
    """Raise :class:`CheckpointError` naming the first array whose checksum differs."""
    saved = meta.get("checksums")
    if saved is None:  # written before checksums existed: nothing to compare with
        return
    if meta.get("checksum") != _CHECKSUM:
        raise CheckpointError(f"checkpoint {directory} step {step}: unknown checksum "
                              f"algorithm {meta.get('checksum')!r}")
    now = checksums(restored)
    for name in sorted(set(saved) | set(now)):
        if saved.get(name) != now.get(name):
            what = ("is missing" if name not in now else "has no stored checksum"
                    if name not in saved else "does not match its checksum (the file is "
                    "damaged)")
            raise CheckpointError(f"checkpoint {directory} step {step} is corrupted: array "
                                  f"{name!r} {what}; delete step {step} to resume from an "
                                  "earlier one, or retrain")


def read_settings(directory: Path) -> tuple[int, RunSettings] | None:
    """``(step, settings)`` of the latest checkpoint in ``directory``; None if there is none.

    Raises:
        CheckpointError: the directory holds files but no readable checkpoint, or one of
            an unknown format.
    """
    import orbax.checkpoint as ocp

    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise CheckpointError(f"checkpoint directory {directory} is a file, not a directory")
    if not directory.exists() or all(_TMP_MARK in p.name for p in directory.iterdir()):
        return None  # empty, or only the temporary folder of a killed first save
    try:
        mgr = manager(directory)
        step = mgr.latest_step()
    except Exception as exc:  # orbax raises various types for damaged trees
        raise CheckpointError(f"checkpoint directory {directory} is not readable "
                              f"({_brief(exc)})") from exc
    if step is None:
        raise CheckpointError(f"checkpoint directory {directory} is not empty but holds no "
                              "complete checkpoint; remove it or pass another directory")
    try:
        restored = mgr.restore(step, args=ocp.args.Composite(meta=ocp.args.JsonRestore()))
        meta = dict(restored["meta"])
    except Exception as exc:
        raise CheckpointError(f"checkpoint {directory} step {step} is corrupted: metadata "
                              f"unreadable ({_brief(exc)})") from exc
    for key in ("checksum", "checksums", "units"):
        meta.pop(key, None)
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


def restore_checkpoint(directory: Path, step: int, net, optimizer=None) -> str | None:
    """Load the state of checkpoint ``step`` into ``net`` (and ``optimizer``) in place.

    Returns the unit of the fields the network was trained on (None if not stored).

    Each array is restored onto the sharding of the corresponding live array of ``net`` /
    ``optimizer`` (replicate them over a mesh first for a sharded run), whatever the device
    count of the run that wrote the checkpoint, and checked against its stored checksum.

    Raises:
        CheckpointError: an array file is damaged (naming the step and the array), or the
            checkpoint does not match the network.
    """
    import orbax.checkpoint as ocp

    if optimizer is None:  # same state layout as in training; its values are discarded
        from ._train import TrainConfig, make_optimizer

        optimizer = make_optimizer(net, TrainConfig(), 1)
    target = _state_tree(net, optimizer)
    abstract = jax.tree.map(_abstract, target)
    try:
        both = manager(Path(directory)).restore(
            step, args=ocp.args.Composite(state=ocp.args.StandardRestore(abstract),
                                          meta=ocp.args.JsonRestore()))
        restored, meta = both["state"], dict(both["meta"])
    except Exception as exc:
        raise CheckpointError(f"checkpoint {directory} step {step} is corrupted or does not "
                              f"match the network ({_brief(exc)})") from exc
    bad = [jax.tree_util.keystr(k) for k, a in jax.tree_util.tree_leaves_with_path(
        jax.tree.map(lambda r, t: np.shape(r) != np.shape(t), restored, target)) if a]
    if bad:
        raise CheckpointError(f"checkpoint {directory} does not match the network: shapes "
                              f"differ at {bad[:3]}")
    _verify(restored, meta, directory, step)
    for obj, key in ((net, "net"), (optimizer, "opt")):
        state = nnx.state(obj)
        nnx.replace_by_pure_dict(state, restored[key])
        nnx.update(obj, state)
    return meta.get("units")


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


#: the file of a run directory that records :attr:`Downscaler.selection`
SELECTION_FILE = "selection.json"


def write_selection(directory: Path, selection) -> None:
    """Record whether the trained network's output replaces its start (atomic)."""
    from .._io import write_json

    write_json({"format": "jaxgeo.downscale.selection/1", **selection.to_dict()},
               Path(directory) / SELECTION_FILE)


def read_selection(directory: Path, settings: RunSettings):
    """The run's :class:`~jaxgeo.downscale.Selection`; for a matched start with none
    recorded (a run stopped before its end) the start, for the classical one the network.

    Raises:
        CheckpointError: the file is not a selection record.
    """
    from ._start import Selection

    path = Path(directory) / SELECTION_FILE
    if not path.exists():
        if settings.start == "matched":
            return Selection(False, f"no {SELECTION_FILE} in {directory} (the run did not "
                             "finish): the start")
        return Selection(True, "classical start: the network")
    try:
        d = json.loads(path.read_text())
        return Selection.from_dict(d)
    except (ValueError, KeyError, TypeError) as exc:
        raise CheckpointError(f"{path}: not a selection record ({_brief(exc)})") from None
