"""Residual statistics by height interval, and the report of an HZWD fit."""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from .._deprecation import reject_unknown, renamed
from ._hzwd import H_BREAKS_M, H_MAX_M, H_MIN_M

INTERVALS_M = ((H_MIN_M, H_BREAKS_M[0]), (H_BREAKS_M[0], H_BREAKS_M[1]),
               (H_BREAKS_M[1], H_MAX_M))
"""The model's three height intervals, m: ``[lo, hi)``, the last one closed."""
INTERVAL_LABELS = ("0-2 km", "2-5 km", "5-10 km")
"""Labels of :data:`INTERVALS_M` (``"0-2 km"`` spans the whole lowest interval, from −0.5 km)."""


@dataclasses.dataclass(frozen=True)
class IntervalStats:
    """RMS, bias (model − data, m) and count of residuals per height interval.

    Each field is a tuple with one entry per interval of :data:`INTERVAL_LABELS`; an
    interval without residuals has NaN RMS and bias and ``n`` 0.
    """

    rms_m: tuple[float, float, float]
    bias_m: tuple[float, float, float]
    n: tuple[int, int, int]

    labels = INTERVAL_LABELS

    def as_dict(self) -> dict:
        """``{label: {"rms_m", "bias_m", "n"}}`` (the JSON form)."""
        return {lab: {"rms_m": r, "bias_m": b, "n": k}
                for lab, r, b, k in zip(INTERVAL_LABELS, self.rms_m, self.bias_m, self.n,
                                        strict=True)}


def interval_stats(height_msl_m=None, residual_m=None, **kwargs) -> IntervalStats:
    """Per-interval RMS, bias and count of residuals (model − data), m.

    The one rule: a residual counts in the interval ``[lo, hi)`` of :data:`INTERVALS_M`
    that holds its height (the top interval includes 10 km); NaN residuals and heights,
    and heights outside [−500 m, 10 km], are skipped. Mask what should not count with NaN.

    Args:
        height_msl_m: heights above mean sea level of the residuals, m, any shape.
        residual_m: residuals, m, the same shape.
    """
    height_msl_m = renamed(kwargs, "height_m", "height_msl_m", where="interval_stats",
                           current=height_msl_m)
    reject_unknown(kwargs, where="interval_stats")
    if height_msl_m is None or residual_m is None:
        raise TypeError("interval_stats needs height_msl_m and residual_m")
    h = np.asarray(height_msl_m, dtype=np.float64)
    r = np.asarray(residual_m, dtype=np.float64)
    rms, bias, count = [], [], []
    for lo, hi in INTERVALS_M:
        sel = np.isfinite(r) & np.isfinite(h) & (h >= lo) & ((h < hi) if hi < H_MAX_M
                                                             else (h <= hi))
        n = int(sel.sum())
        count.append(n)
        rms.append(float(np.sqrt(np.mean(r[sel] ** 2))) if n else math.nan)
        bias.append(float(np.mean(r[sel])) if n else math.nan)
    return IntervalStats(tuple(rms), tuple(bias), tuple(count))


@dataclasses.dataclass(frozen=True)
class FitReport:
    """What :func:`jaxgeo.troposphere.fit_hzwd` did, and its residuals (ZWD space, m).

    The statistics are taken on the retained refinement sample (every ``refine_stride``-th
    time step, up to ``max_samples_per_node`` profiles per node), for the closed-form and,
    when the refinement ran, the refined coefficients (see :func:`interval_stats`).

    Attributes:
        family: ``"exp"`` or ``"poly"``.
        n_nodes_fitted, n_nodes_total: nodes with coefficients, nodes of the grid.
        n_profiles: profiles streamed through the normal equations.
        n_points: valid levels among them.
        refine_steps: Adam steps run (0 for ``"poly"``).
        closed_form: residual statistics of the closed-form coefficients.
        refined: residual statistics after the refinement, or None.
        seconds: wall time of the fit.
    """

    family: str
    n_nodes_fitted: int
    n_nodes_total: int
    n_profiles: int
    n_points: int
    refine_steps: int
    closed_form: IntervalStats
    refined: IntervalStats | None = None
    seconds: float = math.nan

    @property
    def n_points_per_interval(self) -> tuple[int, int, int]:
        """Sample points per interval (the same for every stage)."""
        return self.closed_form.n

    @property
    def stages(self) -> tuple[tuple[str, IntervalStats], ...]:
        """``(("closed_form", stats), ("refined", stats))``, the latter when it ran."""
        out = (("closed_form", self.closed_form),)
        return out if self.refined is None else (*out, ("refined", self.refined))

    def as_dict(self) -> dict:
        """The report as JSON-able nested dicts (intervals by label)."""
        d = dataclasses.asdict(self)
        for name, stats in self.stages:
            d[name] = stats.as_dict()
        return d

    def table(self) -> str:
        """A plain-text table of the statistics, mm."""
        lines = [f"HZWD fit ({self.family}): {self.n_nodes_fitted}/{self.n_nodes_total} nodes, "
                 f"{self.n_profiles} profiles, {self.n_points} points"]
        lines.append(f"{'interval':>9} {'stage':>12} {'RMS mm':>8} {'bias mm':>8} {'n':>9}")
        for stage, s in self.stages:
            for lab, r, b, n in zip(INTERVAL_LABELS, s.rms_m, s.bias_m, s.n, strict=True):
                lines.append(f"{lab:>9} {stage:>12} {1e3 * r:8.2f} {1e3 * b:8.2f} {n:9d}")
        return "\n".join(lines)
