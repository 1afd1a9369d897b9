"""Restoring the AOD1B background (GAC or GAD Level-2 products) to a GSM series."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from ._series import L2Series, _list_files, read_l2_series

AOD_PRODUCTS = ("GAC", "GAD")
"""AOD1B monthly products: GAC (atmosphere + ocean everywhere), GAD (ocean bottom
pressure over the oceans, zero over land)."""


def aod_files(source) -> tuple[list[Path], str]:
    """The GAC-2_* or GAD-2_* files of ``source`` and their product, or ValueError."""
    files = _list_files(source)
    kinds = set()
    for p in files:
        kind = p.name[:3].upper()
        if kind not in AOD_PRODUCTS or p.name[3:6] != "-2_":
            raise ValueError(f"{p}: not a GAC-2_* or GAD-2_* file (AOD1B background)")
        kinds.add(kind)
    if len(kinds) > 1:
        raise ValueError(f"{Path(files[0]).parent}: both GAC and GAD files given; restore "
                         f"one product")
    return files, kinds.pop()


def restore_aod(series: L2Series, source) -> tuple[L2Series, str]:
    """Add the GAC or GAD monthly coefficients back to a GSM series.

    GSM fields have the AOD1B non-tidal atmosphere and ocean removed; adding GAD restores
    the ocean bottom pressure (ocean studies), GAC the whole atmosphere and ocean signal.
    Each GSM month takes the background solution of the same data span (start and end);
    solutions for other spans are ignored. All degrees are added (GAC/GAD carry degree 1),
    which belongs after the technical-note replacements.

    Args:
        series: the GSM coefficients (after TN-13/TN-14 replacements, before mean removal).
        source: a directory of ``GAC-2_*`` or ``GAD-2_*`` files (one product), or a list
            of them; they are truncated to ``series.lmax``.

    Returns:
        ``(series with the background added, "GAC" or "GAD")``.

    Raises:
        ValueError: (naming the file or month) a file that is not GAC/GAD, both products
            mixed, GM/radius different from the series', or a GSM month without a
            background solution of the same span.
    """
    files, kind = aod_files(source)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # gaps among the background months do not matter
        bg = read_l2_series(files, lmax=series.lmax, quiet=True)
    if (abs(bg.gm_m3_s2 / series.gm_m3_s2 - 1) > 1e-12
            or abs(bg.radius_m / series.radius_m - 1) > 1e-12):
        raise ValueError(f"{bg.paths[0]}: GM/radius differ from {series.paths[0]}")
    index = {(a, b): i for i, (a, b) in enumerate(zip(bg.start, bg.end, strict=True))}
    take = []
    for j, (a, b) in enumerate(zip(series.start, series.end, strict=True)):
        if (a, b) not in index:
            raise ValueError(f"no {kind} solution for month {series.months[j]} "
                             f"({Path(series.paths[j]).name}, span {a}..{b}) in the "
                             f"{len(files)} {kind} files given")
        take.append(index[a, b])
    take = np.array(take, dtype=int)
    return series.replace(clm=series.clm + bg.clm[take],
                          slm=series.slm + bg.slm[take]), kind
