"""Validation of jaxgeo against real data and published values.

Each validation needs a data folder: ``--data-dir`` (``data_dir=``) or the environment
variable ``JAXGEO_DATA_DIR``; nothing points into a development checkout.
:func:`data_folder` is the one rule that resolves it.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["DATA_DIR_ENV", "data_folder"]

DATA_DIR_ENV = "JAXGEO_DATA_DIR"


def data_folder(data_dir=None, *, sub: str | None = None) -> Path:
    """The validation data folder: ``data_dir``, else ``$JAXGEO_DATA_DIR``.

    Args:
        data_dir: the folder (None or empty: the environment variable).
        sub: a subfolder returned instead when it exists (``"troposphere"``).

    Raises:
        ValueError: neither is given. FileNotFoundError: the folder does not exist.
    """
    raw = data_dir if data_dir not in (None, "") else os.environ.get(DATA_DIR_ENV)
    if not raw:
        raise ValueError(f"no data folder: pass --data-dir DIR or set {DATA_DIR_ENV}")
    path = Path(raw)
    if not path.is_dir():
        raise FileNotFoundError(f"data folder not found: {path}")
    return path / sub if sub and (path / sub).is_dir() else path
