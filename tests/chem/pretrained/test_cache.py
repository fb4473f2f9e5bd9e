"""chem.pretrained.cache: an embedding cache that cannot be opened names $HELIX_CACHE_DIR."""

from __future__ import annotations

import pytest

from helixforge.chem.pretrained.cache import EmbeddingCache
from helixforge.core.errors import ConfigError


def test_a_cache_folder_that_is_a_file_names_the_variable_and_the_way_out(tmp_path, monkeypatch):
    """It said '/…/afile: File exists → check the path', a path the user never typed."""
    (tmp_path / "afile").write_text("")
    monkeypatch.setenv("HELIX_CACHE_DIR", str(tmp_path / "afile"))
    with pytest.raises(ConfigError) as e:
        EmbeddingCache()
    assert "embedding cache" in e.value.message and "$HELIX_CACHE_DIR" in e.value.message
    assert "--no-cache" in e.value.hint
