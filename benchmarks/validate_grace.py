"""Validate the GRACE Level-2 chain on the real CSR RL06 files (231 months, 2002-04..2024-04).

The validation itself is :mod:`jaxgeo.validation.grace`; its published values and region
outlines are the package data file ``jaxgeo/validation/data/grace_published.json``.

    python benchmarks/validate_grace.py --data-dir ../shared/data   # or JAXGEO_DATA_DIR

Prints the comparison table and writes ``benchmarks/results/grace_validation.json``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("JAX_PLATFORMS", "cpu")

RESULTS = Path(__file__).resolve().parent / "results" / "grace_validation.json"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, default=os.environ.get("JAXGEO_DATA_DIR"),
                    help="folder holding grace-l2/ (or grace-l2 itself); "
                         "default $JAXGEO_DATA_DIR")
    ap.add_argument("--resolution-deg", type=float, default=0.5,
                    help="grid cell size, degrees (default 0.5)")
    ap.add_argument("--out", type=Path, default=RESULTS, help=f"JSON output (default {RESULTS})")
    a = ap.parse_args(argv)
    if a.data_dir is None:
        ap.error("no data folder: pass --data-dir DIR or set JAXGEO_DATA_DIR")
    from jaxgeo.validation import grace

    try:
        grace.run(a.data_dir, out=a.out, resolution_deg=a.resolution_deg)
    except (ValueError, FileNotFoundError) as exc:
        print(f"validate_grace: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
