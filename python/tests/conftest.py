"""Shared helpers of the Python tests (run by ctest through pytest; see python/CMakeLists.txt)."""

import os
import pathlib

import numpy as np
import pytest

SOURCE_DIR = pathlib.Path(os.environ.get("RECUR_SOURCE_DIR",
                                         pathlib.Path(__file__).resolve().parents[2]))


def rel_error(got, want):
    """‖got − want‖ / ‖want‖ (DESIGN.md's comparison), with NaN failing."""
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape, f"shape {got.shape} != {want.shape}"
    assert np.all(np.isfinite(got)), "non-finite values"
    return float(np.linalg.norm(got - want) / max(np.linalg.norm(want), 1e-30))


def assert_close(got, want, rel, what=""):
    """Relative error plus a max-abs check (scaled by the reference's largest value)."""
    err = rel_error(got, want)
    want = np.asarray(want, dtype=np.float64)
    max_abs = float(np.max(np.abs(np.asarray(got, dtype=np.float64) - want))) if want.size else 0
    scale = max(float(np.max(np.abs(want))) if want.size else 0, 1.0)
    assert err <= rel and max_abs <= 10 * rel * scale, \
        f"{what}: relative error {err:.3g} (bound {rel}), max abs {max_abs:.3g}"


@pytest.fixture(autouse=True)
def _one_thread():
    """Tests run two at a time on a two-core machine: torch uses one thread each."""
    try:
        import torch
    except ImportError:
        yield
        return
    torch.set_num_threads(1)
    yield
