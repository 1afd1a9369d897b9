"""``jaxgeo --help`` answers without importing jax, flax or xarray, and shows no retired name."""

import re
import subprocess
import sys

import pytest

from jaxgeo import cli

RETIRED = ("--gaussian", "--gaussian-km", "--observation-km", "--res ", "--resolution ",
           "--batch ", "--no-progress", "cap-demo", "cap-stream", "--months")


def test_parsing_imports_no_heavy_module():
    code = ("import sys, jaxgeo.cli as c; p = c.build_parser(); "
            "p.parse_args(['sphere', 'average', 'x.nc', '--radius-deg', '3', '--out', 'o.nc']); "
            "heavy = [m for m in ('jax', 'flax', 'xarray', 'optax', 'matplotlib') "
            "if m in sys.modules]; print(heavy); assert not heavy")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def _helps():
    parser = cli.build_parser()
    yield parser.format_help()
    for gparser in parser._subparsers._group_actions[0].choices.values():
        yield gparser.format_help()
        if gparser._subparsers is None:  # a single command (jaxgeo regrid)
            continue
        for action in gparser._subparsers._group_actions[0].choices.values():
            yield action.format_help()


def test_help_shows_only_glossary_names():
    text = "\n".join(_helps())
    for name in RETIRED:
        assert not re.search(r"(?<![\w-])" + re.escape(name), text), name
    for name in ("--half-width-km", "--resolution-deg", "--batch-months", "--quiet",
                 "--height-msl-m", "--n-months", "--data-dir"):
        assert name in text, name


@pytest.mark.parametrize("argv", [["--help"], ["sphere", "--help"], ["zwd", "eval", "--help"]])
def test_help_exits_zero(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(argv)
    assert exc.value.code == 0 and "usage: jaxgeo" in capsys.readouterr().out


def test_bare_demo_is_the_downscaling_demo():
    assert cli._rewrite(["demo"]) == ["demo", "downscale"]
    assert cli._rewrite(["demo", "--out", "x"]) == ["demo", "downscale", "--out", "x"]
    assert cli._rewrite(["demo", "cap"]) == ["demo", "cap"]
    assert cli._rewrite(["downscale", "--coarse", "c"])[:2] == ["downscale", "fit"]
