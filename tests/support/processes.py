"""Launching test worker processes: environment, free ports, peers that must not hang."""

import os
import socket
import subprocess
import sys
from pathlib import Path


def worker_env(**extra) -> dict:
    """The current environment for a CPU-only worker that finds jaxgeo and these helpers.

    ``XLA_FLAGS`` is dropped so the worker has the devices ``extra`` asks for
    (``JAX_NUM_CPU_DEVICES``), not the 8 the test session simulates.
    """
    env = dict(os.environ, JAX_PLATFORMS="cpu",
               PYTHONPATH=os.pathsep.join([str(Path(__file__).parents[1])] + sys.path),
               **extra)
    env.pop("XLA_FLAGS", None)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_peers(argv: list[str], envs: list[dict], timeout_s: float) -> list[str]:
    """Run one process per environment concurrently; assert they all succeed; their logs.

    A peer still running after the others end (or after ``timeout_s``) is killed, so a
    hung multi-process run never outlives the test.
    """
    procs = [subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True) for env in envs]
    logs = []
    try:
        for p in procs:
            logs.append(p.communicate(timeout=timeout_s)[0])
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.communicate()
    for p, log in zip(procs, logs, strict=True):
        assert p.returncode == 0, log[-3000:]
    return logs
