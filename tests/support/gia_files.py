"""Writers of small synthetic GIA Stokes-rate files in the layouts users download
(ICE-6G_D ``*Stokes_trend*.txt`` and Caron et al. 2018 ``GIA_stokes_trend``), shared by the
tests and tests/support/make_gia_oracle.py."""

from __future__ import annotations

import numpy as np


def gia_rates(lmax: int = 6, seed: int = 3, scale: float = 1e-11):
    """Deterministic rates ``(clm, slm)`` per year, ``slm[:, 0] = 0``."""
    rng = np.random.default_rng(seed)
    clm = np.tril(rng.standard_normal((lmax + 1, lmax + 1))) * scale
    slm = np.tril(rng.standard_normal((lmax + 1, lmax + 1))) * scale
    slm[:, 0] = 0.0
    return clm, slm


def _d(v: float) -> str:
    """Fortran double: 1.234567890123D-11."""
    return f"{v: .12E}".replace("E", "D")


def ice6g_d_lines(clm, slm) -> list[str]:
    """Lines of an ICE-6G_D Stokes trend file: header, an absolute-sea-level block for
    degrees 0-2 (ignored by readers), the GRACE block for degrees 0-2, then degrees > 2."""
    lmax = clm.shape[0] - 1
    out = ["ICE-6G_D (VM5a) Stokes coefficient trends (synthetic test file)",
           "Fully normalised, units 1/yr",
           "",
           "Absolute Sea-level Values for degrees 0 to 2"]
    out += [f"{ell:5d}{m:5d}  {_d(99e-11)}  {_d(-99e-11)}"
            for ell in range(3) for m in range(ell + 1)]
    out += ["", "GRACE Approximation for degrees 0 to 2"]
    out += [f"{ell:5d}{m:5d}  {_d(clm[ell, m])}  {_d(slm[ell, m])}"
            for ell in range(3) for m in range(ell + 1)]
    out += ["", "GRACE Approximation/Absolute Sea-level Values for degrees > 2"]
    out += [f"{ell:5d}{m:5d}  {_d(clm[ell, m])}  {_d(slm[ell, m])}"
            for ell in range(3, lmax + 1) for m in range(ell + 1)]
    return out


def caron_lines(clm, slm) -> list[str]:
    """Lines of a Caron et al. (2018) ``GIA_stokes_trend`` file: 4 header lines, then
    ``l m rate`` with the sines (m < 0) first within each degree, as the file orders them."""
    lmax = clm.shape[0] - 1
    out = ["GIA Stokes coefficient trends, expectation of the ensemble (synthetic)",
           "Caron et al. (2018), fully normalised, 1/yr",
           "negative order: sine coefficient",
           "  l    m    rate"]
    for ell in range(lmax + 1):
        out += [f"{ell:4d} {-m:4d}  {slm[ell, m]: .15E}" for m in range(ell, 0, -1)]
        out += [f"{ell:4d} {m:4d}  {clm[ell, m]: .15E}" for m in range(ell + 1)]
    return out


def write_lines(path, lines):
    path.write_text("\n".join(lines) + "\n")
    return path
