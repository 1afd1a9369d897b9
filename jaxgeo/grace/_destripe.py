"""Destriping: the Swenson & Wahr (2006) decorrelation filter of Stokes coefficients.

For each order m from ``start_order`` to ``end_order`` the coefficients of that order are
split into even and odd degrees; a polynomial (quadratic as published) is fitted over a
moving window of ``2 n + 1`` consecutive degrees of the same parity, and the fitted
("smoothed", correlated) part is subtracted. The half-width n shrinks with the order,
``n = max(round(A/2 · exp(-m / K)), (min_window - 1) / 2)`` with A = 30, K = 10 and a
window of at least 5 degrees (Swenson & Wahr 2006, GRL 33, L08402, ``w = max(A e^(-m/K) +
1, 5)``). The first n (last n) degrees of a parity take the value at their offset of the
polynomial fitted over the first (last) window. A parity of an order with fewer degrees
than the window cannot be fitted: its coefficients are removed (``too_few="zero"``,
gravity-toolkit's default ``NARROW=False``) or kept unfiltered (``"keep"``, ``NARROW=True``).
Orders below ``start_order`` (gravity-toolkit: 5, fixed) and above ``end_order`` (its
``MMAX``) are untouched. The defaults reproduce gravity-toolkit's ``destripe_harmonics``.

The filter is linear: the weights are built once per (lmax, parameters) in float64 numpy,
and :func:`destripe` is a gather-and-sum in JAX (jit, vmap and grad work).
"""

from __future__ import annotations

import functools
import math
import numbers

import jax.numpy as jnp
import numpy as np

DESTRIPE_START_ORDER = 5
"""First order filtered by default (gravity-toolkit's fixed ``m >= 5``)."""


def _int(value, name, *, low, high=None):
    if (isinstance(value, bool) or not isinstance(value, numbers.Integral)
            or int(value) < low or (high is not None and int(value) > high)):
        rng = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise ValueError(f"destripe: {name} must be an integer {rng}, got {value!r}")
    return int(value)


def _positive(value, name):
    if (isinstance(value, bool) or not isinstance(value, numbers.Real)
            or not math.isfinite(float(value)) or float(value) <= 0):
        raise ValueError(f"destripe: {name} must be a finite number > 0, got {value!r}")
    return float(value)


