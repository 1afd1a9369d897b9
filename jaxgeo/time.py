"""Time helpers: one rule each for decimal years, day of year, MJD and GRACE months.

Public APIs take ``numpy.datetime64`` times; day of year and MJD are for kernels only.

* decimal year: ``2000 + (t − 2000-01-01T00:00) / 365.25 d`` (Julian years, continuous, no
  leap-year steps: seasonal fits see an exactly periodic clock).
* day of year: 1.0 is 1 January 00:00 UTC; fractions carry the time of day.
* GRACE month: 1 is January 2002 (the numbering of gravity-toolkit and the GRACE
  Technical Notes' month lists).
"""

from __future__ import annotations

import numpy as np

from .constants import JULIAN_YEAR_DAYS, MJD_UNIX_EPOCH

__all__ = [
    "as_datetime64",
    "datetime64_from_mjd",
    "day_of_year",
    "decimal_year",
    "doy_from_mjd",
    "grace_month",
    "grace_month_start",
    "mjd",
]

_J2000 = np.datetime64("2000-01-01T00:00", "ns")
_MJD0 = np.datetime64("1858-11-17T00:00", "ns")
_GRACE_MONTH0 = np.datetime64("2002-01", "M")


def as_datetime64(t, *, name: str = "time") -> np.ndarray:
    """``t`` (datetime64, ISO strings, or a sequence of them) as ``datetime64[ns]``.

    Raises:
        ValueError: ``t`` holds numbers, unparsable strings or NaT, naming ``name``.
    """
    a = np.asarray(t)
    if a.dtype.kind in "fiub":
        raise ValueError(f"{name} must be numpy.datetime64 values (or ISO 8601 strings), got "
                         f"numbers of dtype {a.dtype}; day of year and MJD are kernel inputs only")
    try:
        out = a.astype("datetime64[ns]")
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{name}: {a.ravel()[:1]} is not an ISO 8601 date/time ({exc})"
                         ) from None
    if np.any(np.isnat(out)):
        raise ValueError(f"{name} contains NaT (missing times) at index "
                         f"{int(np.flatnonzero(np.isnat(out).ravel())[0])}")
    return out


def decimal_year(t) -> np.ndarray:
    """Decimal years of ``t``: ``2000 + days since 2000-01-01T00 / 365.25``, float64.

    Args:
        t: datetime64 values (or ISO strings); numbers are taken to be decimal years
            already and returned as float64.
    """
    a = np.asarray(t)
    if a.dtype.kind in "fiu":
        return a.astype(np.float64)
    days = (as_datetime64(a) - _J2000) / np.timedelta64(1, "D")
    return 2000.0 + np.asarray(days, dtype=np.float64) / JULIAN_YEAR_DAYS


def day_of_year(t) -> np.ndarray:
    """Fractional day of year of ``t`` (1.0 = 1 January 00:00 UTC), float64."""
    a = as_datetime64(t)
    year_start = a.astype("datetime64[Y]").astype("datetime64[ns]")
    return np.asarray((a - year_start) / np.timedelta64(1, "D") + 1.0, dtype=np.float64)


def mjd(t) -> np.ndarray:
    """Modified Julian Date of ``t`` (UTC days since 1858-11-17), float64."""
    return np.asarray((as_datetime64(t) - _MJD0) / np.timedelta64(1, "D"), dtype=np.float64)


def datetime64_from_mjd(mjd_days) -> np.ndarray:
    """``datetime64[ns]`` of Modified Julian Dates (float days)."""
    ns = np.rint(np.asarray(mjd_days, dtype=np.float64) * 86_400e9).astype(np.int64)
    return _MJD0 + ns.astype("timedelta64[ns]")


def grace_month(t) -> np.ndarray:
    """GRACE month number of ``t`` (1 = January 2002), int64."""
    months = as_datetime64(t).astype("datetime64[M]")
    return np.asarray((months - _GRACE_MONTH0).astype(np.int64) + 1)


def grace_month_start(n) -> np.ndarray:
    """First instant (``datetime64[ns]``) of GRACE month ``n`` (1 = January 2002)."""
    n = np.asarray(n, dtype=np.int64)
    return (_GRACE_MONTH0 + (n - 1)).astype("datetime64[ns]")


# -- kernel form (traceable) ---------------------------------------------------------------
def _days_from_civil_jan1(year):
    # days since 1970-01-01 of 1 January of ``year`` (proleptic Gregorian, integer maths)
    import jax.numpy as jnp

    y = year - 1
    era = jnp.floor_divide(y, 400)
    yoe = y - era * 400
    doe = yoe * 365 + yoe // 4 - yoe // 100 + 306
    return era * 146097 + doe - 719468


def _year_from_days(days):
    import jax.numpy as jnp

    z = days + 719468
    era = jnp.floor_divide(z, 146097)
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy_mar = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy_mar + 2) // 153
    month = jnp.where(mp < 10, mp + 3, mp - 9)
    return yoe + era * 400 + jnp.where(month <= 2, 1, 0)


def doy_from_mjd(mjd_days):
    """Fractional day of year (1.0 = 1 January 0 h) from a Modified Julian Date; a kernel.

    Args:
        mjd_days: Modified Julian Date (UTC days), any shape; traceable under ``jit``.

    Returns:
        Day of year, same shape and floating dtype (integer calendar maths inside).
    """
    import jax.numpy as jnp

    x = jnp.asarray(mjd_days)
    if not jnp.issubdtype(x.dtype, jnp.floating):
        x = x.astype(jnp.result_type(float))
    day = jnp.floor(x)
    days = day.astype(jnp.int64 if day.dtype == jnp.float64 else jnp.int32) - MJD_UNIX_EPOCH
    jan1 = _days_from_civil_jan1(_year_from_days(days))
    return (days - jan1).astype(x.dtype) + 1.0 + (x - day)
