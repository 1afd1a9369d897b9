"""Output quantities of the Level-2 synthesis: per-degree factors turning Stokes
coefficient anomalies into equivalent water thickness, geoid height, gravity disturbance
or surface pressure."""

from __future__ import annotations

import numpy as np

from ..constants import G0_M_S2, RHO_EARTH_KG_M3, RHO_WATER_KG_M3
from ..units import OUTPUT_UNITS, scale_from_metres
from ._checks import check_lmax
from ._ewh import ewh_degree_factors

GRACE_GM_M3_S2 = 3.986004415e14
"""GM of the GRACE Level-2 fields, m³/s² (the RL06 header value)."""

# quantity -> (default units, {units: factor from SI}, variable name, long_name)
QUANTITIES = {
    "ewh": ("mm", {u: scale_from_metres(u) for u in OUTPUT_UNITS}, "lwe_thickness",
            "equivalent water thickness anomaly"),
    "geoid": ("mm", {"mm": 1e3, "cm": 1e2, "m": 1.0}, "geoid_height",
              "geoid height anomaly"),
    "gravity_disturbance": ("uGal", {"uGal": 1e8, "mGal": 1e5, "m s-2": 1.0},
                            "gravity_disturbance",
                            "gravity disturbance at the reference radius"),
    "surface_pressure": ("hPa", {"hPa": 1e-2, "Pa": 1.0}, "surface_pressure",
                         "equivalent surface pressure anomaly"),
}
"""Output quantities: default units, accepted units, variable name and long name."""


def quantity_units(quantity: str, units: str | None = None) -> tuple[str, float]:
    """``(units, factor from SI)`` of ``quantity``; ``units`` None gives its default.

    Raises:
        ValueError: unknown quantity, or units that do not belong to it.
    """
    if quantity not in QUANTITIES:
        raise ValueError(f"unknown quantity {quantity!r}; expected one of "
                         f"{', '.join(QUANTITIES)}")
    default, table = QUANTITIES[quantity][:2]
    units = default if units is None else units
    if units not in table:
        raise ValueError(f"quantity {quantity!r} takes units {', '.join(table)}; got "
                         f"{units!r}")
    return units, table[units]


def quantity_factors(lmax: int, quantity: str = "ewh", *, radius_m: float,
                     units: str | None = None, love_k=None,
                     gm_m3_s2: float = GRACE_GM_M3_S2,
                     rho_earth_kg_m3: float = RHO_EARTH_KG_M3,
                     rho_water_kg_m3: float = RHO_WATER_KG_M3,
                     g0_m_s2: float = G0_M_S2) -> np.ndarray:
    """Per-degree factor ``F_l`` with ``Q = Σ F_l P̄_lm (ΔC cos mλ + ΔS sin mλ)``.

    In SI units (then scaled to ``units``), with ``a`` = ``radius_m``:

    * ``"ewh"``: ``a ρ_e (2l+1) / (3 ρ_w (1 + k_l))`` m of water (Wahr et al. 1998 eq. 14);
    * ``"geoid"``: ``a`` m (Heiskanen & Moritz 1967, Bruns; no Love numbers: the geoid
      change is the observed potential's);
    * ``"gravity_disturbance"``: ``GM (l+1) / a²`` m/s² at r = a (radial derivative of
      the potential; gravity-toolkit's ``microGal``);
    * ``"surface_pressure"``: ``g₀ a ρ_e (2l+1) / (3 (1 + k_l))`` Pa, i.e. ``g₀ ρ_w`` times
      the EWH factor (gravity-toolkit's ``mbar``; 1 hPa = 1 mbar).

    Args:
        lmax: maximum degree.
        quantity: a key of :data:`QUANTITIES`.
        radius_m: reference radius of the coefficients, m.
        units: output units (default the quantity's: mm, mm, uGal, hPa).
        love_k: load Love numbers ``(lmax+1,)`` (default PREM with k_1 = 0.021).
        gm_m3_s2: GM of the coefficients, m³/s².
        rho_earth_kg_m3, rho_water_kg_m3: densities, kg/m³.
        g0_m_s2: standard gravity for the pressure, m/s².

    Returns:
        float64 array of shape ``(lmax + 1,)``, ``units`` per unit coefficient.
    """
    lmax = check_lmax(lmax, where="quantity_factors", optional=False)
    units, scale = quantity_units(quantity, units)
    ell = np.arange(lmax + 1, dtype=np.float64)
    if quantity in ("ewh", "surface_pressure"):
        f = ewh_degree_factors(lmax, radius_m=radius_m, love_k=love_k,
                               rho_earth_kg_m3=rho_earth_kg_m3,
                               rho_water_kg_m3=rho_water_kg_m3)
        if quantity == "surface_pressure":
            f = f * g0_m_s2 * rho_water_kg_m3
    elif quantity == "geoid":
        f = np.full(lmax + 1, float(radius_m))
    else:
        f = gm_m3_s2 * (ell + 1) / radius_m ** 2
    return f * scale
