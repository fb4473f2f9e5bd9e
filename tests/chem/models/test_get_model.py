"""`get_model`: an `lm:PATH` checkpoint is checked when the model is made, not at fit."""

from __future__ import annotations

import json

import pytest

from helixforge.chem.models import get_model
from helixforge.core.errors import DataUnavailableError, InputError


def test_a_missing_lm_checkpoint_is_refused_at_construction(tmp_path):
    """get_model('lm:/missing/path') returned a model that failed only inside fit."""
    with pytest.raises(InputError, match="missing: model directory not found"):
        get_model(f"lm:{tmp_path / 'missing'}")
    (tmp_path / "a_file").write_text("x")
    with pytest.raises(InputError, match="not a language-model checkpoint"):
        get_model(f"lm:{tmp_path / 'a_file'}")
    with pytest.raises(InputError, match="no config.json"):
        get_model(f"lm:{tmp_path}")
    with pytest.raises(DataUnavailableError, match="never downloads"):
        get_model("lm:someone/some-model")
    with pytest.raises(InputError, match="model directory not found"):  # a blend member too
        get_model(f"blend:gbm+lm:{tmp_path / 'missing'}")


def test_an_existing_checkpoint_folder_is_accepted(tmp_path):
    pytest.importorskip("helixforge.lm.estimator")
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "bert"}))
    model = get_model(f"lm:{tmp_path}")
    assert model.model_path == str(tmp_path)
