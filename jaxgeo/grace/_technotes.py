"""GRACE Technical Notes: degree-1 (TN-13) and C20/C30 (TN-14) replacement coefficients."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import numpy as np

from ..time import datetime64_from_mjd, grace_month
from ._series import L2Series
from ._shm import _open_text, _yyyymmdd

C30_FROM = "2016-09"
"""First month whose C30 :func:`replace_c20_c30` takes from TN-14 by default: GRACE flew
with one accelerometer after August 2016 (GRACE month 176), and GRACE-FO follows."""

_MAX_DEGREE1 = 1e-7
"""Largest plausible |C10|, |C11|, |S11| (geocentre motion gives a few 1e-10)."""
# Plausible TN-14 ranges: C20 ≈ -4.8417e-4 and C30 ≈ 9.57e-7 vary by ~1e-10.
_TN14_RANGE = {"C20": (-4.9e-4, -4.8e-4), "C30": (9.0e-7, 1.0e-6)}


@dataclasses.dataclass(frozen=True, eq=False)
class TechNote:
    """Replacement coefficients per data span.

    Attributes:
        start, end: spans, ``datetime64[s]``, shape ``(n,)``.
        values: dict name → array ``(n,)`` (``"C10", "C11", "S11"`` or ``"C20", "C30"``;
            NaN where the note gives no value), and their calibrated standard deviations
            ``"sigma_C10"``, ... when the note gives them.
        path: the file read.
        lines: line number of each span's (first) row in the file, for messages.
    """

    start: np.ndarray
    end: np.ndarray
    values: dict
    path: str
    lines: np.ndarray | None = None


def read_tn13(path) -> TechNote:
    """Read GRACE TN-13 degree-1 coefficients (``GRCOF2 1 m C S sC sS t0 t1`` rows).

    Reference: Sun, Riva & Ditmar (2016), J. Geophys. Res. 121; Swenson, Chambers & Wahr
    (2008), J. Geophys. Res. 113, B08410 (GRACE Technical Note 13).
    """
    path = Path(path)
    spans: dict = {}
    sigmas: dict = {}  # (t0, t1) -> {"sigma_C10": ...} when the rows carry sC, sS
    text = _open_text(path, "TN-13")
    for i, ln in enumerate(text):
        parts = ln.split()
        if not parts or parts[0] != "GRCOF2":
            continue
        try:
            ell, m = int(parts[1]), int(parts[2])
            c, s = float(parts[3]), float(parts[4])
            t0, t1 = _yyyymmdd(float(parts[7])), _yyyymmdd(float(parts[8]))
        except (ValueError, IndexError) as exc:
            raise ValueError(f"{path}: line {i + 1}: cannot parse {ln!r}") from exc
        if ell != 1 or m not in (0, 1):
            raise ValueError(f"{path}: line {i + 1}: expected degree 1, got l={ell} m={m}")
        if not (np.isfinite(c) and np.isfinite(s)):
            raise ValueError(f"{path}: line {i + 1}: non-finite degree-1 coefficient "
                             f"(l=1, m={m}, C={c!r}, S={s!r})")
        if max(abs(c), abs(s)) > _MAX_DEGREE1:
            raise ValueError(f"{path}: line {i + 1}: implausible degree-1 coefficient "
                             f"(l=1, m={m}, C={c:.6g}, S={s:.6g}; geocentre terms are below "
                             f"{_MAX_DEGREE1:g})")
        rec = spans.setdefault((t0, t1), {})
        names = ("C10",) if m == 0 else ("C11", "S11")
        if names[0] in rec:
            raise ValueError(f"{path}: span {t0.astype('datetime64[D]')}.."
                             f"{t1.astype('datetime64[D]')}: l=1, m={m} is given twice "
                             f"(lines {rec['_line' + str(m)]} and {i + 1})")
        rec["_line" + str(m)] = i + 1
        if m == 0:
            rec["C10"] = c
        else:
            rec["C11"], rec["S11"] = c, s
        try:
            sc, ss = float(parts[5]), float(parts[6])
        except (ValueError, IndexError):
            sc = ss = float("nan")
        sig = sigmas.setdefault((t0, t1), {})
        if m == 0:
            sig["sigma_C10"] = sc
        else:
            sig["sigma_C11"], sig["sigma_S11"] = sc, ss
    if not spans:
        raise ValueError(f"{path}: no GRCOF2 degree-1 rows; not a TN-13 file")
    keys = sorted(spans)
    for k in keys:
        if len(spans[k]) != 5:
            raise ValueError(f"{path}: span {k[0]}..{k[1]} lacks C10 or C11/S11")
    return TechNote(
        start=np.array([k[0] for k in keys], dtype="datetime64[s]"),
        end=np.array([k[1] for k in keys], dtype="datetime64[s]"),
        values={n: np.array([spans[k][n] for k in keys]) for n in ("C10", "C11", "S11")}
        | _finite_sigmas({n: np.array([sigmas[k][n] for k in keys])
                          for n in ("sigma_C10", "sigma_C11", "sigma_S11")}),
        path=str(path), lines=np.array([spans[k]["_line0"] for k in keys]),
    )


def _finite_sigmas(sig: dict) -> dict:
    """The sigmas when every one is finite and >= 0, else none (a note without them)."""
    return sig if all(np.all(np.isfinite(v) & (v >= 0)) for v in sig.values()) else {}


def read_tn14(path) -> TechNote:
    """Read GRACE TN-14 SLR C20 and C30 (rows after ``Product:``; columns MJD start,
    year, C20, ΔC20, σ, C30, ΔC30, σ, MJD end, year; C30 is NaN where absent).

    Reference: Loomis et al. (2020), Geophys. Res. Lett. 47, e2019GL085488 (TN-14).
    """
    path = Path(path)
    lines = _open_text(path, "TN-14")
    first = next((i + 1 for i, ln in enumerate(lines) if ln.strip().startswith("Product:")),
                 None)
    if first is None:
        raise ValueError(f"{path}: no 'Product:' line; not a TN-14 file")
    rows, line_no = [], []
    for i in range(first, len(lines)):
        parts = lines[i].split()
        if not parts:
            continue
        try:
            vals = [float(x) for x in parts[:10]]
        except ValueError as exc:
            raise ValueError(f"{path}: line {i + 1}: cannot parse {lines[i]!r}") from exc
        if len(vals) != 10:
            raise ValueError(f"{path}: line {i + 1}: expected 10 columns, got {len(vals)}")
        for name, col in (("C20", 2), ("C30", 5)):
            lo, hi = _TN14_RANGE[name]
            if name == "C30" and np.isnan(vals[col]):
                continue  # TN-14 writes NaN where it gives no C30 (before 2012)
            if not lo <= vals[col] <= hi:
                raise ValueError(f"{path}: line {i + 1}: implausible {name} {vals[col]!r} "
                                 f"(expected between {lo:g} and {hi:g})")
        if not all(np.isfinite(vals[j]) for j in (0, 8)) or vals[8] <= vals[0]:
            raise ValueError(f"{path}: line {i + 1}: invalid MJD span {vals[0]!r}..{vals[8]!r}")
        rows.append(vals)
        line_no.append(i + 1)
    if not rows:
        raise ValueError(f"{path}: no data rows after 'Product:'")
    a = np.array(rows)
    return TechNote(
        start=datetime64_from_mjd(a[:, 0]).astype("datetime64[s]"),
        end=datetime64_from_mjd(a[:, 8]).astype("datetime64[s]"),
        # sigma columns are in units of 1e-10 (the note's header)
        values={"C20": a[:, 2], "C30": a[:, 5], "sigma_C20": a[:, 4] * 1e-10,
                "sigma_C30": a[:, 7] * 1e-10},
        path=str(path), lines=np.array(line_no),
    )


def match_spans(note: TechNote, start: np.ndarray, end: np.ndarray, paths, *,
                min_overlap: float = 0.5) -> np.ndarray:
    """Index into ``note`` of the span that overlaps each month most.

    Args:
        note: a :class:`TechNote`.
        start, end: month spans, ``datetime64``, shape ``(n,)``.
        paths: file of each month (for messages).
        min_overlap: the best overlap must cover at least this fraction of the month.

    Returns:
        int array ``(n,)``.

    Raises:
        ValueError: a month the note does not cover (names the file and the month).
    """
    s0 = start.astype("datetime64[s]").astype(np.int64)[:, None]
    e0 = end.astype("datetime64[s]").astype(np.int64)[:, None]
    s1 = note.start.astype(np.int64)[None, :]
    e1 = note.end.astype(np.int64)[None, :]
    overlap = np.clip(np.minimum(e0, e1) - np.maximum(s0, s1), 0, None)
    best = overlap.argmax(axis=1)
    frac = overlap[np.arange(len(best)), best] / np.maximum(e0[:, 0] - s0[:, 0], 1)
    bad = np.flatnonzero(frac < min_overlap)
    if bad.size:
        i = int(bad[0])
        month = str((start[i] + (end[i] - start[i]) / 2).astype("datetime64[M]"))
        raise ValueError(
            f"{note.path} does not cover month {month} ({paths[i]}, span "
            f"{start[i].astype('datetime64[D]')}..{end[i].astype('datetime64[D]')}); "
            f"{bad.size} month(s) uncovered; the note spans "
            f"{note.start[0].astype('datetime64[D]')}..{note.end[-1].astype('datetime64[D]')}"
        )
    return best


def replace_degree1(series: L2Series, tn13: TechNote) -> L2Series:
    """Series with C10, C11, S11 set from TN-13 for each month."""
    idx = match_spans(tn13, series.start, series.end, series.paths)
    clm, slm = series.clm.copy(), series.slm.copy()
    clm[:, 1, 0] = tn13.values["C10"][idx]
    clm[:, 1, 1] = tn13.values["C11"][idx]
    slm[:, 1, 1] = tn13.values["S11"][idx]
    changes = {}
    if series.sigma_clm is not None and "sigma_C10" in tn13.values:
        sc, ss = series.sigma_clm.copy(), series.sigma_slm.copy()
        sc[:, 1, 0] = tn13.values["sigma_C10"][idx]
        sc[:, 1, 1] = tn13.values["sigma_C11"][idx]
        ss[:, 1, 1] = tn13.values["sigma_S11"][idx]
        changes = {"sigma_clm": sc, "sigma_slm": ss}
    return series.replace(clm=clm, slm=slm, **changes)


def c30_first_month(c30_from) -> int | None:
    """GRACE month number of ``c30_from`` (``"YYYY-MM"`` or None); ValueError otherwise."""
    if c30_from is None:
        return None
    text = str(c30_from)
    try:
        if not re.fullmatch(r"\d{4}-\d{2}", text):
            raise ValueError
        return int(grace_month(np.datetime64(text, "M"))[()])
    except ValueError:
        raise ValueError(f"c30_from must be a month YYYY-MM, got {c30_from!r}") from None


def replace_c20_c30(series: L2Series, tn14: TechNote, *, c30: bool = True,
                    c30_from: str | None = C30_FROM) -> L2Series:
    """Series with C20 set from TN-14, and C30 from TN-14 in the months from ``c30_from``.

    C20 is replaced in every month. C30 is poorly determined by GRACE once one of its
    accelerometers was switched off (after August 2016) and for GRACE-FO, where the
    TN-14 guidance recommends the SLR value; earlier months keep their own C30 by
    default (gravity-toolkit's ``grace_input_months``, months > 176, does the same).

    Args:
        series: the solutions.
        tn14: the note (:func:`read_tn14`).
        c30: replace C30 at all.
        c30_from: first month (``"YYYY-MM"``, by the solutions' GRACE month,
            :func:`grace_months`) whose C30 is replaced, default ``"2016-09"``; None
            replaces it in every month where TN-14 gives one (from 2012 on).

    Raises:
        ValueError: a month the note does not cover, or a month from ``c30_from`` on
            for which the note gives no C30 (names the note's line and the month).
    """
    idx = match_spans(tn14, series.start, series.end, series.paths)
    clm = series.clm.copy()
    clm[:, 2, 0] = tn14.values["C20"][idx]
    sc = None if series.sigma_clm is None or "sigma_C20" not in tn14.values \
        else series.sigma_clm.copy()
    if sc is not None:
        sc[:, 2, 0] = tn14.values["sigma_C20"][idx]
    if c30 and series.lmax >= 3:
        c30_v = tn14.values["C30"][idx]
        ok = np.isfinite(c30_v)
        if c30_from is not None:
            first = c30_first_month(c30_from)
            window = series.grace_month >= first
            lacking = np.flatnonzero(window & ~ok)
            if lacking.size:
                i = int(lacking[0])
                line = "" if tn14.lines is None else f" line {tn14.lines[idx[i]]}:"
                raise ValueError(f"{tn14.path}:{line} no C30 for month {series.months[i]} "
                                 f"({series.paths[i]}), which c30_from={c30_from!r} "
                                 "replaces")
            ok = window
        clm[ok, 3, 0] = c30_v[ok]
        if sc is not None:
            sc[ok, 3, 0] = tn14.values["sigma_C30"][idx][ok]
    return series.replace(clm=clm) if sc is None else series.replace(clm=clm, sigma_clm=sc)
