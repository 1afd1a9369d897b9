"""The filter-matched start: the model corrected toward the coarse field where the coarse
product can see it, with its cap radius chosen by a truth-free risk estimate.

The coarse field is the truth seen through the product's filter (truncation at ``lmax``,
a Gaussian, leakage across the mask's edge) plus noise. The classical
:func:`~jaxgeo.downscale.baseline` compares it with the *raw* model, so the filter's
damping and leakage enter the correction as if they were model errors. The start compares
like with like: ``start = model + cap_r(coarse − F(model))``, ``F`` the product's filter
applied to the model (zero outside the mask, as the product's truth is). The remaining
choice, the radius ``r`` (noise against resolution), is made by :func:`filtered_risk`, an
estimate of ``mean |F(start) − F(truth)|²`` from the data alone.
"""

from __future__ import annotations

import dataclasses
import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .._grid import Grid
from ..seasonal import white_covariance
from ._data import Fields
from ._features import NOISE2SELF_MIN_MONTHS, apply_chunked
from ._models import MEMBER_PREFIX, split_models

__all__ = ["RADII_DEG", "CoarseFilter", "StartChoice", "choose_start", "filtered_risk",
           "matched_start"]

#: cap radii (degrees) among which :func:`choose_start` picks the start's
RADII_DEG = (2.0, 3.0, 4.0, 5.0, 6.0, 8.0)
#: truncation degree assumed for a coarse field that does not state one (GRACE's usual 60)
DEFAULT_LMAX = 60


@dataclasses.dataclass(frozen=True)
class CoarseFilter:
    """The coarse product's own filter: spherical-harmonic truncation and Gaussian smoothing.

    Attributes:
        lmax: truncation degree of the product (GRACE Level-2: 60 or 96).
        half_width_km: half-width of its Gaussian smoothing, km; None: none.
        leakage: True (GRACE): the product is the global field (zero outside the mask)
            truncated and smoothed, so signal leaks across the mask's edge. False: a
            Gaussian mean over the mask only (renormalised, no leakage, no truncation), as
            :func:`jaxgeo.downscale.synthetic.make_experiment` makes its coarse field.
    """

    lmax: int
    half_width_km: float | None = 300.0
    leakage: bool = True

    def __post_init__(self):
        if isinstance(self.lmax, bool) or int(self.lmax) != self.lmax or self.lmax < 2:
            raise ValueError(f"CoarseFilter.lmax must be an integer ≥ 2, got {self.lmax!r}")
        object.__setattr__(self, "lmax", int(self.lmax))
        hw = self.half_width_km
        if hw is not None and not (isinstance(hw, (int, float, np.floating, np.integer))
                                   and math.isfinite(hw) and hw >= 0):
            raise ValueError(f"CoarseFilter.half_width_km must be a non-negative number or "
                             f"None, got {hw!r}")
        object.__setattr__(self, "half_width_km", float(hw) if hw else None)
        object.__setattr__(self, "leakage", bool(self.leakage))
        if not self.leakage and self.half_width_km is None:
            raise ValueError("CoarseFilter: a filter without leakage is a Gaussian mean over "
                             "the mask and needs a half_width_km")

    @classmethod
    def of(cls, coarse, grid: Grid, half_width_km: float | None = 300.0) -> CoarseFilter:
        """The filter a coarse DataArray states in its ``lmax``/``half_width_km``/``leakage``
        attributes (as ``jaxgeo grace l2`` writes the first two); what it does not state:
        ``lmax`` = min(60, nlat − 1), ``half_width_km``, leakage."""
        attrs = getattr(coarse, "attrs", {}) or {}
        lmax = attrs.get("lmax", min(DEFAULT_LMAX, grid.nlat - 1))
        hw = attrs.get("half_width_km", half_width_km)
        return cls(int(min(int(lmax), grid.nlat - 1)), None if not hw else float(hw),
                   bool(attrs.get("leakage", True)))

    def apply(self, x, grid: Grid, mask, chunk: int = 12) -> np.ndarray:
        """``F(x)``: ``(T, nlat, nlon)`` → filtered, float64, zero outside ``mask`` (the
        field is set to zero outside ``mask`` first, as the product's truth is)."""
        from ..grace import filter_field

        x = np.where(mask, np.asarray(x, dtype=np.float64), 0.0)
        dtype = jnp.float64 if jax.config.jax_enable_x64 else jnp.float32
        if not self.leakage:
            from ..sphere import GaussianSmooth

            op = GaussianSmooth(grid, self.half_width_km, mask=mask, dtype=dtype)
            return np.where(mask, apply_chunked(op, x.astype(dtype), chunk), 0.0)
        out = np.concatenate([np.asarray(filter_field(
            jnp.asarray(x[i:i + chunk], dtype), grid, lmax=self.lmax,
            half_width_km=self.half_width_km), dtype=np.float64)
            for i in range(0, len(x), chunk)])
        return np.where(mask, out, 0.0)


