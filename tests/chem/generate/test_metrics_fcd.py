"""FCD with fcd_torch's packaged ChemNet: streaming statistics, caching, offline refusal."""

from __future__ import annotations

import importlib.util
import math
from types import SimpleNamespace

import numpy as np
import pytest

from helixforge.chem.generate import metrics as M
from helixforge.core.errors import DataUnavailableError, InputError

needs_fcd = pytest.mark.skipif(
    importlib.util.find_spec("fcd_torch") is None,
    reason="fcd_torch (the generate extra) is not installed",
)

DRUGS = [
    "CC(=O)Nc1ccc(O)cc1",
    "CC(=O)Oc1ccccc1C(=O)O",
    "CN1C=NC2=C1C(=O)N(C(=O)N2C)C",
    "CC(C)Cc1ccc(cc1)C(C)C(=O)O",
    "COc1ccc2nc([nH]c2c1)S(=O)Cc1ncc(C)c(OC)c1C",
    "CN1CCC[C@H]1c1cccnc1",
    "O=C(O)c1ccccc1O",
    "CCN(CC)CCNC(=O)c1ccc(N)cc1",
    "Clc1ccc2c(c1)C(=NCC(=O)N2C)c1ccccc1",
    "CC12CCC3C(CCC4CC(=O)CCC34C)C1CCC2O",
    "NC(=O)c1cccnc1",
    "OC(=O)CCc1ccccc1",
]
ALKANES = ["C" * k for k in range(2, 14)]


@needs_fcd
def test_streamed_statistics_equal_fcd_torch_and_a_set_is_at_zero_from_itself():
    from fcd_torch import FCD

    ours = M.chemnet_stats(DRUGS, batch=5)  # three batches, the last one short
    ref = FCD(device="cpu", n_jobs=1, model_path=str(M.chemnet_path())).precalc(DRUGS)
    assert ours.n == len(DRUGS)
    np.testing.assert_allclose(ours.mu, ref["mu"], atol=1e-5)
    np.testing.assert_allclose(ours.sigma, ref["sigma"], atol=1e-6)
    assert M.frechet_distance(ours, ours) == pytest.approx(0.0, abs=1e-3)


@needs_fcd
def test_fcd_is_zero_for_the_same_molecules_spelled_differently_and_large_across_kinds():
    from rdkit import Chem

    mols = [Chem.MolFromSmiles(s) for s in DRUGS]
    spelled = [Chem.MolToSmiles(m, rootedAtAtom=m.GetNumAtoms() - 1) for m in mols]
    assert spelled != M.canonical_valid(DRUGS)
    assert M.fcd(DRUGS, spelled) == pytest.approx(0.0, abs=1e-3)  # canonicalized first
    assert M.fcd(DRUGS, ALKANES) > 5
    with pytest.raises(InputError, match="invalid SMILES"):
        M.fcd(DRUGS, ["CCO", "not_a_smiles"])
    with pytest.raises(InputError, match="at least 2"):
        M.chemnet_stats(["CCO"])


@needs_fcd
def test_reference_statistics_are_cached_by_the_file_hash(tmp_path, monkeypatch):
    ref = tmp_path / "ref.csv"
    ref.write_text("id,smiles\n" + "".join(f"{i},{s}\n" for i, s in enumerate(DRUGS)) + "9,xx\n")
    cache = tmp_path / "cache"
    logs: list[str] = []
    first = M.reference_fcd_stats(ref, cache_dir=cache, log=logs.append)
    assert first.n == len(DRUGS)  # the unparsable row is left out and reported
    assert any("1 rows without a valid SMILES" in m for m in logs)
    files = list(cache.glob("*.npz"))
    assert len(files) == 1 and files[0].name.startswith(M._sha256(ref))

    def boom(*a, **k):
        raise AssertionError("recomputed although cached")

    monkeypatch.setattr(M, "chemnet_stats", boom)
    again = M.reference_fcd_stats(ref, cache_dir=cache)
    np.testing.assert_array_equal(again.sigma, first.sigma)
    ref.write_text("smiles\n" + "\n".join(DRUGS[:8]) + "\n")  # edited file: new key
    with pytest.raises(AssertionError, match="recomputed"):
        M.reference_fcd_stats(ref, cache_dir=cache)


@needs_fcd
def test_moses_metrics_report_fcd_against_given_statistics():
    stats = M.chemnet_stats(M.canonical_valid(DRUGS))
    m = M.moses_metrics(
        DRUGS + ["bad"], fcd_test=stats, fcd_test_scaffolds=M.chemnet_stats(ALKANES)
    )
    assert m["FCD/Test"] == pytest.approx(0.0, abs=1e-3)
    assert m["FCD/TestSF"] > 1
    assert "FCD/Test" not in M.moses_metrics(DRUGS)


