"""Checks shared by the GRACE readers: the truncation degree and plausible coefficients."""

from __future__ import annotations

import numbers

import numpy as np

MAX_ABS_CLM = 1e-3
"""Largest plausible |C_lm|, |S_lm| of a fully normalised Stokes coefficient of degree ≥ 2
(Earth's largest is C20 ≈ -4.84e-4; every other one is below 3e-6)."""


def check_lmax(lmax, *, where: str, optional: bool = True):
    """``lmax`` as an int ≥ 0 (or None if ``optional``); ValueError naming ``where`` else."""
    if lmax is None and optional:
        return None
    if (isinstance(lmax, bool) or not isinstance(lmax, numbers.Integral)
            or int(lmax) < 0):
        raise ValueError(f"{where}: lmax must be an integer >= 0, got {lmax!r}")
    return int(lmax)


def check_rows(path, ell, m, c, s, line_no, *, min_degree: int = 2) -> None:
    """Refuse non-finite or implausibly large coefficients of degree ≥ ``min_degree`` and
    duplicated (l, m) rows; messages name the file, the line(s) and the degree/order."""
    vals = np.stack([c, s], axis=1)
    bad = ~np.isfinite(vals).all(axis=1)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{path}: line {line_no[i]}: non-finite coefficient at degree "
                         f"{ell[i]}, order {m[i]} (C={c[i]!r}, S={s[i]!r})")
    big = (ell >= min_degree) & (np.abs(vals) > MAX_ABS_CLM).any(axis=1)
    if big.any():
        i = int(np.flatnonzero(big)[0])
        raise ValueError(f"{path}: line {line_no[i]}: implausible coefficient at degree "
                         f"{ell[i]}, order {m[i]} (C={c[i]:.6g}, S={s[i]:.6g}; |C|, |S| of "
                         f"a fully normalised Stokes coefficient of degree >= 2 are below "
                         f"{MAX_ABS_CLM:g}); corrupt file or wrong normalisation?")
    key = ell.astype(np.int64) * (int(ell.max()) + 1) + m.astype(np.int64)
    order = np.argsort(key, kind="stable")
    dup = np.flatnonzero(key[order][1:] == key[order][:-1])
    if dup.size:
        a, b = int(order[dup[0]]), int(order[dup[0] + 1])
        raise ValueError(f"{path}: degree {ell[a]}, order {m[a]} is given twice (lines "
                         f"{line_no[a]} and {line_no[b]}); a duplicated row would silently "
                         "override the first")
