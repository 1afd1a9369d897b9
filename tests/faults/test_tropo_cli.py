"""`jaxgeo zwd` refuses meaningless numbers before reading any input."""

import numpy as np
import pytest

from jaxgeo import cli
from jaxgeo import troposphere as tr


@pytest.mark.parametrize("action, value", [("fit", "-1"), ("fit", "-300"), ("fit", "2.5"),
                                           ("fit", "many"), ("validate", "-1")])
def test_steps_refused_by_the_parser(tmp_path, capsys, action, value):
    argv = ["zwd", action, "--steps", value, "--out", str(tmp_path / "o")]
    argv[2:2] = [str(tmp_path / "absent.nc")] if action == "fit" else []
    with pytest.raises(SystemExit) as info:
        cli.main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith(f"jaxgeo zwd {action}: error: argument --steps")
    assert value in err
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("res", ["7", "0", "-5", "nan", "400"])
def test_resolution_refused_before_reading(tmp_path, capsys, res):
    # the input does not exist: the grid error must come first (no file is read)
    try:  # the parser refuses a non-positive number, the grid one that does not divide 180
        code = cli.main(["zwd", "fit", str(tmp_path / "absent.nc"), "--out",
                         str(tmp_path / "o.nc"), "--resolution-deg", res])
    except SystemExit as exc:
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("jaxgeo zwd fit: error:") and "\n" not in err
    assert ("resolution_deg" in err or "--resolution-deg" in err) and "absent.nc" not in err
    assert not list(tmp_path.iterdir())


def test_library_refuses_negative_steps():
    h = np.linspace(0.0, 9000.0, 12)[None]
    z = 0.2 * np.exp(-h / 2000.0)
    with pytest.raises(ValueError, match="steps must be a whole number >= 0"):
        tr.fit_columns(h, z, steps=-1)
    with pytest.raises(ValueError, match="family must be one of"):
        tr.fit_columns(h, z, family="cubic")
    with pytest.raises(ValueError, match="refine_steps must be a whole number >= 0"):
        tr.fit_hzwd(np.array([10.0]), np.array([20.0]),
                    tr.ProfileChunk(np.array(["2018-03-27T13"], dtype="datetime64[ns]"),
                                    h[None], z[None]), refine_steps=-1)
    # 0 is meaningful: the closed-form fit alone
    pred, _ = tr.fit_columns(h, z, steps=0)
    np.testing.assert_allclose(np.asarray(pred), z, rtol=1e-6)
