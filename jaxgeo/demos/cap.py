"""``jaxgeo demo cap``: cap averages of synthetic water storage and a gradient, plotted."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from .._deprecation import reject_unknown, renamed
from .._grid import Grid
from .._io import write_json, write_netcdf
from .._plot import Panel, map_panels


def _dist2(grid: Grid, c_lat: float, c_lon: float) -> np.ndarray:
    """Squared lat/lon distance (degrees², longitude wrapped) from a point to every cell."""
    dlon = ((grid.lon[None, :] - c_lon + 180) % 360) - 180
    return (grid.lat[:, None] - c_lat) ** 2 + dlon**2


def synthetic_field(grid: Grid, n_months: int = 3, seed: int = 0):
    """A red-spectrum random field with a seasonal cycle and a synthetic 'continent' mask.

    Returns:
        (field ``(n_months, nlat, nlon)`` in mm, mask ``(nlat, nlon)`` bool).
    """
    rng = np.random.default_rng(seed)
    lat = np.deg2rad(grid.lat)[:, None]
    lon = np.deg2rad(grid.lon)[None, :]
    base = np.zeros(grid.shape)
    # sum of random low-degree waves with amplitude ∝ 1/k: a red spatial spectrum
    for _ in range(60):
        k = rng.integers(1, 25)
        m = rng.integers(0, k + 1)
        amp = 80.0 / k
        base += amp * np.cos(m * lon + rng.uniform(0, 2 * np.pi)) * np.cos(
            k * lat + rng.uniform(0, 2 * np.pi))
    # a few sharp basins (small-scale signal the caps should blur)
    for _ in range(12):
        c_lat, c_lon = rng.uniform(-60, 70), rng.uniform(-180, 180)
        d2 = _dist2(grid, c_lat, c_lon)
        base += rng.uniform(-150, 150) * np.exp(-d2 / (2 * 1.5**2))
    months = np.arange(n_months)
    season = 60.0 * np.cos(lat) * np.cos(2 * np.pi * months / 12)[:, None, None]
    field = base[None] + season
    # a smooth random 'continent' mask: ~35 % of the sphere
    blob = np.zeros(grid.shape)
    for _ in range(8):
        c_lat, c_lon = rng.uniform(-60, 70), rng.uniform(-180, 180)
        d2 = _dist2(grid, c_lat, c_lon)
        blob += np.exp(-d2 / (2 * 22.0**2))
    mask = blob > np.quantile(blob, 0.65)
    return field.astype(np.float32), mask


def run_demo(out_dir="jaxgeo-demo", *, resolution_deg: float = 0.5, radius_deg: float = 3.0,
             n_months: int = 3, seed: int = 0, quiet: bool = False, **kwargs) -> dict:
    """Cap-average a synthetic field with and without a land mask, take a gradient, plot.

    Writes ``cap_demo.nc``, ``cap_demo.png`` and ``cap_demo.json`` into ``out_dir``.

    Args:
        out_dir: output folder.
        resolution_deg: grid cell size, degrees.
        radius_deg: cap angular radius, degrees.
        n_months: months of the synthetic stack.
        seed: seed of the synthetic field and mask.
        quiet: print no summary (``verbose=`` is its retired, inverted spelling).

    Returns:
        the timing and check figures written to ``cap_demo.json``.
    """
    import jax
    import jax.numpy as jnp
    import xarray as xr

    from ..sphere import CapAverage

    verbose = renamed(kwargs, "verbose", "quiet", where="jaxgeo.demos.cap.run_demo")
    reject_unknown(kwargs, where="jaxgeo.demos.cap.run_demo")
    if verbose is not None:
        quiet = not verbose

    out = Path(out_dir)
    grid = Grid.regular(resolution_deg)
    field, mask = synthetic_field(grid, n_months, seed)

    t0 = time.perf_counter()
    cap = CapAverage(grid, radius_deg, dtype=jnp.float32)
    cap_land = CapAverage(grid, radius_deg, mask=mask, dtype=jnp.float32)
    t_build = time.perf_counter() - t0
    apply = jax.jit(lambda op, x: op(x))
    x = jnp.asarray(field)
    apply(cap, x).block_until_ready()
    t0 = time.perf_counter()
    smooth = apply(cap, x).block_until_ready()
    t_apply = time.perf_counter() - t0
    smooth_land = apply(cap_land, jnp.where(jnp.asarray(mask), x, jnp.nan))

    # gradient of a regional mean of the land cap average w.r.t. the input field: it shows
    # which cells (inside the mask, within ψ of the region) drive the regional mean
    region = (np.abs(grid.lat[:, None] - 10) < 8) & (np.abs(grid.lon[None, :] - 20) < 8) & mask
    if not region.any():
        region = mask & (np.arange(grid.nlat)[:, None] == np.argmax(mask.sum(1)))
    region_j = jnp.asarray(region)

    def regional_mean(f):
        y = cap_land(f)
        return jnp.sum(jnp.where(region_j, y, 0.0)) / jnp.sum(region_j.astype(y.dtype))

    grad = np.asarray(jax.grad(regional_mean)(x[0]))
    area = grid.cell_area
    ds = xr.Dataset(
        {
            "field": (("time", "lat", "lon"), field,
                      {"units": "mm", "long_name": "synthetic TWSA"}),
            "cap_mean": (("time", "lat", "lon"), np.asarray(smooth),
                         {"units": "mm", "long_name": f"{radius_deg:g}° cap mean",
                          "cell_methods": "area: mean (spherical cap)"}),
            "cap_mean_land": (("time", "lat", "lon"), np.asarray(smooth_land),
                              {"units": "mm", "long_name": f"{radius_deg:g}° land-only cap mean"}),
            "land_mask": (("lat", "lon"), mask.astype(np.int8)),
            "grad_regional_mean": (("lat", "lon"), grad,
                                   {"units": "1", "long_name": "∂(regional mean)/∂field"}),
        },
        coords={"time": np.arange(n_months), **grid.to_xarray_coords()},
        attrs={"title": "jaxgeo cap-averaging demo", "Conventions": "CF-1.8",
               "cap_radius_deg": radius_deg},
    )
    write_netcdf(ds, out / "cap_demo.nc")

    lim = float(np.percentile(np.abs(field[0]), 99))
    land = ((mask, "k"),)
    rows, cols = np.nonzero(region)
    pad = radius_deg + 6

    def zoom(fig, axes):
        axes.flat[3].set_xlim(grid.lon[cols].min() - pad, grid.lon[cols].max() + pad)
        axes.flat[3].set_ylim(grid.lat[rows].min() - pad, grid.lat[rows].max() + pad)

    map_panels(out / "cap_demo.png", grid, [
        Panel("synthetic field (mm)", field[0], lim, "RdBu_r", land),
        Panel(f"{radius_deg:g}° cap mean (mm)", np.asarray(smooth[0]), lim, "RdBu_r", land),
        Panel(f"{radius_deg:g}° land-only cap mean (mm)",
              np.where(mask, np.asarray(smooth_land[0]), np.nan), lim, "RdBu_r", land),
        # FFT round-off leaves ~1e-9 of the peak along whole rows; hide it
        Panel("∂(regional land mean)/∂field (zoom)",
              np.where(np.abs(grad) > 1e-6 * np.abs(grad).max(), grad, np.nan), None,
              "viridis", land + ((region, "r"),)),
    ], ncols=2, figsize=(12, 6.5), dpi=110, finish=zoom)

    figures = {
        "resolution_deg": resolution_deg,
        "radius_deg": radius_deg,
        "n_months": n_months,
        "build_s": round(t_build, 4),
        "apply_s": round(t_apply, 5),
        "global_mean_mm": float((area * field[0]).sum() / area.sum()),
        "global_mean_of_cap_mean_mm": float((area * np.asarray(smooth[0])).sum() / area.sum()),
        "grad_sum": float(grad.sum()),
        "outputs": ["cap_demo.nc", "cap_demo.png", "cap_demo.json"],
    }
    write_json(figures, out / "cap_demo.json")
    if not quiet:
        print(f"jaxgeo cap demo: {grid.nlat}x{grid.nlon} grid, {n_months} months, "
              f"ψ = {radius_deg:g}°")
        print(f"  operator build {t_build * 1e3:8.1f} ms   apply {t_apply * 1e3:8.2f} ms")
        print(f"  global mean {figures['global_mean_mm']:9.3f} mm   after caps "
              f"{figures['global_mean_of_cap_mean_mm']:9.3f} mm")
        print(f"  gradient of the regional mean sums to {figures['grad_sum']:.6f} (expect 1)")
        print(f"  wrote {out / 'cap_demo.png'}, {out / 'cap_demo.nc'}, {out / 'cap_demo.json'}")
    return figures
