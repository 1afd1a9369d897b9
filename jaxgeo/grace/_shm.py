"""Readers of GRACE/GRACE-FO Level-2 spherical-harmonic files: SHM (GSM) and ICGEM .gfc."""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import re
import zlib
from pathlib import Path

import numpy as np

from .._io import check_input_file
from ..constants import GRACE_RADIUS_M
from ._checks import check_lmax, check_rows

_SHM_RECORD = "GRCOF2"
_SPAN_IN_NAME = re.compile(r"_(\d{4})(\d{3})-(\d{4})(\d{3})_")
_MONTH_IN_NAME = re.compile(r"(?<!\d)(\d{4})-(\d{2})(?!\d)")


@dataclasses.dataclass(frozen=True, eq=False)
class SHCoefficients:
    """One Level-2 solution: fully normalised Stokes coefficients and their metadata.

    Attributes:
        clm, slm: coefficients ``[l, m]``, shape ``(lmax+1, lmax+1)``, zero for m > l.
        start, end: data span, ``numpy.datetime64`` (end exclusive, as in the files).
        lmax: maximum degree.
        gm_m3_s2: GM of the solution, m³/s².
        radius_m: reference radius ``a``, m.
        centre: processing centre (e.g. ``"UTCSR"``, ``"JPLEM"``, ``"GFZOP"``, ``"ITSG"``).
        path: the file read.
        tide_system: ``"zero_tide"``, ``"tide_free"``, ``"mean_tide"`` or ``"unknown"``
            (of C20; matters when a static mean field is subtracted).
        sigma_clm, sigma_slm: the file's calibrated standard deviations of ``clm``/``slm``
            (``[l, m]``, same shape), or None when the file has none.
    """

    clm: np.ndarray
    slm: np.ndarray
    start: np.datetime64
    end: np.datetime64
    lmax: int
    gm_m3_s2: float
    radius_m: float
    centre: str
    path: str
    tide_system: str = "unknown"
    sigma_clm: np.ndarray | None = None
    sigma_slm: np.ndarray | None = None

    @property
    def mid(self) -> np.datetime64:
        """Midpoint of the data span."""
        return self.start + (self.end - self.start) / 2

    @property
    def month(self) -> str:
        """``YYYY-MM`` of the span midpoint, used in messages."""
        return str(self.mid.astype("datetime64[M]"))


# -- SHM (GSM) ------------------------------------------------------------------------------

def _open_text(path: Path, what: str = "Level-2") -> list[str]:
    """Lines of a (gzipped) text file; FileNotFoundError/ValueError naming the file."""
    check_input_file(path, what)
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rt", encoding="latin-1") as fh:
                return fh.read().splitlines()
        return path.read_text(encoding="latin-1").splitlines()
    except (EOFError, OSError, zlib.error) as exc:
        raise ValueError(f"{path}: truncated or corrupt file ({exc})") from exc


def _header_value(header: str, pattern: str):
    m = re.search(pattern, header, flags=re.MULTILINE)
    return m.group(1) if m else None


def _yyyymmdd(value: float) -> np.datetime64:
    """``YYYYMMDD.ffff`` (fraction of day) to datetime64[s]."""
    day = int(value)
    seconds = round((value - day) * 86400.0)
    date = dt.datetime.strptime(f"{day:08d}", "%Y%m%d")
    return np.datetime64(date, "s") + np.timedelta64(seconds, "s")


def _span_from_name(path: Path):
    m = _SPAN_IN_NAME.search(path.name)
    if not m:
        return None
    y0, d0, y1, d1 = (int(g) for g in m.groups())
    start = np.datetime64(f"{y0:04d}-01-01", "s") + np.timedelta64(d0 - 1, "D")
    end = np.datetime64(f"{y1:04d}-01-01", "s") + np.timedelta64(d1, "D")
    return start, end


