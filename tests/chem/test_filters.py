"""Medicinal-chemistry filters: rules, structural alerts, QED / SA, names and None handling."""

from __future__ import annotations

import math

import pytest
from rdkit import Chem

from helixforge.chem.filters import (
    FILTER_NAMES,
    FilterOptions,
    apply_filters,
    check_filter_names,
    drug_likeness,
)
from helixforge.core.errors import ConfigError

ASPIRIN = "CC(=O)Oc1ccccc1C(=O)O"
CYCLOSPORIN = (
    "CC[C@H]1C(=O)N(CC(=O)N([C@H](C(=O)N[C@H](C(=O)N([C@H](C(=O)N[C@H](C(=O)N[C@@H](C(=O)N("
    "[C@H](C(=O)N([C@H](C(=O)N([C@H](C(=O)N([C@H](C(=O)N1)[C@@H]([C@H](C)C/C=C/C)O)C)C(C)C)C)"
    "CC(C)C)C)CC(C)C)C)C)C)CC(C)C)C)C(C)C)CC(C)C)C)C"
)
IBUPROFEN = "CC(C)Cc1ccc(cc1)C(C)C(=O)O"
# A catechol chalcone: the textbook PAINS catechol_A hit and a Brenk Michael acceptor.
CATECHOL_CHALCONE = "O=C(C=Cc1ccccc1)c1ccc(O)c(O)c1"


def mols(*smiles: str | None) -> list:
    return [None if s is None else Chem.MolFromSmiles(s) for s in smiles]


def test_lipinski_known_drugs():
    out = apply_filters(mols(ASPIRIN, IBUPROFEN, CYCLOSPORIN), "lipinski")
    assert out["pass_lipinski"].tolist() == [True, True, False]
    # cyclosporin (MW 1202, 23 N+O) fails on weight and acceptors, named in the alerts
    assert out.loc[2, "alerts"] == "lipinski:MW>500|lipinski:HBA>10"
    assert out.loc[0, "alerts"] == ""


def test_lipinski_strict_mode_counts_single_violation():
    # logP of this long alkyl chain is above 5 — one violation: passes by default, fails strict
    greasy = "CCCCCCCCCCCCCCCCCCCC(=O)O"
    assert apply_filters(mols(greasy), "lipinski")["pass_lipinski"].item()
    strict = apply_filters(mols(greasy), "lipinski", lipinski_max_violations=0)
    assert not strict["pass_lipinski"].item()
    assert strict["alerts"].item() == "lipinski:LogP>5"


def test_veber_and_range_rules():
    out = apply_filters(mols(ASPIRIN, CYCLOSPORIN), ["veber", "ghose"])
    assert out["pass_veber"].tolist() == [True, False]
    assert "veber:TPSA>140" in out.loc[1, "alerts"]
    assert out["pass_ghose"].tolist() == [True, False]
    assert "ghose:MW>480" in out.loc[1, "alerts"]


def test_pains_alert_is_named():
    out = apply_filters(mols(CATECHOL_CHALCONE, ASPIRIN), "pains")
    assert out["pass_pains"].tolist() == [False, True]
    assert out.loc[0, "alerts"] == "pains:catechol_A(92)"


def test_brenk_alerts_are_named():
    out = apply_filters(mols(CATECHOL_CHALCONE), "brenk")
    assert not out["pass_brenk"].item()
    assert set(out["alerts"].item().split("|")) == {"brenk:Michael_acceptor_1", "brenk:catechol"}


def test_nih_catalog_runs():
    out = apply_filters(mols(ASPIRIN, "O=C(Cl)c1ccccc1"), "nih")
    assert out.loc[0, "pass_nih"]
    assert not out.loc[1, "pass_nih"] and out.loc[1, "alerts"].startswith("nih:")


def test_qed_and_sa_columns_and_thresholds():
    out = apply_filters(mols(ASPIRIN, CYCLOSPORIN), "qed,sa")
    assert list(out.columns) == ["pass_qed", "pass_sa", "qed", "sa_score", "alerts"]
    assert out.loc[0, "qed"] == pytest.approx(0.550, abs=1e-3)
    assert out.loc[0, "sa_score"] == pytest.approx(1.580, abs=1e-3)
    assert out["pass_qed"].tolist() == [True, False]
    assert out["pass_sa"].tolist() == [True, False]  # cyclosporin SA ≈ 6.9
    assert out.loc[1, "alerts"] == "qed:0.15<0.5|sa:6.88>6"
    looser = apply_filters(mols(CYCLOSPORIN), "sa", FilterOptions(sa_max=7.0))
    assert looser["pass_sa"].item()


def test_drug_likeness_frame():
    frame = drug_likeness(mols(ASPIRIN, None))
    assert list(frame.columns) == ["qed", "sa_score"]
    assert frame.loc[0, "qed"] == pytest.approx(0.550, abs=1e-3)
    assert math.isnan(frame.loc[1, "qed"]) and math.isnan(frame.loc[1, "sa_score"])


def test_none_molecules_fail_every_filter_as_invalid():
    out = apply_filters(mols(None, ASPIRIN), list(FILTER_NAMES))
    assert not out.loc[0, [f"pass_{n}" for n in FILTER_NAMES]].any()
    assert out.loc[0, "alerts"] == "invalid"
    assert out.loc[1, "pass_lipinski"]


def test_empty_input_gives_empty_frame():
    out = apply_filters([], "lipinski,qed")
    assert len(out) == 0 and list(out.columns) == ["pass_lipinski", "pass_qed", "qed", "alerts"]


def test_check_filter_names_parses_dedups_and_keeps_order():
    assert check_filter_names("pains, Lipinski,pains") == ("pains", "lipinski")
    assert check_filter_names(["brenk", "qed,sa"]) == ("brenk", "qed", "sa")
    assert check_filter_names("") == ()


def test_unknown_names_and_thresholds_are_config_errors():
    with pytest.raises(ConfigError, match="lipinksi") as err:
        check_filter_names("lipinksi,pains")
    assert "lipinski" in str(err.value) and "brenk" in str(err.value)
    with pytest.raises(ConfigError, match="no filter"):
        apply_filters(mols(ASPIRIN), "")
    with pytest.raises(ConfigError, match="qed_max"):
        apply_filters(mols(ASPIRIN), "qed", qed_max=0.3)
    with pytest.raises(ConfigError, match="sa_max"):
        FilterOptions(sa_max=11)


def test_deterministic():
    smiles = [ASPIRIN, CYCLOSPORIN, CATECHOL_CHALCONE, IBUPROFEN, None]
    first = apply_filters(mols(*smiles), FILTER_NAMES)
    second = apply_filters(mols(*smiles), FILTER_NAMES)
    assert first.equals(second)


def test_rules_agree_with_medchem_where_definitions_match():
    """lipinski (strict), veber and reos are the same rules as medchem's (when installed)."""
    basic = pytest.importorskip("medchem.rules.basic_rules")
    from tests.chem.conftest import tiny_smiles

    smiles = [*tiny_smiles()[::4], ASPIRIN, CYCLOSPORIN, IBUPROFEN, "CCCCCCCCCCCCCCCCCCCC(=O)O"]
    ms = mols(*smiles)
    ours = apply_filters(ms, "lipinski,veber,reos", lipinski_max_violations=0)
    for name, rule in [
        ("lipinski", basic.rule_of_five),
        ("veber", basic.rule_of_veber),
        ("reos", basic.rule_of_reos),
    ]:
        assert ours[f"pass_{name}"].tolist() == [bool(rule(m)) for m in ms], name
