"""Record gravity-toolkit's GIA reading, Love numbers by reference frame and unit factors
(tests/data/grace_corrections_gtk.json).

gravity-toolkit 1.2.8 does not install cleanly; with its source unpacked (e.g. /tmp/gtk/src)
and its unused heavy imports stubbed (/tmp/gtk/stubimport.py), run from the checkout root::

    PYTHONPATH=$PWD python -c "exec(open('/tmp/gtk/stubimport.py').read()); import runpy; \
        runpy.run_path('tests/support/make_corrections_oracle.py', run_name='__main__')"

Recorded: ``read_GIA_model`` (GIA='ICE6G-D' and 'Caron') of the synthetic files of
tests/support/gia_files.py, and ``harmonics.drift`` of the ICE-6G_D rates at a few epochs;
``load_love_numbers(60, REFERENCE=...)`` for CE, CM, CF, CL, CH; ``units(lmax=60)
.harmonic(*love CF)`` factors mmwe, mmGH, microGal, mbar with the constants they use.
"""

import json
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from support.gia_files import caron_lines, gia_rates, ice6g_d_lines, write_lines  # noqa: E402

LMAX = 60
TIMES = [2002.5, 2003.3, 2010.0, 2023.75]


def record() -> dict:
    import gravity_toolkit as gtk
    from gravity_toolkit.read_GIA_model import read_GIA_model
    from gravity_toolkit.read_love_numbers import load_love_numbers

    clm, slm = gia_rates()
    out = {"gravity_toolkit": "1.2.8", "lmax": LMAX, "gia_lmax": clm.shape[0] - 1,
           "gia": {}, "love": {}, "units": {}}
    with tempfile.TemporaryDirectory() as d:
        files = {"ICE6G-D": write_lines(Path(d) / "ICE-6G_High_Res_Stokes_trend.txt",
                                        ice6g_d_lines(clm, slm)),
                 "Caron": write_lines(Path(d) / "GIA_stokes_trend.txt",
                                      caron_lines(clm, slm))}
        n = clm.shape[0]
        for layout, f in files.items():
            y = read_GIA_model(f, GIA=layout, LMAX=n - 1)
            out["gia"][layout] = {"clm": y["clm"][:n, :n].tolist(),
                                  "slm": y["slm"][:n, :n].tolist(), "title": y["title"]}
        rates = gtk.gia(lmax=n - 1).from_GIA(files["ICE6G-D"], GIA="ICE6G-D")
        drift = rates.drift(np.array(TIMES), epoch=2003.3)
        out["gia"]["drift"] = {"times": TIMES, "epoch": 2003.3,
                               "clm": np.moveaxis(drift.clm, -1, 0).tolist(),
                               "slm": np.moveaxis(drift.slm, -1, 0).tolist()}
    for frame in ("CE", "CM", "CF", "CL", "CH"):
        h, k, ell = load_love_numbers(LMAX, REFERENCE=frame)
        out["love"][frame] = {"h": h.tolist(), "k": k.tolist(), "l": ell.tolist()}
    h, k, ell = load_love_numbers(LMAX, REFERENCE="CF")
    u = gtk.units(lmax=LMAX).harmonic(h, k, ell)
    out["units"] = {name: getattr(u, name).tolist()
                    for name in ("mmwe", "mmGH", "microGal", "mbar")}
    # constants in SI: radius m, density kg/m3, GM m3/s2, g m/s2
    out["units"]["constants"] = {"rad_e_m": u.rad_e / 100, "rho_e_kg_m3": u.rho_e * 1000,
                                 "GM_m3_s2": u.GM * 1e-6, "g_wmo_m_s2": u.g_wmo / 100}
    return out


if __name__ == "__main__":
    dest = Path(__file__).resolve().parents[1] / "data" / "grace_corrections_gtk.json"
    dest.write_text(json.dumps(record(), indent=1) + "\n")
    print(f"wrote {dest}")
