"""Fitting HZWD coefficients to ZWD profiles: the normal equations streamed over chunks
of profiles and solved per node, then refined in ZWD space; nodes optionally split over the
devices of a mesh.
"""

from __future__ import annotations

import dataclasses
import functools
import warnings
from collections.abc import Iterable
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from .._deprecation import reject_unknown, renamed
from .._grid import Grid
from .._resources import check_memory
from ..time import day_of_year
from ._hzwd import FAMILIES, HZWD, N_HARM, N_PARAM
from ._normal import N_COEF, moment_sums, normal_from_moments, solve_nodes, valid_targets
from ._physics import THAYER_1974, zwd_profile
from ._refine import all_residuals, refine_nodes
from ._report import FitReport, interval_stats
from ._times import kernel_doy


@dataclasses.dataclass(frozen=True, init=False, eq=False)
class ProfileChunk:
    """A block of ZWD profiles on fixed columns (the input of :func:`fit_hzwd`).

    Attributes:
        time: ``numpy.datetime64`` (UTC), shape (T,) or (T, C).
        height_msl_m: level heights above mean sea level, m, shape (T, C, L) (NaN = missing).
        zwd_m: ZWD above each level, m, shape (T, C, L) (NaN = missing).
    """

    time: np.ndarray
    height_msl_m: np.ndarray
    zwd_m: np.ndarray

    def __init__(self, time=None, height_msl_m=None, zwd_m=None, **kwargs):
        where = "ProfileChunk"
        time = renamed(kwargs, "doy", "time", where=where, current=time)
        height_msl_m = renamed(kwargs, "height_m", "height_msl_m", where=where,
                               current=height_msl_m)
        reject_unknown(kwargs, where=where)
        if time is None or height_msl_m is None or zwd_m is None:
            raise TypeError(f"{where} needs time, height_msl_m and zwd_m")
        if np.asarray(time).dtype.kind in "fiu":
            kernel_doy(np.asarray(time), where=where)  # the retired numeric day of year: warns
        object.__setattr__(self, "time", time)
        object.__setattr__(self, "height_msl_m", height_msl_m)
        object.__setattr__(self, "zwd_m", zwd_m)

    @property
    def doy(self) -> np.ndarray:
        """Day of year of :attr:`time` (the kernels' clock), float64."""
        t = np.asarray(self.time)
        if t.dtype.kind in "fiu":  # retired numeric day of year (warned when built)
            return t.astype(np.float64)
        return day_of_year(t)

    @property
    def height_m(self) -> np.ndarray:
        """Retired name of :attr:`height_msl_m` (DeprecationWarning)."""
        warnings.warn("ProfileChunk.height_m is deprecated and will be removed in the next "
                      "release; use height_msl_m", DeprecationWarning, stacklevel=2)
        return self.height_msl_m


def profiles_from_dataset(ds, *, k2p=THAYER_1974.k2p, k3=THAYER_1974.k3):
    """ZWD profiles from a reader Dataset: ``(lat (P,), lon (P,), ProfileChunk)`` with T = 1.

    Args:
        ds: Dataset from :func:`read_era5_profiles` / :func:`read_wyoming_sounding`.
        k2p, k3: refractivity constants for the integration.
    """
    h = np.asarray(ds["height"].values, dtype=np.float64)
    zwd = np.asarray(zwd_profile(h, ds["temperature"].values, ds["vapour_pressure"].values,
                                 k2p=k2p, k3=k3))
    time = np.asarray(ds["time"].values).astype("datetime64[ns]")
    return (np.asarray(ds["lat"].values, dtype=np.float64),
            np.asarray(ds["lon"].values, dtype=np.float64),
            ProfileChunk(time[None, :], h[None], zwd[None]))


@partial(jax.jit, donate_argnums=(0, 1, 2))
def _add3(a, b, c, da, db, dc):
    return a + da, b + db, c + dc


def nearest_node(grid: Grid, lat_deg, lon_deg) -> np.ndarray:
    """Flat index (row-major over ``grid.shape``) of the nearest node of each point."""
    lat = np.asarray(lat_deg, dtype=np.float64)
    if np.any(~(np.abs(lat) <= 90.0)):
        raise ValueError("profile latitude outside [-90, 90]")
    i = np.clip(np.round((lat - grid.lat[0]) / grid.resolution_deg), 0, grid.nlat - 1)
    j = np.mod(np.round(grid.lon_index(lon_deg)), grid.nlon)
    return (i * grid.nlon + j).astype(np.int64)


