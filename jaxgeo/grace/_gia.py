"""Glacial isostatic adjustment (GIA): Stokes-coefficient rate files and the correction
``rate × (t − t_ref)`` subtracted from a Level-2 series."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..time import decimal_year
from ._series import L2Series

GIA_T_REF = 2003.3
"""Default reference epoch of the GIA correction, decimal year (gravity-toolkit's
``harmonics.drift`` epoch). With the mean removed over months of the same series the
epoch cancels; it matters only against a given static mean field."""

GIA_MAX_RATE = 1e-8
"""Largest plausible GIA rate of one fully normalised coefficient, per year. 1e-8/yr at
degree 2 is about 0.8 m/yr of water everywhere; published models stay below ~1e-10/yr.
A file in other units (e.g. ICE-6G_C's 1e-11 scaling) trips this check."""

GIA_LAYOUTS = ("ICE6G-D", "Caron")

_GRACE_LOW = re.compile(r"^\s*GRACE Approximation for degrees 0 to 2", re.I)
_GRACE_HIGH = re.compile(r"^\s*GRACE Approximation\s*/\s*Absolute Sea-level Values for "
                         r"degrees\s*>\s*2", re.I)
_MODELS = {"ICE6G-D": "ICE-6G_D (VM5a), Peltier et al. (2018)",
           "Caron": "Caron et al. (2018) JPL GIA assimilation"}


@dataclass(frozen=True)
class GIARates:
    """GIA rates of fully normalised Stokes coefficients, per year.

    Attributes:
        clm, slm: rates ``[l, m]``, shape ``(lmax+1, lmax+1)``, 1/yr.
        model: the model's name and citation.
        layout: the file layout read (``"ICE6G-D"`` or ``"Caron"``).
        path: the file read.
    """

    clm: np.ndarray
    slm: np.ndarray
    model: str
    layout: str
    path: str

    @property
    def lmax(self) -> int:
        return int(self.clm.shape[0] - 1)


def _numbers(text: str) -> list[str]:
    return text.replace("D", "E").replace("d", "e").split()


def _row(path, lineno, text, ncol):
    """``ncol`` numbers of one row: l, m as integers, the rest as floats."""
    parts = _numbers(text)
    try:
        if len(parts) != ncol:
            raise ValueError
        ell, m = int(parts[0]), int(parts[1])
        vals = [float(p) for p in parts[2:]]
    except ValueError:
        raise ValueError(f"{path}: line {lineno}: bad row {text.strip()!r} (expected "
                         f"{ncol} columns: degree, order, "
                         f"{'C rate, S rate' if ncol == 4 else 'rate'})") from None
    return ell, m, vals


def _is_data(text: str) -> bool:
    parts = _numbers(text)
    if len(parts) < 3:
        return False
    try:
        int(parts[0]), int(parts[1])
        return True
    except ValueError:
        return False


def _ice6g_d_rows(path, lines):
    """(lineno, l, m, 'c'|'s', value) of the two GRACE blocks of an ICE-6G_D file."""
    low = [i for i, t in enumerate(lines) if _GRACE_LOW.match(t)]
    high = [i for i, t in enumerate(lines) if _GRACE_HIGH.match(t)]
    for name, found in (("'GRACE Approximation for degrees 0 to 2'", low),
                        ("'GRACE Approximation/Absolute Sea-level Values for degrees > 2'",
                         high)):
        if len(found) != 1:
            raise ValueError(f"{path}: {len(found)} header lines {name} (expected one in "
                             f"an ICE-6G_D Stokes trend file)")
    out = []
    i = low[0] + 1
    while i < len(lines) and (not lines[i].strip() or _is_data(lines[i])):
        if lines[i].strip():
            ell, m, (c, s) = _row(path, i + 1, lines[i], 4)
            if ell > 2:
                raise ValueError(f"{path}: line {i + 1}: degree {ell} in the 'degrees 0 to "
                                 f"2' block")
            out += [(i + 1, ell, m, "c", c), (i + 1, ell, m, "s", s)]
        i += 1
    text_at = None  # the first text line after the block: a footer, if nothing follows
    for i in range(high[0] + 1, len(lines)):
        if not lines[i].strip():
            continue
        if not _is_data(lines[i]):
            text_at = i if text_at is None else text_at
            continue
        if text_at is not None:
            raise ValueError(f"{path}: line {i + 1}: coefficient row after the text on line "
                             f"{text_at + 1} ({lines[text_at].strip()!r}) inside the "
                             f"'degrees > 2' block")
        ell, m, (c, s) = _row(path, i + 1, lines[i], 4)
        if ell <= 2:
            raise ValueError(f"{path}: line {i + 1}: degree {ell} in the 'degrees > 2' block")
        out += [(i + 1, ell, m, "c", c), (i + 1, ell, m, "s", s)]
    return out


def _caron_rows(path, lines):
    """(lineno, l, m, 'c'|'s', value): ``l m value`` rows, m < 0 for the sine terms."""
    out, started = [], False
    for i, text in enumerate(lines):
        if not text.strip():
            continue
        if not started and not _is_data(text):
            continue  # header lines before the first row
        started = True
        ell, m, (v,) = _row(path, i + 1, text, 3)
        out.append((i + 1, ell, abs(m), "s" if m < 0 else "c", v))
    return out


def _detect(path, lines) -> str:
    if any(_GRACE_LOW.match(t) or _GRACE_HIGH.match(t) for t in lines):
        return "ICE6G-D"
    first = next((t for t in lines if _is_data(t)), None)
    if first is not None and len(_numbers(first)) == 3:
        return "Caron"
    raise ValueError(f"{path}: not a GIA Stokes-rate file in a known layout "
                     f"({', '.join(GIA_LAYOUTS)}): no 'GRACE Approximation' header and no "
                     f"'l m rate' rows")


def read_gia(path, *, layout: str | None = None) -> GIARates:
    """Read GIA Stokes-coefficient rates (fully normalised, per year).

    Layouts (as gravity-toolkit's ``read_GIA_model`` reads them):

    * ``"ICE6G-D"``: Peltier's ICE-6G_D Stokes trend text (e.g.
      ``ICE-6G_High_Res_Stokes_trend.txt``): rows ``l m C S`` (Fortran ``D`` exponents
      allowed); degrees 0–2 from the block after ``GRACE Approximation for degrees 0 to
      2``, higher degrees after ``GRACE Approximation/Absolute Sea-level Values for
      degrees > 2``; other blocks (absolute sea level) and text after the last row are
      ignored, a row after such text is refused.
    * ``"Caron"``: Caron et al. (2018) ``GIA_stokes_trend`` ascii: header lines, then
      rows ``l m rate`` with ``m < 0`` for the sine coefficient of order ``|m|``.

    Args:
        path: the file.
        layout: one of :data:`GIA_LAYOUTS`, or None to recognise it from the content.

    Returns:
        :class:`GIARates`.

    Raises:
        FileNotFoundError: no such file.
        ValueError: (one line naming the file and line) unknown layout, a bad row, a
            duplicate coefficient, an order above its degree, a missing coefficient, a
            non-finite rate, or a rate above :data:`GIA_MAX_RATE` per year.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such GIA file")
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    if layout is None:
        layout = _detect(path, lines)
    elif layout not in GIA_LAYOUTS:
        raise ValueError(f"{path}: unknown GIA layout {layout!r}; expected one of "
                         f"{', '.join(GIA_LAYOUTS)}")
    rows = _ice6g_d_rows(path, lines) if layout == "ICE6G-D" else _caron_rows(path, lines)
    if not rows:
        raise ValueError(f"{path}: no coefficient rows in this {layout} GIA file")
    lmax = max(r[1] for r in rows)
    clm, slm = np.zeros((2, lmax + 1, lmax + 1))
    seen = {}
    for lineno, ell, m, cs, v in rows:
        if ell < 0 or m > ell:
            raise ValueError(f"{path}: line {lineno}: order {m} outside degree {ell}")
        if (ell, m, cs) in seen:
            raise ValueError(f"{path}: line {lineno}: duplicate {cs.upper()}({ell},{m}), "
                             f"first on line {seen[ell, m, cs]}")
        if not np.isfinite(v):
            raise ValueError(f"{path}: line {lineno}: non-finite rate {v} at degree {ell}, "
                             f"order {m}")
        if abs(v) > GIA_MAX_RATE:
            raise ValueError(f"{path}: line {lineno}: implausible GIA rate {v:.3g}/yr at "
                             f"degree {ell}, order {m} (|rate| > {GIA_MAX_RATE:g}/yr: "
                             f"wrong units or layout?)")
        seen[ell, m, cs] = lineno
        (clm if cs == "c" else slm)[ell, m] = v
    for ell in range(lmax + 1):
        for m in range(ell + 1):
            if (ell, m, "c") not in seen or (m > 0 and (ell, m, "s") not in seen):
                cs = "C" if (ell, m, "c") not in seen else "S"
                raise ValueError(f"{path}: missing {cs}({ell},{m}) (the file stops or skips "
                                 f"below its maximum degree {lmax})")
    return GIARates(clm=clm, slm=slm, model=_MODELS[layout], layout=layout, path=str(path))


def gia_correction(rates: GIARates, times, *, t_ref: float = GIA_T_REF,
                   lmax: int | None = None):
    """The GIA signal ``rate × (t − t_ref)`` at ``times``.

    Args:
        rates: :class:`GIARates` (per year).
        times: datetime64 values (or ISO strings, or decimal years), shape ``(n,)``.
            Decimal years are :func:`jaxgeo.time.decimal_year` (2000 + days / 365.25).
        t_ref: reference epoch, decimal year (default :data:`GIA_T_REF` = 2003.3).
        lmax: truncation degree (default the model's); at most the model's.

    Returns:
        ``(clm, slm)``, float64, shape ``(n, lmax+1, lmax+1)``, dimensionless.
    """
    lmax = rates.lmax if lmax is None else int(lmax)
    if lmax > rates.lmax:
        raise ValueError(f"{rates.path}: the GIA model stops at degree {rates.lmax} < lmax "
                         f"{lmax}; truncate the series (lmax=) to at most {rates.lmax}")
    t_ref = float(t_ref)
    if not np.isfinite(t_ref):
        raise ValueError(f"gia_correction: t_ref must be a finite decimal year, got {t_ref}")
    dt = decimal_year(np.atleast_1d(times)) - t_ref
    n = lmax + 1
    return (dt[:, None, None] * rates.clm[None, :n, :n],
            dt[:, None, None] * rates.slm[None, :n, :n])


def remove_gia(series: L2Series, rates: GIARates | str | Path, *,
               t_ref: float = GIA_T_REF) -> tuple[L2Series, GIARates]:
    """Subtract the GIA signal at each month's span midpoint from ``series``.

    Args:
        series: the coefficients (all degrees are corrected, as gravity-toolkit does,
            after the technical-note replacements).
        rates: :class:`GIARates` or a file for :func:`read_gia`.
        t_ref: reference epoch, decimal year.

    Returns:
        ``(corrected series, rates)``.
    """
    if not isinstance(rates, GIARates):
        rates = read_gia(rates)
    dc, ds = gia_correction(rates, series.mid, t_ref=t_ref, lmax=series.lmax)
    return series.replace(clm=series.clm - dc, slm=series.slm - ds), rates