@needs_fcd
def test_fcd_report_for_the_generate_summary(tmp_path, monkeypatch):
    ref = tmp_path / "ref.smi"
    ref.write_text("\n".join(DRUGS) + "\n")
    monkeypatch.setenv("HELIX_CACHE_DIR", str(tmp_path / "c"))
    value, text = M.fcd_report(M.canonical_valid(DRUGS), ref)
    assert value == pytest.approx(0.0, abs=1e-3) and "ref.smi" in text
    npz = tmp_path / "stats.npz"
    M.load_fcd_reference(ref).save(npz)
    assert M.fcd_report(M.canonical_valid(DRUGS[:6]), npz)[0] > 0
    assert M.fcd_report(["CCO"], ref)[0] is None
    assert "--fcd-ref" in M.fcd_report(M.canonical_valid(DRUGS), None)[1]


def test_without_fcd_torch_the_summary_says_how_to_install(monkeypatch):
    monkeypatch.setattr(M, "fcd_available", lambda: False)
    value, text = M.fcd_report(["CCO", "CCN"], "ref.csv")
    assert value is None and "pip install 'helixforge[generate]'" in text


def test_missing_chemnet_weights_are_refused_not_downloaded(tmp_path, monkeypatch):
    (tmp_path / "__init__.py").write_text("")
    fake = SimpleNamespace(origin=str(tmp_path / "__init__.py"))
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: fake)
    with pytest.raises(DataUnavailableError, match="will not download"):
        M.chemnet_path()
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(DataUnavailableError, match="not installed"):
        M.chemnet_path()


def test_fcd_statistics_round_trip(tmp_path):
    s = M.FCDStats(np.arange(3.0), np.eye(3), 7)
    s.save(tmp_path / "s.npz", meta={"file": "x"})
    back = M.FCDStats.load(tmp_path / "s.npz")
    assert back.n == 7 and (back.sigma == s.sigma).all() and (back.mu == s.mu).all()
    assert not math.isnan(back.mu.sum())


def test_a_reference_that_is_not_a_regular_file_is_named(tmp_path):
    """A directory given as the FCD reference was reported as 'file not found'."""
    import os

    folder = tmp_path / "refs"
    folder.mkdir()
    stats_dir = tmp_path / "stats.npz"
    stats_dir.mkdir()
    for path in (folder, stats_dir):
        with pytest.raises(InputError, match="is a directory"):
            M.load_fcd_reference(path, cache_dir=tmp_path / "cache")
    with pytest.raises(InputError, match="file not found"):
        M.load_fcd_reference(tmp_path / "missing.smi", cache_dir=tmp_path / "cache")
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "pipe.smi")
        with pytest.raises(InputError, match="named pipe"):
            M.load_fcd_reference(tmp_path / "pipe.smi", cache_dir=tmp_path / "cache")
    assert not (tmp_path / "cache").exists()


@needs_fcd
def test_a_reference_without_two_valid_smiles_names_the_file(tmp_path):
    """A Parquet reference whose SMILES column holds numbers (or a table of unparsable rows)
    gave 'FCD needs at least 2 valid molecules, got 0', naming neither the file nor why."""
    import pandas as pd

    ref = tmp_path / "ref.parquet"
    pd.DataFrame({"smiles": [1, 2, 3]}).to_parquet(ref)
    with pytest.raises(InputError, match=r"ref\.parquet: fewer than 2 rows .*\(3 left out"):
        M.reference_fcd_stats(ref, cache_dir=tmp_path / "cache")
    assert not (tmp_path / "cache").exists()


def test_fcd_caveat_names_the_small_set_and_the_floor():
    """FCD from a few hundred molecules came with no word: its 512 x 512 covariance is
    singular there and the value is inflated by sampling noise alone."""
    assert M.fcd_caveat(176_074, 30_000) is None
    assert M.fcd_caveat(M.FCD_MIN_MOLECULES, M.FCD_MIN_MOLECULES) is None
    text = M.fcd_caveat(150, 30_000)
    assert "the reference has 150 molecules" in text and "generated" not in text.split(";")[0]
    assert "singular" in text and f"at least {M.FCD_MIN_MOLECULES}" in text
    assert "two samples of one distribution would read about 8.7 at these sizes" in text
    both = M.fcd_caveat(900, 40)
    assert "the reference has 900 molecules and the generated set has 40 molecules" in both
    assert "poorly estimated" in M.fcd_caveat(176_074, 1500) and "about 34 " in both


@needs_fcd
def test_an_fcd_from_a_small_set_warns_and_the_summary_says_so(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    big = M.FCDStats(rng.normal(size=512), np.eye(512), M.FCD_MIN_MOLECULES)
    small = M.FCDStats(big.mu, big.sigma, 300)
    with pytest.warns(M.FCDSampleSizeWarning, match="the generated set has 300 molecules"):
        M.frechet_distance(big, small)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", M.FCDSampleSizeWarning)
        assert M.frechet_distance(big, big) == pytest.approx(0.0, abs=1e-6)  # no warning
    ref = tmp_path / "ref.smi"
    ref.write_text("\n".join(DRUGS) + "\n")
    monkeypatch.setenv("HELIX_CACHE_DIR", str(tmp_path / "c"))
    with warnings.catch_warnings():
        warnings.simplefilter("error", M.FCDSampleSizeWarning)  # in the text, not warned
        value, text = M.fcd_report(M.canonical_valid(DRUGS), ref)
    assert value == pytest.approx(0.0, abs=1e-3)
    assert f"(12 molecules) — {M.FCD_CAUTION} FCD is unreliable here" in text
