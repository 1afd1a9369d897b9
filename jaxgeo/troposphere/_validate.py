"""Validation of ZWD height models against ZWD integrated from ERA5 and radiosonde profiles."""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from ._columns import COLUMN_FAMILIES, fit_columns
from ._fit import profiles_from_dataset
from ._gpt3 import GPT3
from ._interp import mjd_from_datetime64
from ._peers import saastamoinen_zwd, unb3m_zwd
from ._physics import zwd_profile
from ._readers import read_era5_profiles, read_wyoming_sounding
from ._report import INTERVAL_LABELS, interval_stats

_COLUMN_LABELS = {"hzwd-exp": "piecewise exp (per column)",
                  "hzwd-poly": "piecewise poly (per column)",
                  "single-exp": "single exp (per column)"}


def _stats(height_m, residual_m) -> dict:
    return interval_stats(height_m, residual_m).as_dict()


def compare_models(ds, *, gpt3: GPT3 | None = None, steps: int = 300) -> dict:
    """Per-interval RMS/bias (model − profile ZWD) of each model on a profile Dataset.

    The reference is ZWD integrated from each level to the top of the profile. Models:
    the HZWD function families and the single exponential of GPT2w/GPT3 type, each fitted
    per column to the levels in [0, 10 km]; GPT3 (heights converted to ellipsoidal with
    its own undulation); UNB3m; Saastamoinen with each level's own T and e (the met a
    surface station at that height would measure).

    Args:
        ds: profile Dataset (see :func:`read_era5_profiles`).
        gpt3: GPT3 grid, optional.
        steps: Adam steps of the per-column fits.

    Returns:
        ``{model: {interval: {"rms_m", "bias_m", "n"}}}``.
    """
    h = np.asarray(ds["height"].values, dtype=np.float64)
    t = np.asarray(ds["temperature"].values, dtype=np.float64)
    e = np.asarray(ds["vapour_pressure"].values, dtype=np.float64)
    zwd = np.asarray(zwd_profile(h, t, e))
    in_range = (h >= 0.0) & (h <= 10_000.0)
    # everything below runs on arrays padded to bucketed shapes (NaN = no level), so that
    # datasets of similar size share compiled programs instead of recompiling per shape
    n_col, n_lev = h.shape
    c_pad = max(64, 1 << (n_col - 1).bit_length())
    l_pad = 64 * -(-n_lev // 64)

    def pad(a, fill=np.nan):
        out = np.full((c_pad, l_pad), fill)
        out[:n_col, :n_lev] = a
        return out

    def unpad(a):
        return np.asarray(a)[:n_col, :n_lev]

    h_in = pad(np.where(in_range, h, np.nan))
    results = {}
    for fam in COLUMN_FAMILIES:
        pred, _ = fit_columns(jnp.asarray(h_in), jnp.asarray(pad(np.where(in_range, zwd,
                                                                           np.nan))),
                              family=fam, steps=steps)
        results[_COLUMN_LABELS[fam]] = _stats(h, np.where(in_range, unpad(pred) - zwd,
                                                                  np.nan))
    ones = np.ones((n_col, n_lev))
    lat = jnp.asarray(pad(np.asarray(ds["lat"].values, dtype=np.float64)[:, None] * ones, 0.0))
    lon = jnp.asarray(pad(np.asarray(ds["lon"].values, dtype=np.float64)[:, None] * ones, 0.0))
    times = np.asarray(ds["time"].values).astype("datetime64[ns]")
    mjd = jnp.asarray(pad(np.array([mjd_from_datetime64(x) for x in times])[:, None] * ones,
                          51544.0))
    doy = jnp.asarray(pad(np.asarray(profiles_from_dataset(ds)[2].doy)[0][:, None] * ones,
                          1.0))
    hp = jnp.asarray(pad(h))
    if gpt3 is not None:
        undu = gpt3(lat, lon, jnp.zeros_like(hp), mjd).undu
        z_gpt3 = unpad(gpt3(lat, lon, hp + undu, mjd).zwd)
        results["GPT3 (5° grid)"] = _stats(h, np.where(in_range, z_gpt3 - zwd, np.nan))
    z_unb = unpad(unb3m_zwd(lat, hp, doy))
    results["UNB3m"] = _stats(h, np.where(in_range, z_unb - zwd, np.nan))
    z_saas = unpad(jax.jit(saastamoinen_zwd)(jnp.asarray(pad(t)), jnp.asarray(pad(e))))
    results["Saastamoinen (level met)"] = _stats(h, np.where(in_range, z_saas - zwd,
                                                                     np.nan))
    return results


def run_validation(*, era5: list | None = None, sounding: str | None = None,
                   sounding_lat: float | None = None, sounding_lon: float | None = None,
                   sounding_time: str | None = None, gpt3_path: str | None = None,
                   steps: int = 300) -> dict:
    """Validate on ERA5 files and/or a Wyoming sounding; returns a JSON-able dict."""
    t0 = time.perf_counter()
    gpt3 = GPT3.from_file(gpt3_path) if gpt3_path else None
    out = {"intervals": list(INTERVAL_LABELS), "datasets": {}}
    for path in era5 or []:
        ds = read_era5_profiles(path)
        out["datasets"][f"ERA5 {Path(path).name}"] = {
            "n_profiles": int(ds.sizes["profile"]),
            "models": compare_models(ds, gpt3=gpt3, steps=steps)}
    if sounding:
        ds = read_wyoming_sounding(sounding, lat=sounding_lat, lon=sounding_lon,
                                   time=sounding_time)
        out["datasets"][f"radiosonde {Path(sounding).name}"] = {
            "n_profiles": 1, "models": compare_models(ds, gpt3=gpt3, steps=steps)}
    checks = {}
    for name, d in out["datasets"].items():
        pw = d["models"][_COLUMN_LABELS["hzwd-exp"]]
        se = d["models"][_COLUMN_LABELS["single-exp"]]
        checks[name] = {lab: bool(pw[lab]["rms_m"] < se[lab]["rms_m"])
                        for lab in INTERVAL_LABELS if pw[lab]["n"] > 0}
    out["piecewise_beats_single_exponential"] = checks
    out["seconds"] = time.perf_counter() - t0
    return out


def format_table(result: dict) -> str:
    """A plain-text table (mm) of :func:`run_validation` output."""
    lines = []
    for name, d in result["datasets"].items():
        lines.append(f"{name} ({d['n_profiles']} profiles): RMS / bias in mm, n levels")
        lines.append(f"  {'model':<30}" + "".join(f"{lab:>24}" for lab in result["intervals"]))
        for model, stats in d["models"].items():
            cells = []
            for lab in result["intervals"]:
                s = stats[lab]
                cells.append(f"{1e3 * s['rms_m']:8.2f} / {1e3 * s['bias_m']:7.2f} ({s['n']:4d})"
                             if s["n"] else f"{'-':>24}")
            lines.append(f"  {model:<30}" + "".join(f"{c:>24}" for c in cells))
    beats = result["piecewise_beats_single_exponential"]
    lines.append(f"piecewise beats single exponential: {beats}")
    return "\n".join(lines)


def write_json_atomic(obj, path) -> Path:
    """Write JSON through a temporary file in the same folder, then rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".json.part", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(obj, f, indent=2, default=float)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
