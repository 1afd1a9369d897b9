"""Reader for University of Wyoming radiosonde text (TEXT:LIST) into a profile Dataset.

Same layout as :func:`jaxgeo.troposphere.read_era5_profiles` (see :mod:`._readers`).
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import jax.numpy as jnp
import numpy as np
import xarray as xr

from .._io import check_input_file
from ..constants import G0_M_S2
from . import _plausible as plaus
from ._physics import geopotential_to_height, vapour_pressure_from_dewpoint
from ._readers import _profile_dataset

_TITLE_RE = re.compile(r"^\s*(\d{5})\s+(\w+)?.*Observations at (\d{2})Z (\d{2}) (\w{3}) (\d{4})")
_MONTHS = {m: i + 1 for i, m in enumerate(
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"])}


def _table_rows(path: Path, lines: list[str], start: int, names: list[str],
                header_width: int, ends_with_newline: bool) -> tuple[list, list[int]]:
    """Parse the fixed-width rows; every fault is a ValueError naming the file and line."""
    rows, line_no = [], []
    for i in range(start, len(lines)):
        ln = lines[i]
        if not ln.strip() or not re.match(r"^\s*-?\d", ln):
            if rows:
                break
            continue
        where = f"{path.name}, line {i + 1}"
        if i == len(lines) - 1 and not ends_with_newline and len(ln.rstrip()) < header_width:
            raise ValueError(f"{where}: the file ends in the middle of a table row (truncated "
                             f"download?): {ln.strip()!r}")
        if len(ln.rstrip()) > 7 * len(names):
            raise ValueError(f"{where}: row is wider than the {len(names)} columns "
                             f"{names}: {ln.strip()!r}")
        cells = []
        for k, name in enumerate(names):
            raw = ln[7 * k: 7 * (k + 1)]
            cell = raw.strip()
            if cell and (len(raw) < 7 or raw[-1] == " "):
                raise ValueError(f"{where}: column {name} value {cell!r} is not right-aligned "
                                 "in its 7-character field (cut or shifted row?)")
            try:
                cells.append(float(cell) if cell else np.nan)
            except ValueError:
                raise ValueError(f"{where}: column {name} value {cell!r} is not a number"
                                 ) from None
        rows.append(cells)
        line_no.append(i + 1)
    return rows, line_no


def _check_sounding(path: Path, col: dict, ok: np.ndarray, line_no: np.ndarray) -> None:
    where = f"{path.name}"
    t_k = col["TEMP"][ok] + 273.15
    plaus.check_temperature(where, "TEMP", t_k)
    plaus.check_temperature(where, "DWPT", col["DWPT"][ok] + 273.15)
    lines = line_no[ok]
    above = col["DWPT"][ok] > col["TEMP"][ok] + 0.05
    if np.any(above):
        k = int(np.argmax(above))
        raise ValueError(f"{where}, line {lines[k]}: dewpoint {col['DWPT'][ok][k]} C above the "
                         f"temperature {col['TEMP'][ok][k]} C")
    p = col["PRES"][ok]
    if np.any(p <= 0) or np.any(p > 1100):
        k = int(np.argmax((p <= 0) | (p > 1100)))
        raise ValueError(f"{where}, line {lines[k]}: pressure {p[k]} hPa outside (0, 1100]")
    for name, v, sign in (("PRES", p, -1), ("HGHT", col["HGHT"][ok], 1)):
        bad = sign * np.diff(v) <= 0
        if np.any(bad):
            k = int(np.argmax(bad)) + 1
            raise ValueError(f"{where}, line {lines[k]}: {name} {v[k]:g} does not "
                             f"{'decrease' if sign < 0 else 'increase'} from line {lines[k - 1]} "
                             f"({v[k - 1]:g})")
    plaus.check_geopotential(where, "HGHT", G0_M_S2 * col["HGHT"][ok], p, t_k,
                             units="geopotential metres")


TOP_WARN_HPA = 100.0
"""A table ending at the end of the file above this pressure (below ~16 km) is warned of."""


def read_wyoming_sounding(path, *, lat: float | None = None, lon: float | None = None,
                          time=None, height_kind: str = "geopotential") -> xr.Dataset:
    """Read University of Wyoming radiosonde text (TEXT:LIST) into a one-profile Dataset.

    The fixed-width table (7 characters per column) follows a dashed line, the column
    names, the units and another dashed line. Rows without temperature or dewpoint (the
    below-ground first row, blank columns aloft) are dropped. Vapour pressure comes from
    the dewpoint (Bolton 1980). Station latitude, longitude and time are taken from the
    text ("Observations at 00Z 04 May 1999", "Station latitude: ...") when present, else
    from the keyword arguments (which win when given).

    The HGHT column is **geopotential** height (gpm), a height above mean sea level in
    the glossary's sense (``height_msl_m``). With ``height_kind="geopotential"`` (the
    default) ``height`` is that column as written; with ``"geometric"`` it is converted
    to geometric height above mean sea level with the latitude-dependent gravity of
    Mahoney (2008), as :func:`read_era5_profiles` does for ERA5 (16 m more at 10 km);
    this needs the latitude. ``height.attrs["height_kind"]`` says which.

    Args:
        path: sounding text file.
        lat, lon: station position, degrees (optional).
        time: observation time (anything ``numpy.datetime64`` accepts), optional.
        height_kind: ``"geopotential"`` or ``"geometric"``.

    A file cut between rows cannot be told from a short sounding; when the table runs to
    the end of the file (no station-information section follows, as the Wyoming site
    writes) and stops below the 100 hPa level, a ``RuntimeWarning`` names the line.

    Returns:
        Profile Dataset with one profile; ``level`` is the row index.

    Raises:
        FileNotFoundError: no such file. ValueError (naming the file, and the line where
        one is at fault): no table, or PRES/HGHT/TEMP/DWPT missing; a cell that is not a
        number or not right-aligned in its field; a file that ends inside a row
        (truncated); an unknown month in the title; temperature or dewpoint outside
        150-350 K, dewpoint above temperature, pressure outside (0, 1100] hPa or not
        decreasing, height not increasing or inconsistent with the hypsometric thickness.
    """
    path = Path(path)
    check_input_file(path, "sounding")
    if height_kind not in ("geopotential", "geometric"):
        raise ValueError(f"height_kind must be 'geopotential' or 'geometric', got "
                         f"{height_kind!r}")
    raw_text = path.read_text(errors="replace")
    lines = raw_text.splitlines()
    header_idx = next((i for i, ln in enumerate(lines) if "PRES" in ln and "HGHT" in ln), None)
    if header_idx is None:
        raise ValueError(f"{path.name}: no sounding table header (PRES HGHT ...) found")
    names = lines[header_idx].split()
    for need in ("PRES", "HGHT", "TEMP", "DWPT"):
        if need not in names:
            raise ValueError(f"{path.name}: sounding column {need} is missing; columns are "
                             f"{names}")
    units = lines[header_idx + 1].split() if header_idx + 1 < len(lines) else []
    if len(units) >= 4 and (units[names.index("HGHT")] != "m"
                            or units[names.index("TEMP")] != "C"):
        raise ValueError(f"{path.name}: unexpected sounding units {units}; expected HGHT in m "
                         "and TEMP/DWPT in C")
    start = header_idx + 2
    if start < len(lines) and lines[start].strip().startswith("---"):
        start += 1
    rows, line_no = _table_rows(path, lines, start, names, len(lines[header_idx].rstrip()),
                                raw_text.endswith(("\n", "\r")))
    if not rows:
        raise ValueError(f"{path.name}: sounding table has no data rows")
    table = np.array(rows, dtype=np.float64)
    col = {n: table[:, i] for i, n in enumerate(names)}
    ok = np.isfinite(col["PRES"]) & np.isfinite(col["HGHT"]) & np.isfinite(col["TEMP"]) \
        & np.isfinite(col["DWPT"])
    if ok.sum() < 2:
        raise ValueError(f"{path.name}: fewer than two levels with temperature and dewpoint")
    _check_sounding(path, col, ok, np.asarray(line_no))
    last = max((i for i, ln in enumerate(lines) if ln.strip()), default=-1) + 1
    top = float(np.min(col["PRES"][ok]))
    if line_no[-1] == last and top > TOP_WARN_HPA:
        warnings.warn(f"{path.name}, line {last}: the table runs to the end of the file and "
                      f"stops at {top:g} hPa, with no station-information section after it: "
                      "the sounding may be truncated", RuntimeWarning, stacklevel=2)
    text = "\n".join(lines)
    file_lat = re.search(r"Station latitude:\s*(-?[\d.]+)", text)
    file_lon = re.search(r"Station longitude:\s*(-?[\d.]+)", text)
    if lat is None and file_lat:
        lat = float(file_lat.group(1))
    if lon is None and file_lon:
        lon = float(file_lon.group(1))
    if time is None:
        for i, ln in enumerate(lines[:header_idx]):
            m = _TITLE_RE.match(ln)
            if not m:
                continue
            hh, dd, mon, yyyy = m.group(3), m.group(4), m.group(5), m.group(6)
            if mon not in _MONTHS:
                raise ValueError(f"{path.name}, line {i + 1}: unknown month {mon!r} in the "
                                 f"title (expected one of {list(_MONTHS)})")
            time = f"{yyyy}-{_MONTHS[mon]:02d}-{dd}T{hh}:00"
            break
    if lat is None or lon is None:
        warnings.warn(f"{path.name}: station latitude/longitude not in the file and not given; "
                      "set to NaN", RuntimeWarning, stacklevel=2)
    lat = np.nan if lat is None else float(lat)
    lon = np.nan if lon is None else float(lon)
    if np.isfinite(lat) and not -90 <= lat <= 90:
        raise ValueError(f"latitude {lat} outside [-90, 90]")
    try:
        t64 = np.datetime64("NaT", "ns") if time is None else np.datetime64(time, "ns")
    except ValueError:
        raise ValueError(f"{path.name}: observation time {time!r} is not a date") from None
    t_k = col["TEMP"][ok] + 273.15
    e = np.asarray(vapour_pressure_from_dewpoint(jnp.asarray(col["DWPT"][ok] + 273.15)))
    height = col["HGHT"][ok]
    if height_kind == "geometric":
        if not np.isfinite(lat):
            raise ValueError(f"{path.name}: height_kind='geometric' needs the station "
                             "latitude (not in the file; pass lat=)")
        height = np.asarray(geopotential_to_height(jnp.asarray(G0_M_S2 * height),
                                                   jnp.asarray(lat)))
    out = _profile_dataset(
        height[None], t_k[None], e[None], col["PRES"][ok][None],
        np.array([lat]), np.array([lon]), np.array([t64]), np.arange(int(ok.sum())),
        {"source": str(path.name), "reader": "jaxgeo.troposphere.read_wyoming_sounding",
         "humidity_from": "dewpoint"},
    )
    out["height"].attrs.update(
        height_kind=height_kind,
        long_name=f"{height_kind} height above mean sea level")
    return out
