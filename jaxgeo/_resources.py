"""Foundation: checks made before expensive work (memory, disk, output paths).

A run that would exhaust memory or disk, or could not write its output, is refused at
once with the estimate and the limit, instead of failing (or swapping) an hour later.
Estimates are deliberately simple models of the large arrays a run holds; the limit is the
memory the system reports as available, overridden by ``max_memory_gb`` (CLI
``--max-memory-gb``). Shortfalls raise :class:`ResourceError` (a ValueError).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

__all__ = ["GIB", "ResourceError", "available_memory_bytes", "check_memory",
           "check_output_path"]

GIB = 1024 ** 3


class ResourceError(ValueError):
    """A run would need more memory (or disk) than is available."""


def _size(n: float) -> str:
    return f"{n / GIB:.1f} GiB" if n >= GIB else f"{n / 1024 ** 2:.0f} MiB"


def available_memory_bytes() -> int | None:
    """``MemAvailable`` of ``/proc/meminfo`` in bytes, or None where it cannot be read."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def check_memory(estimate_bytes: float, *, what: str, max_memory_gb: float | None = None,
                 hint: str = "use a coarser grid or fewer months, or raise --max-memory-gb "
                             "if the estimate is too cautious") -> None:
    """Refuse a run whose estimated peak memory exceeds ``max_memory_gb`` (GiB; default
    the memory available now; no check where that is unknown).

    Raises:
        ResourceError: naming ``what``, the estimate and the limit, then ``hint``.
        ValueError: ``max_memory_gb`` not a positive number.
    """
    if max_memory_gb is not None:
        if not max_memory_gb > 0:
            raise ValueError(f"max_memory_gb must be > 0, got {max_memory_gb!r}")
        limit, source = float(max_memory_gb) * GIB, "the given limit"
    else:
        limit, source = available_memory_bytes(), "available"
        if limit is None:
            return
    if estimate_bytes > limit:
        raise ResourceError(f"{what} needs about {_size(estimate_bytes)} of memory, "
                            f"more than the {_size(limit)} {source}"
                            + (f"; {hint}" if hint else ""))


def check_output_path(path, *, estimate_bytes: float = 0.0, kind: str = "file") -> Path:
    """Refuse an output that cannot be written, before any work.

    Args:
        path: the output path.
        estimate_bytes: its expected size (checked against the free disk space).
        kind: ``"file"`` (a directory there is an error) or ``"dir"``.

    Raises:
        ValueError: a directory where a file is wanted (or the reverse), a file where a
            folder must be created, a folder that is not writable.
        ResourceError: too little free space.
    """
    p = Path(path)
    if kind == "file" and p.is_dir():
        raise ValueError(f"--out {p} is a directory; give a file path")
    if kind == "dir" and p.exists() and not p.is_dir():
        raise ValueError(f"--out {p} is a file; give a folder path")
    existing = p.parent if kind == "file" or not p.exists() else p
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        what = "is a file" if not existing.is_dir() else "is not a writable folder"
        raise ValueError(f"cannot write {p}: {existing} {what}")
    if estimate_bytes > 0:
        free = shutil.disk_usage(existing).free
        if estimate_bytes > free:
            raise ResourceError(f"no space left on {existing} for {p}: the output needs "
                                f"about {_size(estimate_bytes)}, {_size(free)} free")
    return p
