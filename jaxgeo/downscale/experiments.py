"""A suite of structurally different land downscaling experiments (the generalisation test).

Each generator builds, on a real land mask (:func:`jaxgeo.regions.land_mask`), a known
truth of terrestrial water storage, a hydrological-model field with one *kind* of error,
and a GRACE-like field, and returns the same ``xarray.Dataset`` as
:func:`jaxgeo.downscale.synthetic.make_experiment` (``truth``, ``model``, ``coarse`` in mm,
NaN outside the mask; ``mask``; optional forcings), so :func:`~jaxgeo.downscale.fit`,
:func:`~jaxgeo.downscale.baseline` and :mod:`~jaxgeo.downscale.metrics` work on all of them.
The code is this module's own (random fields drawn as spherical-harmonic coefficients,
rank-limited space–time modes, flat-topped caps, noise drawn in the spectral domain); it
shares nothing with ``synthetic``, whose experiment stays the demo's.

Every generator takes ``(resolution_deg, n_months, *, seed, noise_mm, half_width_km)``;
its *GRACE filter* is the one of :func:`jaxgeo.grace.filter_field`: the land-only truth
(zero on the ocean, so that leakage is real) truncated at degree
``min(60, nlat − 1)`` and smoothed by a ``half_width_km`` Gaussian; the noise is added after.

=====================  =====================================================================
generator              what the model gets wrong / what the coarse field suffers from
=====================  =====================================================================
``large_scale``        model errors mostly at wavelengths > ~1000 km (degree ≤ 12)
``seasonal``           damped, late seasonal cycle, no semi-annual cycle, damped trends,
                       missing depletion hot spots, a broad error (the issue's
                       "independent 1° land experiment")
``missing_process``    groundwater depletion hot spots and a reservoir filling, absent from
                       the model
``striped``            north–south stripes in the GRACE noise (correlated along meridians);
                       short (48 months) or long (200) records via ``n_months``
=====================  =====================================================================

:data:`EXPERIMENTS` maps these names to the generators (the benchmark
``benchmarks/bench_downscale_suite.py`` runs every method on every one).
"""

from __future__ import annotations

import functools

import numpy as np

from .._grid import Grid
from ..regions import land_mask

__all__ = ["EXPERIMENTS", "HOT_SPOTS", "RESERVOIR", "grace_lmax", "large_scale",
           "missing_process", "seasonal", "striped"]

#: (lat °N, lon °E, radius °, trend mm/yr) of flat-topped depletion caps: regions of
#: groundwater-driven mass loss (after Rodell et al. 2018, Nature 557, 651–659)
HOT_SPOTS = (
    (29.0, 76.0, 5.0, -20.0),    # north-west India
    (36.0, -119.0, 3.5, -15.0),  # California Central Valley
    (36.0, 116.0, 4.0, -12.0),   # North China Plain
    (33.0, 45.0, 5.0, -12.0),    # Tigris–Euphrates
    (35.0, -101.0, 4.0, -8.0),   # southern High Plains
)
#: (lat °N, lon °E, radius °, stored water mm at the centre, filling months): a reservoir
#: filling (scaled after the Three Gorges / Grand Ethiopian Renaissance dam impoundments)
RESERVOIR = (11.0, 35.0, 3.0, 250.0, 24.0)


def grace_lmax(grid: Grid) -> int:
    """Truncation degree of the GRACE-like filter on ``grid``: ``min(60, nlat − 1)``."""
    return int(min(60, grid.nlat - 1))


# --- building blocks -----------------------------------------------------------------------

@functools.lru_cache(maxsize=8)
def _legendre(grid: Grid, lmax: int) -> np.ndarray:
    from ..grace import legendre_table

    return legendre_table(grid.lat, lmax)