class StartChoice(NamedTuple):
    """How :func:`choose_start` chose.

    Attributes:
        radius_deg: the chosen cap radius, degrees.
        risk: ``((radius_deg, estimated RMS of F(start) − F(truth)), ...)`` per candidate
            radius of the chosen model, in the fields' unit (empty when there were too few
            months to estimate it).
        noise: estimated RMS of the coarse field's month-to-month independent noise over
            the mask, in the fields' unit (NaN when not estimated).
    """

    radius_deg: float
    risk: tuple[tuple[float, float], ...]
    noise: float
    model: str = ""
    """The model field the start corrects: ``""`` the model (with several members, their
    mean), else the name of the member (``model:<name>``) whose start has the least risk."""


def _rms(risk: float) -> float:
    return float(np.sqrt(max(risk, 0.0)))


def _weights(fields: Fields) -> np.ndarray:
    w = np.where(fields.mask, fields.grid.cell_area, 0.0)
    return w / w.sum()


def filtered_risk(filtered_pred, coarse, time, weights, noise_variance: float) -> float:
    """Estimate of ``mean_t Σ w (F(pred) − F(truth))²`` without the truth.

    Stein's unbiased risk estimate with the noise taken as white in time:
    ``|F(pred) − coarse|²`` overstates the risk by the noise variance and understates it by
    twice the noise that ``pred`` copied from ``coarse``; both are
    :func:`jaxgeo.seasonal.white_covariance` terms.

    Args:
        filtered_pred: ``(T, nlat, nlon)`` the prediction through the product's filter.
        coarse: ``(T, nlat, nlon)`` the coarse field (0 outside the mask).
        time: ``(T,)`` datetime64 (consecutive months, at least 12).
        weights: ``(nlat, nlon)`` area weights over the mask, summing to 1.
        noise_variance: ``white_covariance(coarse, coarse, ...)``.

    Returns:
        the estimated mean-square error, in the square of the fields' unit.
    """
    d = filtered_pred - coarse
    emp = float(np.mean(np.sum(weights * d * d, axis=(-2, -1))))
    return emp - noise_variance + 2.0 * white_covariance(coarse, filtered_pred, time, weights)


def _cap_op(grid: Grid, radius_deg: float, mask):
    from ..sphere import CapAverage

    dtype = jnp.float64 if jax.config.jax_enable_x64 else jnp.float32
    return CapAverage(grid, radius_deg, mask=mask, dtype=dtype)


def _model(fields: Fields, name: str) -> np.ndarray:
    if not name:
        return fields.model
    if name not in fields.features:
        raise ValueError(f"the start corrects the model member {name!r}, which is not among "
                         f"the inputs ({sorted(fields.features)})")
    return fields.features[name]


