"""The FCD reference cache is keyed by what was read, not only by the file's bytes."""

from __future__ import annotations

import numpy as np
import pytest

import helixforge.chem.generate.metrics as M
from helixforge.core.errors import InputError

needs_fcd = pytest.mark.skipif(not M.fcd_available(), reason="fcd_torch not installed")


@needs_fcd
def test_a_text_file_named_parquet_is_not_served_the_csv_statistics(tmp_path, monkeypatch):
    """`chem generate --fcd-ref ref.parquet` on a CSV's bytes was accepted: the cache key was
    the sha256 of the bytes alone, so the statistics cached for ref.csv were served and the
    file was never read as the Parquet its name says."""
    monkeypatch.setattr(M, "_chemnet", lambda: (None, "chemnet-sha"))
    fake = M.FCDStats(np.zeros(2), np.eye(2), 3)
    monkeypatch.setattr(M, "chemnet_stats", lambda smiles, *a, **k: (list(smiles), fake)[1])
    csv = tmp_path / "ref.csv"
    csv.write_text("smiles\nCCO\nc1ccccc1\nCCN\n")
    cache = tmp_path / "cache"
    assert M.reference_fcd_stats(csv, cache_dir=cache).n == 3
    parquet = tmp_path / "ref.parquet"
    parquet.write_bytes(csv.read_bytes())
    with pytest.raises(InputError, match="could not be read as Parquet"):
        M.reference_fcd_stats(parquet, cache_dir=cache)
