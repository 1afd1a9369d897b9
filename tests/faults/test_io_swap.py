"""jaxgeo._io.atomic_dir: replacing a folder jaxgeo wrote can be killed at any point without
losing the previous output (atomic exchange where Linux offers it; otherwise a set-aside
that the next write restores).

Oracle: the previous store's bytes, read back after the kill and the recovery.
"""

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from jaxgeo._io import MARKER, _exchange, atomic_dir, remove_stale_temporaries
from tests.support.processes import worker_env


def _store(path, text):
    with atomic_dir(path) as tmp:
        tmp.mkdir()
        (tmp / "data.txt").write_text(text)


def test_exchange_swaps_two_folders_atomically(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    (a / "x").write_text("A")
    (b / "x").write_text("B")
    if not _exchange(a, b):
        pytest.skip("no RENAME_EXCHANGE on this file system (the fallback is tested below)")
    assert (a / "x").read_text() == "B" and (b / "x").read_text() == "A"


def test_replacing_a_store_keeps_one_complete_copy(tmp_path):
    out = tmp_path / "s.zarr"
    _store(out, "first")
    _store(out, "second")
    assert (out / "data.txt").read_text() == "second" and (out / MARKER).is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.zarr"]


def test_kill_between_the_two_renames_restores_the_previous_store(tmp_path):
    out = tmp_path / "s.zarr"
    _store(out, "previous")
    # a writer without RENAME_EXCHANGE, killed right after setting the old store aside
    script = textwrap.dedent(f"""
        import os, signal
        import jaxgeo._io as io
        io._exchange = lambda a, b: False
        real = os.replace
        def replace(src, dst):
            real(src, dst)
            if ".jaxgeo-old-" in str(dst):
                os.kill(os.getpid(), signal.SIGKILL)
        io.os.replace = replace
        with io.atomic_dir({str(out)!r}) as tmp:
            tmp.mkdir()
            (tmp / "data.txt").write_text("next")
    """)
    proc = subprocess.run([sys.executable, "-c", script], env=worker_env(), timeout=120,
                          capture_output=True)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()
    assert not out.exists()  # killed between the renames: the store is set aside
    aside = [p.name for p in tmp_path.iterdir() if ".jaxgeo-old-" in p.name]
    assert len(aside) == 1
    remove_stale_temporaries(out)  # what the next write does first
    assert (out / "data.txt").read_text() == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.zarr"]
    _store(out, "after")
    assert (out / "data.txt").read_text() == "after"


def test_a_live_writers_set_aside_store_is_left_alone(tmp_path):
    out = tmp_path / "s.zarr"
    aside = tmp_path / f".s.zarr.jaxgeo-old-{os.getpid()}-abcd1234"
    aside.mkdir()
    remove_stale_temporaries(out)
    assert aside.exists() and not out.exists()
