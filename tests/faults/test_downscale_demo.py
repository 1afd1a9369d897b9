"""`jaxgeo demo`'s outputs form one set: written into a temporary folder moved into place;
a folder the demo did not write is never replaced."""

import json
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import xarray as xr
from support.processes import worker_env

from jaxgeo._io import MARKER
from jaxgeo.cli import main
from jaxgeo.demos import downscale as demo

FIGURES = ("downscale_maps.png", "downscale_trends.png")


def _nc(value):
    return xr.Dataset({"truth": ("x", np.full(3, float(value)))})


def _figures(tag, fail_at=None):
    def draw(name):
        def f(path):
            if name == fail_at:
                raise RuntimeError("killed while drawing")
            path.write_text(f"{tag} {name}")
        return f
    return {name: draw(name) for name in FIGURES}


def _snapshot(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _write(out, tag, fail_at=None):
    demo.write_set(out, _nc(tag), {"rmse_downscaled": float(tag), "run": tag},
                   _figures(tag, fail_at))


def test_a_failed_run_leaves_the_previous_set_whole(tmp_path):
    out = tmp_path / "demo"
    _write(out, 1)
    first = _snapshot(out)
    assert sorted(first) == sorted([*demo.OUTPUTS, MARKER])
    for fail_at in FIGURES:
        with pytest.raises(RuntimeError, match="killed while drawing"):
            _write(out, 2, fail_at)
        assert _snapshot(out) == first  # nothing of run 2 mixed in
        assert sorted(p.name for p in tmp_path.iterdir()) == ["demo"]  # no temporaries left
    _write(out, 3)
    third = _snapshot(out)
    assert json.loads(third["metrics.json"])["run"] == 3
    assert all(third[n] == f"3 {n}".encode() for n in FIGURES)
    with xr.open_dataset(out / "downscale_demo.nc") as ds:
        assert float(ds.truth[0]) == 3.0


@pytest.mark.parametrize(("content", "named"), [
    ({"notes.txt": "my thesis"}, "notes.txt"),
    ({"metrics.json": json.dumps({"accuracy": 0.9})}, "not one written by jaxgeo"),
    ({"downscale_demo.nc": "x"}, "no metrics.json"),
    ({"metrics.json": "{not json", "downscale_maps.png": "x"}, "not one written by jaxgeo"),
    ({"metrics.json": json.dumps({"rmse_downscaled": 1.0}), "data.csv": "1,2"}, "data.csv"),
])
def test_a_foreign_folder_is_refused_and_untouched(tmp_path, content, named):
    out = tmp_path / "mine"
    out.mkdir()
    for name, text in content.items():
        (out / name).write_text(text)
    before = _snapshot(out)
    with pytest.raises(FileExistsError, match=f"{out} exists and is not a jaxgeo demo folder"
                       ) as err:
        demo.check_out_dir(out)
    assert named in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(FileExistsError):
        _write(out, 1)
    assert _snapshot(out) == before


def test_absent_empty_and_earlier_demo_folders_are_accepted(tmp_path):
    demo.check_out_dir(tmp_path / "absent")
    (tmp_path / "empty").mkdir()
    demo.check_out_dir(tmp_path / "empty")
    _write(tmp_path / "empty", 1)  # an empty folder is replaced by the set
    # the outputs, plus the marker that lets jaxgeo replace the folder next time
    assert sorted(p.name for p in (tmp_path / "empty").iterdir()) == sorted(
        [*demo.OUTPUTS, MARKER])
    demo.check_out_dir(tmp_path / "empty")  # now an earlier demo folder


def test_run_demo_refuses_before_any_work(tmp_path, monkeypatch, capsys):
    from jaxgeo.downscale import synthetic

    def expensive(*a, **k):
        raise AssertionError("the experiment started before --out was checked")

    monkeypatch.setattr(synthetic, "make_experiment", expensive)
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match="notes.txt"):
        demo.run_demo(out, quiet=True)
    f = tmp_path / "file"
    f.write_text("keep me too")
    rc = main(["demo", "--out", str(f), "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2 and err.startswith("jaxgeo demo downscale: error: ") and "not a folder" in err
    assert err.count("\n") == 1
    rc = main(["demo", "--out", str(out), "--quiet"])
    assert rc == 2 and "notes.txt" in capsys.readouterr().err
    assert (out / "notes.txt").read_text() == "keep me" and f.read_text() == "keep me too"


@pytest.mark.slow
def test_demo_replaces_an_earlier_demo_folder_as_a_whole(tmp_path):
    out = tmp_path / "demo"
    _write(out, 7)  # an earlier (fake) run's set
    m = demo.run_demo(out, resolution_deg=5.0, n_months=12, epochs=1, quiet=True)
    assert json.loads((out / "metrics.json").read_text())["rmse_downscaled"] == pytest.approx(
        m["rmse_downscaled"])
    assert (out / "downscale_maps.png").stat().st_size > 10_000
    assert sorted(p.name for p in out.iterdir()) == sorted([*demo.OUTPUTS, MARKER])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo"]


_KILLED_WRITER = """
import sys, time
from pathlib import Path
import numpy as np, xarray as xr
from jaxgeo.demos import downscale as demo
out, marker = Path(sys.argv[1]), Path(sys.argv[2])
def hang(path):
    path.write_text("half of run 2")
    marker.write_text("drawing")
    time.sleep(600)
demo.write_set(out, xr.Dataset({"truth": ("x", np.full(3, 2.0))}), {"rmse_downscaled": 2.0},
               {"downscale_maps.png": lambda p: p.write_text("run 2"),
                "downscale_trends.png": hang})
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_sigkill_while_writing_leaves_the_previous_set(tmp_path):
    out, marker = tmp_path / "demo", tmp_path / "marker"
    _write(out, 1)
    first = _snapshot(out)
    proc = subprocess.Popen([sys.executable, "-c", _KILLED_WRITER, str(out), str(marker)],
                            env=worker_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, proc.stderr.read()[-2000:]
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert _snapshot(out) == first  # the folder still holds run 1's set only
    _write(out, 3)  # the next run is not blocked
    assert json.loads((out / "metrics.json").read_text())["run"] == 3


def test_an_unwritable_place_is_refused_before_any_work(tmp_path, monkeypatch, capsys):
    import os

    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    with pytest.raises(ValueError, match=f"cannot write {blocker}/demo: {blocker} is a file"):
        demo.check_out_dir(blocker / "demo")
    # a read-only folder (simulated: the tests may run as root, who may write anywhere)
    ro = tmp_path / "ro"
    ro.mkdir()
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if str(p) == str(ro)
                        else real(p, mode))
    with pytest.raises(ValueError, match=f"{ro} is not a writable folder"):
        demo.check_out_dir(ro / "new" / "demo")
    rc = main(["downscale", "fit", "--coarse", "never-read.nc", "--model", "never-read.nc",
               "--out", str(ro / "out.nc")])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1
    assert f"cannot write {ro}/out.nc: {ro} is not a writable folder" in err
    assert list(ro.iterdir()) == []
