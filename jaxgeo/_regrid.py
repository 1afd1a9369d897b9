"""Foundation: conservative regridding of a regular lat-lon field onto a :class:`~jaxgeo.Grid`.

The source is any regular latitude-longitude grid of cell centres: finer or coarser than
the target, nested or not (0.1° → 0.25°, 0.3° → 0.5°), longitudes 0..360 or -180..180 (or
any start), latitude ascending or descending, global or regional. Cell edges are the
midpoints between the regular centres (latitudes clipped to ±90°).

The overlap of a source cell ``(k, l)`` and a target cell ``(i, j)`` on the sphere is exact::

    area = R² · (sin φ_n − sin φ_s) · Δλ          (φ_n, φ_s, Δλ of the intersection)
         = R² · A_lat[i, k] · A_lon[j, l]

so the weights are the Kronecker product of two small 1-D overlap matrices (``A_lon``
circular in longitude), applied as two banded matrix products (a gather of each target
cell's few source rows/columns and a contraction, ``precision=HIGHEST``) over any leading
(time) axes, in one jitted program; the operation is differentiable in the field. As the
target grid is global, each source cell's overlaps are rescaled to add up to exactly its
band and width, so the area integral is conserved to round-off (~1e-16 relative).

Source cells with NaN (or mask 0) do not contribute; a fractional mask weights a cell's
area. A target value is the mean over its *valid* overlapped area; its ``coverage`` is that
area over the target cell's area (1 up to round-off when fully covered), and cells with
``coverage < min_coverage`` (or 0) are NaN.
With ``min_coverage=0`` the area integral ``Σ value · coverage · cell_area`` equals the
source's ``Σ value · cell_area`` to round-off.
"""

from __future__ import annotations

import numbers
from functools import lru_cache, partial

import jax
import jax.numpy as jnp
import numpy as np

from ._grid import Grid

__all__ = ["MIN_COVERAGE", "overlap_matrices", "regrid", "source_edges"]

MIN_COVERAGE = 0.5
"""Default ``min_coverage``: a target cell needs half its area covered by valid source cells."""


