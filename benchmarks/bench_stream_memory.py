"""A 0.25° global 240-month stack, larger than the memory given to the process, cap-averaged.

1. Writes the input lazily (dask, one 12-month chunk at a time) to a Zarr store: 240 × 720 ×
   1440 float64 ≈ 2.0 GB (skipped when it exists).
2. Control: under the address-space cap, loading the stack whole fails (MemoryError).
3. Under the same cap, ``jaxgeo sphere stream`` reads it batch by batch, averages over caps on
   the simulated devices, and writes ≈ 1.0 GB of float32 output to Zarr incrementally.
4. Checks months of the output against the operator applied in memory (uncapped parent).

The cap is ``RLIMIT_AS`` (virtual address space, what ``ulimit -v`` sets), which bounds the
resident set from above. The default 2 GiB is less than input + output (3 GB) and leaves no
room for the 2 GB input beside the interpreter, dask and JAX: the control fails.

    python benchmarks/bench_stream_memory.py                # ≈ 1–2 min on 2 shared cores
    python benchmarks/bench_stream_memory.py --cap-gb 2.5 --devices 8
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

from _common import write_json


def _make_input(path: Path, res: float, months: int, chunk: int) -> float:
    import dask.array as dsa
    import numpy as np
    import pandas as pd
    import xarray as xr

    from jaxgeo import Grid

    g = Grid.regular(res)
    rng = dsa.random.default_rng(0)
    data = rng.standard_normal((months,) + g.shape, chunks=(chunk,) + g.shape)
    # a smooth large-scale signal plus noise, so the averages are not all ~0
    lat = np.deg2rad(g.lat)[None, :, None]
    data = data + 10.0 * np.cos(lat)
    da = xr.DataArray(data, dims=("time", "lat", "lon"),
                      coords={"time": pd.date_range("2002-01-01", periods=months, freq="MS"),
                              "lat": g.lat, "lon": g.lon},
                      name="tws", attrs={"units": "mm"})
    t0 = time.perf_counter()
    tmp = path.with_name(path.name + ".partial")
    da.to_dataset().to_zarr(tmp, mode="w", consolidated=True)
    os.replace(tmp, path)
    return time.perf_counter() - t0


def _dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _run_capped(cmd, cap_bytes: int, env: dict) -> dict:
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (cap_bytes, cap_bytes))

    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, preexec_fn=limit, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {"returncode": proc.returncode, "wall_s": time.perf_counter() - t0,
            "peak_rss_mb": usage.ru_maxrss / 1024.0, "log_tail": out.strip()[-600:]}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="/tmp/jaxgeo-stream-bench", help="work folder")
    ap.add_argument("--res", type=float, default=0.25)
    ap.add_argument("--months", type=int, default=240)
    ap.add_argument("--radius-deg", type=float, default=3.0)
    ap.add_argument("--batch-months", type=int, default=12)
    ap.add_argument("--cap-gb", type=float, default=2.0, help="RLIMIT_AS of the run, GiB")
    ap.add_argument("--devices", type=int, default=2, help="simulated CPU devices")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" /
                                         "stream_memory_cpu.json"))
    args = ap.parse_args(argv)

    work = Path(args.data)
    work.mkdir(parents=True, exist_ok=True)
    src = work / f"stack_{args.res:g}deg_{args.months}m.zarr"
    result = {"res_deg": args.res, "months": args.months, "radius_deg": args.radius_deg,
              "batch_months": args.batch_months, "devices": args.devices, "cap_gib": args.cap_gb}
    if not src.exists():
        result["make_input_s"] = _make_input(src, args.res, args.months, args.batch_months)
    result["input_gb_on_disk"] = _dir_bytes(src) / 1e9
    nlat, nlon = round(180 / args.res), round(360 / args.res)
    result["input_gb_in_memory"] = args.months * nlat * nlon * 8 / 1e9
    result["output_gb_in_memory"] = args.months * nlat * nlon * 4 / 1e9
    cap = int(args.cap_gb * 2**30)
    env = dict(os.environ, JAX_PLATFORMS="cpu", JAX_NUM_CPU_DEVICES=str(args.devices),
               MALLOC_ARENA_MAX="2")  # glibc's per-thread arenas reserve address space
    env.pop("XLA_FLAGS", None)

    control = _run_capped([sys.executable, "-c",
                           "import xarray as xr, sys; "
                           f"v = xr.open_zarr({str(src)!r}).tws.values; print(v.nbytes)"],
                          cap, env)
    result["control_load_whole"] = {k: control[k] for k in ("returncode", "peak_rss_mb")}
    result["control_load_whole"]["memory_error"] = "MemoryError" in control["log_tail"]
    print(f"control (load the whole stack under {args.cap_gb} GiB): exit "
          f"{control['returncode']}, MemoryError={result['control_load_whole']['memory_error']}")

    out = work / "capped.zarr"
    run = _run_capped([sys.executable, "-m", "jaxgeo.cli", "sphere", "stream",
                       str(src), "--radius-deg", str(args.radius_deg), "--out", str(out),
                       "--batch-months", str(args.batch_months), "--quiet"], cap, env)
    result["stream"] = run
    print(f"sphere stream under {args.cap_gb} GiB: exit {run['returncode']}, "
          f"{run['wall_s']:.1f} s, peak RSS {run['peak_rss_mb']:.0f} MB")
    if run["returncode"] != 0:
        print(run["log_tail"])
    else:
        import jax.numpy as jnp
        import numpy as np
        import xarray as xr

        from jaxgeo import Grid
        from jaxgeo.sphere import CapAverage

        op = CapAverage(Grid.regular(args.res), args.radius_deg, dtype=jnp.float32)
        months = [0, args.months // 2 + 1, args.months - 1]
        with xr.open_zarr(src) as ds_in, xr.open_zarr(out) as ds_out:
            x = ds_in.tws.isel(time=months).values.astype(np.float32)
            y = ds_out.tws.isel(time=months).values
            ref = np.asarray(op(x))
            result["checked_months"] = months
            result["max_abs_diff_vs_in_memory"] = float(np.abs(y - ref).max())
            result["output_shape"] = list(ds_out.tws.shape)
        result["output_gb_on_disk"] = _dir_bytes(out) / 1e9
        print(f"output {result['output_shape']}, months {months} vs in-memory: max |diff| "
              f"{result['max_abs_diff_vs_in_memory']:.3g}")
    result["meta"] = {
        "hardware": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores "
                    f"({platform.platform()})",
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "loadavg_1min": os.getloadavg()[0],
        "cap": "RLIMIT_AS (address space) on the child process",
    }
    write_json(args.out, result)
    print(f"wrote {args.out}")
    return 0 if run["returncode"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
