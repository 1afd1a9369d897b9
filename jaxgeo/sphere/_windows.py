"""Geometry of caps on a regular grid: which cells of each latitude row fall inside.

For an output centre at latitude φ and an input row at latitude φ', the cells of the row
inside a cap of radius ψ form one contiguous, circular window of longitudes, because the
haversine of the distance, ``hav(φ − φ') + cos φ cos φ' hav(Δλ)``, grows monotonically with
``|Δλ|`` up to 180°. Everything here is float64 numpy run once when an operator is built.
"""

from __future__ import annotations

import dataclasses

import numpy as np

# Cells whose centre lies within ψ·(1 + RIM_TOLERANCE) count as inside, so a centre exactly on
# the rim (common when ψ is a multiple of the grid step) is included whatever the round-off.
RIM_TOLERANCE = 1e-9


def hav(x):
    """Haversine ``sin²(x/2)`` of an angle in radians."""
    return np.sin(np.asarray(x) / 2.0) ** 2


@dataclasses.dataclass(frozen=True)
class RowWindows:
    """Longitude windows of every (output row, band row) pair.

    Attributes:
        rows: input row index of each pair, ``(nband, nout)`` int, clipped to the grid
            (pairs outside the grid have ``length == 0``).
        lo, hi: first and last column offset of the window relative to the output's
            reference column ``j0``, ``(nband, nout)`` int; only meaningful when ``length``
            is positive.
        length: number of cells in the window (``nlon`` for a whole row, 0 for none).
    """

    rows: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    length: np.ndarray

    @property
    def nband(self) -> int:
        return self.rows.shape[0]


def band_rows(out_lat_deg, in_lat_deg, reach_deg, *, centered: bool = False):
    """Input rows within ``reach_deg`` of latitude of each output row, as (rows, valid).

    Returns ``rows`` of shape ``(nband, nout)`` (clipped indices) and a boolean ``valid``.
    With ``centered`` (outputs on the input rows), band step ``d`` of output row ``i`` reads
    input row ``i − B + d``, so each step reads a contiguous block of rows; steps that fall
    off the grid are invalid.
    """
    out_lat = np.asarray(out_lat_deg, dtype=np.float64)
    in_lat = np.asarray(in_lat_deg, dtype=np.float64)
    res = in_lat[1] - in_lat[0]
    reach = reach_deg * (1 + RIM_TOLERANCE) + 1e-9 * res
    first = np.searchsorted(in_lat, out_lat - reach, side="left")
    last = np.searchsorted(in_lat, out_lat + reach, side="right") - 1
    if centered:
        own = np.arange(out_lat.size)
        half = int(max(np.max(own - first), np.max(last - own), 0))
        rows = own[None, :] - half + np.arange(2 * half + 1)[:, None]
        valid = (rows >= first[None, :]) & (rows <= last[None, :])
    else:
        nband = int(max(1, np.max(last - first + 1)))
        rows = first[None, :] + np.arange(nband)[:, None]
        valid = rows <= last[None, :]
    return np.clip(rows, 0, in_lat.size - 1), valid


