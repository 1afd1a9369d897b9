"""jaxgeo._io: never delete what jaxgeo did not write; kills, full disks, read-only folders.

Oracles: the bytes of the previous output (untouched), the folder listing (no temporary
left behind), the file modes against the umask.
"""

import contextlib
import errno
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from jaxgeo import Grid
from jaxgeo._io import (
    MARKER,
    OutputError,
    atomic_dir,
    atomic_path,
    write_json,
    write_netcdf,
)
from jaxgeo.cli import main
from jaxgeo.distributed import stream_apply
from jaxgeo.sphere import CapAverage
from tests.support.processes import worker_env
from tests.support.streams import month_stack

G = Grid.regular(6.0)


def _listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _tree(folder: Path) -> dict:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


# -- never delete what jaxgeo did not write ---------------------------------------------------

def _foreign(tmp_path):
    """Things at an output path that jaxgeo did not write."""
    d = tmp_path / "user_dir.zarr"
    (d / "sub").mkdir(parents=True)
    (d / "notes.txt").write_text("my thesis")
    (d / "sub" / "data.bin").write_bytes(b"\x00\x01")
    z = tmp_path / "other_tool.zarr"  # a Zarr store some other program wrote
    xr.Dataset({"v": ("x", np.arange(3.0))}).to_zarr(z)
    f = tmp_path / "file.zarr"
    f.write_text("a file, not a folder")
    link = tmp_path / "link.zarr"
    link.symlink_to(d)
    return [d, z, f, link]


def test_stream_refuses_foreign_output_before_any_work(tmp_path):
    da = month_stack(G, 4)
    for target in _foreign(tmp_path):
        before = _tree(tmp_path)
        with pytest.raises(FileExistsError, match=rf"{target}.*(not written by jaxgeo|not a "
                                                  "folder jaxgeo wrote).*refusing"):
            stream_apply(CapAverage(G, 9.0), da, target, batch_months=2, quiet=True)
        assert _tree(tmp_path) == before
        assert os.path.islink(tmp_path / "link.zarr")


def test_atomic_dir_refuses_at_the_swap_and_keeps_both(tmp_path):
    for target in _foreign(tmp_path):
        before = _tree(tmp_path)
        with pytest.raises(FileExistsError, match=str(target)):
            with atomic_dir(target) as tmp:
                tmp.mkdir()
                (tmp / "new").write_text("new")
        assert _tree(tmp_path) == before
    assert not [n for n in _listing(tmp_path) if "jaxgeo-tmp" in n]


