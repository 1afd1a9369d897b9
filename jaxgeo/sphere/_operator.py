"""Isotropic averaging operators on regular lat-lon grids: exact spherical caps, Gaussians.

An operator is a frozen dataclass and a JAX pytree (:mod:`jaxgeo._pytree`): its
:class:`~jaxgeo.sphere.BandTables` are the leaves, the grid, the targets and the kernel's
parameters (``radius_deg``, ``half_width_km``) static fields, so all of them survive
``jax.tree.map``, ``jit`` and :func:`jaxgeo.distributed.replicate`. The tables are built once
in float64 (:mod:`._tables`) and applied by the band kernel (:mod:`._kernel`).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from .._dtype import resolve_dtype
from .._grid import Grid
from .._pytree import pytree_dataclass, static_field
from .._xarray import check_mask
from ._kernel import apply_tables
from ._legendre import gaussian_b
from ._tables import BandTables, cap_tables, gaussian_tables

__all__ = ["DYNAMIC_RANGE", "CapAverage", "GaussianSmooth", "IsotropicOperator"]

DYNAMIC_RANGE = 1e-2
"""Largest ``eps × max|f| / median|f|`` an eager call accepts (eps of the operator's dtype):
beyond it, the transform's round-off reaches about a percent of a field's typical values."""


def _mask_weights(mask, grid: Grid) -> np.ndarray | None:
    """The mask rule of operators: float64 weights in [0, 1] (an empty mask gives NaNs)."""
    return check_mask(mask, grid, weights=True, allow_empty=True)


def _check_grids(grid, targets) -> None:
    if not isinstance(grid, Grid):
        raise TypeError(f"grid must be a jaxgeo.Grid, got {type(grid).__name__}")
    if targets is not None and not isinstance(targets, Grid):
        raise TypeError(f"targets must be a jaxgeo.Grid or None, got {type(targets).__name__}")


def check_radius(radius_deg) -> float:
    """``radius_deg`` as a float in (0, 180], or a ValueError naming it."""
    try:
        r = float(radius_deg)
    except (TypeError, ValueError):
        raise ValueError(f"radius_deg must be a number of degrees, got {radius_deg!r}") from None
    if not (math.isfinite(r) and 0.0 < r <= 180.0):
        raise ValueError(f"radius_deg must be in (0, 180] degrees, got {radius_deg!r}")
    return r


@pytree_dataclass(init=False)
class IsotropicOperator:
    """An area-weighted mean under an isotropic kernel on a regular grid; a JAX pytree.

    Not built directly: use :class:`CapAverage` or :class:`GaussianSmooth`. Calling the
    operator on ``field`` of shape ``(..., nlat, nlon)`` returns ``(..., nlat, nlon)`` (or
    ``(..., tlat, tlon)`` with targets). Where a kernel covers no cell of positive mask
    weight the result is NaN; so it is where the mask holds less than ``MIN_SHARE × eps``
    (100 × the dtype's eps: 1.2e-5 in float32) of the kernel's weight, e.g. where only a
    Gaussian's far tail reaches the mask: the mean there would be transform round-off.

    dtype rule: the operator computes in its own ``dtype`` (fixed when built) and returns
    the input's floating dtype (integer input: the operator's dtype).

    NaN handling: values outside the mask (mask weight 0) are ignored, so land-only
    products with NaN over the ocean can be passed as they are. A NaN or ±inf inside the
    mask would spread through the whole band of rows (the longitude transform mixes a row),
    so eager calls raise ``ValueError`` naming the first offending cell (:meth:`check_nan`);
    under ``jit`` no check is possible and they propagate. Complex fields are refused.

    Dynamic range: the longitude transform spreads round-off of about ``eps × max|f|``
    (``eps`` of the operator's dtype: 1.2e-7 in float32) over every output of the rows it
    reaches, also 180° away; a masked mean divides it by the share of the kernel's weight
    inside the mask. Each field's masked mean is subtracted before the transform, so a
    constant (or constant + small) field loses nothing; a level that varies with latitude
    is not removed (up to ~400 eps of the field's scale where under 1 % of a cap is inside
    the mask: use float64 for such fields). Eager calls refuse a field whose
    largest magnitude exceeds :data:`DYNAMIC_RANGE` ``/ eps`` (8.4e4 in float32, 4.5e13 in
    float64) times its typical (median non-zero) magnitude inside the mask, where the
    spread round-off would reach a percent of the typical values: use ``dtype=float64``,
    or remove the outlier.

    Attributes:
        tables: the :class:`~jaxgeo.sphere.BandTables` (the pytree's leaves).
        grid: the input grid.
        targets: the output grid, or None (outputs at every input cell).
    """

    tables: BandTables
    grid: Grid = static_field()
    targets: Grid | None = static_field()

    def _init_fields(self, **fields) -> None:
        for k, v in fields.items():
            object.__setattr__(self, k, v)

    def replace(self, **fields):
        """A copy with some fields replaced, without rebuilding the tables."""
        obj = object.__new__(type(self))
        for f in self.__dataclass_fields__:
            object.__setattr__(obj, f, fields.pop(f, getattr(self, f)))
        if fields:
            raise TypeError(f"{type(self).__name__} has no fields {sorted(fields)}")
        return obj

    # -- shapes ------------------------------------------------------------------------------
    @property
    def dtype(self):
        """The dtype the operator computes in."""
        return self.tables.dtype

    @property
    def masked(self) -> bool:
        return self.tables.masked

    @property
    def valid(self):
        """``(nout, 1 or ncol)`` bool: False where a kernel covers no weighted cell (or less
        than ``MIN_SHARE × eps`` of its weight is inside the mask)."""
        return self.tables.valid

    @property
    def in_shape(self) -> tuple[int, int]:
        return self.grid.shape

    @property
    def out_shape(self) -> tuple[int, int]:
        return self.grid.shape if self.targets is None else self.targets.shape

    @property
    def nband(self) -> int:
        """Number of input rows each output row reaches."""
        return self.tables.nband

    @property
    def description(self) -> str:
        return ""

    def __repr__(self):
        tgt = "" if self.targets is None else f", targets={self.targets.resolution_deg}°"
        return (f"{type(self).__name__}({self.description}, grid={self.grid.resolution_deg}°"
                f"{tgt}, masked={self.masked}, band={self.nband} rows, dtype={self.dtype})")

    # -- application -------------------------------------------------------------------------
    def __call__(self, field):
        """Apply the operator to ``field`` of shape ``(..., nlat, nlon)``."""
        field = jnp.asarray(field) if not isinstance(field, jax.Array) else field
        if field.ndim < 2 or tuple(field.shape[-2:]) != self.in_shape:
            raise ValueError(f"field has shape {tuple(field.shape)}, expected (..., nlat, nlon) "
                             f"= (..., {self.in_shape[0]}, {self.in_shape[1]}) for {self!r}")
        if jnp.issubdtype(field.dtype, jnp.complexfloating):
            raise ValueError(f"field is complex ({field.dtype}); {type(self).__name__} averages "
                             "real fields: apply it to the real and imaginary parts separately")
        if not jnp.issubdtype(field.dtype, jnp.floating):
            field = field.astype(self.dtype)
        if not isinstance(field, jax.core.Tracer) and not any(
            isinstance(x, jax.core.Tracer) for x in jax.tree_util.tree_leaves(self)
        ):
            self.check_nan(field)
        out_dtype = field.dtype
        return apply_tables(self.tables, field.astype(self.dtype)).astype(out_dtype)

    def check_nan(self, field) -> None:
        """Raise ValueError if ``field`` has a NaN or ±inf where the operator reads (inside
        the mask), or a range its dtype cannot transform (see the class's "Dynamic range").

        ``field`` is ``(..., nlat, nlon)``, numpy (checked on the host, no device copy) or a
        concrete jax array. The message names the first offending index and cell.
        """
        xp = np if isinstance(field, np.ndarray) else jnp
        inside = None
        if self.masked:
            w = self.tables.weight
            inside = xp.broadcast_to((np.asarray(w) if xp is np else w) > 0, field.shape)
        mag = xp.abs(field)
        bad = ~(mag < np.inf)  # NaN and ±inf
        if inside is not None:
            bad = bad & inside
        nbad = int(xp.sum(bad))
        if nbad:
            flat = int(xp.argmax(bad.reshape(-1)))
            nnan = int(xp.sum(xp.isnan(field) & bad))
            kind = ("NaN" if nnan == nbad else "infinite (±inf)" if nnan == 0
                    else "non-finite (NaN or ±inf)")
            raise ValueError(
                f"field has {nbad} {kind} value(s) {self._where_first(flat, field.shape)}; "
                f"they would spread over whole latitude bands. Fill them, or pass a mask that "
                "excludes them")
        self._check_range(xp, mag if inside is None else xp.where(inside, mag, 0.0),
                          field.shape)

    def _where_first(self, flat: int, shape) -> str:
        idx = tuple(int(i) for i in np.unravel_index(flat, shape))
        lat, lon = self.grid.lat[idx[-2]], self.grid.lon[idx[-1]]
        where = "inside the mask " if self.masked else ""
        return f"{where}(first at index {idx}, lat {lat:g}, lon {lon:g})"

    def _check_range(self, xp, mag, shape) -> None:
        """Refuse a peak above DYNAMIC_RANGE / eps times the typical non-zero magnitude."""
        peak = float(xp.max(mag)) if mag.size else 0.0
        if peak == 0.0:
            return
        flat = mag.reshape(-1)
        sample = np.asarray(flat[:: max(1, flat.size // 65536)], dtype=np.float64)
        sample = sample[sample > 0]
        typical = float(np.median(sample)) if sample.size else peak
        limit = DYNAMIC_RANGE / float(np.finfo(np.dtype(self.dtype)).eps)
        if peak > limit * typical:
            at = self._where_first(int(xp.argmax(flat)), shape)
            raise ValueError(
                f"field's largest magnitude {peak:.3g} {at} is {peak / typical:.2g} times its "
                f"typical magnitude {typical:.3g}, beyond the {limit:.2g} that the {self.dtype} "
                "longitude transform resolves (its round-off would spread over the whole "
                "band of rows): use dtype=float64, or remove the outlier")


@pytree_dataclass(init=False)
class CapAverage(IsotropicOperator):
    """Exact area-weighted mean over spherical caps of angular radius ``radius_deg``.

    A cell belongs to the cap around a centre when the great-circle distance between the
    two cell centres is at most ``radius_deg`` (cells exactly on the rim, to a relative
    tolerance of 1e-9, count). Weights are cell areas times the optional mask.

    Args:
        grid: the input grid.
        radius_deg: cap angular radius ψ in degrees, 0 < ψ ≤ 180.
        mask: optional ``(nlat, nlon)`` boolean or [0, 1] weights (land-only or ocean-only
            means); cells of weight 0 are ignored, even if NaN.
        targets: optional coarser :class:`~jaxgeo.Grid` whose resolution is a whole multiple
            of ``grid``'s; the means are computed at its cell centres only.
        dtype: float32 or float64 tables (default: JAX's default float).

    Returns (when called on ``(..., nlat, nlon)``): the caps' means, same leading shape;
    NaN where a cap holds no cell of positive mask weight.
    """

    radius_deg: float = static_field()

    def __init__(self, grid: Grid, radius_deg: float, *, mask=None, targets: Grid | None = None,
                 dtype=None):
        _check_grids(grid, targets)
        radius = check_radius(radius_deg)
        tables = cap_tables(grid, radius, _mask_weights(mask, grid), targets,
                            resolve_dtype(dtype))
        self._init_fields(tables=tables, grid=grid, targets=targets, radius_deg=radius)

    @property
    def description(self) -> str:
        return f"radius_deg={self.radius_deg:g}"

    __repr__ = IsotropicOperator.__repr__


@pytree_dataclass(init=False)
class GaussianSmooth(IsotropicOperator):
    """Area-weighted mean under the Jekeli/Wahr Gaussian kernel of half-width ``half_width_km``.

    The kernel ``exp(−b (1 − cos α))``, ``b = ln 2 / (1 − cos(r/R))``, weights each cell by
    its area (times the optional mask) and is normalised by the discrete sum of weights, so
    a constant field is preserved. It is truncated where it falls below ``truncation`` of
    its peak (1e-10 by default; negligible even in float64 sums of a few thousand cells).

    Args:
        grid: the input grid.
        half_width_km: distance at which the kernel halves, km (e.g. 300 for GRACE).
        mask: optional ``(nlat, nlon)`` boolean or [0, 1] weights.
        targets: optional coarser grid (whole multiple of the resolution).
        truncation: relative kernel value below which it is set to zero.
        dtype: float32 or float64 tables (default: JAX's default float).

    Reference: Jekeli (1981), OSU Rep. 327; Wahr, Molenaar & Bryan (1998), eq. 30–32.
    """

    half_width_km: float = static_field()
    truncation: float = static_field()

    def __init__(self, grid: Grid, half_width_km: float, *, mask=None,
                 targets: Grid | None = None, truncation: float = 1e-10, dtype=None):
        _check_grids(grid, targets)
        if not (0.0 < truncation < 1.0):
            raise ValueError(f"truncation must be in (0, 1), got {truncation!r}")
        b = gaussian_b(half_width_km, grid.radius_m / 1000.0)
        tables = gaussian_tables(grid, b, truncation, _mask_weights(mask, grid), targets,
                                 resolve_dtype(dtype))
        self._init_fields(tables=tables, grid=grid, targets=targets,
                          half_width_km=float(half_width_km), truncation=float(truncation))

    @property
    def description(self) -> str:
        return f"half_width_km={self.half_width_km:g}"

    __repr__ = IsotropicOperator.__repr__
