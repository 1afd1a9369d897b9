"""``grace l2`` checks the memory it will need before reading or gridding (issue 11:
``--res 0.05`` allocated 22 GiB with no message): refused with the estimate and the
limit, overridable."""

import warnings

import numpy as np
import pytest
from support.grace_files import random_coeffs, shm_name, write_shm

import jaxgeo._resources as resources
from jaxgeo import Grid, cli
from jaxgeo._resources import ResourceError
from jaxgeo.grace import ewh_grid, grace_l2_tws, read_l2_series
from jaxgeo.grace._l2 import grid_memory_bytes


def _dir(tmp_path, corrupt=False):
    d = tmp_path / "l2"
    d.mkdir()
    for k, (d0, d1, t0, t1) in enumerate([(1, 31, "20040101", "20040201"),
                                          (32, 60, "20040201", "20040301")]):
        c, s = random_coeffs(4, seed=k)
        write_shm(d / shm_name(2004, d0, 2004, d1), c, s, t0, t1)
    if corrupt:  # reading would fail: the memory check must come first
        (d / shm_name(2004, 61, 2004, 91)).write_bytes(b"\x1f\x8b garbage")
    return d


def test_estimate_matches_the_reported_allocation():
    # 231 months at 0.05 deg: the float32 output alone is 231*3600*7200*4 B = 22.3 GiB
    est = grid_memory_bytes(231, Grid.regular(0.05), 96)
    assert est >= 231 * 3600 * 7200 * 4 > 22 * 1024 ** 3
    assert grid_memory_bytes(2, Grid.regular(30.0), 4) < 1e6


def test_refused_before_reading(tmp_path):
    d = _dir(tmp_path, corrupt=True)
    with pytest.raises(ResourceError, match=r"grace_l2_tws: 3 months on a 3600 x 7200 grid "
                                            r"needs about \d+\.\d GiB of memory, more than "
                                            r"the 512 MiB the given limit; .*max_memory_gb"):
        grace_l2_tws(d, grid=Grid.regular(0.05), max_memory_gb=0.5, quiet=True)


def test_default_limit_is_the_available_memory(tmp_path, monkeypatch):
    d = _dir(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = read_l2_series(d, quiet=True)
    monkeypatch.setattr(resources, "available_memory_bytes", lambda: 4 * 1024 ** 2)
    with pytest.raises(ResourceError, match=r"ewh_grid: 2 months on a 360 x 720 grid .* "
                                            r"than the 4 MiB available"):
        ewh_grid(s, Grid.regular(0.5))
    # overridable: a larger explicit limit lets it run
    da = ewh_grid(s, Grid.regular(0.5), max_memory_gb=1.0)
    assert da.shape == (2, 360, 720) and np.isfinite(da.values).all()
    with pytest.raises(ValueError, match=r"max_memory_gb must be > 0, got -1"):
        ewh_grid(s, Grid.regular(0.5), max_memory_gb=-1)


def test_cli_refuses_in_one_line_and_writes_nothing(tmp_path, capsys):
    d = _dir(tmp_path)
    out = tmp_path / "tws.nc"
    code = cli.main(["grace", "l2", str(d), "--resolution-deg", "0.05", "--max-memory-gb",
                     "0.25", "--out", str(out), "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and not out.exists() and "\n" not in err
    assert err.startswith("jaxgeo grace l2: error: grace_l2_tws: 2 months on a 3600 x 7200 "
                          "grid needs about ")
    assert "more than the 256 MiB the given limit" in err
