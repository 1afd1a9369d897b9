"""A time series of Level-2 solutions: reading a folder of files, and its months."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from .._deprecation import reject_unknown, renamed
from ..time import grace_month as _grace_month
from ..time import grace_month_start
from ._checks import check_lmax
from ._shm import SHCoefficients, read_l2_file


@dataclasses.dataclass(frozen=True, eq=False)
class L2Series:
    """A time series of Level-2 solutions of one centre and degree, sorted by time.

    Attributes:
        clm, slm: coefficients, shape ``(ntime, lmax+1, lmax+1)``.
        start, end: data spans, ``datetime64[s]`` arrays of shape ``(ntime,)``.
        lmax, gm_m3_s2, radius_m, centre, tide_system: as in :class:`SHCoefficients`.
        paths: the files, one per month.
        sigma_clm, sigma_slm: calibrated standard deviations of the coefficients, shape as
            ``clm`` (NaN for a file without them), or None when no file has them.
    """

    clm: np.ndarray
    slm: np.ndarray
    start: np.ndarray
    end: np.ndarray
    lmax: int
    gm_m3_s2: float
    radius_m: float
    centre: str
    paths: tuple[str, ...]
    tide_system: str = "unknown"
    sigma_clm: np.ndarray | None = None
    sigma_slm: np.ndarray | None = None

    @property
    def mid(self) -> np.ndarray:
        """Midpoints of the data spans, ``datetime64[s]``."""
        return self.start + (self.end - self.start) / 2

    @property
    def grace_month(self) -> np.ndarray:
        """GRACE month number of each solution (1 = January 2002), int64, by the standard
        numbering (:func:`grace_months`: special months keep their own number)."""
        return grace_months(self.start, self.end, paths=self.paths)

    @property
    def months(self) -> list[str]:
        """``YYYY-MM`` of each solution's GRACE month (:attr:`grace_month`)."""
        return [str(m) for m in grace_month_start(self.grace_month).astype("datetime64[M]")]

    def replace(self, **changes) -> L2Series:
        return dataclasses.replace(self, **changes)


def _list_files(source) -> list[Path]:
    if isinstance(source, (str, Path)) and Path(source).is_dir():
        d = Path(source)
        files = sorted(p for p in d.iterdir()
                       if p.is_file() and (p.name.startswith(("GSM-2_", "GAC-2_", "GAD-2_"))
                                           or p.name.lower().endswith((".gfc", ".gfc.gz"))))
        if not files:
            raise FileNotFoundError(f"{d}: no Level-2 files (GSM-2_*, *.gfc) found")
        return files
    if isinstance(source, (str, Path)):
        if not Path(source).exists():
            raise FileNotFoundError(f"{source}: no such file or directory")
        return [Path(source)]
    try:
        files = [Path(p) for p in source]
    except TypeError:
        raise ValueError(f"read_l2_series: source must be a directory, a file or a list of "
                         f"files, got {type(source).__name__}") from None
    if not files:
        raise ValueError("read_l2_series: the list of Level-2 files is empty")
    for p in files:
        if not p.exists():
            raise FileNotFoundError(f"{p}: no such file")
    return files


def _month_overlap_days(start, end, n) -> float:
    lo = np.maximum(start, grace_month_start(n).astype("datetime64[s]"))
    hi = np.minimum(end, grace_month_start(n + 1).astype("datetime64[s]"))
    return float(max((hi - lo) / np.timedelta64(1, "D"), 0.0))


def grace_months(start, end, *, paths=None) -> np.ndarray:
    """Standard GRACE month numbers (1 = January 2002) of solutions with data spans
    ``start``..``end``.

    A solution is numbered by the calendar month of its span midpoint, except the
    "special months" whose span reaches into the neighbouring month while that month's
    own label is free: when two solutions fall in the same month, the later one moves to
    the next month (CSR/GFZ 2011-11 and, for all centres, 2015-05 are centred in the
    previous month) or, if that is taken, the earlier one to the previous month (JPL
    2011-12 is centred in 2012-01). This is the numbering of the GRACE project and of
    gravity-toolkit's ``adjust_months``.

    Args:
        start, end: data spans, ``datetime64``, shape ``(n,)``.
        paths: file of each solution, for messages.

    Returns:
        int64 array ``(n,)`` in the order given.

    Raises:
        ValueError: two solutions that cannot be told apart as months (names the files).
    """
    start = np.asarray(start, dtype="datetime64[s]")
    end = np.asarray(end, dtype="datetime64[s]")
    label = np.array(_grace_month(start + (end - start) / 2), dtype=np.int64, ndmin=1)
    order = np.argsort(start, kind="stable")
    name = (lambda i: str(paths[i])) if paths is not None else (lambda i: f"span {i}")
    for k in range(1, order.size):
        a, b = order[k - 1], order[k]
        if label[a] != label[b]:
            continue
        n = label[a]
        up = n + 1 not in label and _month_overlap_days(start[b], end[b], n + 1) > 0
        down = n - 1 not in label and _month_overlap_days(start[a], end[a], n - 1) > 0
        if up and down:  # both free: move the one reaching further into its new month
            up = (_month_overlap_days(start[b], end[b], n + 1)
                  >= _month_overlap_days(start[a], end[a], n - 1))
        if up:
            label[b] = n + 1
        elif down:
            label[a] = n - 1
        else:
            month = str(grace_month_start(n).astype("datetime64[M]"))
            raise ValueError(f"two solutions for month {month}: {name(a)} and {name(b)} "
                             "(neither reaches into a free neighbouring month)")
    if np.unique(label).size != label.size:
        dup = np.flatnonzero(np.bincount(label - label.min()) > 1)[0] + label.min()
        files = [name(i) for i in np.flatnonzero(label == dup)]
        raise ValueError(f"{len(files)} solutions for month "
                         f"{grace_month_start(dup).astype('datetime64[M]')}: "
                         + ", ".join(files))
    return label


