"""Fitting HZWD coefficients to ZWD profiles: streamed closed-form least squares per node,
refined with optax in ZWD space; and per-column fits of height-function families.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Iterable
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from .._grid import Grid
from ._hzwd import (
    FAMILIES,
    H_BREAKS_M,
    H_MAX_M,
    H_MIN_M,
    HZWD,
    N_HARM,
    N_PARAM,
    harmonic_basis,
    height_basis,
)
from ._physics import THAYER_1974, zwd_profile

N_COEF = N_PARAM * N_HARM
INTERVALS_M = ((H_MIN_M, H_BREAKS_M[0]), (H_BREAKS_M[0], H_BREAKS_M[1]),
               (H_BREAKS_M[1], H_MAX_M))
INTERVAL_LABELS = ("0-2 km", "2-5 km", "5-10 km")


class ProfileChunk(NamedTuple):
    """A block of ZWD profiles on fixed columns.

    Attributes:
        doy: day of year, shape (T,) or (T, C).
        height_m: level heights, m, shape (T, C, L) (NaN = missing level).
        zwd_m: ZWD above each level, m, shape (T, C, L) (NaN = missing).
    """

    doy: np.ndarray
    height_m: np.ndarray
    zwd_m: np.ndarray


@dataclasses.dataclass
class FitReport:
    """Per-interval residual statistics of a fit (ZWD space, metres).

    ``rms_m``/``bias_m`` (model − data) map interval labels to values, for the
    closed-form (``"closed_form"``) and the refined (``"refined"``) coefficients, computed
    on the retained refinement sample (every ``refine_stride``-th time step, up to
    ``max_samples_per_node`` profiles per node). Here ``"0-2 km"`` spans the model's whole
    lowest interval, −0.5 to 2 km.
    """

    family: str
    n_nodes_fitted: int
    n_nodes_total: int
    n_profiles: int
    n_points: int
    n_points_per_interval: dict
    rms_m: dict
    bias_m: dict
    refine_steps: int
    seconds: float = float("nan")

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)

    def table(self) -> str:
        lines = [f"HZWD fit ({self.family}): {self.n_nodes_fitted}/{self.n_nodes_total} nodes, "
                 f"{self.n_profiles} profiles, {self.n_points} points"]
        lines.append(f"{'interval':>9} {'stage':>12} {'RMS mm':>8} {'bias mm':>8} {'n':>9}")
        for stage in self.rms_m:
            for lab in INTERVAL_LABELS:
                lines.append(f"{lab:>9} {stage:>12} {1e3 * self.rms_m[stage][lab]:8.2f} "
                             f"{1e3 * self.bias_m[stage][lab]:8.2f} "
                             f"{self.n_points_per_interval[lab]:9d}")
        return "\n".join(lines)


def profiles_from_dataset(ds, *, k2p=THAYER_1974.k2p, k3=THAYER_1974.k3):
    """ZWD profiles from a reader Dataset: ``(lat (P,), lon (P,), ProfileChunk)`` with T = 1.

    Args:
        ds: Dataset from :func:`read_era5_profiles` / :func:`read_wyoming_sounding`.
        k2p, k3: refractivity constants for the integration.
    """
    h = np.asarray(ds["height"].values, dtype=np.float64)
    zwd = np.asarray(zwd_profile(h, ds["temperature"].values, ds["vapour_pressure"].values,
                                 k2p=k2p, k3=k3))
    doy = _doy_of_times(ds["time"].values)
    return (np.asarray(ds["lat"].values, dtype=np.float64),
            np.asarray(ds["lon"].values, dtype=np.float64),
            ProfileChunk(doy[None, :], h[None], zwd[None]))


def _doy_of_times(times) -> np.ndarray:
    t = np.asarray(times).astype("datetime64[ns]")
    if np.any(np.isnat(t)):
        raise ValueError("profiles without a time cannot be fitted (day of year unknown)")
    year_start = t.astype("datetime64[Y]").astype("datetime64[ns]")
    return (t - year_start) / np.timedelta64(1, "D") + 1.0


def nearest_node(grid: Grid, lat_deg, lon_deg) -> np.ndarray:
    """Flat index (row-major over ``grid.shape``) of the nearest node of each point."""
    lat = np.asarray(lat_deg, dtype=np.float64)
    if np.any(~(np.abs(lat) <= 90.0)):
        raise ValueError("profile latitude outside [-90, 90]")
    i = np.clip(np.round((lat - grid.lat[0]) / grid.resolution_deg), 0, grid.nlat - 1)
    j = np.mod(np.round(grid.lon_index(lon_deg)), grid.nlon)
    return (i * grid.nlon + j).astype(np.int64)


def _valid_targets(h, z, family, min_zwd_m):
    valid = jnp.isfinite(h) & jnp.isfinite(z) & (h >= H_MIN_M) & (h <= H_MAX_M)
    if family == "exp":
        valid = valid & (z > min_zwd_m)
        y = jnp.log(jnp.where(valid, z, 1.0))
    else:
        y = jnp.where(valid, z, 0.0)
    return valid, y


def _interval_maps() -> np.ndarray:
    """``D[k]`` (7 × 3): the height basis in interval k as a map of ``[1, u, u²]``.

    ``u`` is the height above the interval's base (km): interval 1 has base 0 and s1 = u;
    interval 2 has s1 = 2, s2 = u; interval 3 has s1 = 2, s2 = 3, s3 = u.
    """
    b1 = H_BREAKS_M[0] / 1000.0
    w2 = (H_BREAKS_M[1] - H_BREAKS_M[0]) / 1000.0
    d = np.zeros((3, N_PARAM, 3))
    for k in range(3):
        d[k, 0, 0] = 1.0
        if k >= 1:
            d[k, 1, 0], d[k, 2, 0] = -b1, -b1 * b1
        if k >= 2:
            d[k, 3, 0], d[k, 4, 0] = -w2, -w2 * w2
        d[k, 1 + 2 * k, 1] = -1.0
        d[k, 2 + 2 * k, 2] = -1.0
    return d


_D = _interval_maps()
_HANKEL = np.add.outer(np.arange(3), np.arange(3))  # power index p + q


@partial(jax.jit, static_argnames=("family", "shared_doy"))
def _moment_sums(doy, h, z, *, family, shared_doy, min_zwd_m):
    """Seasonal moment sums of one chunk, per column.

    The normal matrix of the design ``basis(h) ⊗ harmonics(doy)`` only needs, per profile
    and interval, the moments ``Σ u^p`` (p ≤ 4) and ``Σ y u^p`` (p ≤ 2) of the height
    above the interval base — 24 sums per level instead of the 56 products of the full
    design — and these are then crossed with the harmonics by one matrix product over time.

    Returns ``(mu (C, 3, 5, 5, 5), nu (C, 3, 3, 5), n (C,))``: moment ⊗ harmonic outer
    products summed over time.
    """
    valid, y = _valid_targets(h, z, family, min_zwd_m)
    w = valid.astype(h.dtype)
    hk = jnp.clip(jnp.where(valid, h, 0.0), H_MIN_M, H_MAX_M) / 1000.0
    b1, b2 = H_BREAKS_M[0] / 1000.0, H_BREAKS_M[1] / 1000.0
    k = (hk >= b1).astype(jnp.int32) + (hk >= b2).astype(jnp.int32)
    u = hk - jnp.where(k == 0, 0.0, jnp.where(k == 1, b1, b2))
    u2 = u * u
    powers = jnp.stack([jnp.ones_like(u), u, u2, u2 * u, u2 * u2], axis=-1)  # (T,C,L,5)
    onehot = (k[..., None] == jnp.arange(3, dtype=jnp.int32)).astype(h.dtype) * w[..., None]
    mu = jnp.sum(onehot[..., :, None] * powers[..., None, :], axis=2)  # (T,C,3,5)
    nu = jnp.sum((onehot * y[..., None])[..., :, None] * powers[..., None, :3], axis=2)
    t, c = h.shape[:2]
    if shared_doy:
        s = harmonic_basis(doy[:, 0])  # (T,5)
        ss = (s[:, :, None] * s[:, None, :]).reshape(t, N_HARM * N_HARM)
        mu_s = (mu.reshape(t, -1).T @ ss).reshape(c, 3, 5, N_HARM, N_HARM)
        nu_s = (nu.reshape(t, -1).T @ s).reshape(c, 3, 3, N_HARM)
    else:
        s = harmonic_basis(doy)  # (T,C,5)
        ss = s[..., :, None] * s[..., None, :]
        mu_s = jnp.einsum("tckp,tcab->ckpab", mu, ss)
        nu_s = jnp.einsum("tckp,tca->ckpa", nu, s)
    return mu_s, nu_s, w.sum(axis=(0, 2))


@partial(jax.jit, donate_argnums=(0, 1, 2))
def _add3(a, b, c, da, db, dc):
    return a + da, b + db, c + dc


def _normal_from_moments(mu_s, nu_s):
    """Normal matrix (N, 35, 35) and right-hand side (N, 35) from summed moments."""
    hank = mu_s[:, :, _HANKEL]  # (N, 3, 3, 3, 5, 5): [k, p, q, a, b]
    m = np.einsum("kip,kjq,nkpqab->niajb", _D, _D, hank, optimize=True)
    r = np.einsum("kip,nkpa->nia", _D, nu_s, optimize=True)
    n = mu_s.shape[0]
    return m.reshape(n, N_COEF, N_COEF), r.reshape(n, N_COEF)


@partial(jax.jit, static_argnames=("family",))
def _normal_equations_direct(doy, h, z, *, family, min_zwd_m):
    # the plain Kronecker-design normal equations: a test oracle for the moment route
    valid, y = _valid_targets(h, z, family, min_zwd_m)
    w = valid.astype(h.dtype)
    g = height_basis(jnp.where(valid, h, 0.0)) * w[..., None]
    s = jnp.broadcast_to(harmonic_basis(doy), (*h.shape[:2], N_HARM))
    a = jnp.einsum("tcli,tclj->tcij", g, g)
    m = jnp.einsum("tcij,tca,tcb->ciajb", a, s, s).reshape(h.shape[1], N_COEF, N_COEF)
    r = jnp.einsum("tcli,tcl,tca->cia", g, y, s).reshape(h.shape[1], N_COEF)
    return m, r, w.sum(axis=(0, 2))


@jax.jit
def _solve_nodes(m, r, ridge):
    def one(mi, ri):
        d = jnp.diagonal(mi)
        scale = jnp.mean(d) + 1e-300
        # seasonal coefficients are penalised more than the means: with few epochs they
        # are collinear with a0 and should then stay near zero
        seasonal = (jnp.arange(N_COEF) % N_HARM) != 0
        pen = scale * jnp.where(seasonal, ridge, 1e-3 * ridge)
        return jnp.linalg.solve(mi + jnp.diag(pen), ri)

    return jax.vmap(one)(m, r)


def _node_residuals(theta, h, doy, z, w, family):
    c = theta.reshape(N_PARAM, N_HARM)
    g = height_basis(h)
    p = harmonic_basis(doy) @ c.T  # (S, 7)
    eta = jnp.einsum("sli,si->sl", g, p)
    pred = jnp.exp(eta) if family == "exp" else eta
    return jnp.where(w > 0, pred - z, 0.0)


def _adam_update(opt, grads, state, params):
    # optax mixes its int32 step counter with floats (bias correction, schedules), which
    # the strict dtype-promotion mode rejects; allow standard promotion inside optax only
    with jax.numpy_dtype_promotion("standard"):
        return opt.update(grads, state, params)


@partial(jax.jit, static_argnames=("family", "steps"))
def _refine(theta0, h, doy, z, w, *, family, steps, learning_rate):
    def node_loss(theta, hn, dn, zn, wn):
        res = _node_residuals(theta, hn, dn, zn, wn, family)
        return jnp.sum(res * res) / jnp.maximum(jnp.sum(wn), 1.0)

    batched = jax.vmap(node_loss)

    def total(theta):
        # nodes are independent: the sum's gradient is the per-node gradient
        return jnp.sum(batched(theta, h, doy, z, w))

    opt = optax.adam(optax.cosine_decay_schedule(learning_rate, steps))
    state = opt.init(theta0)

    def step(carry, _):
        theta, state = carry
        grads = jax.grad(total)(theta)
        updates, state = _adam_update(opt, grads, state, theta)
        return (optax.apply_updates(theta, updates), state), None

    (theta, _), _ = jax.lax.scan(step, (theta0, state), None, length=steps)
    before = batched(theta0, h, doy, z, w)
    after = batched(theta, h, doy, z, w)
    # keep, per node, whichever is better in ZWD space
    return jnp.where((after < before)[:, None], theta, theta0)


def _refine_positional(theta0, h, doy, z, w, learning_rate, *, family, steps):
    return _refine(theta0, h, doy, z, w, family=family, steps=steps,
                   learning_rate=learning_rate)


def _all_residuals(theta, h, doy, z, w, *, family):
    return jax.vmap(lambda t, a, b, c, d: _node_residuals(t, a, b, c, d, family))(
        theta, h, doy, z, w)


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


def _interval_stats(res, h, w):
    res = np.asarray(res)
    hh = np.asarray(h)
    ok = np.asarray(w) > 0
    rms, bias, count = {}, {}, {}
    for lab, (lo, hi) in zip(INTERVAL_LABELS, INTERVALS_M, strict=True):
        sel = ok & (hh >= lo) & ((hh < hi) if hi < H_MAX_M else (hh <= hi))
        count[lab] = int(sel.sum())
        rms[lab] = float(np.sqrt(np.mean(res[sel] ** 2))) if sel.any() else float("nan")
        bias[lab] = float(np.mean(res[sel])) if sel.any() else float("nan")
    return rms, bias, count


def fit_hzwd(lat_deg, lon_deg, profiles: ProfileChunk | Iterable[ProfileChunk], *,
             grid: Grid | None = None, family: str = "exp", refine_steps: int = 300,
             learning_rate: float = 3e-3, ridge: float = 1e-6, min_zwd_m: float = 1e-4,
             refine_stride: int = 1, max_samples_per_node: int = 64,
             min_points_per_node: int = 3 * N_COEF, seed: int = 0,
             mesh=None) -> tuple[HZWD, FitReport]:
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

    Returns:
        ``(model, report)``.

    Reference: Yao & Hu (2018), Ann. Geophys. 36, 1507–1519 (model design).
    """
    import time as _time

    t_start = _time.perf_counter()
    if family not in FAMILIES:
        raise ValueError(f"family must be one of {FAMILIES}, got {family!r}")
    grid = grid or Grid.regular(5.0, lon_start=0.0)
    lat = np.asarray(lat_deg, dtype=np.float64).reshape(-1)
    lon = np.asarray(lon_deg, dtype=np.float64).reshape(-1)
    n_col = lat.size
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
        h = np.asarray(chunk.height_m, dtype=np.float64)
        z = np.asarray(chunk.zwd_m, dtype=np.float64)
        if h.ndim != 3 or h.shape != z.shape or h.shape[1] != n_col:
            raise ValueError(f"profile chunk arrays must be (T, C={n_col}, L) and equal; got "
                             f"height {h.shape}, zwd {z.shape}")
        if np.any(z[np.isfinite(z)] < 0):
            raise ValueError("negative ZWD in the profiles: check the humidity input")
        doy = np.broadcast_to(np.asarray(chunk.doy, dtype=np.float64).reshape(
            h.shape[0], -1), h.shape[:2])
        shared = bool(np.all(doy == doy[:, :1]))
        mu, nu, n = _moment_sums(jnp.asarray(doy), jnp.asarray(h), jnp.asarray(z),
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
    m_node, r_node = _normal_from_moments(mu_node[fitted], nu_node[fitted])
    nodes = _Nodes(mesh, fitted.size)
    theta = nodes.call(_solve_nodes, (nodes.put(m_node, np.eye(N_COEF)), nodes.put(r_node)),
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
    valid, _ = _valid_targets(jnp.asarray(sh), jnp.asarray(sz), family, min_zwd_m)
    sw = np.asarray(valid) & ~pad[..., None]
    sh = np.where(sw, sh, 0.0)
    sz = np.where(sw, sz, 0.0)
    sw = sw.astype(np.float64)
    args = tuple(nodes.put(a) for a in (sh, sd, sz, sw))
    rms, bias = {}, {}
    res = nodes.host(nodes.call(_all_residuals, (theta, *args), family=family))
    rms["closed_form"], bias["closed_form"], count = _interval_stats(res, sh, sw)
    steps = refine_steps if family == "exp" else 0
    if steps > 0:
        theta = nodes.call(_refine_positional, (theta, *args), (learning_rate,), family=family,
                           steps=steps)
        res = nodes.host(nodes.call(_all_residuals, (theta, *args), family=family))
        rms["refined"], bias["refined"], _ = _interval_stats(res, sh, sw)
    theta = nodes.host(theta)
    coef = np.full((n_nodes, N_PARAM, N_HARM), np.nan)
    coef[fitted] = theta.reshape(-1, N_PARAM, N_HARM)
    model = HZWD(jnp.asarray(coef.reshape(*grid.shape, N_PARAM, N_HARM)), grid, family)
    report = FitReport(family=family, n_nodes_fitted=int(fitted.size), n_nodes_total=n_nodes,
                       n_profiles=int(n_profiles), n_points=int(n_acc.sum()),
                       n_points_per_interval=count, rms_m=rms, bias_m=bias,
                       refine_steps=steps, seconds=_time.perf_counter() - t_start)
    return model, report


# -- per-column fits of height-function families (validation) ---------------------------
COLUMN_FAMILIES = ("hzwd-exp", "hzwd-poly", "single-exp")


def _column_basis(h, family):
    if family == "single-exp":
        hk = jnp.clip(h, H_MIN_M, H_MAX_M) / 1000.0
        return jnp.stack([jnp.ones_like(hk), -hk], axis=-1)
    return height_basis(h)


@partial(jax.jit, static_argnames=("family", "steps"))
def fit_columns(height_m, zwd_m, *, family: str = "hzwd-exp", steps: int = 300,
                learning_rate: float = 3e-3, min_zwd_m: float = 1e-4):
    """Fit one height function per column (no time terms) and return it at the levels.

    ``"hzwd-exp"``/``"hzwd-poly"`` are the HZWD families of a single node;
    ``"single-exp"`` is the one-exponential profile of GPT2w/GPT3 type,
    ``ZWD(h) = ZWD0 exp(−h / H)``. Closed-form least squares (on ln ZWD for the
    exponential forms), then Adam on the ZWD-space mean square error (not for ``poly``),
    vmapped over columns. Only levels in [−500 m, 10 km] with ZWD > ``min_zwd_m`` count.

    Args:
        height_m, zwd_m: shape (C, L), m.

    Returns:
        ``(predicted_zwd_m (C, L), parameters (C, P))``.
    """
    h = jnp.asarray(height_m)
    z = jnp.asarray(zwd_m)
    log_space = family != "hzwd-poly"
    valid, y = _valid_targets(h, z, "exp" if log_space else "poly", min_zwd_m)
    w = valid.astype(h.dtype)
    g = _column_basis(jnp.where(valid, h, 0.0), family)
    z = jnp.where(valid, z, 0.0)

    def ls(gi, yi, wi):
        a = (gi * wi[:, None]).T @ gi
        # relative ridge for conditioning; the absolute floor makes empty columns give zeros
        lam = 1e-12 * jnp.mean(jnp.diagonal(a)) + 1e-30
        return jnp.linalg.solve(a + lam * jnp.eye(a.shape[0]), (gi * wi[:, None]).T @ yi)

    theta0 = jax.vmap(ls)(g, y, w)

    def predict(theta, gi):
        eta = gi @ theta
        return jnp.exp(eta) if log_space else eta

    if log_space and steps > 0:
        def loss(theta):
            res = jax.vmap(predict)(theta, g) - z
            return jnp.sum(jnp.sum(w * res * res, axis=1) / jnp.maximum(w.sum(1), 1.0))

        opt = optax.adam(optax.cosine_decay_schedule(learning_rate, steps))

        def step(carry, _):
            theta, state = carry
            updates, state = _adam_update(opt, jax.grad(loss)(theta), state, theta)
            return (optax.apply_updates(theta, updates), state), None

        (theta, _), _ = jax.lax.scan(step, (theta0, opt.init(theta0)), None, length=steps)

        def col_mse(th):
            res = jax.vmap(predict)(th, g) - z
            return jnp.sum(w * res * res, axis=1)

        # Adam moves even at an optimum; keep per column whichever is better in ZWD space
        theta = jnp.where((col_mse(theta) < col_mse(theta0))[:, None], theta, theta0)
    else:
        theta = theta0
    g_all = _column_basis(jnp.where(jnp.isfinite(h), h, 0.0), family)
    pred = jnp.where(jnp.isfinite(h), jax.vmap(predict)(theta, g_all), jnp.nan)
    return pred, theta


def interval_stats(height_m, residual_m) -> dict:
    """Per-interval RMS, bias (m) and count of residuals; NaN residuals are skipped."""
    h = np.asarray(height_m, dtype=np.float64)
    r = np.asarray(residual_m, dtype=np.float64)
    out = {}
    for lab, (lo, hi) in zip(INTERVAL_LABELS, INTERVALS_M, strict=True):
        lo = max(lo, 0.0) if lab == "0-2 km" else lo
        sel = np.isfinite(r) & np.isfinite(h) & (h >= lo) & ((h < hi) if hi < H_MAX_M
                                                             else (h <= hi))
        n = int(sel.sum())
        out[lab] = {"rms_m": float(np.sqrt(np.mean(r[sel] ** 2))) if n else math.nan,
                    "bias_m": float(np.mean(r[sel])) if n else math.nan, "n": n}
    return out
