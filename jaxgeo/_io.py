"""Foundation: output is written to a temporary sibling and moved into place.

Every file or directory jaxgeo writes goes through :func:`atomic_path` or
:func:`atomic_dir`: a failure leaves what was there untouched and removes the temporary.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import uuid
from pathlib import Path

__all__ = [
    "atomic_dir",
    "atomic_path",
    "netcdf_encoding",
    "pick_variable",
    "save_figure",
    "write_json",
    "write_netcdf",
]


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


@contextlib.contextmanager
def atomic_dir(path, *, overwrite: bool = True):
    """Yield a temporary directory path beside ``path``; on success swap it into ``path``.

    A failure removes the temporary directory and leaves any existing ``path`` untouched.
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; refusing to overwrite it")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{uuid.uuid4().hex[:8]}.tmp"
    try:
        yield tmp
        if path.exists():
            old = path.parent / f".{path.name}.{uuid.uuid4().hex[:8]}.old"
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old) if old.is_dir() else old.unlink()
        else:
            os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
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