def _gaps(months) -> list[str]:
    months = np.unique(np.asarray(months, dtype=np.int64))
    if months.size == 0:
        return []
    gaps = np.setdiff1d(np.arange(months[0], months[-1] + 1), months)
    return [str(m) for m in grace_month_start(gaps).astype("datetime64[M]")]


def missing_months(mid: np.ndarray, end: np.ndarray | None = None) -> list[str]:
    """Months (``YYYY-MM``) between the first and last solution with no solution.

    Args:
        mid: span midpoints (labelled by calendar month), or span starts if ``end`` is
            given (labelled by :func:`grace_months`, which knows the special months).
        end: span ends, or None.
    """
    mid = np.asarray(mid)
    if mid.size == 0:
        return []
    return _gaps(_grace_month(mid) if end is None else grace_months(mid, end))


def _stacked_sigmas(sols) -> dict:
    """The files' sigmas stacked; a file without them contributes NaN (None if no file
    has them)."""
    if all(s.sigma_clm is None for s in sols):
        return {}
    nan = np.full_like(sols[0].clm, np.nan)
    return {"sigma_clm": np.stack([nan if s.sigma_clm is None else s.sigma_clm
                                   for s in sols]),
            "sigma_slm": np.stack([nan if s.sigma_slm is None else s.sigma_slm
                                   for s in sols])}


def read_l2_series(source: str | Path | Iterable, *, lmax: int | None = None,
                   quiet: bool = False, **kwargs) -> L2Series:
    """Read a directory (or list) of Level-2 files into one time-sorted :class:`L2Series`.

    Args:
        source: a directory (files ``GSM-2_*`` or ``*.gfc``), one file, or a list of files.
        lmax: common truncation degree; default the files' degree, which must then agree.
        quiet: no tqdm progress bar (``progress=`` is its retired inverse).

    Returns:
        :class:`L2Series`.

    Raises:
        ValueError: mixed centres, mixed degrees (without ``lmax``), inconsistent GM/radius,
            duplicate spans, or any unreadable file (named).

    Warns:
        UserWarning: listing the calendar months without a solution (GRACE has real gaps,
            e.g. 2017-07..2018-05 between the missions).
    """
    from tqdm.auto import tqdm

    if "progress" in kwargs:
        quiet = not renamed(kwargs, "progress", "quiet (inverted)",
                            where="jaxgeo.grace.read_l2_series")
    reject_unknown(kwargs, where="jaxgeo.grace.read_l2_series")
    lmax = check_lmax(lmax, where="read_l2_series")
    files = _list_files(source)
    sols: list[SHCoefficients] = []
    for p in tqdm(files, desc="reading Level-2", unit="file", disable=quiet):
        sols.append(read_l2_file(p, lmax=lmax))
    ref = sols[0]
    for s in sols[1:]:
        if s.centre != ref.centre:
            raise ValueError(f"mixed processing centres: {ref.path} is {ref.centre}, "
                             f"{s.path} is {s.centre}")
        if s.lmax != ref.lmax:
            raise ValueError(f"mixed degrees: {ref.path} has lmax {ref.lmax}, {s.path} "
                             f"({s.month}) has lmax {s.lmax}; pass lmax= to truncate")
        if (abs(s.gm_m3_s2 / ref.gm_m3_s2 - 1) > 1e-12
                or abs(s.radius_m / ref.radius_m - 1) > 1e-12):
            raise ValueError(f"{s.path}: GM/radius differ from {ref.path}")
    sols.sort(key=lambda s: s.start)
    for a, b in zip(sols, sols[1:], strict=False):
        if a.start == b.start and a.end == b.end:
            raise ValueError(f"duplicate month {a.month}: {a.path} and {b.path}")
    series = L2Series(
        clm=np.stack([s.clm for s in sols]), slm=np.stack([s.slm for s in sols]),
        start=np.array([s.start for s in sols], dtype="datetime64[s]"),
        end=np.array([s.end for s in sols], dtype="datetime64[s]"),
        lmax=ref.lmax, gm_m3_s2=ref.gm_m3_s2, radius_m=ref.radius_m, centre=ref.centre,
        paths=tuple(s.path for s in sols), tide_system=ref.tide_system,
        **_stacked_sigmas(sols),
    )
    gaps = _gaps(series.grace_month)  # also refuses two solutions for one month
    if gaps:
        warnings.warn(f"{len(gaps)} calendar months have no {ref.centre} solution between "
                      f"{series.months[0]} and {series.months[-1]}: {', '.join(gaps)}",
                      UserWarning, stacklevel=2)
    return series

