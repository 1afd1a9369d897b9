"""Water-thickness units: the one table every reader and combination of fields uses.

Known thickness units are m, cm and mm in their common spellings, with or without a
"water equivalent" qualifier, and kg m-2 (= mm of water). :func:`metres_per_unit` reads a
label; :func:`common_units` converts a second field (the model of a downscaling run) to the
first's unit, and refuses an unknown or contradicting label with an error naming both.
"""

from __future__ import annotations

import re

__all__ = ["OUTPUT_UNITS", "common_units", "metres_per_unit", "scale_from_metres"]

OUTPUT_UNITS = ("mm", "cm", "m")
"""The units jaxgeo writes water thickness in (``units=`` of the readers)."""

_LENGTH = {"m": 1.0, "meter": 1.0, "metre": 1.0, "meters": 1.0, "metres": 1.0,
           "cm": 0.01, "centimeter": 0.01, "centimetre": 0.01, "centimeters": 0.01,
           "centimetres": 0.01,
           "mm": 0.001, "millimeter": 0.001, "millimetre": 0.001, "millimeters": 0.001,
           "millimetres": 0.001}
# 1 kg of water per m² is 1 mm of water
_AREAL_MASS = re.compile(r"^kg\s*(m-2|m\^-2|m\*\*-2|/\s*m2|/\s*m\^2|/\s*m\*\*2|m⁻²)$")
# what may follow the length: "of water equivalent", "water equivalent", "lwe", "(ewh)", …
_QUALIFIER = re.compile(r"^(\(?\s*(of\s+)?(liquid\s+)?(equivalent\s+)?(water|lwe|ewh|we)"
                        r"(\s+(thickness|equivalent|height|eq\.?))*\s*\)?)?$")


def metres_per_unit(units: str) -> float | None:
    """Metres of water in one ``units`` (``"mm of water equivalent"`` → 0.001); None if unknown."""
    text = " ".join(str(units).strip().lower().replace("_", " ").split())
    if _AREAL_MASS.match(text):
        return 0.001
    head, _, rest = text.partition(" ")
    if head in _LENGTH and _QUALIFIER.match(rest):
        return _LENGTH[head]
    return None


def common_units(coarse_units, model_units) -> tuple[float, str | None]:
    """``(factor, units)``: multiply the model field by ``factor`` to get the coarse unit.

    Either label missing (None or empty): no check, factor 1, the other label (the data
    are taken as given, as before units were read).

    Raises:
        ValueError: a label that is not a known water-thickness unit and differs from the
            other, naming both variables and units.
    """
    c = str(coarse_units).strip() if coarse_units is not None else ""
    m = str(model_units).strip() if model_units is not None else ""
    if not c or not m:
        return 1.0, (c or m or None)
    if c == m:
        return 1.0, c
    fc, fm = metres_per_unit(c), metres_per_unit(m)
    if fc is None or fm is None:
        unknown = " and ".join(f"{name} {u!r}" for name, u, f in
                               (("coarse", c, fc), ("model", m, fm)) if f is None)
        raise ValueError(f"units differ: coarse is in {c!r}, model in {m!r}, and {unknown} "
                         "is not a known water-thickness unit (m, cm, mm, kg m-2); convert "
                         "one field or fix its 'units' attribute")
    return fm / fc, c


def scale_from_metres(units: str) -> float:
    """Multiply metres of water by this to get ``units`` (one of :data:`OUTPUT_UNITS`).

    Raises:
        ValueError: another unit.
    """
    if units not in OUTPUT_UNITS:
        raise ValueError(f"units must be one of {list(OUTPUT_UNITS)}, got {units!r}")
    return 1.0 / metres_per_unit(units)
