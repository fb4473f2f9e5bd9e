"""MOSES metrics on hand-made sets whose answers are known."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from helixforge.chem.generate import metrics as M
from helixforge.chem.generate.novelty import NoveltyReference
from helixforge.core.errors import InputError

SET = ["CCO", "OCC", "c1ccccc1", "not_smiles", "", "CC(=O)Nc1ccc(O)cc1"]


def test_validity_counts_empty_and_unparsable_as_invalid():
    assert M.validity(SET) == pytest.approx(4 / 6)


def test_unique_at_k_uses_canonical_forms_and_the_first_k():
    canon = M.canonical_valid(SET)
    assert canon[0] == canon[1] == "CCO"
    assert M.unique_at(canon) == pytest.approx(3 / 4)
    assert M.unique_at(canon, 2) == pytest.approx(1 / 2)
    assert M.unique_at(canon, 10_000) == M.unique_at(canon)  # fewer than k: all of them
    assert math.isnan(M.unique_at([]))


def test_novelty_against_a_set_and_a_bloom_filter():
    canon = M.canonical_valid(SET)
    train = {"CCO"}
    assert M.novelty(canon, train) == pytest.approx(2 / 3)
    assert M.novelty(canon, NoveltyReference.build(train, 1)) == pytest.approx(2 / 3)


def test_tanimoto_aggregates_match_a_direct_computation():
    fps = np.array([[1, 1, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]], dtype=np.uint8)
    # Tanimoto: (0,1) = 1/3; with (2, x) = 0, and 0/0 = 1 on the empty pair.
    sim = np.array([[1, 1 / 3, 0], [1 / 3, 1, 0], [0, 0, 1]])
    assert M.agg_tanimoto(fps, fps, "max") == pytest.approx(1.0)
    assert M.internal_diversity(fps) == pytest.approx(1 - sim.mean(0).mean())
    p2 = 1 - np.sqrt((sim**2).mean(0)).mean()
    assert M.internal_diversity(fps, 2) == pytest.approx(p2)
    assert M.agg_tanimoto(fps[:2], fps[2:], "max") == pytest.approx(0.0)


def test_identical_sets_have_zero_diversity_and_unit_snn():
    mols = M.to_mols(["c1ccccc1O"] * 3)
    fps = M.fingerprints(mols)
    assert fps.shape == (3, 1024) and fps.dtype == np.uint8
    assert M.internal_diversity(fps) == pytest.approx(0.0)
    assert M.agg_tanimoto(fps, fps) == pytest.approx(1.0)


def test_fragments_and_scaffolds():
    mols = M.to_mols(["CC(=O)Nc1ccc(O)cc1", "c1ccc(Cc2ccccn2)cc1", "CCO"])
    frags = M.fragments(mols)
    assert sum(frags.values()) >= 4
    scafs = M.scaffolds(mols)
    assert scafs == Counter({"c1ccc(Cc2ccccn2)cc1": 1})  # one-ring scaffolds are dropped
    assert M.scaffolds(mols, min_rings=1)["c1ccccc1"] == 1


def test_cosine_similarity():
    assert M.cos_similarity(Counter(a=1, b=1), Counter(a=2, b=2)) == pytest.approx(1.0)
    assert M.cos_similarity(Counter(a=1), Counter(b=1)) == pytest.approx(0.0)
    assert math.isnan(M.cos_similarity(Counter(), Counter(a=1)))


@pytest.mark.parametrize(
    "smiles,ok",
    [
        ("CC(=O)Nc1ccc(O)cc1", True),
        ("CC[N+](C)(C)C", False),  # charged
        ("CC[Si](C)(C)C", False),  # atom outside C N S O F Cl Br H
        ("C1CCCCCCC1", False),  # 8-membered ring
        ("Oc1ccccc1O", False),  # catechol: a PAINS / MCF hit
    ],
)
def test_moses_filters(smiles, ok):
    assert M.passes_filters(M.to_mols([smiles])[0]) is ok


def test_reference_stats_round_trip(tmp_path):
    ref = M.ReferenceStats.from_smiles(["CC(=O)Nc1ccc(O)cc1", "c1ccc(Cc2ccccn2)cc1"])
    ref.save(tmp_path / "ref.npz")
    back = M.ReferenceStats.load(tmp_path / "ref.npz")
    assert (back.fps == ref.fps).all() and back.frags == ref.frags and back.scafs == ref.scafs


def test_moses_metrics_of_the_reference_against_itself():
    smiles = ["CC(=O)Nc1ccc(O)cc1", "c1ccc(Cc2ccccn2)cc1", "O=C(O)c1ccccc1O", "CN1CCN(C)CC1"]
    ref = M.ReferenceStats.from_smiles(smiles)
    m = M.moses_metrics(smiles + ["bad"], test=ref, test_scaffolds=ref, train=set())
    assert m["valid"] == pytest.approx(0.8)
    assert m["SNN/Test"] == pytest.approx(1.0) and m["Frag/Test"] == pytest.approx(1.0)
    assert m["Scaf/TestSF"] == pytest.approx(1.0) and m["Novelty"] == 1.0
    assert 0 < m["IntDiv"] < 1 and 0 <= m["Filters"] <= 1


@pytest.mark.parametrize("bad", [[], "CCO", [1, 2]])
def test_bad_inputs_are_refused(bad):
    with pytest.raises(InputError):
        M.moses_metrics(bad)


def test_all_invalid_gives_validity_only():
    m = M.moses_metrics(["xx", ""])
    assert m["valid"] == 0 and "IntDiv" not in m
    with pytest.raises(InputError, match="no valid"):
        M.ReferenceStats.from_smiles(["xx"])


def test_metric_inputs_a_notebook_passes(tmp_path):
    """A string where a list goes was scored char by char (unique_at('CCO') = 2/3); a string as
    the training set tested substrings (novelty(['CO'], 'CCO') = 0); NaN (an empty sample read
    back from a CSV) raised; 'C C' counted as methane; ndarray / Series raised 'truth value'."""
    with pytest.raises(InputError, match="one string"):
        M.unique_at("CCO")
    with pytest.raises(InputError, match="one string"):
        M.validity("CCO")
    with pytest.raises(InputError, match="train must be a set"):
        M.novelty(["CO"], "CCO")
    with pytest.raises(InputError, match="train must be a set"):
        M.novelty(["CO"], None)
    assert M.novelty(["CO", "CC"], ["CC"]) == 0.5  # a list works as a set
    assert M.validity(np.array(["CCO", "C C", "ＣＣO"])) == pytest.approx(1 / 3)
    assert M.validity([float("nan"), "CCO"]) == 0.5
    with pytest.raises(InputError, match=r"smiles\[0\] is int"):
        M.validity([5, "CCO"])
    with pytest.raises(Exception, match="k must be at least 1"):
        M.unique_at(["CCO"], k=0)
    with pytest.raises(InputError, match="no such reference statistics file"):
        M.ReferenceStats.load(tmp_path / "missing.npz")
    (tmp_path / "bad.npz").write_bytes(b"garbage")
    with pytest.raises(InputError, match="damaged reference statistics"):
        M.ReferenceStats.load(tmp_path / "bad.npz")
