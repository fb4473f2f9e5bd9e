import json

import numpy as np
import pytest

from helixforge.chem.featurize import (
    FeatureScaler,
    FeatureSpec,
    atom_pair_counts,
    bits_from_counts,
    descriptor_names,
    descriptors,
    featurize,
    morgan_bits,
    morgan_counts,
    standardize_and_featurize,
)
from helixforge.chem.standardize import standardize_smiles
from helixforge.core.errors import ConfigError


def test_morgan_counts_shape_counts_and_invalid_rows():
    X = morgan_counts(["CCCC", "not a smiles"], n_bits=1024)
    assert X.shape == (2, 1024) and X.dtype == np.float32
    assert X[0].sum() > X[0].astype(bool).sum()  # counts, not bits: CCCC repeats environments
    assert np.isnan(X[1]).all()
    fcfp = morgan_counts(["c1ccccc1O"], n_bits=1024, features=True)
    assert fcfp.shape == (1, 1024) and fcfp.sum() > 0
    assert atom_pair_counts(["CCO"], n_bits=512).sum() > 0


def test_descriptors_signature_names_and_values():
    D = descriptors(["CCO", "c1ccccc1", "xx"])
    names = descriptor_names()
    assert D.shape == (3, len(names)) and D.dtype == np.float32
    assert len(set(names)) == len(names)
    col = {n: i for i, n in enumerate(names)}
    assert D[0, col["HeavyAtoms"]] == 3
    assert D[1, col["AromaticRings"]] == 1
    assert D[1, col["CrippenLogP"]] > D[0, col["CrippenLogP"]]
    assert np.isnan(D[2]).all()


def test_featurize_concatenates_blocks_and_parallel_matches_serial():
    spec = FeatureSpec(morgan_bits=256, fcfp_bits=64, atom_pair_bits=64, erg=True, descriptors=True)
    smiles = ["CCO", "CCN", "c1ccccc1", "CC(=O)O"] * 3
    X = featurize(smiles, spec)
    assert X.shape == (12, len(spec.names()))
    Xp = featurize(smiles, spec, n_jobs=2, chunk_size=3)
    np.testing.assert_array_equal(X, Xp)


def test_lite_descriptors_agree_with_the_standard_set_where_they_overlap():
    smiles = ["CCO", "c1ccc(cc1)C(=O)NCC[NH3+]", "CC(=O)[O-]", "ClC(Br)CCCCN", "xx"]
    smiles[2] = "O=S(=O)([O-])[O-].[Fe+2]"  # multiply charged and several negative atoms
    lite, std = descriptors(smiles, kind="lite"), descriptors(smiles)
    ln, sn = descriptor_names("lite"), descriptor_names()
    assert lite.shape == (5, len(ln)) and len(ln) < len(sn) / 5
    shared = [n for n in ln if n in sn]
    assert len(shared) == len(ln) - 1  # all but the simpler rotatable-bond count
    for n in shared:  # same values computed the cheap way (formula, SMARTS instead of loops)
        np.testing.assert_allclose(lite[:4, ln.index(n)], std[:4, sn.index(n)], err_msg=n)
    assert lite[3, ln.index("RotatableBondsSimple")] == 4  # C-C bonds between non-terminal atoms
    assert np.isnan(lite[4]).all()


def test_feature_spec_names_the_descriptor_set_and_reads_old_boolean_specs():
    assert FeatureSpec(descriptors=True).descriptors == "standard"
    assert FeatureSpec.from_dict({"descriptors": False}).descriptors == "none"
    lite = FeatureSpec(morgan_bits=64, descriptors="lite")
    assert len(lite.names()) == 64 + len(descriptor_names("lite"))
    with pytest.raises(ConfigError, match="lite"):
        FeatureSpec(descriptors="everything")


def test_standardize_and_featurize_parses_once_and_matches_featurize_of_canonical_smiles():
    raw = ["OCC.Cl", "CC(=O)[O-].[Na+]", "c1ccccc1O", "bad(", "", "C[NH3+]"] * 3
    spec = FeatureSpec(morgan_bits=256, fcfp_bits=64, atom_pair_bits=64, erg=True)
    results, X = standardize_and_featurize(raw, spec)
    assert results == [standardize_smiles(s) for s in raw]
    canon = [c for c, _ in results if c is not None]
    assert len(canon) == 12 and X.shape == (12, len(spec.names()))
    np.testing.assert_array_equal(X, featurize(canon, spec))
    results_p, Xp = standardize_and_featurize(raw, spec, n_jobs=2, chunk_size=4)
    assert results_p == results
    np.testing.assert_array_equal(Xp, X)


