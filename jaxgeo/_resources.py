"""Resource checks before expensive work: the memory a run will need against what is free.

Anticipated shortfalls raise :class:`ResourceError` (a ValueError) with one line giving the
estimate, the limit and how to override it, before anything large is allocated.
"""

from __future__ import annotations

from pathlib import Path

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
                 hint: str = "") -> None:
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
