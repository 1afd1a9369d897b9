"""Physical plausibility checks shared by the profile readers (ERA5 and radiosondes).

A reader that returns finite but wrong numbers (a truncated download, a units label that
contradicts the values) would give a ZWD model that looks fine and is not. These checks
turn such input into a one-line ``ValueError`` naming the file and the variable.

Bounds (documented in the readers):

- temperature within 150–350 K;
- specific humidity within [0, 0.05] kg/kg (small negative packing artefacts, down to
  -0.002, are clipped by the reader, with a warning);
- relative humidity within [0, 150] %;
- pressure levels within (0, 1100] hPa; ERA5 levels above 1100 without units are Pa;
- vapour pressure below the total pressure and at most 10 % above saturation over liquid
  water at the level's temperature (:data:`SATURATION_MARGIN`; ERA5 ``q`` reaches 2 %);
  50 % when the vapour pressure comes from relative humidity (ice supersaturation);
- geopotential (or height) strictly increasing as pressure decreases, and the layer
  thicknesses within a factor 0.7–1.4 of the hypsometric thickness ``R_d T ln(p1/p2)``
  (geopotential in m labelled m²/s² gives 0.10).
"""

from __future__ import annotations

import numpy as np

from ._physics import saturation_vapour_pressure

SATURATION_MARGIN = 0.10
T_RANGE_K = (150.0, 350.0)
Q_MAX = 0.05
RD = 287.05  # dry-air gas constant, J/(kg K)


def check_temperature(where: str, name: str, t_k: np.ndarray) -> None:
    lo, hi = float(np.min(t_k)), float(np.max(t_k))
    if lo >= T_RANGE_K[0] and hi <= T_RANGE_K[1]:
        return
    hint = ""
    if -100.0 <= lo and hi <= 70.0:
        hint = " (the values look like degrees Celsius labelled K)"
    raise ValueError(f"{where}: temperature {name!r} spans {lo:.2f}..{hi:.2f} K, outside the "
                     f"plausible {T_RANGE_K[0]:g}-{T_RANGE_K[1]:g} K{hint}")


def check_specific_humidity(where: str, name: str, q: np.ndarray) -> None:
    lo, hi = float(np.min(q)), float(np.max(q))
    if hi > Q_MAX:
        hint = " (the values look like g/kg labelled kg/kg)" if hi <= 50.0 else ""
        raise ValueError(f"{where}: specific humidity {name!r} reaches {hi:.4g} kg/kg, above "
                         f"the plausible {Q_MAX} kg/kg{hint}")
    if lo < -2e-3:
        raise ValueError(f"{where}: specific humidity {name!r} reaches {lo:.4g} kg/kg, below "
                         "zero beyond packing round-off")


def check_relative_humidity(where: str, name: str, r: np.ndarray) -> None:
    lo, hi = float(np.min(r)), float(np.max(r))
    if lo < -1.0 or hi > 150.0:
        raise ValueError(f"{where}: relative humidity {name!r} spans {lo:.4g}..{hi:.4g} %, "
                         "outside the plausible 0-150 %")


def check_levels(where: str, name: str, level_hpa: np.ndarray) -> None:
    lo, hi = float(np.min(level_hpa)), float(np.max(level_hpa))
    if lo <= 0 or hi > 1100.0:
        raise ValueError(f"{where}: pressure levels {name!r} span {lo:g}..{hi:g} hPa, outside "
                         "(0, 1100] hPa (Pa without a units attribute?)")


def check_vapour_pressure(where: str, e_hpa, p_hpa, t_k, *, margin: float = SATURATION_MARGIN
                          ) -> None:
    """``e < p`` and ``e <= (1 + margin) e_sat(T)`` at every level (``e_sat`` over water).

    From relative humidity the readers pass ``margin=0.5``: ERA5's ``r`` is relative to
    ice below −23 °C and reaches well above 100 % there (ice supersaturation); its range
    check (≤ 150 %) is the bound that matters.
    """
    e_hpa, p_hpa, t_k = (np.asarray(a, dtype=np.float64) for a in (e_hpa, p_hpa, t_k))
    if np.any(e_hpa >= p_hpa):
        i = np.unravel_index(np.argmax(e_hpa / p_hpa), e_hpa.shape)
        raise ValueError(f"{where}: vapour pressure {e_hpa[i]:.4g} hPa is not below the total "
                         f"pressure {p_hpa[i]:.4g} hPa")
    es = np.asarray(saturation_vapour_pressure(t_k))
    ratio = e_hpa / es
    if np.any(ratio > 1.0 + margin):
        i = np.unravel_index(np.argmax(ratio), ratio.shape)
        raise ValueError(f"{where}: vapour pressure {e_hpa[i]:.4g} hPa at {p_hpa[i]:.4g} hPa is "
                         f"{ratio[i]:.3g} times saturation at {t_k[i]:.2f} K (more than "
                         f"{margin:.0%} supersaturation: humidity or temperature "
                         "wrong)")


def check_geopotential(where: str, name: str, phi, p_hpa, t_k, *, units: str) -> None:
    """Along the last axis: strictly increasing upwards, and hypsometric thicknesses.

    ``phi`` is geopotential (m²/s²) or geopotential height times g0; ``p_hpa`` the
    levels (last axis, any order).
    """
    order = np.argsort(-np.asarray(p_hpa, dtype=np.float64))
    phi = np.asarray(phi, dtype=np.float64)[..., order]
    t_k = np.asarray(t_k, dtype=np.float64)[..., order]
    p = np.asarray(p_hpa, dtype=np.float64)[order]
    dphi = np.diff(phi, axis=-1)
    if np.any(dphi <= 0):
        k = int(np.argmin(np.min(dphi.reshape(-1, dphi.shape[-1]), axis=0)))
        raise ValueError(f"{where}: {name!r} does not increase upwards between the "
                         f"{p[k]:g} and {p[k + 1]:g} hPa levels (heights must be monotonic)")
    hyps = RD * 0.5 * (t_k[..., 1:] + t_k[..., :-1]) * np.log(p[:-1] / p[1:])
    ratio = float(np.median(dphi / hyps))
    if not 0.7 <= ratio <= 1.4:
        hint = " (geopotential height in m labelled m**2 s**-2?)" if 0.07 < ratio < 0.14 else ""
        raise ValueError(f"{where}: {name!r} ({units}) layer thicknesses are {ratio:.3g} times "
                         f"the hypsometric thickness from temperature and pressure{hint}")