def test_morgan_bits_are_packed_words():
    B = morgan_bits(["CCO", "CCO", "c1ccccc1"])
    assert B.shape == (3, 32) and B.dtype == np.uint64
    assert (B[0] == B[1]).all() and not (B[0] == B[2]).all()
    # the AD reuses the GBM's ECFP counts instead of parsing again: same bits
    np.testing.assert_array_equal(bits_from_counts(morgan_counts(["CCO", "CCO", "c1ccccc1"])), B)


def test_scaler_roundtrip_and_nan_handling():
    X = np.array([[1.0, 5.0, np.nan], [3.0, 5.0, 2.0]])
    sc = FeatureScaler().fit(X)
    Z = sc.transform(X)
    assert np.allclose(Z[:, 0], [-1, 1]) and np.allclose(Z[:, 1], 0) and Z[0, 2] == 0
    again = FeatureScaler.from_json(sc.to_json()).transform(X)
    np.testing.assert_array_equal(Z, again)


def test_fast_crippen_and_vsa_bins_equal_rdkits_own_functions():
    from rdkit import Chem
    from rdkit.Chem import rdMolDescriptors as rd

    smiles = [
        "CC(=O)Nc1ccc(O)cc1",
        "C[N+](C)(C)CCOC(=O)C",
        "OC(=O)c1ccccc1Cl",
        "CCS(=O)(=O)N1CCOCC1",
    ]
    D = descriptors(smiles)
    col = {n: i for i, n in enumerate(descriptor_names())}
    for row, s in zip(D, smiles):
        m = Chem.MolFromSmiles(s)
        logp, mr = rd.CalcCrippenDescriptors(m)
        assert np.isclose(row[col["CrippenLogP"]], logp, atol=1e-5)
        assert np.isclose(row[col["CrippenMR"]], mr, atol=1e-4)
        np.testing.assert_allclose(
            row[[col[f"SlogP_VSA{i}"] for i in range(1, 13)]], rd.SlogP_VSA_(m), atol=1e-4
        )
        np.testing.assert_allclose(
            row[[col[f"SMR_VSA{i}"] for i in range(1, 11)]], rd.SMR_VSA_(m), atol=1e-4
        )


def test_featurizer_registry_names_every_block_and_takes_new_ones():
    from helixforge.chem.featurize import FEATURIZERS, register_featurizer

    assert {"ecfp", "fcfp", "atompair", "erg", "descriptors"} <= set(FEATURIZERS.names())
    spec = FeatureSpec(morgan_bits=64, fcfp_bits=32, atom_pair_bits=16, erg=True)
    assert spec.blocks() == ["ecfp", "fcfp", "atompair", "erg", "descriptors"]
    with pytest.raises(ConfigError, match="unknown chem featurizer"):
        FeatureSpec(extra=("nope",))

    @register_featurizer("test_heavy_atoms", names=lambda s: ["heavy_atoms"])
    def _heavy(mols, spec):
        return np.array(
            [[np.nan] if m is None else [m.GetNumHeavyAtoms()] for m in mols], np.float32
        )

    try:
        plus = FeatureSpec(morgan_bits=64, descriptors="none", extra=["test_heavy_atoms"])
        assert plus.extra == ("test_heavy_atoms",) and plus.names()[-1] == "heavy_atoms"
        X = featurize(["CCO", "bad(", "c1ccccc1"], plus)
        assert X.shape == (3, 65) and X[0, -1] == 3 and np.isnan(X[1]).all() and X[2, -1] == 6
        again = FeatureSpec.from_dict(json.loads(json.dumps(plus.to_dict())))
        assert again == plus
    finally:
        FEATURIZERS._items.pop("test_heavy_atoms")  # leave the registry as it was


def test_standardize_featurize_table_parses_once_and_serves_rows_by_smiles():
    import pandas as pd

    from helixforge.chem.featurize import standardize_featurize_table

    df = pd.DataFrame(
        {"smiles": ["OCC", "bad(", "CCO.Cl", "c1ccccc1O", "[Na+].[Cl-]"], "y": range(5)},
        index=[2, 3, 4, 5, 6],
    )
    spec = FeatureSpec(morgan_bits=128, fcfp_bits=32, erg=True)
    clean, errors, feats = standardize_featurize_table(df, "smiles", spec, source="t.csv")
    assert len(clean) + len(errors) == len(df) and errors.rows() == {3}
    assert clean["canonical_smiles"].tolist() == ["CCO", "CCO", "Oc1ccccc1", "[Cl-].[Na+]"]
    order = ["Oc1ccccc1", "CCO", "[Cl-].[Na+]", "CCO"]
    np.testing.assert_array_equal(feats.take(order), featurize(order, spec))
    # SMILES it has not seen are featurized on demand
    np.testing.assert_array_equal(feats.take(["CCN", "CCO"]), featurize(["CCN", "CCO"], spec))
    assert feats.take([]).shape == (0, len(spec.names()))


