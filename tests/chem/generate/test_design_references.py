"""A similarity component's reference must be a real molecule: `*` (a dummy / wildcard atom)
parses in RDKit and was accepted, scoring every design against an attachment point."""

from __future__ import annotations

import pytest

from helixforge.chem.generate.design import check_similarity_references, design
from helixforge.chem.generate.scoring_config import read_design_config
from helixforge.core.errors import ConfigError

GOOD = '[[component]]\ntype = "qed"\n'


def _config(tmp_path, smiles: str):
    path = tmp_path / "design.toml"
    path.write_text(
        GOOD + f'[[component]]\ntype = "similarity"\nname = "near"\nsmiles = {smiles}\n',
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    ("smiles", "words"),
    [
        ('"*"', "dummy / wildcard atom"),
        ('["CCO", "[*]c1ccccc1"]', "(reference 2 of 2) '[*]c1ccccc1' has 1 dummy"),
        ('"c1ccccc1[1*]"', "dummy / wildcard atom"),
        ('"C*C"', "dummy / wildcard atom"),
        ('["CCO", ""]', "empty string, not a molecule"),
    ],
)
def test_a_reference_that_is_not_a_real_molecule_is_refused_naming_line_and_key(
    tmp_path, smiles, words
):
    path = _config(tmp_path, smiles)
    with pytest.raises(ConfigError) as err:
        check_similarity_references(read_design_config(path))
    message = err.value.message
    assert f"{path}, line 6: component 'near': smiles" in message, message
    assert words in message, message


def test_real_references_pass(tmp_path):
    check_similarity_references(read_design_config(_config(tmp_path, '["CCO", "c1ccccc1O"]')))


def test_design_refuses_a_wildcard_reference_before_any_work(tmp_path):
    out = tmp_path / "run"
    with pytest.raises(ConfigError, match="dummy / wildcard"):
        design(_config(tmp_path, '"*"'), out, optimizer="ga", budget=10)
    assert not out.exists() and not (tmp_path / ".run.partial").exists()