def destripe_half_widths(lmax: int, *, start_order: int = DESTRIPE_START_ORDER,
                         end_order: int | None = None, poly_degree: int = 2,
                         window_amplitude: float = 30.0, window_decay: float = 10.0,
                         min_window: int = 5, rounding: str = "round",
                         too_few: str = "zero") -> np.ndarray:
    """Checked parameters → the window half-width n (in degrees of one parity) per order.

    Returns:
        int array ``(lmax+1,)``; 0 for the orders that are not filtered.

    Raises:
        ValueError: one line naming the bad parameter, or saying that lmax is too small
        for the window at ``start_order`` (every degree of that order would be removed).
    """
    lmax = _int(lmax, "lmax", low=0)
    start = _int(start_order, "start_order", low=0)
    end = (lmax if end_order is None or start > lmax
           else _int(end_order, "end_order", low=start, high=lmax))
    deg = _int(poly_degree, "poly_degree", low=0)
    amp = _positive(window_amplitude, "window_amplitude")
    decay = _positive(window_decay, "window_decay")
    wmin = _int(min_window, "min_window", low=3)
    if wmin % 2 == 0 or wmin <= deg:
        raise ValueError(f"destripe: min_window must be odd and > poly_degree ({deg}) so "
                         f"that the fit is determined, got {min_window!r}")
    if rounding not in ("round", "floor"):
        raise ValueError(f"destripe: rounding must be 'round' or 'floor', got {rounding!r}")
    if too_few not in ("zero", "keep"):
        raise ValueError(f"destripe: too_few must be 'zero' or 'keep', got {too_few!r}")

    def half_width(m):
        h = amp / 2.0 * math.exp(-m / decay)
        return max(int(np.around(h)) if rounding == "round" else int(h), (wmin - 1) // 2)

    half = np.zeros(lmax + 1, np.int64)
    for m in range(start, end + 1):
        half[m] = half_width(m)
    n0 = half_width(start)
    fewest = max((lmax - start + 1) // 2, 0)  # degrees of the shorter parity at start_order
    if fewest < 2 * n0 + 1:
        need = start + 2 * (2 * n0 + 1) - 1
        raise ValueError(f"destripe: lmax {lmax} is too small for the window at order "
                         f"{start} ({2 * n0 + 1} degrees of each parity needed, {fewest} "
                         f"available); use lmax >= {need} or another start_order")
    return half


def _fit_rows(n: int, deg: int) -> np.ndarray:
    """``(2n+1, 2n+1)``: row j = weights giving the polynomial least-squares fit over
    offsets -n..n evaluated at offset j - n."""
    off = np.arange(-n, n + 1, dtype=np.float64)
    v = off[:, None] ** np.arange(deg + 1)  # Vandermonde, as gravity-toolkit's design
    q, _ = np.linalg.qr(v)  # the hat matrix V (VᵀV)⁻¹ Vᵀ = Q Qᵀ, without the normal equations
    return q @ q.T


def destripe_weights(lmax: int, **params) -> tuple[np.ndarray, np.ndarray]:
    """The smoothing operator as gather indices and weights (float64 numpy, read-only).

    Returns:
        ``(index, weight)`` of shape ``(lmax+1, lmax+1, K)``: the smoothed (correlated)
        part of coefficient ``(l, m)`` is ``sum_k weight[l, m, k] * x[index[l, m, k], m]``
        (index = degree). Parameters as :func:`destripe`.
    """
    half = destripe_half_widths(lmax, **params)  # checks every parameter
    return _weights(int(lmax), tuple(int(n) for n in half),
                    int(params.get("poly_degree", 2)), params.get("too_few", "zero") == "zero")


@functools.lru_cache(maxsize=16)
def _weights(lmax: int, half: tuple, deg: int, zero: bool):
    half = np.asarray(half, np.int64)
    size = 2 * int(half.max()) + 1
    index = np.broadcast_to(np.arange(lmax + 1)[:, None, None],
                            (lmax + 1, lmax + 1, size)).copy()
    weight = np.zeros((lmax + 1, lmax + 1, size))
    for m in np.flatnonzero(half):
        n = int(half[m])
        rows = _fit_rows(n, deg)
        for parity in (0, 1):
            ls = np.arange(m + (m + parity) % 2, lmax + 1, 2)  # degrees of one parity
            if ls.size < 2 * n + 1:
                if zero:
                    weight[ls, m, 0] = 1.0  # smoothed = itself: the output is zero
                continue
            for i, ell in enumerate(ls):
                c = min(max(i, n), ls.size - 1 - n)  # the centre of the window used
                index[ell, m, :2 * n + 1] = ls[c - n:c + n + 1]
                weight[ell, m, :2 * n + 1] = rows[i - c + n]
    index.setflags(write=False)
    weight.setflags(write=False)
    return index, weight


def destripe(clm, slm, *, start_order: int = DESTRIPE_START_ORDER,
             end_order: int | None = None, poly_degree: int = 2,
             window_amplitude: float = 30.0, window_decay: float = 10.0,
             min_window: int = 5, rounding: str = "round", too_few: str = "zero"):
    """Swenson & Wahr (2006) destriping of Stokes coefficients (anomalies).

    Args:
        clm, slm: real arrays ``(*batch, lmax+1, lmax+1)`` indexed ``[..., l, m]``
            (e.g. ``(months, l, m)``; anomalies after the mean field is removed).
        start_order: first order filtered (gravity-toolkit: 5).
        end_order: last order filtered (gravity-toolkit's ``MMAX``); None: lmax.
        poly_degree: degree of the polynomial fitted in each window (2, quadratic).
        window_amplitude, window_decay: A and K of the window width
            ``A exp(-m/K) + 1`` in degrees (30 and 10).
        min_window: smallest window, odd (5).
        rounding: ``"round"`` the half-width ``A/2 exp(-m/K)`` to the nearest integer
            (gravity-toolkit ``ROUND=True``) or ``"floor"`` it (``ROUND=False``).
        too_few: the degrees of a parity with fewer points than the window:
            ``"zero"`` removes them (gravity-toolkit ``NARROW=False``), ``"keep"`` leaves
            them unfiltered (``NARROW=True``).

    Returns:
        ``(clm, slm)`` filtered, same shape and dtype (JAX arrays). Linear in the input.

    Raises:
        ValueError: bad parameters, non-matching or non-square shapes, complex input,
        or lmax too small for the window at ``start_order``.
    """
    if any(jnp.iscomplexobj(a) for a in (clm, slm)):
        raise ValueError("destripe: clm and slm must be real, got a complex array")
    clm, slm = jnp.asarray(clm), jnp.asarray(slm)
    if not jnp.issubdtype(clm.dtype, jnp.floating):
        clm = clm.astype(jnp.result_type(float))
    slm = slm.astype(clm.dtype)
    if (clm.shape != slm.shape or clm.ndim < 2 or clm.shape[-1] != clm.shape[-2]
            or clm.shape[-1] < 1):
        raise ValueError(f"destripe: clm and slm must both have shape (..., lmax+1, "
                         f"lmax+1), got {clm.shape} and {slm.shape}")
    lmax = clm.shape[-1] - 1
    flat, weight = _operator(lmax, start_order=start_order, end_order=end_order,
                             poly_degree=poly_degree, window_amplitude=window_amplitude,
                             window_decay=window_decay, min_window=min_window,
                             rounding=rounding, too_few=too_few)
    w = jnp.asarray(weight, dtype=clm.dtype)
    return _apply(clm, flat, w, jnp), _apply(slm, flat, w, jnp)


def _operator(lmax, **params):
    index, weight = destripe_weights(lmax, **params)
    return index * (lmax + 1) + np.arange(lmax + 1)[None, :, None], weight


def _apply(x, flat, w, xp):
    """``x - smoothed(x)``, one window position at a time (memory of a few ``x``)."""
    xf = x.reshape(*x.shape[:-2], x.shape[-1] * x.shape[-2])
    smooth = xp.zeros_like(x)
    for k in range(flat.shape[-1]):  # explicit broadcast over the batch axes
        smooth = smooth + xf[..., flat[..., k]] * xp.broadcast_to(w[..., k], x.shape)
    return x - smooth


def destripe_float64(clm, slm, **params) -> tuple[np.ndarray, np.ndarray]:
    """:func:`destripe` in float64 numpy (the Level-2 chain's precision whatever JAX's
    default float); same parameters and checks."""
    clm, slm = np.asarray(clm, np.float64), np.asarray(slm, np.float64)
    if clm.shape != slm.shape or clm.ndim < 2 or clm.shape[-1] != clm.shape[-2]:
        raise ValueError(f"destripe: clm and slm must both have shape (..., lmax+1, "
                         f"lmax+1), got {clm.shape} and {slm.shape}")
    flat, weight = _operator(clm.shape[-1] - 1, **params)
    return _apply(clm, flat, weight, np), _apply(slm, flat, weight, np)