def _synth(grid: Grid, c: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Spherical-harmonic synthesis in NumPy (4π-normalised ``P̄_lm``; an FFT in
    longitude): ``(n, L+1, L+1)`` coefficients → ``(n, nlat, nlon)``. No compilation, so
    drawing fields of any band costs no JIT (the suite draws many)."""
    lmax = c.shape[-1] - 1
    p = _legendre(grid, lmax)                              # (m, l, lat)
    a = np.einsum("mlj,nlm->njm", p, c)
    b = np.einsum("mlj,nlm->njm", p, s)
    nlon = grid.nlon
    phase = np.exp(1j * np.arange(lmax + 1) * np.deg2rad(grid.lon[0]))
    spec = np.zeros(a.shape[:2] + (nlon // 2 + 1,), complex)
    spec[..., : lmax + 1] = 0.5 * nlon * (a - 1j * b) * phase
    spec[..., 0] *= 2.0
    return np.fft.irfft(spec, n=nlon, axis=-1)


def _sh_fields(rng, grid: Grid, n: int, *, lmin: int, lmax: int, slope: float) -> np.ndarray:
    """``n`` random fields ``(n, nlat, nlon)`` of unit global std from spherical-harmonic
    coefficients of degrees ``lmin..lmax``, degree variance ∝ (l + 1)^(−slope)."""
    lmax = int(min(lmax, grid.nlat - 1))
    lmin = min(lmin, lmax // 2)  # coarse grids: the band moves down, never empty
    deg = np.arange(lmax + 1, dtype=np.float64)
    var = np.where(deg >= lmin, (deg + 1.0) ** -slope, 0.0) / (2 * deg + 1)
    sd = np.sqrt(var)[:, None] * np.tri(lmax + 1)  # zero for m > l
    c = rng.standard_normal((n, lmax + 1, lmax + 1)) * sd
    s = rng.standard_normal((n, lmax + 1, lmax + 1)) * sd
    s[..., 0] = 0.0
    f = _synth(grid, c, s)
    f -= f.mean(axis=(-2, -1), keepdims=True)
    return f / f.std(axis=(-2, -1), keepdims=True)


def _cap(grid: Grid, lat0: float, lon0: float, radius_deg: float) -> np.ndarray:
    """Flat-topped cap: 1 within half the radius, cos² taper to 0 at ``radius_deg``."""
    lat = np.deg2rad(grid.lat)[:, None]
    phi0 = np.deg2rad(lat0)
    cos_psi = (np.sin(lat) * np.sin(phi0) + np.cos(lat) * np.cos(phi0)
               * np.cos(np.deg2rad(grid.lon[None, :] - lon0)))
    psi = np.rad2deg(np.arccos(np.clip(cos_psi, -1.0, 1.0)))
    x = np.clip((psi - radius_deg / 2) / (radius_deg / 2), 0.0, 1.0)
    return np.cos(0.5 * np.pi * x) ** 2


def _ar1(rng, n_series: int, n_months: int, phi: float) -> np.ndarray:
    """``(n_series, n_months)`` unit-variance AR(1) series with lag-1 coefficient ``phi``."""
    out = np.empty((n_series, n_months))
    out[:, 0] = rng.standard_normal(n_series)
    for k in range(1, n_months):
        out[:, k] = phi * out[:, k - 1] + np.sqrt(1 - phi**2) * rng.standard_normal(n_series)
    return out


def _modes(rng, grid: Grid, n_months: int, n_modes: int, *, lmin: int, lmax: int,
           phi: float) -> np.ndarray:
    """Σ_k pattern_k(x) a_k(t): rank-``n_modes`` space–time field of unit-ish std."""
    pat = _sh_fields(rng, grid, n_modes, lmin=lmin, lmax=lmax, slope=2.0)
    ts = _ar1(rng, n_modes, n_months, phi)
    return np.einsum("kt,kij->tij", ts, pat) / np.sqrt(n_modes)


def _annual(amp, peak_month, t_month, period: float = 12.0):
    """``amp·cos(2π(t − peak)/period)`` over ``(time, nlat, nlon)``; months since start."""
    return amp[None] * np.cos(2 * np.pi * (t_month[:, None, None] - peak_month[None]) / period)


def _hot_spot_trend(grid: Grid) -> np.ndarray:
    return sum(rate * _cap(grid, la, lo, r) for la, lo, r, rate in HOT_SPOTS)


def _base_truth(rng, grid: Grid, n_months: int, t_month: np.ndarray):
    """Seasonal cycle (amplitude with grid-scale detail, phase by latitude), interannual
    modes and a broad trend field: ``(truth, amplitude, peak_month, trend)``."""
    lat = np.broadcast_to(grid.lat[:, None], grid.shape)
    detail = _sh_fields(rng, grid, 1, lmin=2, lmax=grid.nlat - 1, slope=1.2)[0]
    amp = (30.0 + 60.0 / np.cosh((lat - 8.0) / 18.0)) * np.exp(0.4 * detail)
    peak = 3.5 - 2.5 * np.tanh(lat / 10.0) + 0.8 * _sh_fields(
        rng, grid, 1, lmin=1, lmax=12, slope=2.0)[0]
    trend = 3.0 * _sh_fields(rng, grid, 1, lmin=1, lmax=30, slope=2.0)[0]
    t_c = (t_month - t_month.mean()) / 12.0
    ia = 20.0 * _modes(rng, grid, n_months, 16, lmin=2, lmax=grid.nlat - 1, phi=0.9)
    return (_annual(amp, peak, t_month) + trend[None] * t_c[:, None, None] + ia,
            amp, peak, trend)


def _grace_noise(rng, grid: Grid, n_months: int, half_width_km: float) -> np.ndarray:
    """GRACE-like noise: coefficients with degree std rising as e^(l/12), seen through
    the same truncation and Gaussian as the signal (unit global std per month)."""
    from ..grace import gaussian_weights

    lmax = grace_lmax(grid)
    deg = np.arange(lmax + 1, dtype=np.float64)
    sd = (np.exp(deg / 12.0) * np.asarray(gaussian_weights(half_width_km, lmax))
          / np.sqrt(2 * deg + 1))[:, None] * np.tri(lmax + 1)
    sd[:2] = 0.0  # no degree 0/1 noise
    c = rng.standard_normal((n_months, lmax + 1, lmax + 1)) * sd
    s = rng.standard_normal((n_months, lmax + 1, lmax + 1)) * sd
    s[..., 0] = 0.0
    f = _synth(grid, c, s)
    return f / f.std(axis=(-2, -1), keepdims=True)


def _stripes(rng, grid: Grid, n_months: int) -> np.ndarray:
    """North–south stripes: zonal waves of orders 20–60 whose amplitudes vary smoothly
    along meridians (degree ≤ 6 in latitude), strongest at low latitudes; unit std."""
    nlat, nlon = grid.shape
    lon = np.deg2rad(grid.lon)
    orders = np.arange(min(20, nlon // 4), min(61, nlon // 2))
    # smooth latitude profiles: a few Legendre-like cosines of colatitude
    colat = np.deg2rad(90.0 - grid.lat)
    basis = np.stack([np.cos(k * colat) for k in range(7)])           # (7, nlat)
    taper = 0.3 + 0.7 * np.cos(np.deg2rad(grid.lat))
    out = np.empty((n_months, nlat, nlon))
    for t in range(n_months):
        prof = rng.standard_normal((len(orders), 7)) @ basis              # (m, nlat)
        phase = rng.uniform(0, 2 * np.pi, len(orders))
        waves = np.cos(orders[:, None] * lon[None, :] + phase[:, None])   # (m, nlon)
        f = np.einsum("ml,mn->ln", prof, waves) * taper[:, None]
        out[t] = f / f.std()
    return out


def _finish(name: str, doc: str, grid: Grid, mask, truth, model, *, rng, noise_mm: float,
            half_width_km: float, seed: int, start: str, stripes: bool = False,
            forcings: dict | None = None, **attrs):
    """Filter the truth like GRACE, add the noise, build the Dataset."""
    import pandas as pd
    import xarray as xr

    from ..grace import filter_field

    nt = truth.shape[0]
    land_truth = np.where(mask, truth, 0.0)
    coarse = np.array(filter_field(land_truth, grid, lmax=grace_lmax(grid),
                                     half_width_km=half_width_km), dtype=np.float64)
    noise = _grace_noise(rng, grid, nt, half_width_km)
    if stripes:  # mostly stripes, as unfiltered GRACE, on a weaker isotropic floor
        noise = 0.4 * noise + 0.9 * _stripes(rng, grid, nt)
    noise *= noise_mm / noise[:, mask].std()
    coarse = coarse + noise
    nan_out = np.where(mask, 1.0, np.nan)[None]
    time = pd.date_range(start, periods=nt, freq="MS") + pd.Timedelta(days=14)
    coords = {"time": time, **grid.to_xarray_coords()}

    def var(data, long_name, units="mm"):
        return xr.DataArray(data * nan_out, dims=("time", "lat", "lon"), coords=coords,
                            attrs={"long_name": long_name, "units": units})

    data = {"truth": var(truth, "true terrestrial water storage anomaly"),
            "model": var(model, "hydrological-model water storage anomaly"),
            "coarse": var(coarse, "GRACE-like water storage anomaly")}
    # the product states its filter, as jaxgeo grace l2 output does (fit reads it)
    data["coarse"].attrs.update(lmax=grace_lmax(grid), half_width_km=float(half_width_km))
    for k, (v, long_name, units) in (forcings or {}).items():
        data[k] = var(v, long_name, units)
    data["mask"] = xr.DataArray(mask, dims=("lat", "lon"), coords=grid.to_xarray_coords(),
                                attrs={"long_name": "land mask (no ice sheets)"})
    return xr.Dataset(data, attrs={
        "title": f"jaxgeo downscaling suite: {name}", "experiment": name, "comment": doc,
        "seed": seed, "noise_mm": noise_mm, "half_width_km": half_width_km,
        "lmax": grace_lmax(grid), "resolution_deg": grid.resolution_deg,
        "stripes": int(stripes), **attrs})


def _setup(resolution_deg, n_months, seed):
    if int(n_months) != n_months or n_months < 2:
        raise ValueError(f"n_months must be an integer ≥ 2, got {n_months!r}")
    if isinstance(seed, bool) or int(seed) != seed or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    grid = Grid.regular(resolution_deg)
    return (grid, land_mask(grid), np.random.default_rng(int(seed)),
            np.arange(int(n_months), dtype=np.float64) + 0.5)


# --- the generators ------------------------------------------------------------------------

def large_scale(resolution_deg: float = 1.0, n_months: int = 48, *, seed: int = 0,
                noise_mm: float = 15.0, half_width_km: float = 300.0,
                start: str = "2003-01"):
    """Model errors mostly at large scales (wavelengths > ~1000 km).

    The model is the truth plus a space–time error of degrees 1–12 (wavelengths ≥ ~3000
    km; seasonal and AR(1) parts, ~30 mm RMS over the land) and a weak small-scale error
    (~5 mm): the case where the coarse field knows what the model gets wrong.

    Args (the same for every generator of the suite):
        resolution_deg: grid cell, degrees (nlat divisible by 4 for the default network:
            1, 1.5, 2.5, 3, 5°).
        n_months: monthly steps from ``start`` (``YYYY-MM``; mid-month time stamps).
        seed: seed of every draw; the same seed gives the same Dataset.
        noise_mm: std of the GRACE-like noise over the land, mm.
        half_width_km: half-width of the Gaussian of the GRACE filter, km.

    Returns:
        ``xarray.Dataset`` as :func:`jaxgeo.downscale.synthetic.make_experiment`'s:
        ``truth``, ``model``, ``coarse`` (time, lat, lon; mm, NaN outside the mask), any
        forcings, ``mask``; attributes ``experiment``, ``seed``, ``noise_mm``,
        ``half_width_km``, ``lmax``, ``resolution_deg``, ``stripes``.

    Raises:
        ValueError: ``n_months`` < 2 or not an integer, a negative or non-integer ``seed``.
    """
    grid, mask, rng, tm = _setup(resolution_deg, n_months, seed)
    truth, *_ = _base_truth(rng, grid, len(tm), tm)
    pat = _sh_fields(rng, grid, 2, lmin=1, lmax=12, slope=1.0)
    err = (_annual(25.0 * pat[0], 2.0 + 3.0 * pat[1], tm)
           + 25.0 * _modes(rng, grid, len(tm), 8, lmin=1, lmax=12, phi=0.8)
           + 5.0 * _modes(rng, grid, len(tm), 8, lmin=40, lmax=grid.nlat - 1, phi=0.3))
    return _finish("large_scale", "model errors mostly at degree ≤ 12", grid, mask, truth,
                   truth + err, rng=rng, noise_mm=noise_mm, half_width_km=half_width_km,
                   seed=seed, start=start)


def seasonal(resolution_deg: float = 1.0, n_months: int = 48, *, seed: int = 0,
             noise_mm: float = 15.0, half_width_km: float = 300.0, start: str = "2003-01"):
    """Errors in the amplitude and phase of the seasonal cycle, and damped trends.

    The truth has an annual cycle, a semi-annual one (~25 % of it), broad trends and the
    depletion caps :data:`HOT_SPOTS`. The model's annual amplitude is damped by a broad
    factor 0.45–0.85, its peak is 0.5–2 months late (broad pattern), it has no semi-annual
    cycle, its broad trends are damped to 40 %, the hot spots are missing, and it carries a
    broad error (degree ≤ 6, ~8 mm). A precipitation forcing (mm/month) leads the true
    cycle by 2 months. Arguments as :func:`large_scale`.
    """
    grid, mask, rng, tm = _setup(resolution_deg, n_months, seed)
    nt = len(tm)
    base, amp, peak, trend = _base_truth(rng, grid, nt, tm)
    t_c = ((tm - tm.mean()) / 12.0)[:, None, None]
    semi = _annual(0.25 * amp, peak + 1.5, tm, period=6.0)
    truth = base + semi + _hot_spot_trend(grid)[None] * t_c
    broad = _sh_fields(rng, grid, 2, lmin=1, lmax=8, slope=1.5)
    gain = 0.65 + 0.2 * np.tanh(broad[0])
    lag = 1.25 + 0.75 * np.tanh(broad[1])
    ia = base - _annual(amp, peak, tm) - trend[None] * t_c
    model = (_annual(gain * amp, peak + lag, tm) + 0.4 * trend[None] * t_c + 0.8 * ia
             + 8.0 * _modes(rng, grid, nt, 6, lmin=1, lmax=6, phi=0.9))
    precip = np.maximum(0.0, 1.2 * _annual(amp, peak - 2.0, tm) + 60.0
                        + 8.0 * rng.standard_normal((nt,) + grid.shape))
    return _finish("seasonal", "damped, late seasonal cycle; damped trends; no hot spots",
                   grid, mask, truth, model, rng=rng, noise_mm=noise_mm,
                   half_width_km=half_width_km, seed=seed, start=start,
                   forcings={"precipitation": (precip, "precipitation", "mm/month")})


def missing_process(resolution_deg: float = 1.0, n_months: int = 48, *, seed: int = 0,
                    noise_mm: float = 15.0, half_width_km: float = 300.0,
                    start: str = "2003-01"):
    """A process the model lacks: groundwater depletion and a reservoir filling.

    The truth adds to a seasonal and interannual signal the accelerating depletion of
    :data:`HOT_SPOTS` (rate × (1 + 0.5 t/T) around mid-record) and the filling of
    :data:`RESERVOIR` (centred on the nearest cell; a logistic rise centred on the
    record's middle, over its filling months). The model has neither, and modest other
    errors (amplitude ±25 % in a broad pattern, ~10 mm interannual misfit). Arguments as
    :func:`large_scale`.
    """
    grid, mask, rng, tm = _setup(resolution_deg, n_months, seed)
    nt = len(tm)
    base, amp, peak, trend = _base_truth(rng, grid, nt, tm)
    t_c = ((tm - tm.mean()) / 12.0)[:, None, None]
    span = max(tm[-1] - tm[0], 1.0) / 12.0
    depletion = _hot_spot_trend(grid)[None] * t_c * (1.0 + 0.5 * t_c / span)
    la, lo, r, mm, months = RESERVOIR
    fill = 1.0 / (1.0 + np.exp(-(tm - tm.mean()) / (months / 8.0)))
    # centred on the nearest cell centre, so that coarse grids keep its full depth
    la, lo = grid.lat[np.argmin(abs(grid.lat - la))], grid.lon[np.argmin(abs(grid.lon - lo))]
    reservoir = mm * fill[:, None, None] * _cap(grid, la, lo, r)[None]
    truth = base + depletion + reservoir
    gain = 1.0 + 0.25 * np.tanh(_sh_fields(rng, grid, 1, lmin=1, lmax=10, slope=1.5)[0])
    model = (base + (gain - 1.0) * _annual(amp, peak, tm)
             + 10.0 * _modes(rng, grid, nt, 8, lmin=2, lmax=grid.nlat - 1, phi=0.7))
    return _finish("missing_process", "depletion hot spots and a reservoir not in the model",
                   grid, mask, truth, model, rng=rng, noise_mm=noise_mm,
                   half_width_km=half_width_km, seed=seed, start=start)


def striped(resolution_deg: float = 1.0, n_months: int = 48, *, seed: int = 0,
            noise_mm: float = 20.0, half_width_km: float = 300.0, start: str = "2003-01"):
    """GRACE noise with north–south stripes; short (48) or long (200) records.

    The GRACE-like noise is mostly zonal waves of orders 20–60 whose amplitudes vary
    smoothly along meridians (correlated along meridians, as in unfiltered GRACE fields,
    Swenson & Wahr 2006), on a weaker isotropic floor. The model has mixed errors: a broad
    amplitude factor, a 0.7-month lag, and small-scale interannual misfit (~10 mm). Use
    ``n_months=48`` for a short record and ``200`` for a long one. Arguments as
    :func:`large_scale`.
    """
    grid, mask, rng, tm = _setup(resolution_deg, n_months, seed)
    nt = len(tm)
    base, amp, peak, trend = _base_truth(rng, grid, nt, tm)
    gain = np.exp(0.25 * _sh_fields(rng, grid, 1, lmin=1, lmax=15, slope=1.5)[0])
    model = (base - _annual(amp, peak, tm) + _annual(gain * amp, peak + 0.7, tm)
             + 10.0 * _modes(rng, grid, nt, 8, lmin=10, lmax=grid.nlat - 1, phi=0.5))
    return _finish("striped", "north-south striped GRACE noise", grid, mask, base, model,
                   rng=rng, noise_mm=noise_mm, half_width_km=half_width_km, seed=seed,
                   start=start, stripes=True)


#: name → generator, in the order of the suite
EXPERIMENTS = {"large_scale": large_scale, "seasonal": seasonal,
               "missing_process": missing_process, "striped": striped}