def cap_windows(out_lat_deg, in_lat_deg, radius_deg: float, res_deg: float, nlon: int,
                delta: float = 0.0, *, centered: bool = False) -> RowWindows:
    """Cap windows for output rows at ``out_lat_deg`` over a grid of ``nlon`` columns.

    Args:
        out_lat_deg: latitudes of the output centres, ``(nout,)``.
        in_lat_deg: latitudes of the input rows, ``(nlat,)``, ascending, regular.
        radius_deg: cap radius ψ.
        res_deg: longitude step of the input grid.
        nlon: number of input columns.
        delta: offset of every output centre from its reference column, in columns
            (0 when centres sit on input cell centres).
        centered: outputs are the input rows; lay the band out as in :func:`band_rows`.
    """
    rows, valid = band_rows(out_lat_deg, in_lat_deg, radius_deg, centered=centered)
    phi = np.deg2rad(np.asarray(out_lat_deg, dtype=np.float64))[None, :]
    phi_in = np.deg2rad(np.asarray(in_lat_deg, dtype=np.float64))[rows]
    hav_psi = hav(np.deg2rad(min(radius_deg * (1 + RIM_TOLERANCE), 180.0)))
    coscos = np.cos(phi) * np.cos(phi_in)
    dlon = np.deg2rad(res_deg)

    whole_sphere = radius_deg * (1 + RIM_TOLERANCE) >= 180.0

    def inside(k):
        return whole_sphere | (hav(phi - phi_in) + coscos * hav((k - delta) * dlon) <= hav_psi)

    # Closed form for the window's half-width, then an exact check of the cells at either
    # edge with the same inequality (round-off in arcsin never moves the edge a whole cell).
    with np.errstate(divide="ignore", invalid="ignore"):
        h = (hav_psi - hav(phi - phi_in)) / coscos
    full = (h >= 1.0) | whole_sphere
    none = ~(h >= 0.0)  # also catches NaN from coscos == 0 at a pole row
    half = 2.0 * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))) / dlon
    lo = np.ceil(delta - half).astype(np.int64)
    hi = np.floor(delta + half).astype(np.int64)
    hi = np.where(inside(hi + 1), hi + 1, hi)
    hi = np.where(~inside(hi), hi - 1, hi)
    lo = np.where(inside(lo - 1), lo - 1, lo)
    lo = np.where(~inside(lo), lo + 1, lo)
    length = np.maximum(hi - lo + 1, 0)
    full |= length >= nlon
    length = np.where(full, nlon, length)
    length = np.where(none & ~full, 0, length)
    length = np.where(valid, length, 0)
    lo = np.where(full, 0, lo)
    hi = np.where(full, nlon - 1, hi)
    return RowWindows(rows=rows, lo=lo, hi=hi, length=length)


def window_sums(values: np.ndarray, windows: RowWindows, cols: np.ndarray) -> np.ndarray:
    """Exact float64 sums of ``values`` over each output centre's cap, by prefix sums.

    Args:
        values: ``(nlat, nlon)`` per-cell weights (e.g. area × mask), float64.
        windows: the caps' row windows, ``nout`` output rows.
        cols: reference column ``j0`` of each output column, ``(ncol,)`` int.

    Returns:
        ``(nout, ncol)`` float64 sums.
    """
    nlat, nlon = values.shape
    # Prefix sums over three copies of each row make every circular window one difference.
    prefix = np.zeros((nlat, 3 * nlon + 1))
    np.cumsum(np.tile(values, (1, 3)), axis=1, out=prefix[:, 1:])
    total = prefix[:, nlon] - prefix[:, 0]
    nout = windows.rows.shape[1]
    out = np.zeros((nout, cols.size))
    for d in range(windows.nband):
        rows, length = windows.rows[d], windows.length[d]
        p = prefix[rows]
        start = nlon + cols[None, :] + windows.lo[d][:, None]
        stop = nlon + cols[None, :] + windows.hi[d][:, None] + 1
        part = np.take_along_axis(p, np.clip(stop, 0, 3 * nlon), 1) - np.take_along_axis(
            p, np.clip(start, 0, 3 * nlon), 1)
        part = np.where((length == nlon)[:, None], total[rows][:, None], part)
        out += np.where((length > 0)[:, None], part, 0.0)
    return out


def dirichlet_kernels(lo: np.ndarray, hi: np.ndarray, length: np.ndarray, nlon: int):
    """Spectra of circular box windows: ``G(m) = Σ_{k=lo}^{hi} exp(2πi m k / nlon)``.

    Args:
        lo, hi, length: 1-D arrays describing distinct windows (``length`` 0: empty,
            ``nlon``: whole row).

    Returns:
        ``(nwin, nlon // 2 + 1)`` complex128 table; real when every window is centred.
    """
    m = np.arange(nlon // 2 + 1)
    two_n = 2 * nlon
    # Reduce the integer phase modulo 2n before taking sines, so large products of
    # wavenumber and window length lose no precision.
    sin_table = np.sin(np.pi * np.arange(two_n) / nlon)
    num = sin_table[(np.outer(length, m)) % two_n]
    den = np.where(m == 0, 1.0, np.sin(np.pi * m / nlon))
    amp = np.where(m[None, :] == 0, length[:, None].astype(np.float64), num / den)
    full = length == nlon
    amp[full] = 0.0
    amp[full, 0] = nlon
    phase_idx = np.outer(lo + hi, m) % two_n
    cos_table = np.cos(np.pi * np.arange(two_n) / nlon)
    return amp * (cos_table[phase_idx] + 1j * sin_table[phase_idx])
