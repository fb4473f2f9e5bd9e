"""`parse_blend_name` / `get_model('blend:…')` apply the CLI's blend-spec rule
(`chem.selection.check_blend_spec`) when called from Python."""

from __future__ import annotations

import pytest

from helixforge.chem.models import get_model
from helixforge.chem.models.blend import parse_blend_name
from helixforge.core.errors import ConfigError


@pytest.mark.parametrize(
    "spec",
    [
        "blend:gbm+minimol-mlp@",  # empty weight: was read as 'no weight', blended 50/50
        "blend:gbm+minimol-mlp@ ",
        "blend:gbm+minimol-mlp@nan",
        "blend:gbm+minimol-mlp@0.5@0.5",
        "blend:gbm+gbm@0.5",
        "blend:gbm+nosuchmodel",
        "blend:gbm++minimol-mlp",
        "blend:gbm",
    ],
)
def test_parse_blend_name_refuses_what_the_cli_refuses(spec):
    with pytest.raises(ConfigError, match="blend:MODEL_A"):
        parse_blend_name(spec)
    with pytest.raises(ConfigError):
        get_model(spec)


def test_parse_blend_name_reads_valid_specs():
    assert parse_blend_name("blend:gbm+minimol-mlp@0.60") == (["gbm", "minimol-mlp"], [0.6, 0.4])
    assert parse_blend_name("blend:gbm+minimol-mlp") == (["gbm", "minimol-mlp"], [0.5, 0.5])
    assert parse_blend_name("blend:GBM + minimol-mlp@1")[0] == ["gbm", "minimol-mlp"]
