"""Public ``time`` (``numpy.datetime64``) to the kernels' day of year, in one place.

Numbers in ``time`` were the retired calling convention (a day of year for HZWD and UNB3m,
an MJD for GPT3): they keep working for one release with a DeprecationWarning.
"""

from __future__ import annotations

import warnings

import numpy as np

from .. import time as _time
from .._deprecation import reject_unknown, renamed


def kernel_doy(time, *, where: str, numeric: str = "doy"):
    """Day of year (float64 NumPy, or the traced number) of a public ``time`` argument.

    Args:
        time: ``numpy.datetime64`` values or ISO strings, any shape. Numbers (also traced
            ones) are the retired convention: ``numeric`` says what they are (``"doy"`` or
            ``"mjd"``) and a DeprecationWarning is issued.
        where: the public function, for messages.
    """
    if time is None:
        raise TypeError(f"{where}: missing the time (numpy.datetime64 values)")
    dtype = getattr(time, "dtype", None)
    if dtype is None:
        dtype = np.asarray(time).dtype  # Python scalars, strings, lists
    if np.dtype(dtype).kind in "MUSO":
        return _time.day_of_year(time)
    warnings.warn(f"{where}: a numeric time ({'day of year' if numeric == 'doy' else 'MJD'}) "
                  "is deprecated and will be removed in the next release; pass "
                  "numpy.datetime64 times (numbers go to the .at_doy kernels)",
                  DeprecationWarning, stacklevel=3)
    if numeric == "mjd":
        return _time.doy_from_mjd(time)
    return time


def point_inputs(kwargs: dict, height, time, *, where: str, height_name: str = "height_msl_m",
                 retired_height: str = "height_m", retired_time: str = "doy",
                 numeric: str = "doy"):
    """The height and the kernels' day of year of a public model call at points.

    Takes the retired keywords (``height_m``/``h_ell_m``, ``doy``/``mjd``) out of
    ``kwargs`` with a DeprecationWarning and refuses any other leftover keyword.

    Returns:
        ``(height, doy)``.
    """
    height = renamed(kwargs, retired_height, height_name, where=where, current=height)
    time = renamed(kwargs, retired_time, "time", where=where, current=time)
    reject_unknown(kwargs, where=where)
    if height is None:
        raise TypeError(f"{where}: missing {height_name}")
    return height, kernel_doy(time, where=where, numeric=numeric)
