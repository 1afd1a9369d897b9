"""Foundation: output is written to a temporary sibling and moved into place.

Every file or directory jaxgeo writes goes through :func:`atomic_path` or
:func:`atomic_dir`: a failure leaves what was there untouched and removes the temporary.

* Temporaries are named after the output, ``.<name>.jaxgeo-tmp-<pid>-<random>``; those of a
  killed run (their process is gone) are removed by the next write of the same output.
* A folder output replaces the previous one in one atomic exchange (Linux
  ``renameat2``); elsewhere the previous folder is set aside first and, if the run is
  killed between the two renames, restored by the next write.
* Files and folders get the user's umask.
* :func:`atomic_dir` replaces only a folder that jaxgeo wrote (it holds the
  :data:`MARKER` file); anything else at the output path is refused with
  :class:`FileExistsError`, never deleted. The swap holds a lock on the parent folder, so
  concurrent writers of the same output replace each other's complete stores, one at a time.
* A full disk, a read-only file system or a permission error is an :class:`OutputError`
  (an ``OSError`` and a ``ValueError``) of one line naming the path.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import glob
import json
import os
import shutil
import tempfile
import uuid
from pathlib import Path

__all__ = [
    "MARKER",
    "OutputError",
    "atomic_dir",
    "atomic_path",
    "check_input_file",
    "check_replaceable",
    "netcdf_encoding",
    "pick_variable",
    "remove_stale_temporaries",
    "save_figure",
    "write_json",
    "write_netcdf",
]

MARKER = ".jaxgeo-output"
"""The file that marks a folder as written by jaxgeo (and so replaceable by it)."""

TMP_TAG = ".jaxgeo-tmp-"
OLD_TAG = ".jaxgeo-old-"  # a replaced folder set aside during a swap (restored if killed)

_REASONS = {
    errno.ENOSPC: "no space left on",
    errno.EDQUOT: "disk quota exceeded on",
    errno.EROFS: "read-only file system: cannot write",
    errno.EACCES: "permission denied: cannot write",
    errno.EPERM: "permission denied: cannot write",
}
_NEARLY_FULL = 1 << 20  # bytes: a library failure with less free space is a full disk


class OutputError(OSError, ValueError):
    """An output could not be written (full disk, read-only, permission); one line naming
    the path. Both an ``OSError`` and a ``ValueError`` (the CLI's anticipated failures)."""


def _tmp_name(path: Path, tag: str = TMP_TAG) -> Path:
    return path.parent / f".{path.name}{tag}{os.getpid()}-{uuid.uuid4().hex[:8]}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stale(path: Path, tag: str) -> list[Path]:
    """``path``'s temporaries with ``tag`` whose writing process is gone."""
    found = []
    for tmp in path.parent.glob(f".{glob.escape(path.name)}{tag}*"):
        pid = tmp.name[len(path.name) + 1 + len(tag):].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            found.append(tmp)
    return found


def remove_stale_temporaries(path) -> list[Path]:
    """Remove the temporaries of ``path`` left by killed runs (their process is gone).

    A folder set aside by a swap that was killed half-way (``path`` itself missing) is moved
    back to ``path`` instead: the previous output is restored, not deleted.

    Returns:
        The removed paths. Temporaries of live processes (a concurrent writer) are kept.
    """
    path = Path(path)
    removed = []
    for old in sorted(_stale(path, OLD_TAG)):
        if not os.path.lexists(path):
            with contextlib.suppress(OSError):
                os.rename(old, path)
            continue  # restored, or kept where it could not be (never the only copy lost)
        _remove(old)
        removed.append(old)
    for tmp in _stale(path, TMP_TAG):
        _remove(tmp)
        if not os.path.lexists(tmp):
            removed.append(tmp)
    return removed


_RENAME_EXCHANGE = 2  # linux/fs.h


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2(RENAME_EXCHANGE)``); False where the
    system or file system cannot."""
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    rc = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _swap_in(tmp: Path, path: Path) -> None:
    """Move the complete folder ``tmp`` onto the existing folder ``path``.

    Where possible in one atomic exchange; otherwise the old folder is first set aside
    under :data:`OLD_TAG`, which :func:`remove_stale_temporaries` restores if the process
    is killed between the two renames.
    """
    if _exchange(tmp, path):
        _remove(tmp)  # now the previous output
        return
    old = _tmp_name(path, OLD_TAG)
    os.replace(path, old)
    os.replace(tmp, path)
    _remove(old)


def _a(what: str) -> str:
    return f"an {what}" if what[:1].lower() in "aeiou" else f"a {what}"


def check_input_file(path, what: str = "input") -> Path:
    """``path`` as a Path to an existing regular file, else a one-line error naming it.

    Raises:
        FileNotFoundError: nothing at ``path``. ValueError: a directory, or not a regular
        file (a pipe or a device would block or never end).
    """
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{p}: no such {what} file")
    if p.is_dir():
        raise ValueError(f"{p}: is a directory, not {_a(what)} file")
    if not p.is_file():
        raise ValueError(f"{p}: not a regular file (a pipe or a device?); expected "
                         f"{_a(what)} file")
    return p


def check_replaceable(path, *, directory: bool) -> None:
    """Refuse (FileExistsError, one line) an output path jaxgeo may not replace.

    A file output (``directory=False``) may replace a file, not a folder; a folder output
    (a Zarr store) may replace only an empty folder or one holding jaxgeo's :data:`MARKER`.
    """
    path = Path(path)
    if not os.path.lexists(path):
        return
    if not directory:
        if path.is_dir():
            raise FileExistsError(f"{path} is a directory; give a file name for the output")
        return
    if path.is_symlink() or not path.is_dir():
        raise FileExistsError(f"{path} exists and is not a folder jaxgeo wrote; refusing to "
                              "replace it: remove it or choose another output path")
    if not (path / MARKER).is_file() and any(path.iterdir()):
        # an empty folder holds nothing to lose; anything else needs jaxgeo's marker
        raise FileExistsError(f"{path} exists and was not written by jaxgeo (no {MARKER} "
                              "marker); refusing to delete it: remove it or choose another "
                              "output path")


def _output_error(exc: BaseException, path: Path, where: Path) -> OutputError | None:
    """The one-line error for a failed write of ``path``, or None (not a disk problem)."""
    if isinstance(exc, OutputError):
        return None
    code = getattr(exc, "errno", None) if isinstance(exc, OSError) else None
    if code not in _REASONS and isinstance(exc, (OSError, RuntimeError)):
        # libraries (netCDF/HDF5) report a full disk as a generic error
        with contextlib.suppress(OSError):
            if shutil.disk_usage(where).free < _NEARLY_FULL:
                code = errno.ENOSPC
    if code not in _REASONS:
        return None
    err = OutputError(f"{_REASONS[code]} {path} ({type(exc).__name__}: "
                      f"{' '.join(str(exc).split())})")
    err.errno = code
    return err


@contextlib.contextmanager
def _translated(path: Path, where: Path):
    try:
        yield
    except (OSError, RuntimeError) as exc:
        err = _output_error(exc, path, where)
        if err is None:
            raise
        raise err from exc


@contextlib.contextmanager
def _parent_lock(parent: Path):
    fd = os.open(parent, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _remove(p: Path) -> None:
    """Best-effort removal of a temporary (a cleanup never hides the error that caused it)."""
    if p.is_dir() and not p.is_symlink():
        shutil.rmtree(p, ignore_errors=True)
    elif os.path.lexists(p):
        with contextlib.suppress(OSError):
            p.unlink()


def _prepare(path, overwrite: bool, directory: bool) -> Path:
    path = Path(path)
    if os.path.lexists(path) and not overwrite:
        raise FileExistsError(f"{path} exists; refusing to overwrite it")
    if not directory:
        check_replaceable(path, directory=False)
    with _translated(path, path.parent if path.parent.exists() else Path(".")):
        path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path)
    return path


@contextlib.contextmanager
def atomic_path(path, *, overwrite: bool = True):
    """Yield a temporary path beside ``path``; on success move it onto ``path``.

    A failure leaves any existing file untouched and removes the temporary file.

    Raises:
        FileExistsError: ``path`` exists and ``overwrite`` is False, or it is a folder.
        OutputError: a full disk, read-only file system or permission error, naming ``path``.
    """
    path = _prepare(path, overwrite, directory=False)
    with _translated(path, path.parent):
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}{TMP_TAG}{os.getpid()}-",
                                   dir=path.parent)
        os.close(fd)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the file normal permissions
    tmp = Path(tmp)
    try:
        with _translated(path, path.parent):
            yield tmp
            os.replace(tmp, path)
    except BaseException:
        _remove(tmp)
        raise


@contextlib.contextmanager
def atomic_dir(path, *, overwrite: bool = True):
    """Yield a temporary directory path beside ``path``; on success swap it into ``path``.

    The caller creates the folder (e.g. ``to_zarr(tmp)``); jaxgeo's :data:`MARKER` is added
    to it. A failure removes the temporary directory and leaves any existing ``path``
    untouched; an existing ``path`` that jaxgeo did not write is never replaced.

    Raises:
        FileExistsError: ``path`` exists and ``overwrite`` is False, or it is not a folder
            jaxgeo wrote (checked again, under the lock, just before the swap).
        OutputError: a full disk, read-only file system or permission error, naming ``path``.
    """
    path = _prepare(path, overwrite, directory=True)
    tmp = _tmp_name(path)
    try:
        with _translated(path, path.parent):
            yield tmp
            tmp.mkdir(exist_ok=True)
            (tmp / MARKER).write_text("written by jaxgeo; jaxgeo may replace this folder\n")
            with _parent_lock(path.parent):
                check_replaceable(path, directory=True)
                if os.path.lexists(path):
                    _swap_in(tmp, path)
                else:
                    os.replace(tmp, path)
    except BaseException:
        _remove(tmp)
        raise


def netcdf_encoding(obj, *, dtype: str = "float32", complevel: int = 4,
                    time_units: str = "days since 2002-01-01 00:00:00") -> dict:
    """The NetCDF encoding preset of jaxgeo outputs for an xarray Dataset/DataArray.

    Floating data variables: ``dtype``, zlib level ``complevel``, NaN fill value. Time-like
    coordinates (``time``, ``time_start``, ``time_end``): float64 ``time_units``, standard
    calendar.
    """
    import numpy as np

    ds = obj.to_dataset() if hasattr(obj, "to_dataset") and not hasattr(obj, "data_vars") \
        else obj
    enc: dict = {}
    for name, var in ds.data_vars.items():
        if np.issubdtype(var.dtype, np.floating):
            enc[name] = {"dtype": dtype, "zlib": True, "complevel": complevel,
                         "_FillValue": float("nan")}
    for name in ("time", "time_start", "time_end"):
        if name in ds.coords and np.issubdtype(ds[name].dtype, np.datetime64):
            enc[name] = {"units": time_units, "calendar": "standard", "dtype": "float64"}
    return enc


def write_netcdf(obj, path, *, encoding: dict | None = None, overwrite: bool = True) -> Path:
    """Write an xarray object to NetCDF atomically (netCDF4 engine)."""
    with atomic_path(path, overwrite=overwrite) as tmp:
        obj.to_netcdf(tmp, engine="netcdf4", encoding=encoding)
    return Path(path)


def write_json(obj, path, *, overwrite: bool = True) -> Path:
    """Write ``obj`` as indented JSON atomically (NumPy scalars as floats)."""
    with atomic_path(path, overwrite=overwrite) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, default=float) + "\n")
    return Path(path)


def save_figure(fig, path, **kwargs) -> Path:
    """Save a matplotlib figure atomically."""
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=path.suffix.lstrip(".") or "png", **kwargs)
    return path


def pick_variable(ds, name: str | None, path):
    """The data variable ``name`` of ``ds`` (opened from ``path``), or its first one.

    Raises:
        ValueError: naming the file and the variables it has.
    """
    if name:
        if name not in ds.data_vars:
            raise ValueError(f"{path}: no variable {name!r}; has {list(ds.data_vars)}")
        return ds[name]
    if not ds.data_vars:
        raise ValueError(f"{path}: no data variables")
    return ds[next(iter(ds.data_vars))]
