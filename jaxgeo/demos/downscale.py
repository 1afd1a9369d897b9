"""``jaxgeo demo``: the synthetic downscaling experiment end to end, with figures and metrics."""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import numpy as np

from .._grid import Grid

__all__ = ["DEMO_DEFAULTS", "OUTPUTS", "check_out_dir", "format_table", "month_maps",
           "run_demo", "write_set"]

#: the files of one demo run; ``--out`` holds exactly these (written as one set)
OUTPUTS = ("downscale_demo.nc", "downscale_maps.png", "downscale_trends.png", "metrics.json")

#: the experiment's size and training length; the loss and the inputs are the defaults of
#: :func:`jaxgeo.downscale.fit` and :class:`~jaxgeo.downscale.LossConfig` (the best measured
#: settings have one home: there)
DEMO_DEFAULTS = {
    "resolution_deg": 1.0,
    "n_months": 120,
    "epochs": 4,
    "radius_deg": 3.0,
    "seed": 0,
}

_GIVEN = object()  # run_demo's observation_half_width_km when not given: the loss default


def _trends(ds, fields: dict) -> dict:
    """``{name: (trend, annual amplitude)}`` maps of the truth and of every field."""
    from ..seasonal import trend_annual

    # month midpoints in decimal years (year + (month − ½)/12), as the published figures
    t = (ds.time.dt.year + (ds.time.dt.month - 0.5) / 12).values
    return {k: trend_annual(v, t) for k, v in {"truth": ds.truth.values, **fields}.items()}


