"""``jaxgeo demo --ocean``: the ocean bottom-pressure experiment end to end.

:func:`jaxgeo.downscale.ocean.ocean_experiment` → :func:`jaxgeo.downscale.fit` with both
reanalyses as inputs (a Dataset of models) and the global ocean-mass constraint
(``conserve_mass=True``) → RMSE against the truth (everywhere and by ocean class), agreement
at the synthetic gauges and the global-mass residual of every field, as a table and
``metrics.json``. The outputs are the set of :mod:`jaxgeo.demos.downscale` (written the same
way, into a temporary folder moved into place): ``downscale_demo.nc``,
``downscale_maps.png``, ``metrics.json``.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from .._grid import Grid

__all__ = ["FIELDS", "format_ocean_table", "ocean_metrics", "run_ocean_demo"]

#: the fields compared with the truth, in the table's order
FIELDS = ("coarse", "model_a", "model_b", "baseline", "downscaled")


def ocean_metrics(ds, fields: dict, grid: Grid) -> dict:
    """The figures of the ocean demo for ``fields`` (name → ``(time, lat, lon)`` array) of
    an :func:`~jaxgeo.downscale.ocean.ocean_experiment` ``ds``: ``rmse_<name>`` and
    ``correlation_<name>`` against the truth over the mask, ``rmse_<name>_<class>`` per
    ocean class, ``mass_residual_max_abs_<name>`` against the coarse field, and
    ``gauge_rmse_<kind>_<name>`` / ``gauge_correlation_<kind>_<name>`` (mm)."""
    from ..downscale import metrics
    from ..regions import OCEAN_CLASSES

    mask = ds.mask.values
    truth = ds.truth.values
    coarse = ds.coarse.values
    labels = ds.ocean_class.values
    out = {}
    for k, v in fields.items():
        out[f"rmse_{k}"] = metrics.rmse(np.nan_to_num(v), np.nan_to_num(truth), grid, mask)
        out[f"correlation_{k}"] = metrics.correlation(v, truth, grid, mask)
        for code, name in OCEAN_CLASSES.items():
            sel = labels == code
            if code and sel.any():
                out[f"rmse_{k}_{name.replace(' ', '_')}"] = metrics.rmse(
                    np.nan_to_num(v), np.nan_to_num(truth), grid, sel)
        out[f"mass_residual_max_abs_{k}"] = metrics.global_mass_residual(
            v, coarse, grid, mask)["max_abs"]
        for kind, g in metrics.gauge_agreement(v, ds, grid).items():
            out[f"gauge_rmse_{kind}_{k}"] = g["rmse"]
            out[f"gauge_correlation_{kind}_{k}"] = g["correlation"]
    out["mass_residual_max_abs_truth"] = metrics.global_mass_residual(
        truth, coarse, grid, mask)["max_abs"]
    return out


def run_ocean_demo(out_dir="jaxgeo-demo", *, resolution_deg: float = 2.5, n_months: int = 48,
                   epochs: int = 4, radius_deg: float = 3.0, seed: int = 0,
                   noise2self: bool | None = None, quiet: bool = False) -> dict:
    """Run the ocean bottom-pressure experiment and write its results to ``out_dir``.

    Both reanalyses go to :func:`~jaxgeo.downscale.fit` as one Dataset (their mean is the
    similarity target, each an input channel) with ``conserve_mass=True``; the baseline is
    :func:`~jaxgeo.downscale.baseline` of their mean. Everything else is ``fit``'s defaults.

    Args:
        out_dir: output folder (absent, empty, or an earlier demo's; see
            :func:`jaxgeo.demos.downscale.check_out_dir`).
        resolution_deg, n_months, seed: experiment size and seed.
        epochs, radius_deg: training length and cap radius (degrees).
        noise2self: as :func:`~jaxgeo.downscale.fit` (None: its default).
        quiet: no progress bar and no table.

    Returns:
        The metrics written to ``metrics.json`` (mm; ``gauge_*`` by gauge kind and
        ``all``; ``rmse_<field>_<ocean class>``; ``mass_residual_max_abs_<field>``: the
        largest monthly ocean-mean difference from the coarse field).

    Raises:
        FileExistsError: ``out_dir`` exists and is not an empty or earlier demo folder.
    """
    import xarray as xr

    from ..downscale import TrainConfig, baseline, fit
    from ..downscale.ocean import ocean_experiment
    from .downscale import check_out_dir, month_maps, write_set

    out = Path(out_dir)
    check_out_dir(out)
    t0 = time.perf_counter()
    ds = ocean_experiment(resolution_deg, n_months, seed=seed)
    grid = Grid.regular(resolution_deg)
    t_data = time.perf_counter() - t0
    models = ds[["model_a", "model_b"]]
    base = baseline(ds.coarse, models, mask=ds.mask, radius_deg=radius_deg)
    t0 = time.perf_counter()
    fitted = fit(ds.coarse, models, mask=ds.mask, radius_deg=radius_deg,
                 noise2self=noise2self, conserve_mass=True,
                 train=TrainConfig(epochs=epochs, seed=seed), quiet=quiet)
    t_fit = time.perf_counter() - t0
    down = fitted.predict(ds.coarse, models)
    fields = {"coarse": ds.coarse.values, "model_a": ds.model_a.values,
              "model_b": ds.model_b.values, "baseline": base.values,
              "downscaled": down.values}
    result = ocean_metrics(ds, fields, grid)
    best = min(result[f"rmse_{k}"] for k in ("coarse", "model_a", "model_b"))
    result.update({
        "downscaled_over_best_input": result["rmse_downscaled"] / best,
        "downscaled_over_baseline": result["rmse_downscaled"] / result["rmse_baseline"],
        "seconds_data": t_data, "seconds_fit": t_fit,
        "training_steps": len(fitted.history),
        "settings": {"experiment": "ocean", "resolution_deg": resolution_deg,
                     "n_months": n_months, "epochs": epochs, "radius_deg": radius_deg,
                     "seed": seed, "noise2self": fitted.settings.noise2self,
                     "conserve_mass": True, "loss": str(fitted.settings.loss),
                     "noise_mm": float(ds.attrs["noise_mm"]),
                     "ocean_cells": int(ds.mask.sum()), "gauges": int(ds.sizes["gauge"])},
        "units": "mm equivalent water height; area-weighted over the ocean mask",
    })
    nc = xr.Dataset({"truth": ds.truth, "coarse": ds.coarse, "model_a": ds.model_a,
                     "model_b": ds.model_b, "baseline": base, "downscaled": down,
                     "mask": ds.mask.astype("i1"), "ocean_class": ds.ocean_class},
                    attrs={"Conventions": "CF-1.8",
                           "title": "jaxgeo ocean bottom-pressure demo (synthetic)",
                           "source": "jaxgeo.demos.ocean.run_ocean_demo", "seed": seed})
    month = int(np.argmax(np.nanstd(ds.truth.values, axis=(1, 2))))
    write_set(out, nc, result, {
        "downscale_maps.png": lambda path: month_maps(
            path, ds, grid, fields, month, (("model A", "model_a"), ("model B", "model_b")),
            lat_range_deg=(-80, 85))})
    if not quiet:
        print(format_ocean_table(result))
        print(f"wrote {out}/downscale_demo.nc, downscale_maps.png, metrics.json")
    return result


def format_ocean_table(m: dict) -> str:
    """A text table of the ocean demo's figures."""
    head = ("field", "RMSE [mm]", "open", "coastal", "marginal", "TG RMSE", "TG corr.",
            "BPR RMSE", "BPR corr.", "mass res. [mm]")
    rows = [head]
    for k in FIELDS:
        def g(key, fmt="{:.1f}"):
            return fmt.format(m[key]) if key in m else "—"
        rows.append((k, g(f"rmse_{k}"), g(f"rmse_{k}_open_ocean"), g(f"rmse_{k}_coastal_band"),
                     g(f"rmse_{k}_marginal_sea"), g(f"gauge_rmse_tide_gauge_{k}"),
                     g(f"gauge_correlation_tide_gauge_{k}", "{:.2f}"),
                     g(f"gauge_rmse_bottom_pressure_recorder_{k}"),
                     g(f"gauge_correlation_bottom_pressure_recorder_{k}", "{:.2f}"),
                     g(f"mass_residual_max_abs_{k}", "{:.2g}")))
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = ["  ".join(c.rjust(w) if i else c.ljust(w)
                       for i, (c, w) in enumerate(zip(r, widths, strict=True))) for r in rows]
    lines.insert(1, "-" * len(lines[0]))
    lines.append(f"downscaled / min(coarse, model_a, model_b) = "
                 f"{m['downscaled_over_best_input']:.2f}; downscaled / baseline = "
                 f"{m['downscaled_over_baseline']:.2f}; mass residual: max |ocean mean − "
                 "coarse's| over the months")
    return "\n".join(lines)
