"""The CLI's one error path: bad inputs and environments give one line and exit 2.

Each case asserts the exit code, that stderr is one ``jaxgeo <command>: error:`` line
naming the problem, and that no output was written.
"""

import numpy as np
import pytest
import xarray as xr

from jaxgeo import Grid
from jaxgeo.cli import main


def _field(path, res=10.0):
    g = Grid.regular(res)
    xr.DataArray(np.ones(g.shape), dims=("lat", "lon"), coords={"lat": g.lat, "lon": g.lon},
                 name="a").to_netcdf(path)
    return path


def _one_error_line(capsys, command: str) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith(f"jaxgeo {command}: error: "), err
    return err[0]


@pytest.mark.parametrize("content, match", [
    (b"", "empty file"),
    (b"this is not a NetCDF file\n" * 10, "not a NetCDF file"),
])
def test_unreadable_inputs_are_named(tmp_path, capsys, content, match):
    bad = tmp_path / "bad.nc"
    bad.write_bytes(content)
    out = tmp_path / "o.nc"
    assert main(["sphere", "average", str(bad), "--radius-deg", "20", "--out", str(out)]) == 2
    line = _one_error_line(capsys, "sphere average")
    assert match in line and str(bad) in line
    assert not out.exists()


@pytest.mark.parametrize("fmt", ["NETCDF4", "NETCDF3_CLASSIC", "NETCDF3_64BIT"])
@pytest.mark.parametrize("keep", [0.5, 0.95])
def test_truncated_netcdf_is_named(tmp_path, capsys, fmt, keep):
    g = Grid.regular(2.0)
    good = tmp_path / "good.nc"
    xr.DataArray(np.ones(g.shape), dims=("lat", "lon"), coords={"lat": g.lat, "lon": g.lon},
                 name="a").to_netcdf(good, format=fmt)
    cut = tmp_path / "cut.nc"
    cut.write_bytes(good.read_bytes()[: int(good.stat().st_size * keep)])
    assert main(["sphere", "average", str(cut), "--radius-deg", "20",
                 "--out", str(tmp_path / "o.nc")]) == 2
    assert str(cut) in _one_error_line(capsys, "sphere average")
    assert not (tmp_path / "o.nc").exists()


def test_out_is_a_directory_or_under_a_file(tmp_path, capsys):
    src = _field(tmp_path / "in.nc")
    assert main(["sphere", "average", str(src), "--radius-deg", "20",
                 "--out", str(tmp_path)]) == 2
    assert "is a directory" in _one_error_line(capsys, "sphere average")
    assert main(["sphere", "average", str(src), "--radius-deg", "20",
                 "--out", str(src / "o.nc")]) == 2
    assert "is a file" in _one_error_line(capsys, "sphere average")


def test_memory_estimate_refuses_before_work(tmp_path, capsys):
    src = _field(tmp_path / "in.nc")
    assert main(["sphere", "average", str(src), "--radius-deg", "20", "--out",
                 str(tmp_path / "o.nc"), "--max-memory-gb", "0.001"]) == 2
    line = _one_error_line(capsys, "sphere average")
    assert "needs about" in line and "--max-memory-gb" in line
    assert main(["demo", "cap", "--out", str(tmp_path / "d"), "--resolution-deg", "0.05",
                 "--max-memory-gb", "1"]) == 2
    assert "needs about 10." in _one_error_line(capsys, "demo cap")  # 0.4 GB + 400 B/cell
    assert main(["demo", "--out", str(tmp_path / "d"), "--resolution-deg", "0.05",
                 "--max-memory-gb", "64"]) == 2
    assert "the downscaling demo at 0.05°" in _one_error_line(capsys, "demo downscale")
    assert not (tmp_path / "o.nc").exists() and not (tmp_path / "d").exists()


def test_os_errors_become_one_line(tmp_path, capsys, monkeypatch):
    import errno

    src = _field(tmp_path / "in.nc")

    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "o.nc"))

    monkeypatch.setattr("jaxgeo._io.write_netcdf", full_disk)
    assert main(["sphere", "average", str(src), "--radius-deg", "20",
                 "--out", str(tmp_path / "o.nc")]) == 2
    assert f"no space left on {tmp_path / 'o.nc'}" in _one_error_line(capsys, "sphere average")


@pytest.mark.parametrize(("error", "says"), [
    (lambda p: FileNotFoundError(2, "No such file or directory", p), "no such file or directory: "),
    (lambda p: PermissionError(13, "Permission denied", p), "permission denied: "),
])
def test_raw_os_errors_are_worded_with_the_path(tmp_path, capsys, monkeypatch, error, says):
    src = _field(tmp_path / "in.nc")
    target = str(tmp_path / "o.nc")

    def fail(*args, **kwargs):
        raise error(target)

    monkeypatch.setattr("jaxgeo._io.write_netcdf", fail)
    assert main(["sphere", "average", str(src), "--radius-deg", "20", "--out", target]) == 2
    line = _one_error_line(capsys, "sphere average")
    assert line.endswith(says + target) and "Errno" not in line


def test_debug_shows_the_traceback(tmp_path):
    with pytest.raises(FileNotFoundError):
        main(["--debug", "sphere", "average", str(tmp_path / "missing.nc"), "--radius-deg",
              "3", "--out", str(tmp_path / "o.nc")])