def test_cli_stream_refuses_foreign_directory(tmp_path, capsys):
    da = month_stack(G, 4)
    da.to_dataset().to_netcdf(tmp_path / "in.nc")
    out = tmp_path / "out.zarr"
    out.mkdir()
    (out / "keep.txt").write_text("keep")
    rc = main(["sphere", "stream", str(tmp_path / "in.nc"), "--radius-deg", "9",
                         "--out", str(out), "--batch-months", "2", "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1
    assert err[0].startswith("jaxgeo sphere stream: error:") and str(out) in err[0]
    assert (out / "keep.txt").read_text() == "keep"


def test_own_store_is_replaced_and_readable(tmp_path):
    da = month_stack(G, 4)
    out = tmp_path / "out.zarr"
    stream_apply(CapAverage(G, 9.0), da, out, batch_months=2, quiet=True)
    assert (out / MARKER).is_file()
    stream_apply(CapAverage(G, 12.0), da, out, batch_months=2, quiet=True)
    with xr.open_zarr(out) as res:
        np.testing.assert_allclose(res.tws.values, np.asarray(CapAverage(G, 12.0)(da.values)))
    assert _listing(tmp_path) == ["out.zarr"]


def test_file_output_onto_a_directory_is_refused(tmp_path):
    d = tmp_path / "out.nc"
    d.mkdir()
    (d / "x").write_text("x")
    with pytest.raises(FileExistsError, match=rf"{d} is a directory"):
        write_json({"a": 1}, d)
    with pytest.raises(FileExistsError, match=rf"{d} is a directory"):
        stream_apply(CapAverage(G, 9.0), month_stack(G, 2), d, batch_months=2, quiet=True)
    assert (d / "x").read_text() == "x"


def test_concurrent_writers_of_one_store(tmp_path):
    """Two writers finishing together: one complete store wins, nothing is mixed or lost."""
    out = tmp_path / "out.zarr"
    barrier = threading.Barrier(4)
    errors = []

    def writer(tag):
        try:
            with atomic_dir(out) as tmp:
                tmp.mkdir()
                for i in range(20):
                    (tmp / f"part{i}").write_text(tag)
                barrier.wait(timeout=30)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(f"w{k}",)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    tags = {(out / f"part{i}").read_text() for i in range(20)}
    assert len(tags) == 1  # one writer's complete store
    assert _listing(tmp_path) == ["out.zarr"]


# -- temporaries, kills, umask ----------------------------------------------------------------

def test_temporaries_are_named_after_the_output(tmp_path):
    out = tmp_path / "result.nc"
    with atomic_path(out) as tmp:
        assert tmp.name.startswith(f".result.nc.jaxgeo-tmp-{os.getpid()}-")
        tmp.write_text("x")
    with atomic_dir(tmp_path / "s.zarr") as tmp:
        assert tmp.name.startswith(f".s.zarr.jaxgeo-tmp-{os.getpid()}-")
        tmp.mkdir()


def test_sigkill_during_write_netcdf_keeps_old_file_and_rerun_cleans(tmp_path):
    out = tmp_path / "out.nc"
    xr.Dataset({"old": ("x", np.arange(5.0))}).to_netcdf(out)
    old = out.read_bytes()
    worker = Path(__file__).parents[1] / "support" / "io_kill_worker.py"
    proc = subprocess.Popen([sys.executable, str(worker), str(out)], env=worker_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        tmp = []
        while time.monotonic() < deadline:
            tmp = [p for p in tmp_path.iterdir() if p.name.startswith(".out.nc.jaxgeo-tmp-")]
            if tmp and tmp[0].stat().st_size > 200_000:
                break
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.02)
        assert tmp, "the worker never started writing"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    assert out.read_bytes() == old  # untouched
    assert tmp[0].exists()  # the killed run's temporary
    write_netcdf(xr.Dataset({"new": ("x", np.arange(3.0))}), out)
    with xr.open_dataset(out) as res:
        assert list(res.data_vars) == ["new"]
    assert _listing(tmp_path) == ["out.nc"]  # the stale temporary is gone


def test_live_writers_temporaries_are_kept(tmp_path):
    out = tmp_path / "out.nc"
    live = tmp_path / f".out.nc.jaxgeo-tmp-{os.getpid()}-abcd1234"
    live.write_text("someone writing")
    other = tmp_path / ".other.nc.jaxgeo-tmp-999999999-abcd1234"
    other.write_text("another output's")
    write_json({"a": 1}, out)
    assert live.exists() and other.exists()


def test_files_get_the_users_umask(tmp_path):
    old = os.umask(0o027)
    try:
        write_json({"a": 1}, tmp_path / "a.json")
        write_netcdf(xr.Dataset({"v": ("x", np.arange(3.0))}), tmp_path / "b.nc")
        stream_apply(CapAverage(G, 9.0), month_stack(G, 2), tmp_path / "c.zarr",
                     batch_months=2, quiet=True)
    finally:
        os.umask(old)
    for p in (tmp_path / "a.json", tmp_path / "b.nc", tmp_path / "c.zarr" / MARKER):
        assert stat.S_IMODE(p.stat().st_mode) == 0o640, p
    assert stat.S_IMODE((tmp_path / "c.zarr").stat().st_mode) == 0o750
    for p in (tmp_path / "c.zarr").rglob("*"):
        mode = stat.S_IMODE(p.stat().st_mode)
        assert mode == (0o750 if p.is_dir() else 0o640), p


# -- full disk, read-only folder --------------------------------------------------------------

@contextlib.contextmanager
def _tmpfs(where: Path, options: str):
    where.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)],
                         capture_output=True, text=True)
    if res.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {res.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def test_full_disk_says_no_space_left_on_path(tmp_path):
    with _tmpfs(tmp_path / "small", "size=256k") as small:
        out = small / "out.nc"
        write_json({"old": 1}, small / "old.json")
        big = xr.Dataset({"v": (("t", "x"), np.random.default_rng(0).normal(size=(200, 500)))})
        with pytest.raises(OutputError, match=rf"^no space left on {out} \(") as info:
            write_netcdf(big, out)
        assert isinstance(info.value, ValueError) and info.value.errno == errno.ENOSPC
        assert "\n" not in str(info.value)
        with pytest.raises(OutputError, match=rf"^no space left on {small / 'x.json'}"):
            write_json({"x": "y" * 1_000_000}, small / "x.json")
        with pytest.raises(OutputError, match=rf"^no space left on {small / 's.zarr'}"):
            stream_apply(CapAverage(G, 9.0), month_stack(G, 3000), small / "s.zarr",
                         batch_months=1000, quiet=True)
        assert _listing(small) == ["old.json"]  # no temporary left, the old file intact
        assert (small / "old.json").read_text().strip().endswith("}")


def test_read_only_folder_is_one_clear_line(tmp_path):
    if os.geteuid() == 0:
        ctx = _tmpfs(tmp_path / "ro", "ro,size=64k")
    else:
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o555)
        ctx = contextlib.nullcontext(ro)
    with ctx as ro:
        for write, name in ((lambda p: write_json({"a": 1}, p), "a.json"),
                            (lambda p: write_netcdf(xr.Dataset({"v": ("x", [1.0])}), p),
                             "b.nc"),
                            (lambda p: stream_apply(CapAverage(G, 9.0), month_stack(G, 2), p,
                                                    batch_months=2, quiet=True), "c.zarr")):
            with pytest.raises(OutputError, match=rf"^(read-only file system|permission "
                                                  rf"denied): cannot write {ro / name} \("):
                write(ro / name)
        with pytest.raises(OutputError, match=str(ro / "sub")):
            write_json({"a": 1}, ro / "sub" / "a.json")
