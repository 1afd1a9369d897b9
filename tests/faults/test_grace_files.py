"""GRACE inputs that are missing, directories, empty, not NetCDF or truncated: one line
naming the file (issue 11: the scale-factor and land-mask files gave xarray's backend
message without the file; a missing GSM file said "truncated or corrupt")."""

import numpy as np
import pytest
import xarray as xr
from support.grace_files import write_mascon

from jaxgeo import cli
from jaxgeo.grace import open_mascon, read_gfc, read_l2_series, read_shm, read_tn13, read_tn14


@pytest.fixture
def files(tmp_path):
    write_mascon(tmp_path / "m.nc", 3.0, ["2004-01", "2004-02", "2004-03"])
    (tmp_path / "garbage.nc").write_bytes(b"hello world" * 10)
    (tmp_path / "empty.nc").write_bytes(b"")
    (tmp_path / "adir").mkdir()
    data = (tmp_path / "m.nc").read_bytes()
    (tmp_path / "half4.nc").write_bytes(data[: len(data) // 2])
    with xr.open_dataset(tmp_path / "m.nc") as ds:
        ds.load().to_netcdf(tmp_path / "m3.nc", format="NETCDF3_CLASSIC")
    data = (tmp_path / "m3.nc").read_bytes()
    (tmp_path / "half3.nc").write_bytes(data[: len(data) // 2])
    return tmp_path


@pytest.mark.parametrize("arg,name,exc,msg", [
    ("scale_factor", "garbage.nc", ValueError, "not a NetCDF file (the scale factor"),
    ("scale_factor", "empty.nc", ValueError, "empty file, not a scale factor NetCDF"),
    ("scale_factor", "adir", ValueError, "is a directory, not a scale factor file"),
    ("scale_factor", "nope.nc", FileNotFoundError, "no such scale factor file"),
    ("land_mask", "garbage.nc", ValueError, "not a NetCDF file (the land mask"),
    ("land_mask", "half4.nc", ValueError, "truncated or unreadable land mask NetCDF"),
    (None, "empty.nc", ValueError, "empty file, not a mascon NetCDF file"),
    (None, "adir", ValueError, "is a directory, not a mascon file"),
    (None, "half4.nc", ValueError, "truncated or unreadable mascon NetCDF file"),
    (None, "half3.nc", ValueError, "truncated NetCDF file: "),
    (None, "nope.nc", FileNotFoundError, "no such mascon file"),
])
def test_mascon_inputs(files, arg, name, exc, msg):
    kwargs = {} if arg is None else {arg: files / name}
    src = files / (name if arg is None else "m.nc")
    with pytest.raises(exc) as info:
        open_mascon(src, **kwargs)
    text = str(info.value)
    assert text.startswith(str(files / name) + ":") and msg in text and "\n" not in text


@pytest.mark.parametrize("reader,what", [
    (read_shm, "Level-2"), (read_gfc, "Level-2"), (read_tn13, "TN-13"), (read_tn14, "TN-14")])
def test_text_readers_missing_and_directory(tmp_path, reader, what):
    (tmp_path / "adir").mkdir()
    with pytest.raises(FileNotFoundError, match=rf"nope.txt: no such {what} file"):
        reader(tmp_path / "nope.txt")
    with pytest.raises(ValueError, match=rf"adir: is a directory, not a {what} file"):
        reader(tmp_path / "adir")


def test_series_source_of_the_wrong_kind(tmp_path):
    with pytest.raises(ValueError, match=r"read_l2_series: source must be a directory, a "
                                         r"file or a list of files, got int"):
        read_l2_series(5)
    (tmp_path / "adir").mkdir()
    with pytest.raises(ValueError, match=r"adir: is a directory, not a Level-2 file"):
        read_l2_series([tmp_path / "adir"], quiet=True)


def test_cli_mascon_bad_scale_factor_one_line(files, capsys):
    out = files / "o.nc"
    code = cli.main(["grace", "mascon", str(files / "m.nc"), "--scale-factor",
                     str(files / "garbage.nc"), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and not out.exists()
    assert err == (f"jaxgeo grace mascon: error: {files / 'garbage.nc'}: not a NetCDF file "
                   "(the scale factor must be NetCDF-3 or -4)")
    assert np.isfinite(open_mascon(files / "m.nc").values).all()  # the good file still reads
