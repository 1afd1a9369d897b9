"""Differentiable tropospheric zenith wet delay (``jaxgeo.troposphere``).

Physics (vapour pressure, wet refractivity, ZWD and Tm from profiles, PWV), readers for
ERA5 pressure levels and Wyoming radiosondes, the piecewise-height HZWD model with its
fit, and peers (Askne & Nordius, Saastamoinen, UNB3m, GPT3) for comparison.

Times are ``numpy.datetime64`` and heights are named by datum (``height_msl_m`` for HZWD,
UNB3m and the fits, ``height_ell_m`` for GPT3). Kernels take the day of year instead and are
traceable: :meth:`HZWD.at_doy`, :meth:`GPT3.at_doy`, :func:`normal_equations`.

Modules: ``_physics`` (moist-air physics), ``_readers`` (ERA5, radiosondes), ``_hzwd`` (the
model), ``_normal`` (normal equations), ``_refine`` (the Adam refinement), ``_columns``
(per-column fits), ``_report`` (interval statistics, fit report), ``_fit`` (the HZWD fit),
``_gpt3`` and ``_peers`` (peer models), ``_interp`` (bilinear nodes), ``_times`` (public
time to day of year). Validation on real data: :mod:`jaxgeo.validation.troposphere`.
"""

from ._columns import COLUMN_FAMILIES, fit_columns
from ._fit import ProfileChunk, fit_hzwd, fit_memory_bytes, profiles_from_dataset
from ._gpt3 import GPT3, GPT3Result
from ._hzwd import H_BREAKS_M, H_MAX_M, H_MIN_M, HZWD
from ._normal import normal_equations
from ._peers import UNB3mResult, askne_nordius_zwd, saastamoinen_zwd, unb3m, unb3m_zwd
from ._physics import (
    BEVIS_1994,
    THAYER_1974,
    RefractivityConstants,
    bevis_tm,
    geopotential_to_height,
    integrate_above,
    pwv_from_zwd,
    saturation_vapour_pressure,
    vapour_pressure_from_dewpoint,
    vapour_pressure_from_relative_humidity,
    vapour_pressure_from_specific_humidity,
    weighted_mean_temperature,
    wet_refractivity,
    zwd_profile,
)
from ._readers import read_era5_profiles
from ._report import INTERVAL_LABELS, FitReport, IntervalStats, interval_stats
from ._sounding import read_wyoming_sounding

__all__ = [
    "BEVIS_1994",
    "COLUMN_FAMILIES",
    "FitReport",
    "GPT3",
    "GPT3Result",
    "H_BREAKS_M",
    "H_MAX_M",
    "H_MIN_M",
    "HZWD",
    "INTERVAL_LABELS",
    "IntervalStats",
    "ProfileChunk",
    "THAYER_1974",
    "RefractivityConstants",
    "UNB3mResult",
    "askne_nordius_zwd",
    "bevis_tm",
    "fit_columns",
    "fit_hzwd",
    "fit_memory_bytes",
    "interval_stats",
    "geopotential_to_height",
    "integrate_above",
    "normal_equations",
    "profiles_from_dataset",
    "pwv_from_zwd",
    "read_era5_profiles",
    "read_wyoming_sounding",
    "saastamoinen_zwd",
    "saturation_vapour_pressure",
    "unb3m",
    "unb3m_zwd",
    "vapour_pressure_from_dewpoint",
    "vapour_pressure_from_relative_humidity",
    "vapour_pressure_from_specific_humidity",
    "weighted_mean_temperature",
    "wet_refractivity",
    "zwd_profile",
]

_MOVED = {"doy_from_mjd": "doy_from_mjd", "mjd_from_datetime64": "mjd"}


def __getattr__(name):
    # calendar helpers moved to the foundation (jaxgeo.time); old names work one release
    if name in _MOVED:
        import warnings

        from .. import time as _time

        warnings.warn(f"jaxgeo.troposphere.{name} is deprecated and will be removed in the next "
                      f"release; use jaxgeo.time.{_MOVED[name]}", DeprecationWarning, stacklevel=2)
        return getattr(_time, _MOVED[name])
    raise AttributeError(f"module 'jaxgeo.troposphere' has no attribute {name!r}")