def _experiment_metrics(ds, fields: dict, trends: dict, grid: Grid, radius_deg: float) -> dict:
    """The figures of ``metrics.json`` (mm unless named otherwise)."""
    from ..downscale import metrics
    from ..sphere import CapAverage

    mask = ds.mask.values
    truth = ds.truth.values
    out = {f"rmse_{k}": metrics.rmse(v, truth, grid, mask) for k, v in fields.items()}
    out.update({f"correlation_{k}": metrics.correlation(v, truth, grid, mask)
                for k, v in fields.items()})
    op = CapAverage(grid, radius_deg, mask=mask)
    coarse = np.nan_to_num(ds.coarse.values)
    for k in ("downscaled", "baseline", "model"):
        out[f"cap_residual_{k}"] = metrics.cap_residual(np.nan_to_num(fields[k]), coarse, op, mask)
    # The coarse field's own cap-mean error against the truth's: its noise level at the cap
    # scale, the yardstick for the cap residuals above.
    out["cap_noise_coarse"] = metrics.cap_residual(coarse, np.nan_to_num(truth), op, mask)
    for k in ("coarse", "downscaled", "baseline"):
        out[f"spatial_correlation_with_model_{k}"] = float(np.mean(
            metrics.spatial_correlation(fields[k], ds.model.values, grid, mask)))
    for name, block in (("basin_10deg", 10.0), ("continent_30deg", 30.0)):
        labels = metrics.region_labels(grid, mask, block)
        r = metrics.region_mean_rms(np.nan_to_num(fields["downscaled"]), coarse, grid, labels,
                                    min_cells=int((block / grid.resolution_deg) ** 2 // 4))
        out[f"region_mean_rms_{name}_median"] = r["median"]
    tr_truth, amp_truth = trends["truth"]
    for k in ("downscaled", "baseline", "model", "coarse"):
        tr, amp = trends[k]
        out[f"trend_rmse_mm_per_yr_{k}"] = metrics.rmse(tr, tr_truth, grid, mask)
        out[f"amplitude_rmse_{k}"] = metrics.rmse(amp, amp_truth, grid, mask)
    return out


def month_maps(path: Path, ds, grid: Grid, fields: dict, month: int, inputs, *,
               lat_range_deg=(-60, 85)) -> None:
    """Maps of one month: the truth, the coarse field, ``inputs`` (``(title, key)`` pairs
    of ``fields``), the downscaled field and its error (the demos' ``downscale_maps.png``)."""
    from .._plot import map_panels

    truth = ds.truth.values[month]
    named = [("truth", truth), ("coarse (GRACE-like)", fields["coarse"][month]),
             *((title, fields[key][month]) for title, key in inputs),
             ("downscaled", fields["downscaled"][month]),
             ("downscaled − truth", fields["downscaled"][month] - truth)]
    lim = np.nanpercentile(np.abs(truth), 98)
    when = str(ds.time.values[month])[:7]
    panels = [(f"{name}, {when}", val, lim if "−" not in name else lim / 2)
              for name, val in named]
    map_panels(path, grid, panels, ncols=2, cmap="RdBu", unit="mm",
               lat_range_deg=lat_range_deg, figsize=(12, 10))


def _trend_maps(path: Path, grid: Grid, trends: dict) -> None:
    from .._plot import map_panels

    panels = [(f"trend: {name}", trends[name][0], 20.0)
              for name in ("truth", "model", "baseline", "downscaled")]
    map_panels(path, grid, panels, ncols=2, cmap="BrBG", unit="mm/yr", lat_range_deg=(-60, 85),
               figsize=(12, 6.5))


def check_out_dir(out: Path) -> None:
    """Refuse an ``out`` that is not absent, empty or a folder of an earlier demo run.

    The demo replaces the whole folder with its new set of outputs, so a folder holding
    anything the demo did not write (or a file) is never replaced.

    Raises:
        FileExistsError: naming the folder and what in it is foreign.
        ValueError: the folder it would be written in is not writable.
    """
    import json

    from .._resources import check_output_path

    if out.exists() and not out.is_dir():
        raise FileExistsError(f"{out} exists and is not a folder; pass another --out")
    check_output_path(out, kind="dir")  # the folder it goes in is writable
    if not out.exists():
        return
    if not out.is_dir():
        raise FileExistsError(f"{out} exists and is not a folder; pass another --out")
    from .._io import MARKER

    entries = sorted(p.name for p in out.iterdir() if p.name != MARKER)
    if not entries:
        return
    foreign = [e for e in entries if e not in OUTPUTS]
    metrics = out / "metrics.json"
    ours = False
    if not foreign and metrics.is_file():
        try:
            ours = "rmse_downscaled" in json.loads(metrics.read_text())
        except (OSError, ValueError):
            ours = False
    if not ours:
        what = (f"it holds {', '.join(foreign[:3])}{' …' if len(foreign) > 3 else ''}, which "
                "the demo did not write" if foreign else "its metrics.json is not one "
                "written by jaxgeo's demo" if metrics.exists() else "it has no metrics.json "
                "of jaxgeo's demo")
        raise FileExistsError(f"{out} exists and is not a jaxgeo demo folder ({what}); the "
                              "demo replaces its output folder as a whole: pass a new or "
                              "empty --out")
    if not (out / MARKER).is_file():
        # a demo folder of an earlier release (before the marker): adopt it, so that the
        # atomic swap at the end may replace it
        (out / MARKER).write_text("written by jaxgeo; jaxgeo may replace this folder\n")


def write_set(out: Path, nc, result: dict, figures: dict) -> None:
    """Write the demo's outputs as one set: into a temporary sibling folder, moved into place.

    ``nc``: the Dataset of ``downscale_demo.nc``; ``result``: the metrics of
    ``metrics.json``; ``figures``: file name → ``draw(path)``. A failure leaves ``out`` as it
    was; ``out`` is checked again first (:func:`check_out_dir`).
    """
    from .._io import atomic_dir, write_json, write_netcdf

    out = Path(out)
    check_out_dir(out)  # nothing foreign appeared while the demo ran
    with atomic_dir(out) as tmp:
        tmp.mkdir(parents=True, exist_ok=True)
        write_netcdf(nc, tmp / "downscale_demo.nc")
        for name, draw in figures.items():
            draw(tmp / name)
        write_json(result, tmp / "metrics.json")


def run_demo(out_dir="jaxgeo-demo", *, resolution_deg: float = 1.0, n_months: int = 120,
             epochs: int = 4, radius_deg: float = 3.0, seed: int = 0,
             observation_half_width_km=_GIVEN, noise2self: bool | None = None,
             quiet: bool = False, loss=None, **retired) -> dict:
    """Run the synthetic downscaling experiment and write its results to ``out_dir``.

    Builds :func:`jaxgeo.downscale.synthetic.make_experiment`, trains
    :func:`jaxgeo.downscale.fit` with its defaults (the best measured settings) on the
    coarse and model fields with the forcings as features, predicts, and compares the
    downscaled field, the coarse field, the model and :func:`jaxgeo.downscale.baseline`
    with the truth.

    Writes ``downscale_demo.nc`` (CF), ``downscale_maps.png``, ``downscale_trends.png`` and
    ``metrics.json`` into a temporary folder beside ``out_dir`` and moves it into place at
    the end, so ``out_dir`` always holds one complete set of one run; prints a table.

    Args:
        out_dir: output folder: absent, empty, or the folder of an earlier demo run (which
            is replaced as a whole); any other existing path is refused before any work.
        resolution_deg, n_months, seed: experiment size and seed.
        epochs, radius_deg: training length and cap radius (degrees).
        observation_half_width_km: when given, the loss's Gaussian half-width (the
            experiment's GRACE-like field is made with 300 km, the default of
            :class:`~jaxgeo.downscale.LossConfig`): the cap term compares the prediction
            smoothed by it with the coarse field (like with like). None uses raw cap means,
            as published.
        noise2self: train blind to each month's own coarse field (see
            :func:`~jaxgeo.downscale.fit`; None: ``fit``'s default, True with ≥ 12 months):
            the network can then not lower the cap term by copying the GRACE-like noise.
            False: the published inputs.
        quiet: no progress bar and no table.
        loss: a :class:`~jaxgeo.downscale.LossConfig` instead of the default one
            (e.g. :meth:`~jaxgeo.downscale.LossConfig.published`).
        **retired: ``observation_km`` (→ ``observation_half_width_km``), ``progress`` and
            ``verbose`` (→ ``quiet``) still work for one release with a DeprecationWarning.

    Returns:
        The metrics dictionary written to ``metrics.json``.

    Raises:
        FileExistsError: ``out_dir`` exists and is not an empty or earlier demo folder.
    """
    import xarray as xr

    from .._deprecation import reject_unknown, renamed
    from ..downscale import LossConfig, TrainConfig, baseline, fit, synthetic

    if "observation_km" in retired:
        observation_half_width_km = renamed(retired, "observation_km",
                                            "observation_half_width_km", where="run_demo")
    for old in ("progress", "verbose"):
        if old in retired:
            warnings.warn(f"run_demo: {old}= is deprecated, use quiet=", DeprecationWarning,
                          stacklevel=2)
            quiet = quiet or not retired.pop(old)
    reject_unknown(retired, where="run_demo")

    out = Path(out_dir)
    check_out_dir(out)  # before the expensive work
    t0 = time.perf_counter()
    ds = synthetic.make_experiment(resolution_deg, n_months, seed=seed)
    grid = Grid.regular(resolution_deg)
    t_data = time.perf_counter() - t0
    features = ds[["precipitation", "evapotranspiration", "runoff"]]

    t0 = time.perf_counter()
    base = baseline(ds.coarse, ds.model, mask=ds.mask, radius_deg=radius_deg)
    t_base = time.perf_counter() - t0
    t0 = time.perf_counter()
    # fit's defaults: squared cap misfits of the prediction seen through the coarse product's
    # smoothing, noise2self inputs (better than the published set-up, see the README)
    if loss is None:
        loss = (LossConfig() if observation_half_width_km is _GIVEN else
                LossConfig(observation_half_width_km=observation_half_width_km))
    ds_fit = fit(ds.coarse, ds.model, mask=ds.mask, features=features, radius_deg=radius_deg,
                 noise2self=noise2self, loss=loss, train=TrainConfig(epochs=epochs, seed=seed),
                 quiet=quiet)
    t_fit = time.perf_counter() - t0
    down = ds_fit.predict(ds.coarse, ds.model, features)

    fields = {"downscaled": down.values, "baseline": base.values, "coarse": ds.coarse.values,
              "model": ds.model.values}
    trends = _trends(ds, fields)
    result = _experiment_metrics(ds, fields, trends, grid, radius_deg)
    best_input = min(result["rmse_coarse"], result["rmse_model"])
    result.update({
        "downscaled_over_best_input": result["rmse_downscaled"] / best_input,
        "downscaled_over_baseline": result["rmse_downscaled"] / result["rmse_baseline"],
        "seconds_data": t_data, "seconds_baseline": t_base, "seconds_fit": t_fit,
        "training_steps": len(ds_fit.history),
        "final_loss_terms": ds_fit.history[-1] if ds_fit.history else {},
        "settings": {"resolution_deg": resolution_deg, "n_months": n_months, "epochs": epochs,
                     "radius_deg": radius_deg, "seed": seed,
                     "observation_half_width_km": loss.observation_half_width_km,
                     "noise2self": ds_fit.settings.noise2self, "loss": str(loss),
                     "noise_mm": float(ds.attrs["noise_mm"]), "land_cells": int(ds.mask.sum())},
        "units": "mm equivalent water height (trend: mm/yr); area-weighted over the land mask",
    })

    nc = xr.Dataset({"truth": ds.truth, "coarse": ds.coarse, "model": ds.model,
                     "baseline": base, "downscaled": down, "mask": ds.mask.astype("i1")},
                    attrs={"Conventions": "CF-1.8",
                           "title": "jaxgeo downscaling demo (synthetic experiment)",
                           "source": "jaxgeo.demos.downscale.run_demo", "seed": seed})
    month = int(np.argmax(np.nanstd(ds.truth.values, axis=(1, 2))))
    write_set(out, nc, result, {
        "downscale_maps.png": lambda path: month_maps(
            path, ds, grid, fields, month, (("model", "model"), ("baseline", "baseline"))),
        "downscale_trends.png": lambda path: _trend_maps(path, grid, trends)})
    if not quiet:
        print(format_table(result))
        print(f"wrote {out}/downscale_demo.nc, downscale_maps.png, downscale_trends.png, "
              "metrics.json")
    return result


def format_table(m: dict) -> str:
    """A short text table of the demo's figures."""
    rows = [("field", "RMSE vs truth [mm]", "corr.", "trend RMSE [mm/yr]")]
    for k in ("coarse", "model", "baseline", "downscaled"):
        rows.append((k, f"{m[f'rmse_{k}']:.1f}", f"{m[f'correlation_{k}']:.3f}",
                     f"{m[f'trend_rmse_mm_per_yr_{k}']:.2f}"))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(c.rjust(w) if i else c.ljust(w)
                       for i, (c, w) in enumerate(zip(r, widths, strict=True))) for r in rows]
    lines.insert(1, "-" * len(lines[0]))
    lines.append(f"downscaled / min(coarse, model) = {m['downscaled_over_best_input']:.2f}; "
                 f"downscaled / baseline = {m['downscaled_over_baseline']:.2f}")
    lines.append(f"cap residual vs coarse: downscaled {m['cap_residual_downscaled']:.1f} mm, "
                 f"baseline {m['cap_residual_baseline']:.1f} mm "
                 f"(coarse noise at the cap scale {m['cap_noise_coarse']:.1f} mm)")
    return "\n".join(lines)
