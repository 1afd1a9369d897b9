"""Benchmark the cap operator against a scipy CSR matvec and a ducc0 spherical-harmonic filter.

Every case runs in its own subprocess so its peak memory (ru_maxrss) is its own. Prints a
table and writes JSON (default ``benchmarks/results/sphere_cpu.json``).

    python benchmarks/bench_sphere.py                   # the full grid (≈ 10 min on 2 cores)
    python benchmarks/bench_sphere.py --quick           # a few cases
    python benchmarks/bench_sphere.py --case 0.5 3 12   # one case, JSON on stdout

Allocator: by default every case runs with ``GLIBC_TUNABLES`` keeping freed memory in
glibc's heap (no fresh ``mmap`` per large temporary). Without it, each call of a compiled
function page-faults its large temporaries anew, which costs jaxgeo and the peers alike
(up to 2× for 12-month 0.5° batches). ``--default-malloc`` turns the tuning off.

Columns: build (operator tables, s), compile (jit of forward, s), fwd / fwd+bwd (run time
after compilation, median, ms; fwd+bwd is ``value_and_grad`` of a least-squares misfit),
bwd ratio (fwd+bwd / fwd), peak RSS (MB), CSR build / matvec
(scipy, single-threaded, same caps, float32), SH round trip (ducc0 analysis → multiply by
the cap's Legendre weights → synthesis, lmax = nlat − 1, all threads), speed-ups.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _common import MALLOC_TUNING, time_calls, write_json

GRID = [(res, psi, months) for res in (0.5, 0.25) for psi in (1, 3, 5, 10) for months in (1, 12)]
EXTRA = [(0.1, 5, 1)]
QUICK = [(0.5, 3, 1), (0.5, 3, 12), (0.25, 5, 12), (0.1, 5, 1)]
CSR_MAX_NNZ = 2.5e8  # ≈ 2 GB of float32 data + int32 indices: beyond it, skip with a message
SH_MAX_NLAT = 720


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0



def _cap_cells(grid, psi: float) -> list[list[tuple]]:
    """Per output row ``i`` (column 0): ``(input row, column offsets)`` of the cells whose
    centres lie within ``psi`` (relative rim tolerance 1e-9), by brute-force haversines."""
    import numpy as np

    def hav(x):
        return np.sin(x / 2.0) ** 2

    n = grid.nlon
    phi = np.deg2rad(grid.lat)
    k = np.arange(-(n // 2), n - n // 2)
    psi_r = np.deg2rad(min(psi * (1 + 1e-9), 180.0))
    hav_psi, hav_k = hav(psi_r), hav(k * np.deg2rad(grid.resolution_deg))
    caps = []
    for i in range(grid.nlat):
        cells = []
        for r in np.nonzero(np.abs(phi - phi[i]) <= psi_r + 1e-12)[0]:
            inside = hav(phi[i] - phi[r]) + np.cos(phi[i]) * np.cos(phi[r]) * hav_k <= hav_psi
            if psi * (1 + 1e-9) >= 180.0:
                inside[:] = True
            if inside.any():
                cells.append((r, k[inside]))
        caps.append(cells)
    return caps


def run_case(res: float, psi: float, months: int, peers: bool = True) -> dict:
    import jax
    import jax.numpy as jnp
    import numpy as np

    from jaxgeo import Grid
    from jaxgeo.sphere import CapAverage, cap_legendre_weights

    out = {"res_deg": res, "radius_deg": psi, "months": months, "rss_import_mb": _rss_mb()}
    grid = Grid.regular(res)
    rng = np.random.default_rng(0)
    field = rng.normal(size=(months,) + grid.shape).astype(np.float32)
    t0 = time.perf_counter()
    op = CapAverage(grid, psi, dtype=jnp.float32)
    jax.block_until_ready(op.tables)
    out["build_s"] = time.perf_counter() - t0
    x = jax.device_put(field)
    fwd = jax.jit(lambda o, f: o(f))
    t0 = time.perf_counter()
    fwd(op, x).block_until_ready()
    out["compile_fwd_s"] = time.perf_counter() - t0
    target = jax.device_put(rng.normal(size=field.shape).astype(np.float32))

    # forward + backward as a loss uses it: the cotangent depends on the forward output
    # (independent cotangents let XLA run two applications concurrently and they thrash)
    def misfit(f, o, obs):
        return 0.5 * jnp.sum((o(f) - obs) ** 2)

    fb = jax.jit(jax.value_and_grad(misfit))
    ct = (op, target)
    t0 = time.perf_counter()
    jax.block_until_ready(fb(x, *ct))
    out["compile_fwdbwd_s"] = time.perf_counter() - t0
    reps = 11 if grid.nlat * months <= 4320 else 5
    fwd_times = [time_calls(lambda: fwd(op, x).block_until_ready(), 1)[0] for _ in range(reps)]
    out["fwd_ms"] = 1e3 * statistics.median(fwd_times)
    out["fwd_min_ms"] = 1e3 * min(fwd_times)
    out["fwdbwd_ms"] = 1e3 * time_calls(lambda: jax.block_until_ready(fb(x, *ct)), reps)[0]
    out["bwd_ratio"] = out["fwdbwd_ms"] / out["fwd_ms"]
    out["rss_jaxgeo_mb"] = _rss_mb()
    y_ref = np.asarray(fwd(op, x))

    if peers:
        # scipy CSR: the same caps as a sparse matrix (area weights, row-normalised), the
        # cells found by brute force on the cap's definition
        caps = _cap_cells(grid, psi)
        nnz = sum(sum(o.size for _, o in cells) for cells in caps) * grid.nlon
        out["csr_nnz"] = nnz
        if nnz > CSR_MAX_NNZ:
            out["csr_skipped"] = f"{nnz:.2e} non-zeros (~{nnz * 8 / 2**30:.1f} GiB) would not fit"
        else:
            import scipy.sparse as sps

            t0 = time.perf_counter()
            n = grid.nlon
            indptr = [0]
            area = grid.row_area
            idx_parts, val_parts = [], []
            js = np.arange(n)[:, None]
            for i in range(grid.nlat):
                rows_i = [np.full(offs.size, r) for r, offs in caps[i]]
                offs_i = [offs for _, offs in caps[i]]
                w_i = [np.full(offs.size, area[r]) for r, offs in caps[i]]
                rows_c, offs_c, w_row = map(np.concatenate, (rows_i, offs_i, w_i))
                w_row = (w_row / w_row.sum()).astype(np.float32)
                # output (i, j) reads cells (r_k, (j + o_k) mod n)
                idx_parts.append((rows_c[None, :] * n + (js + offs_c[None, :]) % n).ravel())
                val_parts.append(np.tile(w_row, n))
                indptr.extend(indptr[-1] + len(w_row) * np.arange(1, n + 1))
            mat = sps.csr_matrix((np.concatenate(val_parts), np.concatenate(idx_parts),
                                  np.asarray(indptr)), shape=(grid.nlat * n,) * 2)
            out["csr_build_s"] = time.perf_counter() - t0
            flat = np.ascontiguousarray(field.reshape(months, -1).T)
            # interleave CSR and jaxgeo runs so that both see the same machine load
            csr_t, ours_t = [], []
            for _ in range(5):
                csr_t.append(time_calls(lambda: mat @ flat, 1)[0])
                ours_t.append(time_calls(lambda: fwd(op, x).block_until_ready(), 1)[0])
            out["csr_matvec_ms"] = 1e3 * statistics.median(csr_t)
            out["csr_matvec_min_ms"] = 1e3 * min(csr_t)
            out["fwd_interleaved_ms"] = 1e3 * statistics.median(ours_t)
            y_csr = (mat @ flat).T.reshape(field.shape)
            out["csr_max_abs_diff"] = float(np.abs(y_csr - y_ref).max())
            out["speedup_vs_csr"] = out["csr_matvec_ms"] / out["fwd_interleaved_ms"]
            out["speedup_vs_csr_min"] = out["csr_matvec_min_ms"] / out["fwd_min_ms"]
            del mat
        if grid.nlat <= SH_MAX_NLAT:
            import ducc0

            lmax = grid.nlat - 1
            w_l = cap_legendre_weights(psi, lmax)
            ell = np.concatenate([np.arange(m, lmax + 1) for m in range(lmax + 1)])
            filt = w_l[ell].astype(np.float32)
            nthreads = os.cpu_count() or 1

            def sh_round_trip():
                for f in field:
                    alm = ducc0.sht.experimental.analysis_2d(
                        map=f[None, ::-1], spin=0, lmax=lmax, geometry="F1", nthreads=nthreads)
                    ducc0.sht.experimental.synthesis_2d(
                        alm=alm * filt, spin=0, lmax=lmax, geometry="F1", ntheta=grid.nlat,
                        nphi=grid.nlon, nthreads=nthreads)

            sh_round_trip()
            out["sh_lmax"] = lmax
            out["sh_roundtrip_ms"] = 1e3 * time_calls(sh_round_trip, 3)[0]
            out["speedup_vs_sh"] = out["sh_roundtrip_ms"] / out["fwd_ms"]
    out["rss_peak_mb"] = _rss_mb()
    return out


def _fmt(v, spec):
    return format(v, spec) if isinstance(v, (int, float)) else "-"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a few representative cases")
    ap.add_argument("--case", nargs=3, type=float, metavar=("RES", "PSI", "MONTHS"))
    ap.add_argument("--no-peers", action="store_true", help="skip scipy and ducc0")
    ap.add_argument("--default-malloc", action="store_true",
                    help="do not set GLIBC_TUNABLES for the cases (see the module docstring)")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "sphere_cpu.json"))
    args = ap.parse_args(argv)
    if args.case:
        res, psi, months = args.case
        print(json.dumps(run_case(res, psi, int(months), peers=not args.no_peers)))
        return 0
    cases = QUICK if args.quick else GRID + EXTRA
    rows = []
    header = (f"{'res':>5} {'psi':>4} {'mon':>3} {'build s':>8} {'compile s':>9} {'fwd ms':>9} "
              f"{'fwd+bwd ms':>10} {'ratio':>5} {'peak MB':>8} {'CSR build s':>11} "
              f"{'CSR ms':>9} {'x CSR':>6} {'SH ms':>8} {'x SH':>6}")
    print(header)
    print("-" * len(header))
    for res, psi, months in cases:
        cmd = [sys.executable, __file__, "--case", str(res), str(psi), str(months)]
        if args.no_peers or res < 0.25:
            cmd.append("--no-peers")
        env = dict(os.environ)
        if not args.default_malloc:
            env["GLIBC_TUNABLES"] = MALLOC_TUNING
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if proc.returncode != 0:
            print(f"{res:5} {psi:4} {months:3}  FAILED: {proc.stderr.strip().splitlines()[-1]}")
            continue
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        rows.append(r)
        print(f"{res:5} {psi:4g} {months:3d} {r['build_s']:8.3f} {r['compile_fwd_s']:9.2f} "
              f"{r['fwd_ms']:9.2f} {r['fwdbwd_ms']:10.2f} {r['bwd_ratio']:5.2f} "
              f"{r['rss_peak_mb']:8.0f} {_fmt(r.get('csr_build_s'), '11.2f')} "
              f"{_fmt(r.get('csr_matvec_ms'), '9.2f')} {_fmt(r.get('speedup_vs_csr'), '6.1f')} "
              f"{_fmt(r.get('sh_roundtrip_ms'), '8.1f')} {_fmt(r.get('speedup_vs_sh'), '6.1f')}",
              flush=True)
        if "csr_skipped" in r:
            print(f"      CSR skipped: {r['csr_skipped']}")
    import jax

    meta = {
        "hardware": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores "
                    f"({platform.platform()})",
        "jax": jax.__version__, "backend": jax.default_backend(),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "note": "shared machine: timings are noisy; ratios come from the same process",
        "glibc_tunables": None if args.default_malloc else MALLOC_TUNING,
    }
    write_json(args.out, {"meta": meta, "cases": rows})
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
