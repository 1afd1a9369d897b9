"""Shared argument builders of the ``jaxgeo`` command line (argparse only, no heavy imports).

Flags are the glossary's names (docs/glossary.md) with ``-`` for ``_``; retired spellings
stay one release as hidden flags that warn on stderr.
"""

from __future__ import annotations

import argparse
import sys

from ..validation import DATA_DIR_ENV


class Parser(argparse.ArgumentParser):
    """``ArgumentParser`` whose usage errors are one line (``jaxgeo <cmd>: error: ...``,
    exit 2) like every other anticipated failure, with a pointer to ``--help``."""

    def error(self, message: str):
        message = " ".join(message.split())
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def number(kind: type = float, *, low: float | None = None, high: float | None = None,
           low_open: bool = False, high_open: bool = False):
    """An argparse ``type``: a finite ``kind`` (float or int) within [low, high] (an open
    end with ``low_open``/``high_open``), so bad values stop at parsing, before any work."""

    def convert(text: str):
        import math

        try:
            value = kind(text)
        except ValueError:
            what = "a whole number" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}") from None
        bad = not math.isfinite(value)
        bad |= low is not None and (value <= low if low_open else value < low)
        bad |= high is not None and (value >= high if high_open else value > high)
        if bad:
            lo = "-inf" if low is None else f"{low:g}"
            hi = "inf" if high is None else f"{high:g}"
            span = f"{'(' if low_open or low is None else '['}{lo}, {hi}" \
                   f"{')' if high_open or high is None else ']'}"
            raise argparse.ArgumentTypeError(f"must be in {span}, got {text}")
        return value

    convert.__name__ = kind.__name__  # argparse names the type in its messages
    return convert


POSITIVE = number(float, low=0, low_open=True)
NONNEGATIVE = number(float, low=0)
COUNT = number(int, low=1)          # 1, 2, ...
WHOLE = number(int, low=0)          # 0, 1, ...
FINITE = number(float)
RADIUS_DEG = number(float, low=0, low_open=True, high=180)
LAT_DEG = number(float, low=-90, high=90)
LON_START_DEG = number(float, low=-180, high=360, high_open=True)


class _Retired(argparse.Action):
    """A hidden flag kept for one release: stores into the new ``dest`` and warns."""

    def __init__(self, option_strings, dest, *, new: str, store_const=None, **kwargs):
        self.new = new
        self.store_const = store_const
        if store_const is not None:
            kwargs["nargs"] = 0
        super().__init__(option_strings, dest, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"{parser.prog}: warning: {option_string} is deprecated and will be removed in "
              f"the next release; use {self.new}", file=sys.stderr)
        setattr(namespace, self.dest, self.store_const if self.store_const is not None
                else values)


def add_retired(p, flag: str, *, new: str, dest: str, store_const=None, **kwargs) -> None:
    """A hidden retired ``flag`` writing to ``dest`` (the flag ``new`` replaces it)."""
    p.add_argument(flag, dest=dest, action=_Retired, new=new, store_const=store_const,
                   help=argparse.SUPPRESS, default=argparse.SUPPRESS, **kwargs)


def add_out(p, *, required: bool = True, default=None, help: str = "output path",
            metavar: str | None = None) -> None:
    """``--out``: written to a temporary sibling and moved into place when complete."""
    p.add_argument("--out", required=required, default=default, metavar=metavar,
                   help=f"{help} (written completely, then moved into place)")


def add_quiet(p, *, retired_no_progress: bool = False) -> None:
    """``--quiet``: no progress bar or summary."""
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    if retired_no_progress:
        add_retired(p, "--no-progress", new="--quiet", dest="quiet", store_const=True)


def add_resolution(p, default: float, *, help: str = "grid cell size, degrees") -> None:
    """``--resolution-deg`` (retired: ``--res``, ``--resolution``)."""
    p.add_argument("--resolution-deg", type=POSITIVE, default=default, metavar="DEG",
                   help=f"{help} (default {default:g})")
    add_retired(p, "--res", new="--resolution-deg", dest="resolution_deg", type=POSITIVE)
    add_retired(p, "--resolution", new="--resolution-deg", dest="resolution_deg",
                type=POSITIVE)


