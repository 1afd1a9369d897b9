"""Units of a run's inputs: their labels, conversions and a plausibility guard on spread.

The ``units`` attributes of the coarse field, the model field and each feature are read at
:func:`~jaxgeo.downscale.fit` time and stored with the network (:attr:`Downscaler.units`,
:attr:`RunSettings.feature_units`). Rules, the same for every pair of labels (coarse vs
model in one call; each input at predict time vs training):

* equal labels, or both known water thicknesses (:mod:`jaxgeo.units`: m, cm, mm, kg m-2):
  accepted, converted to the reference unit (the coarse field's, or the training's);
* different labels that are not both known thicknesses: a ValueError naming the input and
  both units;
* one side labelled, the other not: accepted as given (the unlabelled data are taken to be
  in the labelled unit), with a ``UserWarning`` naming the input and the unit assumed;
* neither labelled: accepted as given.

Labels can be missing or wrong, so the values are checked too: the area-weighted standard
deviation over the mask of the coarse field and of the model (one call), and of the model
and each feature against the training's normalisation (:class:`NormStats`, at predict
time) may differ at most :data:`SPREAD_RATIO_LIMIT` times either way; a metre-vs-millimetre
mix-up (1000×) is refused naming the input and the ratio. A field that is constant over
the mask (zero spread) is not compared (its spread says nothing about its unit); a field
uniform over the mask in every month (a broadcast index or forcing) is refused only for a
spread too large, as a short window of such a field may spread far less than in training.
Not caught: a factor inside the limit (cm vs mm, 10×) in unlabelled data.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np

from ..units import metres_per_unit

__all__ = ["SPREAD_RATIO_LIMIT", "check_pair_spread", "check_training_spread", "label",
           "to_training_units", "warn_one_label", "weighted_stats"]

SPREAD_RATIO_LIMIT = 30.0
"""The largest plausible ratio (either way) of two spreads that should be alike: coarse vs
model field, and an input at predict time vs the same input in training. A unit mix-up
(m vs mm: 1000×, m vs cm: 100×) exceeds it; natural differences between a coarse product
and a model, or between months, stay well inside it."""


def label(units) -> str | None:
    """A ``units`` attribute as a stripped string; None when missing or empty."""
    text = str(units).strip() if units is not None else ""
    return text or None


def weighted_stats(values: np.ndarray, weights: np.ndarray) -> tuple[float, float]:
    """Area-weighted mean and standard deviation (floored at 1e-12) over cells and months."""
    w = weights / weights.sum()
    x = np.where(weights > 0, values, 0.0)
    mean = float(np.mean(np.sum(w * x, axis=(-2, -1))))
    var = float(np.mean(np.sum(w * (x - mean) ** 2, axis=(-2, -1))))
    return mean, max(np.sqrt(var), 1e-12)


def warn_one_label(name_a: str, units_a: str | None, name_b: str, units_b: str | None,
                   stacklevel: int = 4) -> None:
    """Warn when exactly one of two inputs is labelled (see the module rule)."""
    if bool(units_a) == bool(units_b):
        return
    missing, other, units = (name_a, name_b, units_b) if units_b else (name_b, name_a, units_a)
    warnings.warn(f"no 'units' attribute on {missing}: taken to be in {units!r} like {other}",
                  UserWarning, stacklevel=stacklevel)


def _factor(given: str, ref: str) -> float | None:
    """Multiply data in ``given`` by this to get ``ref``; None when not convertible."""
    if given == ref:
        return 1.0
    fg, fr = metres_per_unit(given), metres_per_unit(ref)
    return None if fg is None or fr is None else fg / fr


def to_training_units(fields, units: str | None, names, feature_units):
    """``fields`` (prepared for predict) converted to the training's units.

    ``units``: the training unit of coarse and model; ``feature_units``: the training's
    label of each feature in ``names`` (empty for checkpoints written before they were
    stored: all unknown).

    Raises:
        ValueError: an input whose label contradicts the training's, naming it and both.
    """
    trained = dict(zip(names, feature_units, strict=False))
    changes = {}
    warn_one_label("coarse and model", fields.units, "the training fields", units)
    if units and fields.units:
        factor = _factor(fields.units, units)
        if factor is None:
            raise ValueError(f"units differ: the network was trained on fields in {units!r}, "
                             f"coarse and model are in {fields.units!r}; convert them")
        if factor != 1.0:
            changes.update(coarse=fields.coarse * factor, model=fields.model * factor)
        changes["units"] = units
    feats, funits = dict(fields.features), dict(fields.feature_units)
    for name in feats:
        ref, given = trained.get(name), funits.get(name)
        warn_one_label(f"feature {name!r}", given, f"the training's feature {name!r}", ref)
        if not (ref and given):
            continue
        factor = _factor(given, ref)
        if factor is None:
            raise ValueError(f"feature {name!r}: units differ: the network was trained on "
                             f"{ref!r}, it is now in {given!r}; convert it or fix its "
                             "'units' attribute")
        if factor != 1.0:
            feats[name] = feats[name] * factor
        funits[name] = ref
    changes.update(features=feats, feature_units=funits)
    return dataclasses.replace(fields, **changes)


def _spread(values: np.ndarray, weights: np.ndarray) -> tuple[float | None, bool]:
    """Area-weighted std over the mask (None: constant there) and whether the field is
    uniform over the mask in every month."""
    mean, std = weighted_stats(values, weights)
    tol = max(1e-12, 1e-10 * abs(mean))
    if std <= tol:
        return None, True
    inside = values[:, weights > 0]
    return std, bool((np.ptp(inside, axis=1) <= tol).all())


def _ratio_text(ratio: float) -> str:
    """``"1000x"`` or ``"1/1000 of"``: how many times one spread is the other."""
    n = ratio if ratio >= 1 else 1 / ratio
    n_text = f"{n:.0f}" if n >= 100 else f"{n:.3g}"
    return f"{n_text}x" if ratio >= 1 else f"1/{n_text} of"


def check_pair_spread(coarse: np.ndarray, model: np.ndarray, weights: np.ndarray) -> None:
    """Refuse a coarse and a model field whose spreads differ beyond the limit.

    Raises:
        ValueError: naming both fields, the ratio and both spreads.
    """
    (sc, _), (sm, _) = _spread(coarse, weights), _spread(model, weights)
    if sc is None or sm is None:
        return
    ratio = sc / sm
    if not 1 / SPREAD_RATIO_LIMIT <= ratio <= SPREAD_RATIO_LIMIT:
        raise ValueError(f"coarse and model differ in spread: the coarse field's is "
                         f"{_ratio_text(ratio)} the model's (area-weighted std {sc:.3g} vs "
                         f"{sm:.3g} inside the mask, limit {SPREAD_RATIO_LIMIT:g}x); a "
                         "different unit? convert one or label both with 'units'")


def check_training_spread(fields, norm) -> None:
    """Refuse a model field or feature whose spread is implausible against training.

    ``norm``: the training's :class:`NormStats` (its scales are the training spreads).

    Raises:
        ValueError: naming the input, the ratio and both spreads.
    """
    w = np.where(fields.mask, fields.grid.cell_area, 0.0)
    inputs = [("model", fields.model, norm.scale)]
    inputs += [(f"feature {name!r}", f, norm.feature(name)[1])
               for name, f in fields.features.items()]
    for what, values, ref in inputs:
        s, uniform = _spread(values, w)
        if s is None:
            continue
        ratio = s / ref
        if not (0.0 if uniform else 1 / SPREAD_RATIO_LIMIT) <= ratio <= SPREAD_RATIO_LIMIT:
            raise ValueError(f"{what}: spread {_ratio_text(ratio)} the training's "
                             f"(area-weighted std {s:.3g} vs {ref:.3g} inside the mask, limit "
                             f"{SPREAD_RATIO_LIMIT:g}x); a different unit? convert it or fix "
                             "its 'units' attribute")
