"""Independent oracles for the troposphere pillar (NumPy, small sizes only)."""

import numpy as np

H_MIN_M, H_MAX_M, B1_KM, B2_KM = -500.0, 10_000.0, 2.0, 5.0


def height_basis(h_m):
    """``[1, −s1, −s1², −s2, −s2², −s3, −s3²]`` (km) written from the model's definition."""
    hk = np.clip(h_m, H_MIN_M, H_MAX_M) / 1000.0
    s1 = np.minimum(hk, B1_KM)
    s2 = np.clip(hk - B1_KM, 0.0, B2_KM - B1_KM)
    s3 = np.maximum(hk - B2_KM, 0.0)
    return np.stack([np.ones_like(hk), -s1, -s1**2, -s2, -s2**2, -s3, -s3**2], axis=-1)


def harmonic_basis(doy):
    w = 2.0 * np.pi * np.asarray(doy, dtype=np.float64) / 365.25
    return np.stack([np.ones_like(w), np.cos(w), np.sin(w), np.cos(2 * w), np.sin(2 * w)],
                    axis=-1)


def normal_equations_direct(doy, h, z, *, family, min_zwd_m):
    """The plain Kronecker-design normal equations per column (brute force).

    Args:
        doy: (T, C) days of year; h, z: (T, C, L) heights (m) and ZWD (m).

    Returns:
        ``(m (C, 35, 35), r (C, 35), n (C,))``.
    """
    h = np.asarray(h, dtype=np.float64)
    z = np.asarray(z, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        valid = np.isfinite(h) & np.isfinite(z) & (h >= H_MIN_M) & (h <= H_MAX_M)
        if family == "exp":
            valid &= z > min_zwd_m
            y = np.log(np.where(valid, z, 1.0))
        else:
            y = np.where(valid, z, 0.0)
    w = valid.astype(np.float64)
    g = height_basis(np.where(valid, h, 0.0)) * w[..., None]
    s = np.broadcast_to(harmonic_basis(doy), (*h.shape[:2], 5))
    a = np.einsum("tcli,tclj->tcij", g, g)
    c = h.shape[1]
    m = np.einsum("tcij,tca,tcb->ciajb", a, s, s).reshape(c, 35, 35)
    r = np.einsum("tcli,tcl,tca->cia", g, y, s).reshape(c, 35)
    return m, r, w.sum(axis=(0, 2))


T2000 = np.datetime64("2000-01-01T00:00", "ns")


def time_of_doy(doy):
    """numpy.datetime64 of a day of year in 2000 (a leap year: doy 1 to 367), ns-rounded."""
    ns = np.rint((np.asarray(doy, dtype=np.float64) - 1.0) * 86_400e9).astype(np.int64)
    return T2000 + ns.astype("timedelta64[ns]")