def add_lon_start(p) -> None:
    """``--lon-start``: western edge of the grid's first longitude cell."""
    p.add_argument("--lon-start", type=LON_START_DEG, default=-180.0, metavar="DEG",
                   help="western edge of the first grid column, degrees east (default -180)")


def add_kernel(p, *, required: bool = True) -> None:
    """``--radius-deg`` (cap) or ``--half-width-km`` (Gaussian), one of them."""
    group = p.add_mutually_exclusive_group(required=required)
    group.add_argument("--radius-deg", type=RADIUS_DEG, metavar="DEG",
                       help="spherical-cap angular radius, degrees")
    group.add_argument("--half-width-km", type=POSITIVE, metavar="KM",
                       help="Gaussian half-width, km")
    add_retired(group, "--gaussian-km", new="--half-width-km", dest="half_width_km",
                type=POSITIVE)


def add_var(p, flag: str = "--var", *, of: str = "the input") -> None:
    """A variable-name flag (default: the only/first data variable)."""
    p.add_argument(flag, metavar="NAME",
                   help=f"variable in {of} (default: its only/first data variable)")


def add_mask(p, *, help: str = "NetCDF file with a (lat, lon) mask: booleans, 0/1 or "
                               "weights in [0, 1]; NaN is an error") -> None:
    """``--mask FILE``."""
    p.add_argument("--mask", metavar="FILE", help=help)


def add_batch_months(p, default: int) -> None:
    """``--batch-months`` (retired: ``--batch``)."""
    p.add_argument("--batch-months", type=COUNT, default=default, metavar="N",
                   help=f"months per batch (default {default})")
    add_retired(p, "--batch", new="--batch-months", dest="batch_months", type=COUNT)


def add_seed(p) -> None:
    """``--seed``: the seed of every random choice of the run."""
    p.add_argument("--seed", type=WHOLE, default=0, help="random seed (default 0)")


def add_data_dir(p, *, what: str) -> None:
    """``--data-dir`` (default: the environment variable ``JAXGEO_DATA_DIR``)."""
    p.add_argument("--data-dir", metavar="DIR", default=None,
                   help=f"folder with {what} (default: ${DATA_DIR_ENV})")


def data_dir(args, *, sub: str | None = None):
    """The validation data folder from ``--data-dir`` or ``$JAXGEO_DATA_DIR``.

    ``sub``: a subfolder used when it exists (``troposphere``, ``grace-l2``).

    Raises:
        ValueError: neither is given, or the folder does not exist.
    """
    from ..validation import data_folder

    return data_folder(args.data_dir, sub=sub)


def input_file(path) -> object:
    """``path`` as a Path to an input file or Zarr store (one-line errors naming it)."""
    from pathlib import Path

    from .._io import check_input_file
    from .._xarray import is_zarr_store

    return Path(path) if is_zarr_store(path) else check_input_file(path)


def output_file(path, *, estimate_bytes: float = 0.0) -> object:
    """``--out`` as a file Path, checked before any work: not a directory, in a writable
    folder, with ``estimate_bytes`` of free space."""
    from .._resources import check_output_path

    return check_output_path(path, estimate_bytes=estimate_bytes, kind="file")


def output_dir(path, *, estimate_bytes: float = 0.0) -> object:
    """``--out`` as a folder Path, checked like :func:`output_file`."""
    from .._resources import check_output_path

    return check_output_path(path, estimate_bytes=estimate_bytes, kind="dir")


def add_max_memory(p) -> None:
    """``--max-memory-gb``: overrides the memory check made before expensive work."""
    p.add_argument("--max-memory-gb", type=POSITIVE, default=None, metavar="GB",
                   help="refuse runs estimated to need more memory than this (default: the "
                        "memory available now)")


def open_input(path, *, load: bool = True, **kwargs):
    """The NetCDF/Zarr input at ``path`` as a Dataset (one-line errors naming the file)."""
    from .._xarray import open_dataset

    return open_dataset(path, load=load, **kwargs)