def _fill(path: Path, rows: np.ndarray, lmax: int, lmax_keep: int, line_no: np.ndarray):
    ell = rows[:, 0].astype(np.int64)
    m = rows[:, 1].astype(np.int64)
    if np.any(rows[:, 0] != ell) or np.any(rows[:, 1] != m):
        bad = int(np.flatnonzero((rows[:, 0] != ell) | (rows[:, 1] != m))[0])
        raise ValueError(f"{path}: line {line_no[bad]}: degree/order are not integers")
    bad = (m < 0) | (m > ell) | (ell > lmax)
    if np.any(bad):
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{path}: line {line_no[i]}: invalid degree/order l={ell[i]}, "
                         f"m={m[i]} for a degree-{lmax} file")
    check_rows(path, ell, m, rows[:, 2], rows[:, 3], line_no)
    seen = np.zeros((lmax + 1, lmax + 1), bool)
    seen[ell, m] = True
    # Degrees 0 and 1 are optional (CSR omits or zeroes them; they come from elsewhere).
    need = np.tril(np.ones_like(seen))
    need[:2] = False
    missing = need & ~seen
    if missing.any():
        lm = np.argwhere(missing)[0]
        raise ValueError(f"{path}: truncated or incomplete: {int(missing.sum())} of "
                         f"{int(need.sum())} coefficients missing (first l={lm[0]}, m={lm[1]})")
    return _scatter(rows, lmax_keep, 2)


def _scatter(rows: np.ndarray, lmax_keep: int, col: int):
    """Columns ``col`` and ``col + 1`` of rows (l, m, ...) as two (lmax+1, lmax+1) arrays,
    degrees above ``lmax_keep`` dropped."""
    ell, m = rows[:, 0].astype(np.int64), rows[:, 1].astype(np.int64)
    keep = ell <= lmax_keep
    a = np.zeros((lmax_keep + 1, lmax_keep + 1))
    b = np.zeros_like(a)
    a[ell[keep], m[keep]] = rows[keep, col]
    b[ell[keep], m[keep]] = rows[keep, col + 1]
    return a, b


def _fill_sigma(rows: np.ndarray, lmax_keep: int):
    """``(sigma_clm, sigma_slm)`` from columns 4 and 5 of checked rows (l, m, C, S, σC, σS),
    or None when the rows have no sigma columns."""
    if rows.shape[1] < 6:
        return None, None
    return _scatter(rows, lmax_keep, 4)


def _parse_shm_rows(path: Path, lines: list[str], first: int):
    """Row-by-row SHM parser: slow, but names the first malformed line."""
    rows, line_no, t0, t1 = [], [], None, None
    for i in range(first, len(lines)):
        parts = lines[i].split()
        if not parts:
            continue
        if parts[0] != _SHM_RECORD:
            continue
        try:
            rows.append([float(x) for x in parts[1:7]])
            if t0 is None and len(parts) >= 9:
                t0, t1 = float(parts[7]), float(parts[8])
        except ValueError as exc:
            raise ValueError(f"{path}: line {i + 1}: cannot parse {lines[i]!r}") from exc
        if len(rows[-1]) < 4:
            raise ValueError(f"{path}: line {i + 1}: too few columns in {lines[i]!r}")
        line_no.append(i + 1)
    # keep the sigma columns only when every row has them
    width = 6 if all(len(r) >= 6 for r in rows) else 4
    rows_a = np.array([r[:width] for r in rows])
    return rows_a, t0, t1, line_no


