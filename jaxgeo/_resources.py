"""Foundation: checks made before expensive work (memory, disk, output paths).

A run that would exhaust memory or disk, or could not write its output, is refused at
once with the estimate and the limit, instead of failing (or swapping) an hour later.
Estimates are deliberately simple upper-bound models of the large arrays a command holds;
``--memory-limit-gb`` overrides the limit (the memory the system reports as available).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

__all__ = ["available_memory_bytes", "check_memory", "check_output_path", "gib"]

_GIB = float(1 << 30)


def gib(n_bytes: float) -> str:
    """``n_bytes`` as GiB with one decimal, for messages."""
    return f"{n_bytes / _GIB:.1f} GiB"


def available_memory_bytes() -> int | None:
    """Memory the system can give without swapping (``MemAvailable``), or None if unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def check_memory(estimate_bytes: float, *, what: str, limit_gb: float | None = None) -> None:
    """Refuse ``what`` when its memory estimate exceeds the limit.

    Args:
        estimate_bytes: the estimated peak of the run's large arrays.
        what: the run, for the message (``"grace l2 at 0.05°, 231 months"``).
        limit_gb: the limit in GiB (None: the available memory; unknown → no check).

    Raises:
        ValueError: naming the estimate and the limit.
    """
    if limit_gb is not None:
        if not limit_gb > 0:
            raise ValueError(f"--memory-limit-gb must be positive, got {limit_gb}")
        limit, source = limit_gb * _GIB, "the limit set by --memory-limit-gb"
    else:
        limit, source = available_memory_bytes(), "the memory available"
        if limit is None:
            return
    if estimate_bytes > limit:
        raise ValueError(f"{what} needs about {gib(estimate_bytes)} of memory, more than "
                         f"{source} ({gib(limit)}); use a coarser grid or fewer months, or "
                         "raise --memory-limit-gb if the estimate is too cautious")


def check_output_path(path, *, estimate_bytes: float = 0.0, kind: str = "file") -> Path:
    """Refuse an output that cannot be written, before any work.

    Args:
        path: the output path.
        estimate_bytes: its expected size (checked against the free disk space).
        kind: ``"file"`` (a directory there is an error) or ``"dir"``.

    Raises:
        ValueError: a directory where a file is wanted (or the reverse), or too little
            free space. PermissionError: the nearest existing folder is not writable.
    """
    p = Path(path)
    if kind == "file" and p.is_dir():
        raise ValueError(f"--out {p} is a directory; give a file path")
    if kind == "dir" and p.exists() and not p.is_dir():
        raise ValueError(f"--out {p} is a file; give a folder path")
    parent = p.parent if kind == "file" or not p.exists() else p
    existing = parent
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise ValueError(f"cannot create {p}: {existing} is a file")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise PermissionError(13, "permission denied (folder not writable)", str(existing))
    if estimate_bytes > 0:
        free = shutil.disk_usage(existing).free
        if estimate_bytes > free:
            raise ValueError(f"no space left on {existing} for {p}: the output needs about "
                             f"{gib(estimate_bytes)}, {gib(free)} free")
    return p
