"""Meaningless numbers on the command line stop at parsing (before any input is read) as one
line ``jaxgeo <cmd>: error: argument --flag: ...``, exit 2; library warnings print as one
line ``jaxgeo <cmd>: warning: ...``."""

import warnings

import pytest

from jaxgeo import Grid, cli

# (command and required arguments, flag, bad values); the inputs need not exist: parsing
# must refuse the value first
CASES = [
    (["sphere", "average", "in.nc", "--out", "o.nc"], "--radius-deg",
     ["0", "-3", "181", "nan", "inf", "x"]),
    (["sphere", "average", "in.nc", "--out", "o.nc"], "--half-width-km", ["0", "-100", "inf"]),
    (["sphere", "average", "in.nc", "--radius-deg", "3", "--out", "o.nc"], "--max-memory-gb",
     ["0", "-1", "nan"]),
    (["sphere", "stream", "in.nc", "--radius-deg", "3", "--out", "o.zarr"], "--batch-months",
     ["0", "-2", "1.5"]),
    (["sphere", "stream", "in.nc", "--radius-deg", "3", "--out", "o.zarr"], "--prefetch",
     ["-1"]),
    (["grace", "l2", "dir", "--out", "o.nc"], "--lmax", ["-1", "2.5"]),
    (["grace", "l2", "dir", "--out", "o.nc"], "--half-width-km", ["-5", "nan"]),
    (["grace", "l2", "dir", "--out", "o.nc"], "--lon-start", ["1000", "-181", "360", "inf"]),
    (["grace", "l2", "dir", "--out", "o.nc"], "--resolution-deg", ["0", "-1", "nan"]),
    (["zwd", "fit", "in.nc", "--out", "o.nc"], "--steps", ["-1", "2.5"]),
    (["zwd", "eval", "c.nc", "--lon-deg", "0", "--height-msl-m", "0", "--time", "2020-01-01"],
     "--lat-deg", ["91", "-100", "nan"]),
    (["zwd", "eval", "c.nc", "--lat-deg", "0", "--lon-deg", "0", "--time", "2020-01-01"],
     "--height-msl-m", ["nan", "inf"]),
    (["downscale", "fit", "--coarse", "c.nc", "--model", "m.nc", "--out", "o.nc"], "--epochs",
     ["0", "-1"]),
    (["downscale", "fit", "--coarse", "c.nc", "--model", "m.nc", "--out", "o.nc"], "--seed",
     ["-1"]),
    (["downscale", "fit", "--coarse", "c.nc", "--model", "m.nc", "--out", "o.nc"],
     "--observation-half-width-km", ["-1", "0"]),
    (["demo", "downscale", "--out", "d"], "--n-months", ["0", "-12"]),
    (["demo", "cap", "--out", "d"], "--radius-deg", ["0", "200"]),
]


@pytest.mark.parametrize(("argv", "flag", "value"),
                         [(a, f, v) for a, f, vs in CASES for v in vs],
                         ids=lambda x: x if isinstance(x, str) else None)
def test_bad_number_is_one_line_before_any_work(tmp_path, monkeypatch, capsys, argv, flag,
                                                value):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as info:
        cli.main([*argv, f"{flag}={value}"])
    assert info.value.code == 2
    err = capsys.readouterr().err.strip()
    command = " ".join(argv[:2])
    assert err.startswith(f"jaxgeo {command}: error: argument {flag}") and value in err, err
    assert err.endswith(f"(see 'jaxgeo {command} --help')") and "\n" not in err
    assert not list(tmp_path.iterdir())  # nothing read or written


def test_usage_errors_are_one_line(capsys):
    for argv in (["nosuch"], ["sphere", "average", "--out", "o.nc"], ["grace", "l2"]):
        with pytest.raises(SystemExit) as info:
            cli.main(argv)
        err = capsys.readouterr().err.strip()
        assert info.value.code == 2 and "\n" not in err and ": error: " in err, err


def test_library_warnings_print_as_one_line(monkeypatch, capsys):
    def reader(path, **kwargs):
        warnings.warn("2 calendar months have no solution:\n  2002-06, 2002-07", stacklevel=2)
        raise ValueError(f"{path}: stop here")

    monkeypatch.setattr("jaxgeo.cli._args.open_input", reader)
    monkeypatch.setattr("jaxgeo.cli._args.input_file", lambda p: p)
    assert cli.main(["sphere", "average", "x.nc", "--radius-deg", "3", "--out", "o.nc"]) == 2
    assert capsys.readouterr().err == (
        "jaxgeo sphere average: warning: 2 calendar months have no solution: 2002-06, 2002-07\n"
        "jaxgeo sphere average: error: x.nc: stop here\n")


@pytest.mark.parametrize("lon_start", [1000.0, -180.5, 360.0, float("nan")])
def test_grid_refuses_a_first_longitude_edge_out_of_range(lon_start):
    with pytest.raises(ValueError, match=r"Grid lon_start must be in \[-180, 360\) degrees"):
        Grid.regular(5.0, lon_start=lon_start)