def read_shm(path, *, lmax: int | None = None) -> SHCoefficients:
    """Read a Level-2 SHM file (GSM/GAC/GAD of CSR, JPL, GFZ; plain or gzipped).

    The YAML header (RL06) or the older free-text header is scanned for the degree, GM,
    reference radius and institution; data rows are
    ``GRCOF2 l m C S sigma_C sigma_S t_start t_end [flags]``.

    Args:
        path: file path.
        lmax: truncate to this degree (default: the file's degree).

    Returns:
        :class:`SHCoefficients`.

    Raises:
        ValueError: truncated/corrupt file or malformed row (message names file and line).

    Reference: GRACE Level-2 User Handbook / Product Specification (SHM format).
    """
    path = Path(path)
    lmax = check_lmax(lmax, where=f"read_shm({path.name})")
    lines = _open_text(path)
    first = next((i for i, ln in enumerate(lines) if ln.startswith(_SHM_RECORD)), None)
    if first is None:
        raise ValueError(f"{path}: no {_SHM_RECORD} records; not an SHM Level-2 file or "
                         "truncated")
    header = "\n".join(lines[:first])
    records = [i for i in range(first, len(lines)) if lines[i].startswith(_SHM_RECORD)]
    try:
        # fast path (C parser); any irregular row falls back to the slow path below,
        # which names the offending line
        arr = np.loadtxt([lines[i] for i in records], usecols=(1, 2, 3, 4, 5, 6, 7, 8),
                         dtype=np.float64, comments=None, ndmin=2)
        rows_a, t0, t1, line_no = arr[:, :6], arr[0, 6], arr[0, 7], [i + 1 for i in records]
    except (ValueError, IndexError):
        rows_a, t0, t1, line_no = _parse_shm_rows(path, lines, first)
    if rows_a[:, 0].max() < 2:
        raise ValueError(f"{path}: only degree-0/1 rows (a TN-13 degree-1 file?); not a "
                         "Level-2 GSM model (pass a TN-13 file as tn13= / --tn13)")
    deg = _header_value(header, r"^\s*degree\s*:\s*(\d+)")
    file_lmax = int(deg) if deg is not None else int(rows_a[:, 0].max())
    lmax_keep = file_lmax if lmax is None else lmax
    if lmax_keep > file_lmax:
        raise ValueError(f"{path}: requested lmax={lmax_keep} exceeds the file degree "
                         f"{file_lmax}")
    clm, slm = _fill(path, rows_a, file_lmax, lmax_keep, np.array(line_no))
    sigma_clm, sigma_slm = _fill_sigma(rows_a, lmax_keep)
    # YAML blocks span lines: take the first "value:" after each key
    gm = _header_value(header, r"earth_gravity_param[\s\S]*?value\s*:\s*([-+0-9.EeDd]+)")
    radius = _header_value(header, r"mean_equator_radius[\s\S]*?value\s*:\s*([-+0-9.EeDd]+)")
    centre = _header_value(header, r"^\s*institution\s*:\s*(\S+)")
    name_centre = next((c for c in ("UTCSR", "JPLEM", "JPLMSC", "GFZOP", "COSTG")
                        if f"_{c}_" in path.name), None)
    centre = name_centre or (centre or "unknown").replace("UT-AUSTIN/CSR", "UTCSR")
    tide = _header_value(header, r"permanent_tide_flag\s*:\s*(\S+)")
    # "inclusive": the permanent tide is in C20, i.e. the zero-tide system
    tide = {"inclusive": "zero_tide", "exclusive": "tide_free"}.get(tide or "", "unknown")
    span = _span_from_name(path)
    if t0 is not None and t1 is not None and t0 > 0:
        start, end = _yyyymmdd(t0), _yyyymmdd(t1)
    elif span is not None:
        start, end = span
    else:
        raise ValueError(f"{path}: no data span in the rows or the file name")
    return SHCoefficients(
        clm=clm, slm=slm, start=start, end=end, lmax=lmax_keep,
        gm_m3_s2=float(gm.replace("D", "E")) if gm else 3.986004415e14,
        radius_m=float(radius.replace("D", "E")) if radius else GRACE_RADIUS_M,
        centre=centre, path=str(path), tide_system=tide,
        sigma_clm=sigma_clm, sigma_slm=sigma_slm,
    )


# -- ICGEM .gfc --------------------------------------------------------------------------