@functools.lru_cache(maxsize=32)
def _node_map(fn, mesh, n_split: int, n_repl: int, static: tuple):
    """``fn`` jitted over ``mesh``: the first ``n_split`` arguments split along their node
    (leading) axis over all the mesh's devices, the next ``n_repl`` replicated."""
    from jax.sharding import PartitionSpec as P

    spec = P(tuple(mesh.axis_names))
    # Nodes are independent, so each device runs the one-device code on its block and
    # nothing is exchanged. check_vma=False: the Adam scan starts its carry from fresh
    # (unvarying) zeros, which the varying-axis type check would reject.
    return jax.jit(jax.shard_map(functools.partial(fn, **dict(static)), mesh=mesh,
                                 in_specs=(spec,) * n_split + (P(),) * n_repl,
                                 out_specs=spec, check_vma=False))


class _Nodes:
    """Where the per-node arrays of a fit live: one device, or split over ``mesh``.

    On a mesh the node count is padded to a multiple of its device count; padded nodes
    get an identity normal matrix and zero weights, so they solve to zero, have zero loss
    and gradient, and are dropped again by :meth:`host`.
    """

    def __init__(self, mesh, n: int):
        self.mesh, self.n, self.n_pad = mesh, n, n
        if mesh is not None:
            from jax.sharding import Mesh, NamedSharding
            from jax.sharding import PartitionSpec as P

            if not isinstance(mesh, Mesh):
                raise TypeError(f"mesh must be a jax.sharding.Mesh (see "
                                f"jaxgeo.distributed.make_mesh), got {type(mesh).__name__}")
            k = int(mesh.devices.size)
            self.n_pad = -(-n // k) * k
            self.sharding = NamedSharding(mesh, P(tuple(mesh.axis_names)))

    def put(self, x, pad=None):
        """``x`` ``(n, ...)`` on the devices; on a mesh padded with ``pad`` (default zeros)."""
        if self.mesh is None:
            return jnp.asarray(x)
        from .._sharding import padded_put

        x = np.asarray(x)
        if pad is not None and self.n_pad > self.n:
            x = np.concatenate([x, np.broadcast_to(pad, (self.n_pad - self.n,) + x.shape[1:])])
        return padded_put(x, (self.n_pad,) + x.shape[1:], self.sharding)

    def call(self, fn, split, repl=(), **static):
        if self.mesh is None:
            return fn(*split, *repl, **static)
        return _node_map(fn, self.mesh, len(split), len(repl), tuple(sorted(static.items())))(
            *split, *repl)

    def host(self, y) -> np.ndarray:
        from .._sharding import to_host

        return to_host(y)[:self.n] if self.mesh is not None else np.asarray(y)


def fit_memory_bytes(n_columns: int, grid: Grid) -> float:
    """Estimated peak memory of :func:`fit_hzwd`, bytes: the per-column moment sums and
    per-node normal equations (at most one fitted node per column) plus the coefficient
    array of every grid node (numpy, JAX and the output copies)."""
    per_column = (3 * 5 * N_HARM * N_HARM + 3 * 3 * N_HARM + 1 + 2 * N_COEF * N_COEF) * 8 * 2
    per_node = N_PARAM * N_HARM * 8 * 4
    return float(n_columns) * per_column + float(grid.nlat * grid.nlon) * per_node


def fit_hzwd(lat_deg, lon_deg, profiles: ProfileChunk | Iterable[ProfileChunk], *,
             grid: Grid | None = None, family: str = "exp", refine_steps: int = 300,
             learning_rate: float = 3e-3, ridge: float = 1e-6, min_zwd_m: float = 1e-4,
             refine_stride: int = 1, max_samples_per_node: int = 64,
             min_points_per_node: int = 3 * N_COEF, seed: int = 0,
             mesh=None, max_memory_gb: float | None = None) -> tuple[HZWD, FitReport]:
    """Fit HZWD coefficients per node from ZWD profiles.

    Columns (fixed locations) are assigned to their nearest node. For each node the
    35 coefficients come from closed-form least squares — on ln ZWD for ``"exp"``, on ZWD
    for ``"poly"``. The normal equations are accumulated over the profile chunks as
    per-interval height moments crossed with the harmonics (exactly equal to the full
    design's normal equations, but cheaper; any number of time steps streams through in
    bounded memory) and solved per node with ``vmap`` and a small ridge (seasonal terms
    pulled to zero when the data do not constrain them, e.g. a single epoch). For
    ``"exp"`` the solution is then refined with Adam (optax) on the ZWD-space mean square
    error of a retained sample (every ``refine_stride``-th time
    step, at most ``max_samples_per_node`` profiles per node), vmapped over nodes; a node
    keeps the refined coefficients only where they lower that error.

    Levels outside [−500 m, 10 km], NaN levels and (for ``"exp"``) ZWD ≤ ``min_zwd_m``
    are ignored. Nodes with fewer than ``min_points_per_node`` valid points get NaN
    coefficients (the model returns NaN there).

    Args:
        lat_deg, lon_deg: column positions, degrees, shape (C,).
        profiles: one :class:`ProfileChunk` or an iterable of them (same columns).
        grid: node grid (default ``Grid.regular(5.0, lon_start=0.0)``).
        family: ``"exp"`` or ``"poly"``.
        mesh: a :class:`jax.sharding.Mesh` (e.g. :func:`jaxgeo.distributed.make_mesh`):
            the fitted nodes are split over all its devices (padded to a multiple of their
            number) for the per-node solve, the Adam refinement and the residuals; nodes
            are independent, so the result is the one-device fit. The moment sums over
            the profile chunks stay on one device. None: one device.
        max_memory_gb: refuse (ResourceError, a ValueError) a fit whose estimated peak
            memory (:func:`fit_memory_bytes`) exceeds this, GiB; default: the memory
            available now.

    Returns:
        ``(model, report)``.

    Reference: Yao & Hu (2018), Ann. Geophys. 36, 1507–1519 (model design).
    """
    import time as _time

    t_start = _time.perf_counter()
    if family not in FAMILIES:
        raise ValueError(f"family must be one of {FAMILIES}, got {family!r}")
    if isinstance(refine_steps, bool) or int(refine_steps) != refine_steps or refine_steps < 0:
        raise ValueError(f"refine_steps must be a whole number >= 0 (0: closed form only), "
                         f"got {refine_steps!r}")
    grid = grid or Grid.regular(5.0, lon_start=0.0)
    lat = np.asarray(lat_deg, dtype=np.float64).reshape(-1)
    lon = np.asarray(lon_deg, dtype=np.float64).reshape(-1)
    n_col = lat.size
    check_memory(fit_memory_bytes(n_col, grid), max_memory_gb=max_memory_gb,
                 what=f"fit_hzwd: {n_col} columns on a {grid.nlat} x {grid.nlon} node grid",
                 hint="use a coarser node grid (resolution_deg) or raise max_memory_gb "
                      "(--max-memory-gb)")
    node_of_col = nearest_node(grid, lat, lon)
    n_nodes = grid.nlat * grid.nlon
    if isinstance(profiles, ProfileChunk):
        profiles = [profiles]
    mu_acc = jnp.zeros((n_col, 3, 5, N_HARM, N_HARM))
    nu_acc = jnp.zeros((n_col, 3, 3, N_HARM))
    n_acc = jnp.zeros(n_col)
    keep_h, keep_z, keep_d = [], [], []
    t_global = 0
    n_profiles = 0
    for chunk in profiles:
        h = np.asarray(chunk.height_msl_m, dtype=np.float64)
        z = np.asarray(chunk.zwd_m, dtype=np.float64)
        if h.ndim != 3 or h.shape != z.shape or h.shape[1] != n_col:
            raise ValueError(f"profile chunk arrays must be (T, C={n_col}, L) and equal; got "
                             f"height {h.shape}, zwd {z.shape}")
        if np.any(z[np.isfinite(z)] < 0):
            raise ValueError("negative ZWD in the profiles: check the humidity input")
        doy = np.broadcast_to(np.asarray(chunk.doy, dtype=np.float64).reshape(
            h.shape[0], -1), h.shape[:2])
        shared = bool(np.all(doy == doy[:, :1]))
        mu, nu, n = moment_sums(jnp.asarray(doy), jnp.asarray(h), jnp.asarray(z),
                                 family=family, shared_doy=shared, min_zwd_m=min_zwd_m)
        # accumulate on the device without blocking, so that producing the next chunk on
        # the host overlaps with this chunk's computation (JAX dispatches asynchronously)
        mu_acc, nu_acc, n_acc = _add3(mu_acc, nu_acc, n_acc, mu, nu, n)
        tk = np.arange(t_global, t_global + h.shape[0])
        sel = (tk % refine_stride) == 0
        if sel.any():
            keep_h.append(h[sel])
            keep_z.append(z[sel])
            keep_d.append(doy[sel])
        t_global += h.shape[0]
        n_profiles += h.shape[0] * n_col
    if t_global == 0:
        raise ValueError("no profiles given")
    mu_acc, nu_acc, n_acc = np.asarray(mu_acc), np.asarray(nu_acc), np.asarray(n_acc)
    mu_node = np.zeros((n_nodes, *mu_acc.shape[1:]))
    nu_node = np.zeros((n_nodes, *nu_acc.shape[1:]))
    n_node = np.zeros(n_nodes)
    np.add.at(mu_node, node_of_col, mu_acc)
    np.add.at(nu_node, node_of_col, nu_acc)
    np.add.at(n_node, node_of_col, n_acc)
    fitted = np.flatnonzero(n_node >= min_points_per_node)
    if fitted.size == 0:
        raise ValueError("no node has enough valid profile points to fit "
                         f"(need {min_points_per_node} per node)")
    m_node, r_node = normal_from_moments(mu_node[fitted], nu_node[fitted])
    nodes = _Nodes(mesh, fitted.size)
    theta = nodes.call(solve_nodes, (nodes.put(m_node, np.eye(N_COEF)), nodes.put(r_node)),
                       (ridge,))

    # retained sample, grouped by node and padded: (N_fit, S, L)
    kh = np.concatenate(keep_h)  # (Tk, C, L)
    kz = np.concatenate(keep_z)
    kd = np.concatenate(keep_d)  # (Tk, C)
    n_lev = kh.shape[-1]
    rng = np.random.default_rng(seed)
    col_flat = np.broadcast_to(np.arange(n_col), kd.shape).reshape(-1)
    order = np.argsort(node_of_col[col_flat], kind="stable")
    counts = np.bincount(node_of_col[col_flat], minlength=n_nodes)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    n_samp = int(min(max(counts[fitted].max(), 1), max_samples_per_node))
    idx = np.full((fitted.size, n_samp), -1, dtype=np.int64)
    for k, node in enumerate(fitted):
        mine = order[starts[node]:starts[node] + counts[node]]
        if mine.size > n_samp:
            mine = np.sort(rng.choice(mine, n_samp, replace=False))
        idx[k, :mine.size] = mine
    pad = idx < 0
    idx_c = np.where(pad, 0, idx)
    sh = kh.reshape(-1, n_lev)[idx_c]
    sz = kz.reshape(-1, n_lev)[idx_c]
    sd = kd.reshape(-1)[idx_c]
    valid, _ = valid_targets(jnp.asarray(sh), jnp.asarray(sz), family, min_zwd_m)
    sw = np.asarray(valid) & ~pad[..., None]
    sh = np.where(sw, sh, 0.0)
    sz = np.where(sw, sz, 0.0)
    sw = sw.astype(np.float64)
    args = tuple(nodes.put(a) for a in (sh, sd, sz, sw))
    res = nodes.host(nodes.call(all_residuals, (theta, *args), family=family))
    closed_form = interval_stats(sh, np.where(sw > 0, res, np.nan))
    refined = None
    steps = refine_steps if family == "exp" else 0
    if steps > 0:
        theta = nodes.call(refine_nodes, (theta, *args), (learning_rate,), family=family,
                           steps=steps)
        res = nodes.host(nodes.call(all_residuals, (theta, *args), family=family))
        refined = interval_stats(sh, np.where(sw > 0, res, np.nan))
    theta = nodes.host(theta)
    coef = np.full((n_nodes, N_PARAM, N_HARM), np.nan)
    coef[fitted] = theta.reshape(-1, N_PARAM, N_HARM)
    model = HZWD(jnp.asarray(coef.reshape(*grid.shape, N_PARAM, N_HARM)), grid, family)
    report = FitReport(family=family, n_nodes_fitted=int(fitted.size), n_nodes_total=n_nodes,
                       n_profiles=int(n_profiles), n_points=int(n_acc.sum()),
                       refine_steps=steps, closed_form=closed_form, refined=refined,
                       seconds=_time.perf_counter() - t_start)
    return model, report