def source_edges(coord, name: str, *, lat: bool) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper cell edges (degrees, in the coordinate's own order) of regular centres.

    Raises:
        ValueError: not 1-D with at least 2 finite values, irregular spacing, latitudes
            outside [-90, 90], or longitude cells spanning more than 360°; naming ``name``.
    """
    raw = np.asarray(coord)
    c = raw.astype(np.float64)
    if c.ndim != 1 or c.size < 2:
        raise ValueError(f"coordinate {name!r} must be 1-D with at least 2 cell centres to infer "
                         f"cell edges, got shape {c.shape}")
    if not np.all(np.isfinite(c)):
        raise ValueError(f"coordinate {name!r} has non-finite values")
    step = (c[-1] - c[0]) / (c.size - 1)
    d = np.diff(c)
    # float32 coordinates (common in files) are regular only to their round-off
    eps = np.finfo(raw.dtype).eps if np.issubdtype(raw.dtype, np.floating) else 0.0
    tol = 1e-6 * abs(step) + 8 * eps * float(np.max(np.abs(c)))
    if step == 0 or np.max(np.abs(d - step)) > tol:
        raise ValueError(f"coordinate {name!r} is irregular (steps {d.min():g} to {d.max():g}); "
                         "conservative regridding needs regularly spaced cell centres")
    if not lat and abs(c.size * abs(step) - 360.0) <= c.size * tol:
        step = np.sign(step) * 360.0 / c.size  # a global row of float32 centres: exactly 360°
    h = abs(step) / 2
    centres = c[0] + step * np.arange(c.size)
    lo, hi = centres - h, centres + h
    if lat:
        if c.min() < -90 - 1e-9 or c.max() > 90 + 1e-9:
            raise ValueError(f"coordinate {name!r} has latitudes outside [-90, 90] "
                             f"({c.min():g} to {c.max():g})")
        lo, hi = np.clip(lo, -90.0, 90.0), np.clip(hi, -90.0, 90.0)
    elif c.size * abs(step) > 360.0 + c.size * tol:
        raise ValueError(f"coordinate {name!r} spans more than 360° ({c.size} cells of "
                         f"{abs(step):g}°): drop the repeated wrap-around column")
    return lo, hi


def _sin_diff(north, south):
    """``sin φ_n − sin φ_s`` (degrees in) as ``2 cos(mean) sin(half difference)``: full
    relative precision for thin bands, where the plain difference loses digits."""
    n, s = np.deg2rad(north), np.deg2rad(south)
    return 2.0 * np.cos((n + s) / 2) * np.sin((n - s) / 2)


def overlap_matrices(lat_edges, lon_edges, grid: Grid) -> tuple[np.ndarray, np.ndarray]:
    """The 1-D overlap factors of the exact spherical overlap areas (float64).

    Args:
        lat_edges: ``(south, north)`` source edges, degrees, each ``(n_lat_src,)``.
        lon_edges: ``(west, east)`` source edges, degrees, each ``(n_lon_src,)``.
        grid: the target grid.

    Returns:
        ``A_lat (grid.nlat, n_lat_src)``: overlapping ``sin φ_n − sin φ_s``; ``A_lon
        (grid.nlon, n_lon_src)``: circular overlap length in radians. The overlap area of
        source cell ``(k, l)`` and target cell ``(i, j)`` is ``R² A_lat[i, k] A_lon[j, l]``.
    """
    s_lo, s_hi = (np.asarray(e, np.float64) for e in lat_edges)
    t = grid.lat_edges
    south = np.maximum(t[:-1, None], s_lo[None, :])
    north = np.minimum(t[1:, None], s_hi[None, :])
    a_lat = np.zeros(south.shape)
    hit = north > south  # a band of a few cells per row: only there any trigonometry
    a_lat[hit] = _sin_diff(north[hit], south[hit])
    west, east = (np.asarray(e, np.float64) for e in lon_edges)
    width = (east - west)[None, :]
    r = grid.resolution_deg
    t_west = grid.lon_start + r * np.arange(grid.nlon)
    d = np.mod(west[None, :] - t_west[:, None], 360.0)  # source west edge east of target's
    # the source interval [d, d + width) and its copy shifted by -360°, against [0, r)
    a_lon = (np.maximum(0.0, np.minimum(r, d + width) - d)
             + np.maximum(0.0, np.minimum(r, d + width - 360.0)))
    # the target grid is global, so each source column's overlaps add up to its whole
    # band / width; rescale them to exactly that (the overlaps' round-off, ~1e-13 of a
    # 0.1° cell near 360°, would otherwise show in the area integral)
    _rescale(a_lat, _sin_diff(np.maximum(s_hi, s_lo), s_lo))
    _rescale(a_lon, width[0])
    return a_lat, np.deg2rad(a_lon)


def _rescale(a, total):
    """Scale the columns of ``a`` in place to sum to ``total`` (where they sum to > 0)."""
    got = a.sum(axis=0)
    ok = got > 0
    a[:, ok] *= (total[ok] / got[ok])[None, :]


def _concrete(x) -> bool:
    return not isinstance(x, jax.core.Tracer)


def _banded(a: np.ndarray, dtype):
    """A sparse overlap matrix ``(n_t, n_s)`` as ``(index, weight)``, each ``(n_t, K)``:
    the ``K`` (most nonzeros in a row) source cells of each target cell, padded with
    zero weights; any pattern, so longitudes wrapping around 360° need no special case."""
    nz = a != 0
    k = max(1, int(nz.sum(axis=1).max()))
    idx = np.argsort(~nz, axis=1, kind="stable")[:, :k]  # the nonzeros first, in order
    return jnp.asarray(idx), jnp.asarray(np.take_along_axis(a, idx, axis=1), dtype)


def _sandwich(lat_band, x, lon_band):
    """``A_lat @ x @ A_lon.T`` over the last two axes as two banded products (gathers and
    contractions with ``precision=HIGHEST``), the cheaper order first."""
    from ._dtype import PRECISION

    (ilat, wlat), (ilon, wlon) = lat_band, lon_band
    (nr, k1), (nc, k2) = ilat.shape, ilon.shape
    nk, nl = x.shape[-2:]

    def along_lat(y):
        g = jnp.take(y, ilat, axis=-2)  # (..., nr, k1, n)
        return jnp.einsum("...rkn,rk->...rn", g, wlat, precision=PRECISION)

    def along_lon(y):
        g = jnp.take(y, ilon, axis=-1)  # (..., m, nc, k2)
        return jnp.einsum("...mjk,jk->...mj", g, wlon, precision=PRECISION)

    if nr * k1 * nl + nr * nc * k2 <= nk * nc * k2 + nr * k1 * nc:
        return along_lon(along_lat(x))
    return along_lat(along_lon(x))


def _source_mask(mask, shape, name: str):
    """A source mask as float64 weights in [0, 1] under the one mask rule."""
    m = np.asarray(mask)
    if m.shape != shape:
        raise ValueError(f"mask of {name} has shape {m.shape}, expected the source (lat, lon) "
                         f"shape {shape}")
    if m.dtype != bool and not np.issubdtype(m.dtype, np.number):
        raise ValueError(f"mask of {name} must be boolean or numbers in [0, 1], got {m.dtype}")
    m = m.astype(np.float64)
    if not np.all(np.isfinite(m)):
        raise ValueError(f"mask of {name} has {int((~np.isfinite(m)).sum())} NaN/inf value(s); "
                         "use 0 for excluded cells")
    if m.min() < 0 or m.max() > 1:
        raise ValueError(f"mask of {name} values must lie in [0, 1], got "
                         f"[{m.min():g}, {m.max():g}]")
    return m


@partial(jax.jit, static_argnames=("shape", "holes"))
def _kernel(x, w, lat_band, lon_band, t_area, min_coverage, rows, cols, *, shape, holes):
    """Valid-area-weighted means and coverage on the overlapped target block, put into
    ``(..., *shape)`` (NaN / 0 elsewhere); one fused program."""
    zero = jnp.zeros((), x.dtype)
    if holes:
        weight = jnp.where(jnp.isnan(x), zero, jnp.broadcast_to(w, x.shape))
    else:
        weight = w
    xw = jnp.where(jnp.broadcast_to(weight, x.shape) > 0, x, zero)
    num = _sandwich(lat_band, xw * jnp.broadcast_to(weight, x.shape), lon_band)
    den = jnp.broadcast_to(_sandwich(lat_band, weight, lon_band), num.shape)
    cover = den / jnp.broadcast_to(t_area, den.shape)
    # a fully covered cell may show a coverage of 1 − 1e-13: compare with some slack
    slack = 0.1 * float(np.sqrt(np.finfo(x.dtype).eps))
    ok = (den > 0) & (cover >= min_coverage - slack)
    value = jnp.where(ok, num / jnp.where(ok, den, jnp.ones((), x.dtype)), jnp.nan)
    if (rows.shape[0], cols.shape[0]) != shape:
        full = (*value.shape[:-2], *shape)
        idx = (Ellipsis, rows[:, None], cols[None, :])
        value = jnp.full(full, jnp.nan, x.dtype).at[idx].set(value)
        cover = jnp.zeros(full, x.dtype).at[idx].set(cover)
    return value, cover


@lru_cache(maxsize=4)
def _plan_cached(grid: Grid, lat: tuple, lon: tuple, lat_name: str, lon_name: str, dtype: str):
    lat_c, lon_c = (np.frombuffer(b, t).reshape(n) for b, t, n in (lat, lon))
    lat_lo, lat_hi = source_edges(lat_c, lat_name, lat=True)
    lon_lo, lon_hi = source_edges(lon_c, lon_name, lat=False)
    a_lat, a_lon = overlap_matrices((lat_lo, lat_hi), (lon_lo, lon_hi), grid)
    rows = np.flatnonzero(a_lat.sum(axis=1) > 0)
    cols = np.flatnonzero(a_lon.sum(axis=1) > 0)
    extent = (f"{lat_name} {lat_lo.min():g}..{lat_hi.max():g}, "
              f"{lon_name} {lon_lo.min():g}..{lon_hi.max():g}")
    if rows.size == 0 or cols.size == 0:
        raise ValueError(f"does not overlap the {grid.resolution_deg:g}° grid: its cells have "
                         f"no area ({extent})")
    # target-cell areas in the same units (sin φ × radians), for the coverage fraction
    t_sin = _sin_diff(grid.lat_edges[1:], grid.lat_edges[:-1])[rows]
    t_area = np.outer(t_sin * np.deg2rad(grid.resolution_deg), np.ones(cols.size))
    return (extent, rows, cols, _banded(a_lat[rows], dtype), _banded(a_lon[cols], dtype),
            jnp.asarray(t_area, dtype))


def _plan(grid: Grid, lat, lon, lat_name: str, lon_name: str, dtype):
    """Overlap bands and target block for these coordinates (cached: a time loop over
    batches computes them once). Raises ValueError for bad coordinates."""
    lat, lon = np.ascontiguousarray(lat), np.ascontiguousarray(lon)
    if lat.dtype == object or lon.dtype == object:
        raise ValueError(f"coordinates {lat_name!r}/{lon_name!r} must be numbers in degrees")
    return _plan_cached(grid, (lat.tobytes(), lat.dtype.str, lat.shape),
                        (lon.tobytes(), lon.dtype.str, lon.shape), lat_name, lon_name,
                        jnp.dtype(dtype).name)


def _regrid_array(values, grid: Grid, lat, lon, *, mask, min_coverage: float, name: str,
                  lat_name: str = "lat", lon_name: str = "lon", checks: bool = True):
    """The array core of :func:`regrid`: ``(value, coverage)``, each ``(..., nlat, nlon)``.

    ``checks=False`` skips the all-NaN and no-coverage refusals (a caller working batch by
    batch makes them once over all batches)."""
    from ._dtype import input_float_dtype

    if not isinstance(grid, Grid):
        raise TypeError(f"grid must be a jaxgeo.Grid, got {type(grid).__name__}")
    if not (isinstance(min_coverage, numbers.Real) and 0.0 <= min_coverage <= 1.0):
        raise ValueError(f"min_coverage must be a number in [0, 1], got {min_coverage!r}")
    dtype = input_float_dtype(values)
    x = jnp.asarray(values).astype(dtype)
    try:
        extent, rows, cols, al, an, t_area = _plan(grid, lat, lon, lat_name, lon_name, dtype)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None
    shape = (np.size(lat), np.size(lon))
    if x.ndim < 2 or x.shape[-2:] != shape:
        raise ValueError(f"{name} has shape {tuple(x.shape)}, expected (..., {shape[0]}, "
                         f"{shape[1]}) for its {lat_name}/{lon_name} coordinates")
    w = np.ones(shape) if mask is None else _source_mask(mask, shape, name)
    # NaN holes make the valid area differ per leading slice; without them it is computed once
    holes = not _concrete(x) or bool(jnp.any(jnp.isnan(x)))
    if _concrete(x) and bool(jnp.any(jnp.isinf(x))):
        inf = np.isinf(np.asarray(x))
        *_, i, j = np.unravel_index(int(np.argmax(inf)), inf.shape)
        raise ValueError(f"{name} has {int(inf.sum())} ±inf value(s) (first at {lat_name} "
                         f"{float(np.asarray(lat)[i]):g}, {lon_name} {float(np.asarray(lon)[j]):g})"
                         "; use NaN for missing cells")
    value, cover = _kernel(x, jnp.asarray(w, dtype), al, an, t_area,
                           jnp.asarray(min_coverage, dtype), rows, cols, shape=grid.shape,
                           holes=holes)
    if checks and _concrete(value):
        check_result(value, cover, grid, min_coverage=min_coverage, name=name, extent=extent)
    return value, cover


def check_result(value, cover, grid: Grid, *, min_coverage: float, name: str,
                 extent: str = "") -> None:
    """Refuse a regridding with no valid source cell or no sufficiently covered target cell."""
    if not bool(np.any(np.asarray(cover) > 0)):
        raise ValueError(f"{name}: every source cell is NaN or masked; nothing to regrid")
    if not bool(np.any(np.isfinite(np.asarray(value)))):
        raise ValueError(
            f"{name}: no cell of the {grid.resolution_deg:g}° grid has min_coverage="
            f"{min_coverage:g} of its area covered by valid source cells"
            + (f" (source {extent})" if extent else "")
            + "; lower min_coverage or use a coarser target grid")


def regrid(field, grid: Grid, *, lat=None, lon=None, mask=None,
           min_coverage: float = MIN_COVERAGE, return_coverage: bool = False,
           name: str | None = None):
    """Conservatively regrid a regular lat-lon field onto ``grid`` (exact spherical overlaps).

    Args:
        field: an ``xarray.DataArray`` with 1-D latitude/longitude cell-centre coordinates
            (names as :func:`jaxgeo.coord_names`; any other dims are kept in front), or an
            array ``(..., n_lat_src, n_lon_src)`` with ``lat`` and ``lon`` given. Either
            latitude order and any longitude convention; global or regional. NaN marks
            missing source cells (±inf is refused).
        grid: the target :class:`~jaxgeo.Grid`.
        lat, lon: source cell-centre coordinates, degrees (arrays only).
        mask: source ``(n_lat_src, n_lon_src)`` booleans or weights in [0, 1] (mask rule:
            NaN is an error; a concrete array or a DataArray on the field's lat/lon);
            0 excludes a cell, a fraction weights its area.
        min_coverage: target cells whose valid overlapped fraction is below this (or 0)
            are NaN; default :data:`MIN_COVERAGE` (0.5). Use 0 to keep every touched cell
            (then the area integral is conserved exactly).
        return_coverage: also return the valid covered fraction of each target cell.
        name: what ``field`` is, for error messages (default: its name or ``"field"``).

    Returns:
        For an array, a JAX array ``(..., grid.nlat, grid.nlon)`` in grid order in the
        input's floating dtype; for a DataArray, a DataArray on ``grid`` with the name,
        attributes (units) and non-spatial coordinates kept. With ``return_coverage``,
        ``(values, coverage)``.

    Raises:
        ValueError: irregular or missing coordinates (naming the coordinate), a source
            that covers no target cell enough, an all-NaN field, ±inf values, a bad mask
            or ``min_coverage``. Data-dependent checks are skipped under ``jit``/``grad``.
    """
    if hasattr(field, "dims") and hasattr(field, "coords"):
        return _regrid_xarray(field, grid, mask=mask, min_coverage=min_coverage,
                              return_coverage=return_coverage, name=name)
    if lat is None or lon is None:
        raise ValueError("regrid of an array needs its cell-centre coordinates lat= and lon=")
    value, cover = _regrid_array(field, grid, lat, lon, mask=mask, min_coverage=min_coverage,
                                 name=name or "field")
    return (value, cover) if return_coverage else value


def _axis_dim(obj, coord: str, name: str) -> str:
    """The dimension along which the 1-D coordinate ``coord`` of ``obj`` varies."""
    if coord not in obj.coords:
        raise ValueError(f"{name}: dimension {coord!r} has no coordinate values (cell centres "
                         "in degrees are needed)")
    dims = obj[coord].dims
    if len(dims) != 1:
        raise ValueError(f"{name}: coordinate {coord!r} must be 1-D (a regular lat-lon grid), "
                         f"got dims {dims}")
    return dims[0]


def _regrid_xarray(da, grid: Grid, *, mask, min_coverage, return_coverage, name,
                   checks: bool = True):
    import xarray as xr

    from ._xarray import coord_names

    name = name or (str(da.name) if da.name is not None else "field")
    try:
        lat_name, lon_name = coord_names(da)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None
    lat_dim, lon_dim = (_axis_dim(da, c, f"{name}") for c in (lat_name, lon_name))
    others = tuple(d for d in da.dims if d not in (lat_dim, lon_dim))
    da = da.transpose(*others, lat_dim, lon_dim)
    m = None
    if mask is not None:
        if isinstance(mask, xr.DataArray):
            try:
                mlat, mlon = coord_names(mask)
            except ValueError as exc:
                raise ValueError(f"mask of {name}: {exc}") from None
            mask = mask.transpose(*(_axis_dim(mask, c, f"mask of {name}") for c in (mlat, mlon)))
            for axis, mc, c in ((0, mlat, lat_name), (1, mlon, lon_name)):
                a, b = np.asarray(mask[mc].values, float), np.asarray(da[c].values, float)
                same = a.shape == b.shape and np.allclose(a, b, rtol=0, atol=1e-6)
                if not same and a.shape == b.shape and np.allclose(a[::-1], b, rtol=0,
                                                                    atol=1e-6):
                    mask = mask.isel({mask.dims[axis]: slice(None, None, -1)})  # other order
                elif not same:
                    raise ValueError(f"mask of {name}: its {mc!r} coordinate differs from the "
                                     f"field's {c!r}")
        m = np.asarray(mask.values if isinstance(mask, xr.DataArray) else mask)
    value, cover = _regrid_array(da.values, grid, da[lat_name].values, da[lon_name].values,
                                 mask=m, min_coverage=min_coverage, name=name,
                                 lat_name=lat_name, lon_name=lon_name, checks=checks)
    coords = {k: v for k, v in da.coords.items()
              if k not in (lat_name, lon_name) and set(v.dims) <= set(others)}
    coords.update(grid.to_xarray_coords())
    dims = (*others, "lat", "lon")
    out = xr.DataArray(np.asarray(value), coords=coords, dims=dims, name=da.name,
                       attrs=dict(da.attrs))
    if not return_coverage:
        return out
    var = str(da.name) if da.name is not None else "field"
    cov = xr.DataArray(np.asarray(cover), coords=coords, dims=dims, name=f"{var}_coverage",
                       attrs={"units": "1", "long_name": f"valid covered fraction of each "
                              f"cell in the regridding of {var}"})
    return out, cov
