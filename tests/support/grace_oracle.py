"""gravity-toolkit as a test-only oracle of the GRACE month numbering and the TN-14
C20/C30 replacement (tests skip where it is not installed)."""

from pathlib import Path

import pytest


def gtk_csr(shared_data, tmp_path, lmax=60):
    """gravity-toolkit's months and C20/C30 (TN-14) for the shared CSR files, or skip."""
    gtk = pytest.importorskip("gravity_toolkit")
    base = tmp_path / "gtk"
    gsm = base / "CSR" / "RL06" / "GSM"
    gsm.mkdir(parents=True)
    src = shared_data / "grace-l2"
    names = sorted(p.name for p in (src / "csr-rl06").iterdir())
    for n in names:
        (gsm / n).symlink_to(src / "csr-rl06" / n)
    (gsm / "index.txt").write_text("\n".join(names) + "\n")
    (base / "TN-14_C30_C20_GSFC_SLR.txt").symlink_to(src / "TN-14_C30_C20_GSFC_SLR.txt")
    files = gtk.grace_date(str(base), PROC="CSR", DREL="RL06", DSET="GSM", OUTPUT=False)
    months = sorted(files)
    missing = sorted(set(range(months[0], months[-1] + 1)) - set(months))
    out = gtk.grace_input_months(str(base), "CSR", "RL06", "GSM", lmax, months[0],
                                 months[-1], missing, "GSFC", "", SLR_C30="GSFC")
    return {Path(str(files[m])).name: m for m in months}, out