def test_a_deuterated_drug_has_its_parents_features_scores_and_filters():
    # the six D of d6-tetrabenazine were graph atoms: rotatable bonds 4 -> 6, kappa / chi and
    # ECFP changed (Tanimoto 0.85 to the parent), SA score 3.2 -> 5.2. The canonical SMILES
    # keeps the isotopes; every feature sees hydrogens.
    from rdkit import Chem

    from helixforge.chem.admet.physchem import physchem_matrix
    from helixforge.chem.druglike import drug_likeness
    from helixforge.chem.featurize import featurize_mols
    from helixforge.chem.filters import apply_filters
    from helixforge.chem.graphs import featurize_graphs
    from helixforge.chem.standardize import standardize_to_mol

    d6 = "[2H]C([2H])([2H])Oc1cc2c(cc1OC([2H])([2H])[2H])C1CC(=O)C(CC(C)C)CN1CC2"
    parent = "COc1cc2c(cc1OC)C1CC(=O)C(CC(C)C)CN1CC2"
    assert "[2H]" in standardize_smiles(d6)[0]
    spec = FeatureSpec(fcfp_bits=64, atom_pair_bits=64, erg=True)
    canon = [standardize_smiles(s)[0] for s in (d6, parent)]
    X = featurize(canon, spec)
    np.testing.assert_array_equal(X[0], X[1])
    mols = [standardize_to_mol(s)[0] for s in (d6, parent)]
    np.testing.assert_array_equal(*featurize_mols(mols, spec))
    g = featurize_graphs([*mols, *canon])
    assert len(set(g.n_atoms)) == 1
    atom_rows = [np.unique(g.subset([i]).atoms, axis=0) for i in range(4)]  # any atom order
    for rows in atom_rows[1:]:
        np.testing.assert_array_equal(rows, atom_rows[0])
    scores = drug_likeness(mols).to_numpy()
    np.testing.assert_allclose(scores[0], scores[1])
    np.testing.assert_allclose(*physchem_matrix(mols))
    filt = apply_filters(mols, "lipinski,veber,pains,brenk,nih,qed,sa")
    assert filt.iloc[0].to_dict() == filt.iloc[1].to_dict()
    # a centre that is one only through its D is no centre to a feature; the mol is not edited
    chiral = Chem.MolFromSmiles("[2H][C@@H](C)O")
    assert featurize_graphs([chiral]).n_atoms[0] == 3
    np.testing.assert_array_equal(*featurize_mols([chiral, Chem.MolFromSmiles("CCO")], spec))
    assert chiral.GetNumAtoms() == 4


def test_a_feature_value_float32_cannot_hold_is_missing_never_inf():
    # a block (here a registered one) giving 1e300 or inf: as float32 it was ±inf in X
    from helixforge.chem.featurize import FEATURIZERS, featurize_mols, mol_of, register_featurizer
    from helixforge.chem.models.gbm import GBMModel

    @register_featurizer("test_overflow", names=lambda s: ["huge", "inf"])
    def _overflow(mols, spec):
        return np.array([[1e300, -np.inf] if i % 2 else [1.0, 2.0] for i in range(len(mols))])

    try:
        spec = FeatureSpec(morgan_bits=64, descriptors="none", extra=["test_overflow"])
        smiles = ["CCO", "CCN", "CCC", "CCCl", "c1ccccc1", "CC(=O)O"] * 5
        X = featurize(smiles, spec)
        assert not np.isinf(X).any() and np.isnan(X[1::2, -2:]).all() and (X[::2, -1] == 2).all()
        assert not np.isinf(featurize_mols([mol_of("CCO"), mol_of("CCN")], spec)).any()
        y = np.arange(len(smiles), dtype=float)[:, None]
        model = GBMModel(features=spec, n_estimators=5).fit(smiles, y, ["regression"], seed=0)
        assert np.isfinite(model.predict(smiles)).all()
    finally:
        FEATURIZERS._items.pop("test_overflow")


def test_folding_hydrogens_writes_nothing_to_stderr(capfd):
    # a proton fragment ('F[B-](F)(F)F.[H+]', Tox21) made RDKit warn 'not removing hydrogen
    # atom without neighbors' on stderr at every feature call once RDKit's log was on
    from rdkit import Chem, RDLogger

    from helixforge.chem.fingerprints import hydrogen_free

    mol = Chem.MolFromSmiles("F[B-](F)(F)F.[H+].[2H]C")
    capfd.readouterr()
    RDLogger.EnableLog("rdApp.*")
    try:
        assert Chem.MolToSmiles(hydrogen_free(mol)) == "C.F[B-](F)(F)F.[H+]"
    finally:
        RDLogger.DisableLog("rdApp.*")
    assert "WARNING" not in capfd.readouterr().err