def read_gfc(path, *, lmax: int | None = None, static: bool = False) -> SHCoefficients:
    """Read an ICGEM ``.gfc`` file (e.g. ITSG-Grace monthly solutions).

    The month is taken from ``YYYY-MM`` in the model name or file name; the span is that
    calendar month.

    Args:
        path: file path (plain or gzipped).
        lmax: truncate to this degree (default: ``max_degree`` of the header).
        static: a static model (e.g. a mean field such as GGM05C): no month needed
            (``start``/``end`` are NaT when none is found).

    Returns:
        :class:`SHCoefficients`.

    Raises:
        ValueError: missing ``end_of_head``, malformed rows, missing coefficients, no month
            (unless ``static``).

    Reference: Barthelmes & Förste (2011), The ICGEM-format, GFZ Potsdam.
    """
    path = Path(path)
    lmax = check_lmax(lmax, where=f"read_gfc({path.name})")
    lines = _open_text(path)
    end_head = next((i for i, ln in enumerate(lines) if ln.strip().startswith("end_of_head")),
                    None)
    if end_head is None:
        raise ValueError(f"{path}: no 'end_of_head' line; not an ICGEM file or truncated")
    head, head_line = {}, {}
    for i, ln in enumerate(lines[:end_head]):
        parts = ln.split()
        if len(parts) >= 2:
            head[parts[0].lower()] = parts[1]
            head_line[parts[0].lower()] = i + 1

    def number(key, kind, default):
        if key not in head:
            return default
        try:
            value = float(head[key].replace("D", "E").replace("d", "e"))
        except ValueError:
            value = float("nan")
        if not np.isfinite(value) or value <= 0 or (kind is int and value != int(value)):
            what = "a positive integer" if kind is int else "a positive number"
            raise ValueError(f"{path}: line {head_line[key]}: header {key} "
                             f"{head[key]!r} is not {what}")
        return kind(value)

    if head.get("norm", "fully_normalized") != "fully_normalized":
        raise ValueError(f"{path}: norm={head['norm']!r}; only fully_normalized is supported")
    rows, line_no = [], []
    for i in range(end_head + 1, len(lines)):
        parts = lines[i].split()
        if not parts:
            continue
        if parts[0] != "gfc":
            raise ValueError(f"{path}: line {i + 1}: unsupported record {parts[0]!r} "
                             "(only static 'gfc' rows)")
        try:
            rows.append([float(x.replace("D", "E")) for x in parts[1:7]])
        except ValueError as exc:
            raise ValueError(f"{path}: line {i + 1}: cannot parse {lines[i]!r}") from exc
        if len(rows[-1]) < 4:
            raise ValueError(f"{path}: line {i + 1}: too few columns in {lines[i]!r}")
        line_no.append(i + 1)
    if not rows:
        raise ValueError(f"{path}: no gfc records")
    width = 6 if all(len(r) >= 6 for r in rows) else 4  # sigma columns when all have them
    rows_a = np.array([r[:width] for r in rows])
    file_lmax = number("max_degree", int, None)
    if file_lmax is None:
        file_lmax = int(rows_a[:, 0].max())
    gm = number("earth_gravity_constant", float, 3.986004415e14)
    radius = number("radius", float, GRACE_RADIUS_M)
    lmax_keep = file_lmax if lmax is None else lmax
    if lmax_keep > file_lmax:
        raise ValueError(f"{path}: requested lmax={lmax_keep} exceeds the file degree "
                         f"{file_lmax}")
    clm, slm = _fill(path, rows_a, file_lmax, lmax_keep, np.array(line_no))
    sigma_clm, sigma_slm = _fill_sigma(rows_a, lmax_keep)
    name = head.get("modelname", "") + " " + path.name
    m = _MONTH_IN_NAME.search(name)
    if m:
        month = np.datetime64(f"{m.group(1)}-{m.group(2)}", "M")
        start, end = month.astype("datetime64[s]"), (month + 1).astype("datetime64[s]")
    elif static:
        start = end = np.datetime64("NaT", "s")
    else:
        raise ValueError(f"{path}: no YYYY-MM month in the model name or file name")
    centre = (head.get("modelname") or path.stem).split("-")[0].split("_")[0]
    tide = head.get("tide_system", "unknown").lower()
    return SHCoefficients(
        clm=clm, slm=slm, start=start, end=end, lmax=lmax_keep,
        gm_m3_s2=gm, radius_m=radius,
        centre=centre, path=str(path),
        tide_system=tide if tide in ("zero_tide", "tide_free", "mean_tide") else "unknown",
        sigma_clm=sigma_clm, sigma_slm=sigma_slm,
    )


def read_l2_file(path, *, lmax: int | None = None) -> SHCoefficients:
    """Read one Level-2 file, choosing the reader by name (``.gfc[.gz]`` → ICGEM, else SHM)."""
    name = Path(path).name.lower()
    check_lmax(lmax, where=f"read_l2_file({Path(path).name})")
    if name.endswith((".gfc", ".gfc.gz")):
        return read_gfc(path, lmax=lmax)
    return read_shm(path, lmax=lmax)
