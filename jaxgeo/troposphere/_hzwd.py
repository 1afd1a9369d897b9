"""HZWD: the piecewise-height zenith wet delay model on a global coefficient grid.

After Yao & Hu (2018), Ann. Geophys. 36, 1507–1519: three height intervals (below 2 km,
2–5 km, 5–10 km), each with its own function of height, coefficients with annual and
semi-annual terms on a global grid. The paper's exact functions are not reproduced; the
family is a parameter:

``"exp"`` (default)
    continuous at 2 and 5 km and strictly positive: within interval k
    ``ZWD(h) = ZWD(h_k) exp(−β_k (h − h_k) − γ_k (h − h_k)²)`` with ``h_1 = 0 m``,
    ``h_2 = 2 km``, ``h_3 = 5 km``. Parameters ``(ln ZWD(0), β1, γ1, β2, γ2, β3, γ3)``,
    with heights in km (β in 1/km, γ in 1/km²).
``"poly"``
    continuous piecewise quadratic ``ZWD(h) = ZWD(0) + Σ_k a_k s_k + b_k s_k²`` in metres,
    with ``s_k`` the height travelled within interval k, km.

Each of the 7 parameters is ``a0 + a1 cos ω + b1 sin ω + a2 cos 2ω + b2 sin 2ω`` with
``ω = 2π doy / 365.25``. Both families are linear in the 35 coefficients per node — in
log-ZWD for ``"exp"``, in ZWD for ``"poly"`` — which is what makes the closed-form fit of
:func:`jaxgeo.troposphere.fit_hzwd` possible.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from .._deprecation import reject_unknown, renamed
from .._dtype import PRECISION, input_float_dtype, resolve_dtype
from .._grid import Grid
from .._pytree import pytree_dataclass, static_field
from ..constants import JULIAN_YEAR_DAYS
from ._interp import bilinear_combine, bilinear_nodes
from ._physics import _f64
from ._times import kernel_doy, point_inputs

H_MIN_M = -500.0
"""Lowest height the model covers, m."""
H_MAX_M = 10_000.0
"""Highest height the model covers, m."""
H_BREAKS_M = (2000.0, 5000.0)
"""Interval boundaries, m."""
FAMILIES = ("exp", "poly")
PARAMETER_NAMES = ("c0", "beta1", "gamma1", "beta2", "gamma2", "beta3", "gamma3")
HARMONIC_NAMES = ("a0", "a1", "b1", "a2", "b2")
N_PARAM = len(PARAMETER_NAMES)
N_HARM = len(HARMONIC_NAMES)
YEAR_DAYS = JULIAN_YEAR_DAYS
TOP_DECAY_PER_KM = 0.5
"""Slowest decay rate of ZWD above 10 km with ``extrapolate=True``, 1/km (e-fold 2 km)."""
OUTSIDE = ("raise", "nan")


def _top_decay(value, slope_per_km, dh_km, family: str):
    """Continue a node's function above 10 km: ``value(10 km) exp(−k dh)``.

    ``value`` is ln ZWD (``"exp"``) or ZWD (``"poly"``) at 10 km, ``slope_per_km`` its
    derivative there, ``dh_km = max(h − 10 km, 0)``. The rate ``k`` is the function's own
    logarithmic decay rate at 10 km where that is at least :data:`TOP_DECAY_PER_KM`
    (continuous in value and slope), else :data:`TOP_DECAY_PER_KM` (continuous in value):
    ZWD falls monotonically to 0 and never grows. ``dh_km = 0`` leaves the value as is.
    """
    if family == "exp":
        rate = jnp.maximum(-slope_per_km, TOP_DECAY_PER_KM)
        return jnp.exp(value - rate * dh_km)
    safe = jnp.where(value > 0, value, 1.0)
    rate = jnp.where(value > 0, jnp.maximum(-slope_per_km / safe, TOP_DECAY_PER_KM),
                     TOP_DECAY_PER_KM)
    return value * jnp.exp(-rate * dh_km)


def height_basis(height_m, *, extrapolate: bool = False):
    """The 7 height features ``[1, −s1, −s1², −s2, −s2², −s3, −s3²]``, s_k in km.

    ``s1 = min(h, 2 km)`` (negative below sea level), ``s2 = clip(h − 2, 0, 3)``,
    ``s3 = clip(h − 5, 0, 5)`` (km). With the sign convention the ``"exp"`` family is
    ``ln ZWD = basis · (c0, β1, γ1, β2, γ2, β3, γ3)``. Heights are clipped to
    [−500 m, 10 km] unless ``extrapolate``, which continues the edge intervals' features
    (a basis only: the ZWD of :func:`node_zwd` and :class:`HZWD` decays above 10 km).

    Args:
        height_m: height, m, any shape. Returns shape (..., 7).
    """
    h = _f64(height_m) / 1000.0
    if not extrapolate:
        h = jnp.clip(h, H_MIN_M / 1000.0, H_MAX_M / 1000.0)
    b1, b2 = H_BREAKS_M[0] / 1000.0, H_BREAKS_M[1] / 1000.0
    s1 = jnp.minimum(h, b1)
    s2 = jnp.clip(h - b1, 0.0, b2 - b1)
    s3 = jnp.maximum(h - b2, 0.0)
    return jnp.stack([jnp.ones_like(h), -s1, -s1 * s1, -s2, -s2 * s2, -s3, -s3 * s3], axis=-1)


def harmonic_basis(doy):
    """``[1, cos ω, sin ω, cos 2ω, sin 2ω]`` with ``ω = 2π doy/365.25``; shape (..., 5).

    A kernel: ``doy`` is the day of year (1.0 = 1 January 00:00 UTC), any shape.
    """
    w = 2.0 * jnp.pi * _f64(doy) / YEAR_DAYS
    c, s = jnp.cos(w), jnp.sin(w)
    # double-angle identities: two transcendental calls instead of four
    return jnp.stack([jnp.ones_like(w), c, s, c * c - s * s, 2.0 * s * c], axis=-1)


def linear_predictor(coefficients, height_m, doy, *, extrapolate: bool = False):
    """``basis(h) · C · harm(doy)`` for node coefficients ``C`` of shape (..., 7, 5).

    A kernel (day of year); heights above mean sea level, m.
    """
    g = height_basis(height_m, extrapolate=extrapolate)
    s = harmonic_basis(doy)
    return jnp.einsum("...i,...ia,...a->...", g, coefficients, s, precision=PRECISION)


def node_zwd(coefficients, height_m, doy, family: str = "exp", *, extrapolate: bool = False):
    """ZWD of one node's function, m: ``exp`` of the predictor, or the predictor itself.

    A kernel: ``doy`` is the day of year; ``height_m`` is above mean sea level. With
    ``extrapolate`` the lowest interval continues below −500 m and above 10 km the
    function decays as :class:`HZWD` documents (never grows).
    """
    if not extrapolate:
        eta = linear_predictor(coefficients, height_m, doy)
        return jnp.exp(eta) if family == "exp" else eta
    h = _f64(height_m)
    eta = linear_predictor(coefficients, jnp.minimum(h, H_MAX_M), doy, extrapolate=True)
    p = jnp.einsum("...ia,...a->...i", coefficients, harmonic_basis(doy), precision=PRECISION)
    slope = _top_slope(p[..., 5], p[..., 6])
    return _top_decay(eta, slope, jnp.maximum(h - H_MAX_M, 0.0) / 1000.0, family)


def _top_slope(beta3, gamma3):
    """d(predictor)/dh at 10 km, per km: ``−β3 − 2 γ3 s3`` with ``s3 = 5 km``."""
    s3 = (H_MAX_M - H_BREAKS_M[1]) / 1000.0
    return -beta3 - 2.0 * gamma3 * s3


def _is_concrete(*xs) -> bool:
    return not any(isinstance(x, jax.core.Tracer) for x in xs)


@pytree_dataclass
class HZWD:
    """Piecewise-height ZWD model: coefficients ``(nlat, nlon, 7, 5)`` on a node grid.

    Attributes:
        coefficients: per node, parameter (see :data:`PARAMETER_NAMES`) and harmonic
            (:data:`HARMONIC_NAMES`); NaN at nodes without data.
        grid: node grid (nodes are cell centres; 5° GPT3-like nodes are
            ``Grid.regular(5.0, lon_start=0.0)``).
        family: ``"exp"`` or ``"poly"`` (see module docstring).
    """

    coefficients: jax.Array
    grid: Grid = static_field(default=Grid.regular(5.0, lon_start=0.0))
    family: str = static_field(default="exp")

    def __post_init__(self):
        if self.family not in FAMILIES:
            raise ValueError(f"HZWD family must be one of {FAMILIES}, got {self.family!r}")
        shape = getattr(self.coefficients, "shape", None)
        if shape is not None and tuple(shape) != (*self.grid.shape, N_PARAM, N_HARM):
            raise ValueError(f"HZWD coefficients must have shape {(*self.grid.shape, 7, 5)}, "
                             f"got {tuple(shape)}")

    @classmethod
    def empty(cls, grid: Grid | None = None, family: str = "exp") -> HZWD:
        """A model whose nodes all lack data (NaN coefficients)."""
        grid = grid or Grid.regular(5.0, lon_start=0.0)
        return cls(jnp.full((*grid.shape, N_PARAM, N_HARM), jnp.nan), grid, family)

    def __call__(self, lat_deg, lon_deg, height_msl_m=None, time=None, *,
                 extrapolate: bool = False, outside: str = "raise", **kwargs):
        """Zenith wet delay at points, m.

        Each of the four surrounding nodes evaluates its own height function, then the
        values are blended bilinearly (longitude wraps at the dateline; poleward of the
        outermost node row the row is used). Vectorised over broadcast shapes, jit-able
        and differentiable in the coordinates, the heights and the coefficients (the
        times are converted on the host; :meth:`at_doy` is the kernel with a traced day
        of year).

        One rule for every point the model cannot answer — latitude outside [−90, 90],
        height outside [−500 m, 10 km] (without ``extrapolate``), non-finite input, or a
        point next to a node without fitted coefficients (outside the fitted area): with
        ``outside="raise"`` (the default) an eager call with concrete arrays raises one
        ``ValueError`` naming the first such points; under ``jit`` (where nothing can
        raise) and with ``outside="nan"`` those points are NaN and the others are
        evaluated.

        ``extrapolate=True`` answers any finite height: below −500 m the lowest
        interval's function continues; above 10 km each node's function continues as
        ``ZWD(10 km) exp(−k (h − 10 km))`` with ``k`` the function's own logarithmic
        decay rate at 10 km, or :data:`TOP_DECAY_PER_KM` (0.5 /km) where that is faster:
        continuous at 10 km, monotonically falling to 0 (never the unbounded growth of
        the top interval's quadratic).

        Args:
            lat_deg, lon_deg: degrees; height_msl_m: height above mean sea level, m;
                time: ``numpy.datetime64`` (UTC). Broadcastable.
            outside: ``"raise"`` or ``"nan"`` (see above).
        """
        height_msl_m, doy = point_inputs(kwargs, height_msl_m, time, where="HZWD")
        return self.at_doy(lat_deg, lon_deg, height_msl_m, doy, extrapolate=extrapolate,
                           outside=outside)

    def at_doy(self, lat_deg, lon_deg, height_msl_m, doy, *, extrapolate: bool = False,
               outside: str = "raise"):
        """The kernel of :meth:`__call__`: ``doy`` is the day of year (1.0 = 1 January
        00:00 UTC), traceable and differentiable like the other inputs."""
        # the dtype rule: compute in the coefficients' dtype, return the heights' float dtype
        dtype = self.dtype
        out_dtype = input_float_dtype(height_msl_m, dtype)
        lat = jnp.asarray(lat_deg, dtype)
        h = jnp.asarray(height_msl_m, dtype)
        lon_deg = jnp.asarray(lon_deg, dtype)
        doy = jnp.asarray(doy, dtype)
        if outside not in OUTSIDE:
            raise ValueError(f"outside must be one of {OUTSIDE}, got {outside!r}")
        if outside == "raise" and _is_concrete(lat, h):
            lat_np, h_np = np.asarray(lat), np.asarray(h)
            if np.any(~(np.abs(lat_np) <= 90.0)):
                bad = lat_np[~(np.abs(lat_np) <= 90.0)]
                raise ValueError(f"latitude outside [-90, 90]: {bad[:5]}")
            if not extrapolate and np.any(~((h_np >= H_MIN_M) & (h_np <= H_MAX_M))):
                bad = h_np[~((h_np >= H_MIN_M) & (h_np <= H_MAX_M))]
                raise ValueError(f"height outside the HZWD range [{H_MIN_M:g}, {H_MAX_M:g}] m: "
                                 f"{bad[:5]} (use extrapolate=True to continue the edge "
                                 "intervals)")
        out = _hzwd_eval(self, lat, lon_deg, h, doy, extrapolate).astype(out_dtype)
        if outside == "raise" and _is_concrete(out) and np.any(np.isnan(np.asarray(out))):
            _raise_outside(np.asarray(out), lat, lon_deg, h, doy)
        return out

    @property
    def dtype(self):
        """The dtype the model computes in: its coefficients' (JAX's default float if
        they are not floating)."""
        dt = getattr(self.coefficients, "dtype", None)
        return resolve_dtype(dt if dt is not None and jnp.issubdtype(dt, jnp.floating)
                             else None)

    def _evaluate(self, lat, lon_deg, h, doy, extrapolate):
        lat, lon, h, doy = jnp.broadcast_arrays(lat, _f64(lon_deg), h, _f64(doy))
        ok = (jnp.abs(lat) <= 90.0) & jnp.isfinite(lon) & jnp.isfinite(doy)
        if not extrapolate:
            ok = ok & (h >= H_MIN_M) & (h <= H_MAX_M)
        else:
            ok = ok & jnp.isfinite(h)
        lat_safe = jnp.where(ok, lat, 0.0)
        lon_safe = jnp.where(ok, lon, 0.0)
        h_safe = jnp.where(ok, h, 0.0)
        doy_safe = jnp.where(ok, doy, 0.0)
        i0, i1, j0, j1, wi, wj = bilinear_nodes(self.grid, lat_safe, lon_safe)
        dh_km = jnp.maximum(h_safe - H_MAX_M, 0.0) / 1000.0
        g = height_basis(jnp.minimum(h_safe, H_MAX_M), extrapolate=extrapolate)
        s = harmonic_basis(doy_safe)
        g = [g[..., k] for k in range(N_PARAM)]
        s = [s[..., a] for a in range(N_HARM)]
        # feature-major table and one 1-D gather per coefficient: on CPU this is about ten
        # times faster than gathering 35-wide rows (indices are in bounds by construction)
        table = jnp.moveaxis(self.coefficients.reshape(-1, N_PARAM, N_HARM), 0, -1)
        nlon = self.grid.nlon

        def at(node):
            eta, params = None, []
            for i in range(N_PARAM):
                p = table[i, 0].at[node].get(mode="promise_in_bounds")
                for a in range(1, N_HARM):
                    p = p + table[i, a].at[node].get(mode="promise_in_bounds") * s[a]
                params.append(p)
                term = p * g[i]
                eta = term if eta is None else eta + term
            if extrapolate:
                return _top_decay(eta, _top_slope(params[5], params[6]), dh_km, self.family)
            return jnp.exp(eta) if self.family == "exp" else eta

        val = bilinear_combine(at(i0 * nlon + j0), at(i0 * nlon + j1), at(i1 * nlon + j0),
                               at(i1 * nlon + j1), wi, wj)
        return jnp.where(ok, val, jnp.nan)

    def node_parameters(self, time=None, **kwargs):
        """The 7 parameters at every node at one ``numpy.datetime64`` time, (nlat, nlon, 7)."""
        where = "HZWD.node_parameters"
        time = renamed(kwargs, "doy", "time", where=where, current=time)
        reject_unknown(kwargs, where=where)
        doy = kernel_doy(time, where=where)
        return jnp.einsum("yxia,a->yxi", self.coefficients, harmonic_basis(doy),
                          precision=PRECISION)

    # -- CF NetCDF ---------------------------------------------------------------------
    def to_xarray(self):
        """The coefficients as a CF-1.8 :class:`xarray.Dataset`."""
        import xarray as xr

        coords = self.grid.to_xarray_coords()
        coords["parameter"] = xr.Variable("parameter", list(PARAMETER_NAMES))
        coords["harmonic"] = xr.Variable("harmonic", list(HARMONIC_NAMES))
        units = "log(m), 1/km, 1/km2" if self.family == "exp" else "m, m/km, m/km2"
        ds = xr.Dataset(
            {"coefficients": (("lat", "lon", "parameter", "harmonic"),
                              np.asarray(self.coefficients, dtype=np.float64),
                              {"long_name": "HZWD height-function coefficients",
                               "units": "1", "parameter_units": units,
                               "_FillValue": np.nan})},
            coords=coords,
            attrs={
                "Conventions": "CF-1.8",
                "title": "HZWD piecewise-height zenith wet delay coefficients (jaxgeo)",
                "references": "Yao & Hu (2018), Ann. Geophys. 36, 1507-1519",
                "family": self.family,
                "height_breaks_m": np.array(H_BREAKS_M),
                "height_range_m": np.array([H_MIN_M, H_MAX_M]),
                "harmonic_period_days": YEAR_DAYS,
                "grid_resolution_deg": self.grid.resolution_deg,
                "grid_lon_start": self.grid.lon_start,
            },
        )
        return ds

    def to_netcdf(self, path) -> Path:
        """Write CF NetCDF atomically (temporary sibling, then moved into place)."""
        from .._io import write_netcdf

        return write_netcdf(self.to_xarray(), path)

    @classmethod
    def from_netcdf(cls, path) -> HZWD:
        """Read coefficients written by :meth:`to_netcdf`.

        Raises:
            FileNotFoundError: no file. ValueError: not an HZWD coefficient file.
        """
        from .._xarray import open_dataset

        path = Path(path)
        with open_dataset(path, what="HZWD coefficient") as ds:
            if "coefficients" not in ds:
                raise ValueError(f"{path.name}: no 'coefficients' variable; not an HZWD file")
            family = str(ds.attrs.get("family", ""))
            if family not in FAMILIES:
                raise ValueError(f"{path.name}: missing or unknown 'family' attribute "
                                 f"{family!r}")
            if list(ds["parameter"].values) != list(PARAMETER_NAMES):
                raise ValueError(f"{path.name}: parameters {list(ds['parameter'].values)} are "
                                 f"not {list(PARAMETER_NAMES)}")
            grid = Grid.from_xarray(ds)
            da = ds["coefficients"].transpose("lat", "lon", "parameter", "harmonic")
            coef = np.asarray(da.values, dtype=np.float64)
            if ds["lat"].values[0] > ds["lat"].values[-1]:
                coef = coef[::-1]
        return cls(jnp.asarray(coef), grid, family)


def _raise_outside(out, lat, lon, h, doy) -> None:
    lat, lon, h, doy = np.broadcast_arrays(*(np.asarray(x) for x in (lat, lon, h, doy)))
    bad = np.broadcast_to(np.isnan(out), lat.shape)
    if np.any(~np.isfinite(lon[bad])) or np.any(~np.isfinite(doy[bad])):
        raise ValueError("non-finite longitude or time in HZWD input")
    pts = ", ".join(f"({a:g}, {o:g})" for a, o in zip(lat[bad][:3], lon[bad][:3], strict=True))
    raise ValueError(f"HZWD has no fitted coefficients near {int(bad.sum())} point(s) (lat, "
                     f"lon) {pts}: the model does not cover them (outside the fitted area; "
                     "outside='nan' gives NaN there)")


@partial(jax.jit, static_argnums=(5,))
def _hzwd_eval(model, lat, lon, h, doy, extrapolate):
    return model._evaluate(lat, lon, h, doy, extrapolate)