def matched_start(fields: Fields, coarse_filter: CoarseFilter, radius_deg: float,
                  filtered_model=None, model: str = "", op=None) -> np.ndarray:
    """``model + cap_r(coarse − F(model))`` over the mask, float64, 0 outside.

    ``filtered_model``: ``F(model)`` when the caller has it. ``model``: ``""`` the model
    field, or the name of a model member among the features (``model:<name>``). ``op``:
    the masked cap operator of ``radius_deg`` when the caller has one.
    """
    m = _model(fields, model)
    fm = (coarse_filter.apply(m, fields.grid, fields.mask)
          if filtered_model is None else filtered_model)
    diff = np.where(fields.mask, fields.coarse - fm, 0.0)
    op = _cap_op(fields.grid, radius_deg, fields.mask) if op is None else op
    corr = apply_chunked(op, diff.astype(op.dtype)).astype(np.float64)
    return np.where(fields.mask, m + corr, 0.0)


def choose_start(fields: Fields, coarse_filter: CoarseFilter, radii=RADII_DEG, *,
                 fallback_radius_deg: float = 3.0) -> tuple[np.ndarray, StartChoice]:
    """The matched start with the radius of least :func:`filtered_risk` among ``radii``.

    With several model members (features named ``model:<name>``, see
    :func:`jaxgeo.downscale.fit`) each member and their mean are candidates too: the start
    corrects the one whose start has the least risk. With fewer than 12 months (or months
    that are not consecutive) the noise cannot be told from the signal; the start then
    corrects the model (the members' mean) with ``fallback_radius_deg`` (no risk figures).

    Returns:
        ``(start, StartChoice)``; ``start`` ``(T, nlat, nlon)`` float64, 0 outside the mask.
    """
    months = np.asarray(fields.time).astype("datetime64[M]")
    consecutive = months.size > 1 and bool(np.all(np.diff(months) == np.timedelta64(1, "M")))
    if len(months) < NOISE2SELF_MIN_MONTHS or not consecutive:
        start = matched_start(fields, coarse_filter, fallback_radius_deg)
        return start, StartChoice(float(fallback_radius_deg), (), float("nan"))
    w = _weights(fields)
    coarse = np.where(fields.mask, fields.coarse, 0.0)
    noise_var = white_covariance(coarse, coarse, fields.time, w)
    members = [k for k in fields.features if k.startswith(MEMBER_PREFIX)]
    best = None
    ops = {float(r): _cap_op(fields.grid, float(r), fields.mask) for r in radii}  # built once
    for name in [""] + (members if len(members) > 1 else []):
        fm = coarse_filter.apply(_model(fields, name), fields.grid, fields.mask)
        risks = []
        for r in radii:
            start = matched_start(fields, coarse_filter, float(r), fm, name, ops[float(r)])
            fs = coarse_filter.apply(start, fields.grid, fields.mask)
            risk = filtered_risk(fs, coarse, fields.time, w, noise_var)
            risks.append((float(r), _rms(risk)))
            if best is None or risk < best[0]:
                best = (risk, float(r), start, name, risks)
    return best[2], StartChoice(best[1], tuple(best[4]), _rms(noise_var), best[3])


