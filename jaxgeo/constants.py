"""Physical and geodetic constants used by jaxgeo, each with its unit and source.

One home for every constant: pillars import from here and never write a value again.
Names end in their unit (SI unless stated).
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = [
    "EARTH_RADIUS_M",
    "EPSILON_WATER_DRY",
    "G0_M_S2",
    "GRACE_RADIUS_M",
    "JULIAN_YEAR_DAYS",
    "MJD_UNIX_EPOCH",
    "M_DRY_KG_MOL",
    "RHO_EARTH_KG_M3",
    "RHO_WATER_KG_M3",
    "R_UNIVERSAL_GPT_J_MOL_K",
    "R_VAPOUR_J_KG_K",
    "TABLE",
    "WGS84_A_M",
    "WGS84_B_M",
    "Constant",
]

EARTH_RADIUS_M = 6_371_000.0
"""Mean Earth radius R₁ (IUGG), m: cell areas and km ↔ angle on the sphere.
Moritz (2000), Geodetic Reference System 1980, J. Geodesy 74, 128–133 (R₁ = 6 371 008.8 m,
rounded to the customary 6371 km)."""

GRACE_RADIUS_M = 6_378_136.3
"""Reference radius of the GRACE Level-2 gravity fields, m (GM = 3.986004415e14 m³/s²).
Bettadpur (2018), UTCSR Level-2 Processing Standards Document, CSR-GR-03-03."""

WGS84_A_M = 6_378_137.0
"""WGS84 ellipsoid semi-major axis, m. NIMA TR8350.2 (2000), table 3.1."""

WGS84_B_M = 6_356_752.3142
"""WGS84 ellipsoid semi-minor axis, m. NIMA TR8350.2 (2000), table 3.3."""

G0_M_S2 = 9.80665
"""Standard gravity g₀, m/s² (geopotential metres). CGPM (1901), 3rd General Conference."""

RHO_WATER_KG_M3 = 1000.0
"""Density of fresh water, kg/m³: equivalent-water-height convention and PWV.
Wahr, Molenaar & Bryan (1998), J. Geophys. Res. 103(B12), 30205, eq. 12."""

RHO_EARTH_KG_M3 = 5517.0
"""Average density of the Earth, kg/m³. Wahr, Molenaar & Bryan (1998), eq. 12."""

R_VAPOUR_J_KG_K = 461.5
"""Specific gas constant of water vapour, J/(kg K).
Bevis et al. (1994), J. Appl. Meteor. 33, 379."""

R_UNIVERSAL_GPT_J_MOL_K = 8.3143
"""Universal gas constant as written in the TU Wien GPT2w/GPT3 codes, J/(mol K).
Landskron & Böhm (2018), J. Geodesy 92, 349–360 (code gpt3_5_fast.m)."""

M_DRY_KG_MOL = 28.965e-3
"""Molar mass of dry air as in the TU Wien GPT codes, kg/mol. Landskron & Böhm (2018)."""

EPSILON_WATER_DRY = 18.0152 / 28.9644
"""Ratio of the molar masses of water vapour and dry air, Mw/Md (dimensionless).
Thayer (1974), Radio Science 9, 803–807."""

JULIAN_YEAR_DAYS = 365.25
"""Days in a Julian year: decimal years and the annual harmonics' period. IAU (1976)."""

MJD_UNIX_EPOCH = 40_587
"""Modified Julian Date of 1970-01-01T00:00 UTC, days (MJD = JD − 2 400 000.5)."""


class Constant(NamedTuple):
    """One row of :data:`TABLE`: a constant's name, value, unit and source."""

    name: str
    value: float
    unit: str
    source: str


def _table() -> tuple[Constant, ...]:
    units = {"EARTH_RADIUS_M": "m", "GRACE_RADIUS_M": "m", "WGS84_A_M": "m", "WGS84_B_M": "m",
             "G0_M_S2": "m s-2", "RHO_WATER_KG_M3": "kg m-3", "RHO_EARTH_KG_M3": "kg m-3",
             "R_VAPOUR_J_KG_K": "J kg-1 K-1", "R_UNIVERSAL_GPT_J_MOL_K": "J mol-1 K-1",
             "M_DRY_KG_MOL": "kg mol-1", "EPSILON_WATER_DRY": "1", "JULIAN_YEAR_DAYS": "d",
             "MJD_UNIX_EPOCH": "d"}
    sources = {
        "EARTH_RADIUS_M": "Moritz (2000), GRS80, J. Geodesy 74",
        "GRACE_RADIUS_M": "Bettadpur (2018), CSR-GR-03-03",
        "WGS84_A_M": "NIMA TR8350.2 (2000)",
        "WGS84_B_M": "NIMA TR8350.2 (2000)",
        "G0_M_S2": "CGPM (1901)",
        "RHO_WATER_KG_M3": "Wahr, Molenaar & Bryan (1998)",
        "RHO_EARTH_KG_M3": "Wahr, Molenaar & Bryan (1998)",
        "R_VAPOUR_J_KG_K": "Bevis et al. (1994)",
        "R_UNIVERSAL_GPT_J_MOL_K": "Landskron & Böhm (2018), GPT3 code",
        "M_DRY_KG_MOL": "Landskron & Böhm (2018), GPT3 code",
        "EPSILON_WATER_DRY": "Thayer (1974)",
        "JULIAN_YEAR_DAYS": "IAU (1976)",
        "MJD_UNIX_EPOCH": "definition of MJD",
    }
    g = globals()
    return tuple(Constant(n, float(g[n]), units[n], sources[n]) for n in units)


TABLE: tuple[Constant, ...] = _table()
"""Every constant above with its unit and source (for documentation and checks)."""
