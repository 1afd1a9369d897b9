"""Every public NetCDF reader goes through the one reader entry (jaxgeo._xarray.open_dataset):
missing, directory, empty, non-NetCDF and truncated inputs are one line that starts with the
file's path, of the same type whichever reader is asked."""

import numpy as np
import pytest
import xarray as xr

from jaxgeo._xarray import open_dataset
from jaxgeo.grace import open_mascon
from jaxgeo.troposphere import HZWD, read_era5_profiles

READERS = {
    "open_dataset": open_dataset,
    "open_mascon": open_mascon,
    "read_era5_profiles": read_era5_profiles,
    "HZWD.from_netcdf": HZWD.from_netcdf,
}


@pytest.fixture(scope="module")
def bad(tmp_path_factory):
    d = tmp_path_factory.mktemp("bad")
    (d / "adir").mkdir()
    (d / "empty.nc").write_bytes(b"")
    (d / "text.nc").write_text("lat,lon,value\n0,0,1\n" * 20)
    a = xr.Dataset({"v": (("time", "lat", "lon"), np.ones((4, 30, 60)))})
    for fmt, name in (("NETCDF3_CLASSIC", "cut3.nc"), ("NETCDF3_64BIT", "cut3b.nc"),
                      ("NETCDF4", "cut4.nc")):
        full = d / f"full-{name}"
        a.to_netcdf(full, format=fmt)
        data = full.read_bytes()
        (d / name).write_bytes(data[: len(data) // 2])
    return d


CASES = [
    ("nope.nc", FileNotFoundError, ": no such "),
    ("adir", ValueError, ": is a directory, not a"),
    ("empty.nc", ValueError, ": empty file, not a"),
    ("text.nc", ValueError, ": not a NetCDF file (the "),
    ("cut3.nc", ValueError, ": truncated NetCDF file: "),
    ("cut3b.nc", ValueError, ": truncated NetCDF file: "),
    ("cut4.nc", ValueError, ": truncated or unreadable "),
]


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize(("name", "exc", "says"), CASES)
def test_bad_file_is_one_line_naming_it(bad, reader, name, exc, says):
    with pytest.raises(exc) as info:
        READERS[reader](bad / name)
    text = str(info.value)
    assert text.startswith(f"{bad / name}{says}"), text
    assert "\n" not in text and len(text) < 400


def test_a_pipe_is_refused_not_read_forever(tmp_path):
    """A named pipe (or device) would block the readers (the GRACE text readers hung)."""
    import os

    from jaxgeo import grace as gr
    from jaxgeo import troposphere as tr

    fifo = tmp_path / "pipe.nc"
    os.mkfifo(fifo)
    for read in (*READERS.values(), gr.read_shm, gr.read_gfc, gr.read_tn13, gr.read_tn14,
                 tr.GPT3.from_file, tr.read_wyoming_sounding):
        with pytest.raises(ValueError, match=rf"{fifo}: not a regular file"):
            read(fifo)