def matched_baseline(coarse, model, *, mask, coarse_filter: CoarseFilter | None = None,
                     radius_deg: float | None = None, radii=RADII_DEG):
    """The filter-matched baseline ``model + cap_r(coarse − F(model))`` (the start of
    :func:`~jaxgeo.downscale.fit`), xarray in and out.

    ``F`` is the coarse product's filter (:class:`CoarseFilter`) applied to the model, so the
    correction sees only what the product can see: its damping and leakage are not taken
    for model errors, as they are by :func:`~jaxgeo.downscale.baseline`.

    Args:
        coarse, model: (time, lat, lon) DataArrays on one grid (NaN outside the mask only);
            the model is converted to the coarse field's unit as in :func:`fit`. ``model``
            may be a Dataset of several model fields: the start corrects their mean or the
            member whose start has the least risk (:func:`choose_start`).
        mask: (lat, lon) boolean.
        coarse_filter: the product's filter; None: :meth:`CoarseFilter.of` ``coarse`` (its
            ``lmax``/``half_width_km`` attributes, else degree min(60, nlat − 1) and 300 km).
        radius_deg: cap radius, degrees; None: chosen among ``radii`` by
            :func:`filtered_risk` (needs 12 consecutive months; else 3°).
        radii: the candidate radii, degrees.

    Returns:
        (time, lat, lon) DataArray in the coarse field's unit, NaN outside the mask; the
        attributes record the filter, the radius and the risk of each candidate.
    """
    import xarray as xr

    from ._data import prepare

    model, members = split_models(model, None)
    fields = prepare(coarse, model, mask, members)
    filt = coarse_filter or CoarseFilter.of(coarse, fields.grid)
    if radius_deg is None:
        out, choice = choose_start(fields, filt, radii)
    else:
        out = matched_start(fields, filt, float(radius_deg))
        choice = StartChoice(float(radius_deg), (), float("nan"))
    coords = {"time": ("time", fields.time), **fields.grid.to_xarray_coords()}
    attrs = {"long_name": "model + cap-mean correction toward the coarse field, the model "
                          "seen through the coarse product's filter",
             "units": fields.units or "1", "radius_deg": choice.radius_deg,
             "model_member": choice.model.removeprefix(MEMBER_PREFIX) or "(all: mean)",
             "coarse_lmax": filt.lmax, "coarse_half_width_km": filt.half_width_km or 0.0,
             "coarse_leakage": int(filt.leakage),
             "comment": "jaxgeo.downscale.matched_baseline"
                        + ("; risk (radius_deg, RMS): " + ", ".join(
                            f"{r:g}: {v:.3g}" for r, v in choice.risk) if choice.risk else "")}
    return xr.DataArray(np.where(fields.mask, out, np.nan), dims=("time", "lat", "lon"),
                        coords=coords, attrs=attrs, name="matched_baseline")


class Selection(NamedTuple):
    """Whether the network's output replaces the start, and the evidence.

    Attributes:
        use_network: True: the network's output; False: the start.
        reason: one line: how it was decided.
        risk_start, risk_network: :func:`filtered_risk` of the start and of the network's
            output on the training months, as RMS in the fields' unit (NaN: not estimated).
    """

    use_network: bool
    reason: str
    risk_start: float = float("nan")
    risk_network: float = float("nan")

    def to_dict(self) -> dict:
        return {k: (None if isinstance(v, float) and math.isnan(v) else v)
                for k, v in self._asdict().items()}

    @classmethod
    def from_dict(cls, d: dict) -> Selection:
        return cls(bool(d["use_network"]), str(d["reason"]),
                   *(float("nan") if d.get(k) is None else float(d[k])
                     for k in ("risk_start", "risk_network")))


def select_network(network_output: np.ndarray, start: np.ndarray, fields: Fields,
                   coarse_filter: CoarseFilter, use_network: bool | None) -> Selection:
    """Keep the network's output only where the data say it beats the start.

    ``use_network`` True/False decides without looking; None compares the
    :func:`filtered_risk` of both on the training months (needs 12 consecutive months:
    with fewer, the start is kept, as nothing shows that the network improves on it).
    """
    if use_network is not None:
        return Selection(bool(use_network), "chosen by the caller (use_network="
                         f"{bool(use_network)})")
    months = np.asarray(fields.time).astype("datetime64[M]")
    if len(months) < NOISE2SELF_MIN_MONTHS or not np.all(
            np.diff(months) == np.timedelta64(1, "M")):
        return Selection(False, f"{len(months)} months, not {NOISE2SELF_MIN_MONTHS} "
                         "consecutive ones: the risk cannot be estimated, the start is kept")
    w = _weights(fields)
    coarse = np.where(fields.mask, fields.coarse, 0.0)
    noise_var = white_covariance(coarse, coarse, fields.time, w)
    risk = [filtered_risk(coarse_filter.apply(x, fields.grid, fields.mask), coarse,
                          fields.time, w, noise_var) for x in (start, network_output)]
    use = bool(risk[1] < risk[0])
    why = ("the network's output has the lower estimated risk" if use else
           "the network's output does not lower the estimated risk: the start is kept")
    return Selection(use, why, _rms(risk[0]), _rms(risk[1]))
