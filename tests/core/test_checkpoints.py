"""core.checkpoints: what a refused --resume says changed."""

from __future__ import annotations

import pytest

from helixforge.core.checkpoints import check_resume_key
from helixforge.core.errors import ConfigError


def test_a_component_added_on_resume_is_named_not_printed_whole():
    """chem design --resume with a model component added printed the component's whole
    dictionary of file digests ('model:model: was None, now {'ad.json': '309b8b…', …})."""
    files = {f"f{i}.json": f"{i:x}" * 64 for i in range(8)}
    with pytest.raises(ConfigError) as e:
        check_resume_key({"budget": 3000, "model": None}, {"budget": 3000, "model": files}, "x")
    msg = e.value.message
    assert "model: was None, now 8 entries (f0.json, f1.json, f2.json, …)" in msg
    assert len(msg) < 200 and "0000" not in msg


def test_a_long_value_is_clipped():
    with pytest.raises(ConfigError) as e:
        check_resume_key({"smiles": "C" * 500}, {"smiles": "N" * 500}, "x")
    assert len(e.value.message) < 300 and "…" in e.value.message
