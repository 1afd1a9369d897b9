"""GPT3 (Landskron & Böhm 2018) in JAX: the 5° / 1° text grids, evaluated at any points."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .._grid import Grid
from .._io import check_input_file
from .._pytree import pytree_dataclass, static_field
from ..constants import G0_M_S2, JULIAN_YEAR_DAYS, M_DRY_KG_MOL, R_UNIVERSAL_GPT_J_MOL_K
from ._interp import bilinear_combine, bilinear_nodes
from ._peers import askne_nordius_zwd
from ._physics import _f64
from ._times import point_inputs

_A0_RANGE = {2: ("p", 30000.0, 110000.0, "Pa"), 7: ("T", 150.0, 350.0, "K"),
             12: ("Q", 0.0, 50.0, "g/kg"), 39: ("Tm", 150.0, 350.0, "K")}


def _read_table(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """The numeric rows of a GPT3 text grid and their 1-based line numbers."""
    raw = path.read_bytes()
    if b"\x00" in raw[:65536]:
        raise ValueError(f"{path}: binary file, not a GPT3 text grid")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise ValueError(f"{path}, line {line}: not text (undecodable byte), not a GPT3 "
                         "grid") from None
    rows, line_no, ncol = [], [], None
    for i, ln in enumerate(text.splitlines(), start=1):
        parts = ln.split("%", 1)[0].split()
        if not parts:
            continue
        if ncol is None:
            ncol = len(parts)
            if ncol < 44:
                raise ValueError(f"{path}, line {i}: {ncol} columns; a GPT3 grid has at "
                                 "least 44")
        elif len(parts) != ncol:
            raise ValueError(f"{path}, line {i}: {len(parts)} columns, but the first data "
                             f"line has {ncol} (truncated or damaged line)")
        try:
            values = np.array(parts, dtype=np.float64)
        except ValueError:
            bad = next(p for p in parts if not _is_float(p))
            raise ValueError(f"{path}, line {i}: {bad!r} is not a number") from None
        if not np.all(np.isfinite(values)):
            c = int(np.argmax(~np.isfinite(values)))
            raise ValueError(f"{path}, line {i}: non-finite value {parts[c]!r} in column "
                             f"{c + 1}")
        rows.append(values)
        line_no.append(i)
    if not rows:
        raise ValueError(f"{path}: no data lines (a GPT3 grid has 44 or more columns)")
    return np.stack(rows), np.asarray(line_no)


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _check_cells(path: Path, data: np.ndarray, line_no: np.ndarray) -> None:
    """Each cell once, in file order (latitude descending, longitude ascending), a0 plausible."""
    key = np.round(data[:, 0], 6) * 1000.0 + np.round(np.mod(data[:, 1], 360.0), 6)
    _, first, counts = np.unique(key, return_index=True, return_counts=True)
    if np.any(counts > 1):
        dup = np.sort(np.setdiff1d(np.arange(len(key)), first))[0]
        orig = int(np.argmax(key == key[dup]))
        raise ValueError(f"{path}, line {line_no[dup]}: cell ({data[dup, 0]:g}, "
                         f"{data[dup, 1]:g}) repeats line {line_no[orig]}")
    lat, lon = data[:, 0], np.mod(data[:, 1], 360.0)
    step = (np.diff(lat) < 0) | ((np.diff(lat) == 0) & (np.diff(lon) > 0))
    if not np.all(step):
        k = int(np.argmin(step)) + 1
        raise ValueError(f"{path}, line {line_no[k]}: cell ({data[k, 0]:g}, {data[k, 1]:g}) "
                         "out of order (latitude descending, longitude ascending)")
    for c, (name, lo, hi, unit) in _A0_RANGE.items():
        bad = (data[:, c] < lo) | (data[:, c] > hi)
        if np.any(bad):
            k = int(np.argmax(bad))
            raise ValueError(f"{path}, line {line_no[k]}: {name} mean {data[k, c]:g} {unit} "
                             f"outside the plausible {lo:g}-{hi:g} {unit}")


class GPT3Result(NamedTuple):
    """GPT3 output at the points: p hPa, T K, dT K/m, e hPa, Tm K, λ, undu m, zwd m."""

    p: jnp.ndarray
    T: jnp.ndarray
    dT: jnp.ndarray
    e: jnp.ndarray
    Tm: jnp.ndarray
    lam: jnp.ndarray
    undu: jnp.ndarray
    zwd: jnp.ndarray


@pytree_dataclass
class GPT3:
    """GPT3 grid coefficients on an ascending :class:`jaxgeo.Grid` (``lon_start=0``).

    Periodic fields have a trailing axis of 5: ``a0, A1, B1, A2, B2``. Units as in the
    file: p Pa, T K, Q g/kg, dT mK/m, λ and Tm plain; undu and Hs m.

    Reference: Landskron & Böhm (2018), J. Geod. 92, 349–360; TU Wien ``gpt3_5_fast``.
    """

    p: jax.Array
    T: jax.Array
    Q: jax.Array
    dT: jax.Array
    undu: jax.Array
    Hs: jax.Array
    lam: jax.Array
    Tm: jax.Array
    grid: Grid = static_field()

    @classmethod
    def from_file(cls, path) -> GPT3:
        """Read ``gpt3_5.grd`` or ``gpt3_1.grd`` (text, ``%`` header, latitude descending).

        Raises:
            FileNotFoundError: no file. ValueError (one line naming the file and, where one
            is at fault, the line): a binary or non-text file; a line with another column
            count than the first (a short last line) or a value that is not a finite
            number; a cell repeated or out of the file's order (latitude descending,
            longitude ascending); an irregular grid; a mean value (``a0``) outside its
            plausible range (p 30-110 kPa, T and Tm 150-350 K, Q 0-50 g/kg).
        """
        path = Path(path)
        check_input_file(path, "GPT3 grid")
        data, line_no = _read_table(path)
        if data.ndim != 2 or data.shape[1] < 44:
            raise ValueError(f"{path.name}: expected at least 44 columns of a GPT3 grid, got "
                             f"shape {data.shape}")
        _check_cells(path, data, line_no)
        lat = np.unique(data[:, 0])
        # the file writes longitudes 180..360 as negative numbers
        lon = np.unique(np.mod(data[:, 1], 360.0))
        res = float(lat[1] - lat[0])
        grid = Grid.regular(res, lon_start=0.0)
        if data.shape[0] != grid.nlat * grid.nlon or not np.allclose(lon, grid.lon):
            raise ValueError(f"{path.name}: {data.shape[0]} rows do not form the global "
                             f"{res:g}° GPT3 grid")
        # file order: latitude descending, longitude ascending within a row
        table = data.reshape(grid.nlat, grid.nlon, -1)[::-1]
        if not (np.allclose(table[:, 0, 0], grid.lat)
                and np.allclose(np.mod(table[0, :, 1], 360.0), grid.lon)):
            raise ValueError(f"{path.name}: latitudes are not the cell centres of {grid}")

        def periodic(c):
            return jnp.asarray(table[..., c:c + 5])

        return cls(p=periodic(2), T=periodic(7), Q=periodic(12), dT=periodic(17),
                   undu=jnp.asarray(table[..., 22]), Hs=jnp.asarray(table[..., 23]),
                   lam=periodic(34), Tm=periodic(39), grid=grid)

    def __call__(self, lat_deg, lon_deg, height_ell_m=None, time=None, *,
                 time_variation: bool = True, **kwargs) -> GPT3Result:
        """GPT3 at points (vectorised over broadcast shapes, jit-able).

        Args:
            lat_deg, lon_deg: degrees; height_ell_m: height above the WGS84 ellipsoid, m;
                time: ``numpy.datetime64`` (UTC). Broadcastable.
            time_variation: False drops the periodic terms (the ``it=1`` option).

        Bad input: latitude outside [−90, 90] raises ``ValueError`` eagerly; under ``jit``
        it, like non-finite inputs, gives NaN. Heights are not limited (the reduction is
        the model's own extrapolation).
        """
        # retired numeric times of GPT3 were MJDs
        height_ell_m, doy = point_inputs(kwargs, height_ell_m, time, where="GPT3",
                                         height_name="height_ell_m", retired_height="h_ell_m",
                                         retired_time="mjd", numeric="mjd")
        return self.at_doy(lat_deg, lon_deg, height_ell_m, doy, time_variation=time_variation)

    def at_doy(self, lat_deg, lon_deg, height_ell_m, doy, *, time_variation: bool = True
               ) -> GPT3Result:
        """The kernel of :meth:`__call__`: ``doy`` is the day of year (1.0 = 1 January
        00:00 UTC), traceable."""
        lat = _f64(lat_deg)
        if not isinstance(lat, jax.core.Tracer):
            bad = np.asarray(lat)[~(np.abs(np.asarray(lat)) <= 90.0)]
            if bad.size:
                raise ValueError(f"latitude outside [-90, 90]: {bad[:5]}")
        return _gpt3_eval(self, lat, lon_deg, height_ell_m, doy, time_variation)

    def _evaluate(self, lat_deg, lon_deg, h_ell_m, doy, time_variation: bool = True
                  ) -> GPT3Result:
        """Evaluate GPT3 at points; the day of year is a kernel input.

        Per node: seasonal terms, then reduction to the point's height (temperature lapse
        rate, exponential pressure, ``e ∝ p^(λ+1)``); then bilinear interpolation of the
        four nodes (nearest in longitude poleward of the last row); ZWD from Askne &
        Nordius with the interpolated e, Tm and λ.

        """
        lat = _f64(lat_deg)
        lon = _f64(lon_deg)
        h = _f64(h_ell_m)
        doy = _f64(doy)
        lat, lon, h, doy = jnp.broadcast_arrays(lat, lon, h, doy)
        ok = (jnp.abs(lat) <= 90.0) & jnp.isfinite(lon) & jnp.isfinite(h) & jnp.isfinite(doy)
        lat = jnp.where(ok, lat, 0.0)
        lon = jnp.where(ok, lon, 0.0)
        doy = jnp.where(ok, doy, 1.0)
        w = 2.0 * jnp.pi * doy / JULIAN_YEAR_DAYS
        if time_variation:
            harm = [None, jnp.cos(w), jnp.sin(w), jnp.cos(2 * w), jnp.sin(2 * w)]
        else:
            harm = [None]
        i0, i1, j0, j1, wi, wj = bilinear_nodes(self.grid, lat, lon, polar_nearest=True)
        nlon = self.grid.nlon

        def take(table, node):
            # one 1-D gather per coefficient (much faster on CPU than row gathers);
            # indices are in bounds by construction
            return table.at[node].get(mode="promise_in_bounds")

        def flat(field):
            return field.reshape(self.grid.nlat * nlon, *field.shape[2:])

        tables = {name: flat(getattr(self, name)) for name in ("p", "T", "Q", "dT", "lam", "Tm")}
        undu_t, hs_t = flat(self.undu), flat(self.Hs)

        def at_node(i, j):
            node = i * nlon + j

            def seas(name):
                t = tables[name]
                v = take(t[:, 0], node)
                for a in range(1, len(harm)):
                    v = v + take(t[:, a], node) * harm[a]
                return v

            undu = take(undu_t, node)
            redh = h - undu - take(hs_t, node)
            t0 = seas("T")
            p0 = seas("p")
            q = seas("Q") / 1000.0
            dt = seas("dT") / 1000.0
            lam = seas("lam")
            tm = seas("Tm")
            t = t0 + dt * redh
            tv = t0 * (1.0 + 0.6077 * q)
            c = G0_M_S2 * M_DRY_KG_MOL / (R_UNIVERSAL_GPT_J_MOL_K * tv)
            p = p0 * jnp.exp(-c * redh) / 100.0
            e0 = q * p0 / (0.622 + 0.378 * q) / 100.0
            e = e0 * (100.0 * p / p0) ** (lam + 1.0)
            return p, t, dt, e, tm, lam, undu

        nodes = [at_node(i0, j0), at_node(i0, j1), at_node(i1, j0), at_node(i1, j1)]
        out = [bilinear_combine(a, b, c, d, wi, wj) for a, b, c, d in zip(*nodes, strict=True)]
        p, t, dt, e, tm, lam, undu = out
        zwd = askne_nordius_zwd(e, tm, lam)
        out = GPT3Result(p, t, dt, e, tm, lam, undu, zwd)
        return GPT3Result(*(jnp.where(ok, v, jnp.nan) for v in out))


@partial(jax.jit, static_argnums=(5,))
def _gpt3_eval(model, lat_deg, lon_deg, h_ell_m, doy, time_variation):
    # one compiled program instead of hundreds of eagerly dispatched operations
    return model._evaluate(lat_deg, lon_deg, h_ell_m, doy, time_variation)
