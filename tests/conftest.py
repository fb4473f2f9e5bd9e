"""Shared test settings: small models run on one thread, plots use a headless backend, and
the MiniMol embedding cache is a temporary folder (tests never read or fill the user's)."""

import os
import shutil
import tempfile

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
# Set unconditionally (not setdefault): a HELIX_CACHE_DIR exported in the shell points at a
# real cache that the tests must not touch. Subprocesses (CLI tests) inherit it.
_CACHE = tempfile.mkdtemp(prefix="helix-test-cache-")
os.environ["HELIX_CACHE_DIR"] = _CACHE
# HELIX_CACHE (the data folder's older name) wins over HELIX_CACHE_DIR for datasets and genome
# copies / indexes: exported, it put them in the user's cache, shared by the xdist workers
os.environ.pop("HELIX_CACHE", None)

try:
    import torch

    torch.set_num_threads(1)
except ImportError:  # pragma: no cover
    pass


def pytest_unconfigure(config) -> None:
    """Remove the session's temporary embedding cache."""
    shutil.rmtree(_CACHE, ignore_errors=True)
