"""Output helpers: every file is written to a temporary sibling and moved into place."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path, *, overwrite: bool = True):
    """Yield a temporary path beside ``path``; on success move it onto ``path``.

    A failure leaves any existing file untouched and removes the temporary file.
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; refusing to overwrite it")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the file normal permissions
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_netcdf(obj, path, **kwargs) -> Path:
    """Write an xarray object to NetCDF atomically (netCDF4 engine)."""
    with atomic_path(path) as tmp:
        obj.to_netcdf(tmp, engine="netcdf4", **kwargs)
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
