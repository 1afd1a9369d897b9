"""The multi-host entry point: ``jax.distributed.initialize`` configured from the environment.

Every process of a run executes the same program. Before any other JAX call it calls
:func:`initialize_from_env`; afterwards ``jax.devices()`` lists the devices of all processes,
:func:`make_mesh` builds the global mesh, and :func:`sharded_apply` runs over it (each
process feeding only the slices its own devices hold).

Environment (the jaxgeo names win over JAX's):

=========================== ================================================================
``JAXGEO_COORDINATOR``      ``host:port`` of process 0's coordinator (or
                            ``JAX_COORDINATOR_ADDRESS``)
``JAXGEO_NUM_PROCESSES``    number of processes (or ``JAX_NUM_PROCESSES``)
``JAXGEO_PROCESS_ID``       this process, ``0 … n−1`` (or ``JAX_PROCESS_ID``)
``JAXGEO_LOCAL_DEVICE_IDS`` optional comma-separated local device ids (e.g. one GPU each)
``JAXGEO_CLUSTER``          ``auto``: let JAX detect SLURM / Open MPI / TPU instead
=========================== ================================================================

With none of them set, the run is a single process and nothing is initialised.
"""

from __future__ import annotations

import dataclasses
import os

import jax


@dataclasses.dataclass(frozen=True)
class ProcessInfo:
    """Where this process stands in a (possibly single-process) run."""

    process_id: int
    num_processes: int
    local_device_count: int
    device_count: int

    @property
    def is_coordinator(self) -> bool:
        """True on process 0 (the one that should write shared outputs)."""
        return self.process_id == 0


def _info() -> ProcessInfo:
    return ProcessInfo(jax.process_index(), jax.process_count(), jax.local_device_count(),
                       jax.device_count())


def _first(env, *names):
    for n in names:
        v = env.get(n)
        if v not in (None, ""):
            return v
    return None


def initialize_from_env(environ=None, *, timeout_s: int = 300) -> ProcessInfo:
    """Initialise multi-process JAX from environment variables (see the module docstring).

    Must run before any other JAX computation in the process. Safe to call in a
    single-process run: without the variables it only reports that process.

    Args:
        environ: mapping to read instead of ``os.environ``.
        timeout_s: how long to wait for all processes to join, seconds.

    Returns:
        :class:`ProcessInfo` of this process after initialisation.

    Raises:
        ValueError: an incomplete or inconsistent set of variables.
    """
    env = os.environ if environ is None else environ
    if _first(env, "JAXGEO_CLUSTER") == "auto":
        jax.distributed.initialize(initialization_timeout=timeout_s)
        return _info()
    coord = _first(env, "JAXGEO_COORDINATOR", "JAX_COORDINATOR_ADDRESS")
    nproc = _first(env, "JAXGEO_NUM_PROCESSES", "JAX_NUM_PROCESSES")
    pid = _first(env, "JAXGEO_PROCESS_ID", "JAX_PROCESS_ID")
    if coord is None and nproc is None and pid is None:
        return _info()
    if coord is None or nproc is None or pid is None:
        raise ValueError("multi-host run needs all of JAXGEO_COORDINATOR (host:port), "
                         "JAXGEO_NUM_PROCESSES and JAXGEO_PROCESS_ID; got "
                         f"coordinator={coord!r}, num_processes={nproc!r}, process_id={pid!r}")
    try:
        n, i = int(nproc), int(pid)
    except ValueError:
        raise ValueError(f"JAXGEO_NUM_PROCESSES={nproc!r} and JAXGEO_PROCESS_ID={pid!r} must "
                         "be integers") from None
    if n < 1 or not 0 <= i < n:
        raise ValueError(f"process id {i} is not in 0..{n - 1}")
    if ":" not in coord:
        raise ValueError(f"coordinator {coord!r} must be host:port")
    local = _first(env, "JAXGEO_LOCAL_DEVICE_IDS")
    local_ids = None if local is None else [int(s) for s in local.split(",") if s.strip()]
    if n == 1:
        return _info()
    jax.distributed.initialize(coordinator_address=coord, num_processes=n, process_id=i,
                               local_device_ids=local_ids, initialization_timeout=timeout_s)
    return _info()
