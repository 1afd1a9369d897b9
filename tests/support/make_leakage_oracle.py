"""Record gravity-toolkit's Gaussian weights (tests/data/leakage_gauss_weights_gtk.json),
the smoothing of jaxgeo.grace.filter_field and gaussian_weights.

gravity-toolkit 1.2.8 does not install cleanly; with its source unpacked (e.g. /tmp/gtk/src)
and its unused heavy imports stubbed (/tmp/gtk/stubimport.py), run from the checkout root::

    PYTHONPATH=$PWD python -c "exec(open('/tmp/gtk/stubimport.py').read()); import runpy; \\
        runpy.run_path('tests/support/make_leakage_oracle.py', run_name='__main__')"

gravity-toolkit's ``gauss_weights(hw, LMAX)`` (Jekeli's upward recurrence, normalised to
``1/(2π)`` at degree 0, floored at 1e-10) is recorded times 2π, for a few half-widths.
"""

import json
import sys
from pathlib import Path

import numpy as np

HALF_WIDTHS_KM = (150.0, 300.0, 500.0)
LMAX = 60
OUT = Path(__file__).resolve().parents[1] / "data" / "leakage_gauss_weights_gtk.json"


def gtk_weights(hw: float, lmax: int = LMAX) -> np.ndarray:
    from gravity_toolkit.gauss_weights import gauss_weights

    return 2.0 * np.pi * np.asarray(gauss_weights(hw, lmax), dtype=np.float64)


def main() -> None:
    import gravity_toolkit

    version = getattr(gravity_toolkit, "__version__", None) or "1.2.8"
    rec = {"gravity_toolkit": version, "lmax": LMAX, "function": "gauss_weights × 2π",
           "weights": {str(hw): gtk_weights(hw).tolist() for hw in HALF_WIDTHS_KM}}
    OUT.write_text(json.dumps(rec, indent=1) + "\n")
    print(f"wrote {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
