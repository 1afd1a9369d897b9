"""Helpers shared by the benchmark scripts: hardware description and atomic JSON output."""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from pathlib import Path

# glibc serves XLA's large per-call temporaries with fresh mmaps unless told to keep freed
# memory; the page faults can double run times of large batches (see the README).
MALLOC_TUNING = ("glibc.malloc.mmap_threshold=4294967295:"
                 "glibc.malloc.trim_threshold=4294967295")


def cpu_name() -> str:
    """The CPU model from /proc/cpuinfo (Linux), else what platform reports."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def write_json(path, obj) -> Path:
    """Write ``obj`` as indented JSON to ``path`` through a temporary file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(obj, indent=1))
    os.replace(tmp, path)
    return path


def time_calls(fn, repeats: int) -> tuple[float, float]:
    """Median and minimum wall time of ``repeats`` calls of ``fn``, seconds."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times)
