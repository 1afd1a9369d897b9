"""Validation of ZWD height models against ZWD integrated from ERA5 and radiosonde profiles.

Needs a data folder (``data_dir``, or the environment variable ``JAXGEO_DATA_DIR``) holding
ERA5 pressure-level files (``*.nc``), optionally the Wyoming sounding
``may4_sounding.txt`` and the GPT3 grid ``gpt3_5.grd`` (directly or in a ``troposphere``
subfolder).
"""

from __future__ import annotations

import time as _clock
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from .._deprecation import reject_unknown, renamed
from ..troposphere import (
    COLUMN_FAMILIES,
    GPT3,
    INTERVAL_LABELS,
    fit_columns,
    interval_stats,
    read_era5_profiles,
    read_wyoming_sounding,
    saastamoinen_zwd,
    unb3m_zwd,
    zwd_profile,
)
from . import data_folder as _data_folder

SOUNDING_FILE = "may4_sounding.txt"
GPT3_FILE = "gpt3_5.grd"

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
        steps: Levenberg–Marquardt iterations of the per-column fits (0: closed form).

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
    t_pad = np.full((c_pad, l_pad), times[0])
    t_pad[:n_col, :n_lev] = times[:, None]
    hp = jnp.asarray(pad(h))
    if gpt3 is not None:
        undu = gpt3(lat, lon, jnp.zeros_like(hp), t_pad).undu
        z_gpt3 = unpad(gpt3(lat, lon, hp + undu, t_pad).zwd)
        results["GPT3 (5° grid)"] = _stats(h, np.where(in_range, z_gpt3 - zwd, np.nan))
    z_unb = unpad(unb3m_zwd(lat, hp, t_pad))
    results["UNB3m"] = _stats(h, np.where(in_range, z_unb - zwd, np.nan))
    z_saas = unpad(jax.jit(saastamoinen_zwd)(jnp.asarray(pad(t)), jnp.asarray(pad(e))))
    results["Saastamoinen (level met)"] = _stats(h, np.where(in_range, z_saas - zwd,
                                                                     np.nan))
    return results


def data_folder(data_dir=None) -> Path:
    """The validation data folder (:func:`jaxgeo.validation.data_folder`), its
    ``troposphere`` subfolder when there is one."""
    return _data_folder(data_dir, sub="troposphere")


def run_validation(data_dir=None, *, era5: list | None = None, sounding: str | None = None,
                   sounding_lat_deg: float | None = None, sounding_lon_deg: float | None = None,
                   sounding_time="1999-05-04T00:00", gpt3: str | None = None,
                   steps: int = 300, **kwargs) -> dict:
    """Validate on ERA5 files and/or a Wyoming sounding; returns a JSON-able dict.

    Args:
        data_dir: data folder (default ``$JAXGEO_DATA_DIR``), see :func:`data_folder`;
            needed unless ``era5`` or ``sounding`` name files.
        era5: ERA5 files (default: ``*.nc`` in the folder).
        sounding: Wyoming sounding (default: ``may4_sounding.txt`` in the folder, if any).
        sounding_lat_deg, sounding_lon_deg, sounding_time: where and when it was launched
            (default: Norman, Oklahoma, 35.18 N 97.44 W, 1999-05-04T00:00).
        gpt3: GPT3 grid (default: ``gpt3_5.grd`` in the folder, if any).
        steps: Levenberg–Marquardt iterations of the per-column fits (0: closed form).

    Raises:
        ValueError: no data folder and no files given. FileNotFoundError: no ERA5 file
        or sounding found, or a named file is missing.
    """
    where = "run_validation"
    sounding_lat_deg = renamed(kwargs, "sounding_lat", "sounding_lat_deg", where=where,
                               current=sounding_lat_deg)
    sounding_lon_deg = renamed(kwargs, "sounding_lon", "sounding_lon_deg", where=where,
                               current=sounding_lon_deg)
    gpt3 = renamed(kwargs, "gpt3_path", "gpt3", where=where, current=gpt3)
    reject_unknown(kwargs, where=where)
    sounding_lat_deg = 35.18 if sounding_lat_deg is None else sounding_lat_deg
    sounding_lon_deg = -97.44 if sounding_lon_deg is None else sounding_lon_deg
    t0 = _clock.perf_counter()
    folder = None
    if data_dir is not None or (era5 is None and sounding is None):
        folder = data_folder(data_dir)
    if era5 is None:
        era5 = sorted(str(p) for p in folder.glob("*.nc")) if folder is not None else []
    if sounding is None and folder is not None and (folder / SOUNDING_FILE).is_file():
        sounding = str(folder / SOUNDING_FILE)
    if gpt3 is None and folder is not None and (folder / GPT3_FILE).is_file():
        gpt3 = str(folder / GPT3_FILE)
    if not era5 and not sounding:
        raise FileNotFoundError(f"no ERA5 file (*.nc) or sounding ({SOUNDING_FILE}) found in "
                                f"{folder}")
    for path in [*era5, *([sounding] if sounding else []), *([gpt3] if gpt3 else [])]:
        if not Path(path).is_file():
            raise FileNotFoundError(f"validation input not found: {path}")
    model = GPT3.from_file(gpt3) if gpt3 else None
    out = {"intervals": list(INTERVAL_LABELS), "datasets": {}}
    for path in era5:
        ds = read_era5_profiles(path)
        out["datasets"][f"ERA5 {Path(path).name}"] = {
            "n_profiles": int(ds.sizes["profile"]),
            "models": compare_models(ds, gpt3=model, steps=steps)}
    if sounding:
        # geometric heights, as the ERA5 reader gives (the HGHT column is geopotential)
        ds = read_wyoming_sounding(sounding, lat=sounding_lat_deg, lon=sounding_lon_deg,
                                   time=sounding_time, height_kind="geometric")
        out["datasets"][f"radiosonde {Path(sounding).name}"] = {
            "n_profiles": 1, "models": compare_models(ds, gpt3=model, steps=steps)}
    checks = {}
    for name, d in out["datasets"].items():
        pw = d["models"][_COLUMN_LABELS["hzwd-exp"]]
        se = d["models"][_COLUMN_LABELS["single-exp"]]
        checks[name] = {lab: bool(pw[lab]["rms_m"] < se[lab]["rms_m"])
                        for lab in INTERVAL_LABELS if pw[lab]["n"] > 0}
    out["piecewise_beats_single_exponential"] = checks
    out["seconds"] = _clock.perf_counter() - t0
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
