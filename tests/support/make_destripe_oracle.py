"""Record gravity-toolkit's destriping of the shared CSR RL06 files
(tests/data/destripe_gtk_csr.json).

gravity-toolkit 1.2.8 does not install cleanly; with its source unpacked (e.g. /tmp/gtk/src)
and its unused heavy imports stubbed (/tmp/gtk/stubimport.py), run from the checkout root::

    PYTHONPATH=$PWD python -c "exec(open('/tmp/gtk/stubimport.py').read()); import runpy; \
        runpy.run_path('tests/support/make_destripe_oracle.py', run_name='__main__')" \
        ../shared/data

Inputs are jaxgeo's reading of the files at lmax 60 less the 2004–2009 mean (see
``destripe_oracle.anomalies``); gravity-toolkit's ``destripe_harmonics`` (defaults: ROUND=True,
NARROW=False, orders >= 5) filters each month. Recorded per month: a few coefficients, the
RMS over degrees of every order, and the 300 km Gaussian EWH (mm, jaxgeo's float64
synthesis of gravity-toolkit's coefficients) at a few cells; plus, as measured here, the
max and RMS difference (mm) between that grid and jaxgeo's own destriped grid.
"""

import json
import sys
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from jaxgeo.grace import destripe  # noqa: E402
from support import destripe_oracle as o  # noqa: E402


def main(shared: Path, out: Path) -> None:
    clm, slm, radius_m = o.anomalies(shared)
    gc, gs = o.gtk_destripe(clm, slm)
    jc, js = (np.asarray(a) for a in destripe(clm, slm))
    g_ewh, grid = o.ewh_mm(gc, gs, radius_m)
    j_ewh, _ = o.ewh_mm(jc, js, radius_m)
    w = np.cos(np.deg2rad(np.asarray(grid.lat)))[:, None] * np.ones(grid.shape)
    months = {}
    for i, mo in enumerate(o.MONTHS):
        scale = max(np.abs(clm[i]).max(), np.abs(slm[i]).max())
        d = j_ewh[i] - g_ewh[i]
        months[mo] = {
            "coefficients": [[ell, m, float(gc[i, ell, m]), float(gs[i, ell, m])]
                             for ell, m in o.SAMPLES],
            "order_rms_clm": o.order_rms(gc[i]).tolist(),
            "order_rms_slm": o.order_rms(gs[i]).tolist(),
            "cells_mm": [[lat, lon, float(g_ewh[i][o.cell_index(grid, lat, lon)])]
                         for lat, lon in o.CELLS],
            "rms_mm": float(np.sqrt((g_ewh[i] ** 2 * w).sum() / w.sum())),
            "measured": {
                "max_rel_coefficient_diff": float(max(np.abs(jc[i] - gc[i]).max(),
                                                      np.abs(js[i] - gs[i]).max()) / scale),
                "grid_max_abs_diff_mm": float(np.abs(d).max()),
                "grid_rms_diff_mm": float(np.sqrt((d ** 2 * w).sum() / w.sum())),
            },
        }
    import gravity_toolkit

    doc = {
        "source": "tests/support/make_destripe_oracle.py",
        "gravity_toolkit": getattr(gravity_toolkit, "__version__", None) or o.GTK_VERSION,
        "call": "destripe_harmonics(clm, slm, LMAX=60) (ROUND=True, NARROW=False)",
        "input": "CSR RL06 GSM (shared data), lmax 60, less the 2004-01..2009-12 mean",
        "grid": f"{o.RESOLUTION_DEG} deg, Gaussian {o.HALF_WIDTH_KM} km, mm, float64",
        "months": months,
    }
    out.write_text(json.dumps(doc, indent=1) + "\n")
    for mo, v in months.items():
        print(mo, v["measured"])


if __name__ == "__main__":
    root = Path(__file__).resolve().parents[2]
    shared = Path(sys.argv[1]) if len(sys.argv) > 1 else root.parent / "shared" / "data"
    main(shared, root / "tests" / "data" / "destripe_gtk_csr.json")
