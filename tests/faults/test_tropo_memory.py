"""`zwd fit` / `fit_hzwd` refuse a node grid too large for the memory before any work
(0.05° was an out-of-memory crash after reading), naming the grid and the estimate."""

import numpy as np
import pytest

from jaxgeo import Grid, cli
from jaxgeo import troposphere as tr
from jaxgeo._resources import ResourceError
from jaxgeo.troposphere._hzwd import N_HARM, N_PARAM


def test_estimate_covers_the_coefficient_arrays():
    g = Grid.regular(0.05, lon_start=0.0)
    coef_bytes = g.nlat * g.nlon * N_PARAM * N_HARM * 8  # one float64 copy
    assert tr.fit_memory_bytes(0, g) >= 3 * coef_bytes
    # each column adds its moment sums (3 x 5 x 5 x 5 + 3 x 3 x 5 + 1 float64) at least
    assert tr.fit_memory_bytes(1000, g) - tr.fit_memory_bytes(0, g) >= 1000 * 421 * 8


def test_library_refuses_before_accumulating():
    lat, lon = np.array([10.0, 20.0]), np.array([30.0, 40.0])
    chunk = tr.ProfileChunk(np.array(["2020-01-01"], "datetime64[ns]")[None],
                            np.zeros((1, 2, 3)), np.zeros((1, 2, 3)))
    with pytest.raises(ResourceError, match=r"fit_hzwd: 2 columns on a 3600 x 7200 node "
                                            r"grid needs about .* GiB .*max_memory_gb"):
        tr.fit_hzwd(lat, lon, chunk, grid=Grid.regular(0.05, lon_start=0.0), max_memory_gb=1.0)


def test_cli_refuses_before_reading(tmp_path, capsys):
    absent = tmp_path / "era5.nc"  # not read: the memory check comes first
    code = cli.main(["zwd", "fit", str(absent), "--out", str(tmp_path / "c.nc"),
                     "--resolution-deg", "0.05", "--max-memory-gb", "2"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "\n" not in err
    assert err.startswith("jaxgeo zwd fit: error: zwd fit: a 3600 x 7200 node grid needs about")
    assert "--resolution-deg" in err and not list(tmp_path.iterdir())
