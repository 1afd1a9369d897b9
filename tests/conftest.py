"""Test configuration: float64, strict dtype and rank promotion, 8 simulated CPU devices.

These must be set before JAX initialises its backends, hence at import time here.
"""

import os
from pathlib import Path

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402
import pytest  # noqa: E402

jax.config.update("jax_num_cpu_devices", 8)
jax.config.update("jax_enable_x64", True)
jax.config.update("jax_numpy_dtype_promotion", "strict")
jax.config.update("jax_numpy_rank_promotion", "raise")

# ../shared/data beside the checkout; JAXGEO_TEST_SHARED points elsewhere (e.g. from a worktree)
SHARED_DATA = Path(os.environ.get("JAXGEO_TEST_SHARED")
                   or Path(__file__).resolve().parents[1].parent / "shared" / "data")


@pytest.fixture
def shared_data() -> Path:
    """``../shared/data`` beside the checkout; skips the test when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    return SHARED_DATA
