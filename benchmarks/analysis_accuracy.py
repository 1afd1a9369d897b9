"""Accuracy of jaxgeo.grace.analyze against ducc0 (F1 geometry) and of the round trips with
synthesize, float64, on random band-limited fields; plus the time of one batched analysis.

    python benchmarks/analysis_accuracy.py [--resolutions 5 2 1] [--months 12]
"""

from __future__ import annotations

import argparse
import math
import os
import time

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import ducc0  # noqa: E402
import jax  # noqa: E402
import numpy as np  # noqa: E402

jax.config.update("jax_enable_x64", True)

from jaxgeo import Grid  # noqa: E402
from jaxgeo.grace import (  # noqa: E402
    AnalysisTable,
    SynthesisTable,
    analyze,
    max_analysis_degree,
    synthesize,
)


def alm_to_cs(alm, lmax):
    """ducc0 alm (healpy order, orthonormal, Condon–Shortley) -> 4π C_lm, S_lm."""
    c = np.zeros((lmax + 1, lmax + 1))
    s = np.zeros((lmax + 1, lmax + 1))
    i = 0
    for m in range(lmax + 1):
        a = alm[i: i + lmax + 1 - m]
        i += lmax + 1 - m
        if m == 0:
            c[:, 0] = a.real / math.sqrt(4 * math.pi)
        else:
            c[m:, m] = (-1) ** m * a.real / math.sqrt(2 * math.pi)
            s[m:, m] = -((-1) ** m) * a.imag / math.sqrt(2 * math.pi)
    return c, s


def one(res: float, seed: int = 0) -> dict:
    grid = Grid.regular(res)
    lmax = max_analysis_degree(grid)
    rng = np.random.default_rng(seed)
    n = (lmax + 1) * (lmax + 2) // 2
    alm = rng.standard_normal(n) + 1j * rng.standard_normal(n)
    alm[: lmax + 1] = alm[: lmax + 1].real
    phi0 = math.radians(grid.lon[0])
    field = np.ascontiguousarray(ducc0.sht.synthesis_2d(
        alm=alm[None], spin=0, lmax=lmax, geometry="F1", ntheta=grid.nlat, nphi=grid.nlon,
        phi0=phi0)[0, ::-1])
    ref = alm_to_cs(ducc0.sht.experimental.analysis_2d(
        map=np.ascontiguousarray(field[::-1])[None], spin=0, lmax=lmax, geometry="F1",
        phi0=phi0)[0], lmax)
    true = alm_to_cs(alm, lmax)
    t0 = time.perf_counter()
    table = AnalysisTable.create(grid, lmax)
    t_table = time.perf_counter() - t0
    got = analyze(table, field)
    syn = SynthesisTable.create(grid, lmax)
    back = synthesize(syn, *got)
    c_rand = np.tril(rng.standard_normal((lmax + 1, lmax + 1)))
    s_rand = np.tril(rng.standard_normal((lmax + 1, lmax + 1)))
    s_rand[:, 0] = 0
    c2, s2 = analyze(table, synthesize(syn, c_rand, s_rand))
    return {
        "resolution_deg": res, "lmax": lmax, "table_s": t_table,
        "vs_ducc0": max(float(np.abs(np.asarray(g) - r).max()) for g, r in zip(got, ref,
                                                                              strict=True)),
        "vs_true_alm": max(float(np.abs(np.asarray(g) - r).max()) for g, r in zip(got, true,
                                                                                 strict=True)),
        "synth(analyze(f)) - f": float(np.abs(np.asarray(back) - field).max()),
        "analyze(synth(c)) - c": max(float(np.abs(np.asarray(c2) - c_rand).max()),
                                     float(np.abs(np.asarray(s2) - s_rand).max())),
        "max|f|": float(np.abs(field).max()),
    }


def timing(months: int, res: float = 0.5, lmax: int = 96) -> str:
    grid = Grid.regular(res)
    table = AnalysisTable.create(grid, lmax)
    field = np.random.default_rng(1).standard_normal((months, *grid.shape))
    fn = jax.jit(analyze)
    jax.block_until_ready(fn(table, field))
    t0 = time.perf_counter()
    jax.block_until_ready(fn(table, field))
    return (f"analysis of {months} months at {res:g}°, lmax {lmax}: "
            f"{time.perf_counter() - t0:.3f} s after compilation ({jax.devices()[0]})")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--resolutions", type=float, nargs="+", default=[5.0, 2.0, 1.0])
    ap.add_argument("--months", type=int, default=12)
    args = ap.parse_args()
    for res in args.resolutions:
        r = one(res)
        print("  ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}"
                        for k, v in r.items()))
    if args.months:
        print(timing(args.months))


if __name__ == "__main__":
    main()
