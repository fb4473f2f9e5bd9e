"""The chem Python API's argument checks (helixforge.chem.inputs) at every entry point a notebook
user calls: odd containers of SMILES or molecules are refused by name, never read char by char,
never a raw TypeError from deep inside; odd items are per-row failures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from rdkit import Chem

from helixforge.chem import descriptors as D
from helixforge.chem import featurize as F
from helixforge.chem import fingerprints as FP
from helixforge.chem import splits as SP
from helixforge.chem import standardize as S
from helixforge.chem.druglike import drug_likeness, qed_scores, sa_scores
from helixforge.chem.filters import (
    alert_catalog,
    apply_filters,
    check_filter_names,
    rule_descriptors,
    structural_alerts,
)
from helixforge.chem.inputs import label_matrix, mol_list, smiles_list
from helixforge.chem.uncertainty import max_tanimoto
from helixforge.core.errors import ConfigError, HelixError, InputError

PAIR = ["CCO", "c1ccccc1"]

# (container, pattern the refusal names)
BAD_CONTAINERS = [
    (None, "is None"),
    ("CCO", "one string"),
    (b"CCO", "bytes"),
    ({"CCO"}, "no order"),
    ({"a": "CCO"}, "its keys"),
    (pd.DataFrame({"smiles": PAIR}), "DataFrame"),
    (np.array([["CCO"], ["CC"]]), "2-D array"),
    (5, "int 5"),
]

GOOD_CONTAINERS = [
    PAIR,
    tuple(PAIR),
    np.array(PAIR),
    pd.Series(PAIR, index=[7, 9]),
    pd.Index(PAIR),
    "generator",
]


def _parts(split) -> np.ndarray:
    return np.concatenate([split.train, split.valid, split.test])


def _fresh(value):
    return (s for s in PAIR) if isinstance(value, str) and value == "generator" else value


# every public function that takes a list of SMILES, with a call that returns one row per input
SMILES_ENTRY_POINTS = {
    "standardize_many": S.standardize_many,
    "featurize": F.featurize,
    "standardize_and_featurize": lambda s: F.standardize_and_featurize(s)[0],
    "morgan_counts": FP.morgan_counts,
    "morgan_bits": FP.morgan_bits,
    "atom_pair_counts": FP.atom_pair_counts,
    "erg": FP.erg,
    "descriptors": lambda s: D.descriptors(s, "lite"),
    "scaffold_groups": SP.scaffold_groups,
    "tdc_scaffold_split": lambda s: _parts(SP.tdc_scaffold_split(s, 0)),
    "MolFeatures.take": lambda s: F.MolFeatures(F.FeatureSpec(descriptors="none")).take(s),
}


@pytest.mark.parametrize("name", sorted(SMILES_ENTRY_POINTS))
@pytest.mark.parametrize("bad,pattern", BAD_CONTAINERS, ids=lambda v: type(v).__name__)
def test_bad_smiles_containers_are_refused_by_name(name, bad, pattern):
    with pytest.raises(InputError, match=pattern) as info:
        SMILES_ENTRY_POINTS[name](bad)
    assert name.split(".")[-1] in str(info.value)


@pytest.mark.parametrize("name", sorted(SMILES_ENTRY_POINTS))
@pytest.mark.parametrize("good", GOOD_CONTAINERS, ids=lambda v: type(v).__name__)
def test_ordered_containers_give_one_row_per_molecule(name, good):
    assert len(SMILES_ENTRY_POINTS[name](_fresh(good))) == 2


def test_one_string_is_one_molecule_only_where_documented():
    assert smiles_list("CCO", "f", allow_str=True) == ["CCO"]
    assert smiles_list(np.str_("CCO"), "f", allow_str=True) == ["CCO"]
    with pytest.raises(InputError, match=r"wrap it in a list: \['CCO'\]"):
        smiles_list(np.array("CCO"), "f")


def test_odd_items_are_per_row_failures_with_their_reason():
    items = ["CCO", float("nan"), 5, b"CCO", None, pd.NA, "C C", "  CCO\n", b"\xff"]
    reasons = [r for _, r in S.standardize_many(items)]
    assert reasons[0] is None and reasons[3] is None and reasons[7] is None  # bytes decoded
    assert reasons[1] == reasons[4] == reasons[5] == "empty SMILES"  # pd.NA is not '<NA>'
    # a number: a column of IDs or labels, or a Parquet SMILES column of another type
    assert reasons[2].startswith("not a SMILES string (int 5); check that the SMILES column")
    assert "whitespace inside" in reasons[6]
    assert "not ASCII" in reasons[8]
    X = F.featurize(items, F.FeatureSpec(descriptors="none"))
    assert X.shape[0] == len(items)
    assert np.isnan(X[[1, 2, 4, 5, 6, 8]]).all() and not np.isnan(X[[0, 3, 7]]).any()


def test_standardize_table_names_a_list_given_for_a_frame():
    with pytest.raises(InputError, match="expected a pandas DataFrame"):
        S.standardize_table(PAIR, "smiles")
    with pytest.raises(InputError, match="expected a pandas DataFrame"):
        F.standardize_featurize_table(PAIR, "smiles", F.FeatureSpec())


# ------------------------------------------------------------------ molecules


MOL_ENTRY_POINTS = {
    "apply_filters": lambda m: apply_filters(m, "lipinski,pains"),
    "structural_alerts": lambda m: structural_alerts(m, "pains"),
    "rule_descriptors": lambda m: rule_descriptors(m, ["lipinski"])["mw"],
    "qed_scores": qed_scores,
    "sa_scores": sa_scores,
    "drug_likeness": drug_likeness,
    "featurize_mols": lambda m: F.featurize_mols(m, F.FeatureSpec(descriptors="none")),
    "descriptors_of_mols": lambda m: D.descriptors_of_mols(m, "lite"),
}


@pytest.mark.parametrize("name", sorted(MOL_ENTRY_POINTS))
def test_functions_on_molecules_refuse_smiles_strings(name):
    """A SMILES string where a molecule is expected was a NaN score (qed, sa), a raw RDKit
    ArgumentError (filters) or a pickle error (featurize_mols)."""
    fn = MOL_ENTRY_POINTS[name]
    with pytest.raises(InputError, match=r"mols\[1\] is a SMILES string \('CCO'\)"):
        fn([Chem.MolFromSmiles("CC"), "CCO"])
    with pytest.raises(InputError, match="is None"):
        fn(None)
    with pytest.raises(InputError, match=r"mols\[0\] is float"):
        fn([1.5])
    assert len(fn([Chem.MolFromSmiles("CCO"), None])) == 2


def test_filter_and_alert_names_are_checked():
    with pytest.raises(ConfigError, match="comma-separated string or a list"):
        check_filter_names(5)
    with pytest.raises(ConfigError, match="unknown structural alert set 'x'"):
        alert_catalog("x")
    with pytest.raises(ConfigError, match="unknown structural alert set"):
        structural_alerts([None], "nope")
    with pytest.raises(ConfigError, match="unknown property rule"):
        rule_descriptors([None], ["nope"])


# ------------------------------------------------------------------ parameters


@pytest.mark.parametrize(
    "call,pattern",
    [
        (lambda: FP.morgan_counts(PAIR, radius=-1), "radius must be at least 0"),
        (lambda: FP.morgan_counts(PAIR, n_bits=0), "n_bits must be at least 1"),
        (lambda: FP.morgan_counts(PAIR, radius=1.5), "radius must be an integer"),
        (lambda: FP.morgan_bits(PAIR, n_bits=100), "multiple of 64"),
        (lambda: FP.atom_pair_counts(PAIR, n_bits=-8), "n_bits must be at least 1"),
        (lambda: F.FeatureSpec(morgan_bits=-5), "morgan_bits must be at least 0"),
        (lambda: F.FeatureSpec(morgan_radius="2"), "morgan_radius must be an integer"),
        (lambda: F.featurize(PAIR, None), "spec must be a FeatureSpec"),
        (lambda: F.featurize(PAIR, "gbm"), "spec must be a FeatureSpec"),
        (lambda: D.descriptors(PAIR, kind="x"), "unknown descriptor set 'x'"),
        (lambda: D.descriptor_names("x"), "unknown descriptor set 'x'"),
    ],
)
def test_bad_feature_parameters_are_config_errors(call, pattern):
    with pytest.raises(ConfigError, match=pattern):
        call()


SMILES24 = [
    "CCO",
    "c1ccccc1",
    "c1ccccc1C",
    "C1CCCCC1",
    "CCN",
    "c1ccncc1",
    "CC(=O)O",
    "c1ccc2ccccc2c1",
]
SMILES24 = SMILES24 * 3


@pytest.mark.parametrize("split", [SP.scaffold_split, SP.cluster_split, SP.scaffold_valid_split])
@pytest.mark.parametrize(
    "kw,pattern",
    [
        ({"fractions": (0.5, 0.5)}, "fractions"),
        ({"fractions": (0.8, 0.1, 0.2)}, "fractions"),
        ({"fractions": (-0.1, 0.6, 0.5)}, "fractions"),
        ({"fractions": (float("nan"), 0.5, 0.5)}, "fractions"),
        ({"seed": -1}, "seed must be a non-negative integer"),
        ({"seed": "a"}, "seed must be a non-negative integer"),
        ({"seed": 1.5}, "seed must be a non-negative integer"),
    ],
)
def test_split_fractions_and_seed_are_checked_when_called_directly(split, kw, pattern):
    """make_split checked fractions (not NaN), a direct call checked nothing: (-0.1, 0.6, 0.5)
    gave a split, a negative seed NumPy's ValueError."""
    with pytest.raises(ConfigError, match=pattern):
        split(len(SMILES24), smiles=SMILES24, **kw)


@pytest.mark.parametrize(
    "kw,pattern",
    [
        ({"threshold": -1}, "threshold"),
        ({"threshold": float("nan")}, "threshold"),
        ({"method": "kmeans", "n_clusters": 0}, "n_clusters must be at least 1"),
        ({"method": "kmeans", "n_clusters": -2}, "n_clusters must be at least 1"),
    ],
)
def test_cluster_split_parameters(kw, pattern):
    with pytest.raises(ConfigError, match=pattern):
        SP.cluster_split(len(SMILES24), smiles=SMILES24, **kw)


def test_tdc_scaffold_split_arguments():
    with pytest.raises(ConfigError, match="seed must be an integer"):
        SP.tdc_scaffold_split(SMILES24, None)
    with pytest.raises(ConfigError, match="fractions"):
        SP.tdc_scaffold_split(SMILES24, 0, frac=(0.9, 0.2, 0))
    split = SP.tdc_scaffold_split(SMILES24, np.int64(1))
    assert sorted(_parts(split).tolist()) == list(range(24))


def test_max_tanimoto_checks_its_fingerprints():
    bits = FP.morgan_bits(PAIR)
    with pytest.raises(InputError, match="multiple of 64"):
        FP.bits_from_counts([[1, 0]])
    with pytest.raises(InputError, match="packed fingerprints"):
        max_tanimoto(PAIR, bits)
    with pytest.raises(InputError, match="2048 bits, reference ones 1024"):
        max_tanimoto(bits, FP.morgan_bits(PAIR, n_bits=1024))
    assert max_tanimoto(bits, bits[:0]).tolist() == [0.0, 0.0]
    assert max_tanimoto(bits, []).tolist() == [0.0, 0.0]


# ------------------------------------------------------------------ labels


def test_label_matrix_names_what_is_wrong():
    assert label_matrix([1.0, pd.NA, None], ["regression"], "fit").shape == (3, 1)
    with pytest.raises(InputError, match=r"not a number \('a' at flat position 1\)"):
        label_matrix([1.0, "a"], ["regression"], "fit")
    with pytest.raises(InputError, match="3 molecules but 2 rows of labels"):
        label_matrix([1.0, 2.0], ["regression"], "fit", n=3)
    with pytest.raises(InputError, match="infinite labels"):
        label_matrix([1.0, np.inf], ["regression"], "fit")
    with pytest.raises(InputError, match="binary but has labels other than 0/1"):
        label_matrix([0, 1, 2], ["binary"], "fit")
    with pytest.raises(InputError, match="multiclass"):
        label_matrix([0, -1, 2], ["multiclass"], "fit")
    with pytest.raises(ConfigError, match="task_types is one string"):
        label_matrix([1.0], "regression", "fit")
    with pytest.raises(ConfigError, match="y has shape"):
        label_matrix(np.zeros((3, 2)), ["regression"], "fit")


def test_mol_list_and_smiles_list_keep_a_list_as_is():
    smiles = ["CCO"]
    assert smiles_list(smiles, "f") is smiles
    mols = [Chem.MolFromSmiles("CCO"), None]
    assert mol_list(mols, "f") is mols
    assert isinstance(InputError("x"), HelixError)


# ------------------------------------------------------------------ file-based entry points


def _file_entry_points(tmp_path):
    from helixforge.chem.admet import predict_admet
    from helixforge.chem.evaluate import evaluate_property
    from helixforge.chem.predict import predict_property
    from helixforge.chem.screen import screen_library
    from helixforge.chem.train import train_property_model

    out = tmp_path / "out.csv"
    return {
        "predict_admet": lambda d: predict_admet(d, out),
        "predict_property": lambda d: predict_property(tmp_path, d, out),
        "evaluate_property": lambda d: evaluate_property(tmp_path, d),
        "standardize_file": lambda d: S.standardize_file(d, out),
        "screen_library": lambda d: screen_library(d, ["run"], out),
        "train_property_model": lambda d: train_property_model(d, "smiles", ["y"], out=out),
    }


@pytest.mark.parametrize(
    "name",
    [
        "predict_admet",
        "predict_property",
        "evaluate_property",
        "standardize_file",
        "screen_library",
        "train_property_model",
    ],
)
def test_file_based_functions_name_in_memory_data(tmp_path, name):
    """A list of SMILES (or a DataFrame) given where a file path goes was a raw TypeError
    from pathlib ('expected str, bytes or os.PathLike object, not list')."""
    fn = _file_entry_points(tmp_path)[name]
    with pytest.raises(InputError, match=f"{name}: .* must be a file path .*not list") as info:
        fn(["CCO"])
    assert info.value.hint
    if name != "train_property_model":  # it takes a DataFrame
        with pytest.raises(InputError, match="not DataFrame"):
            fn(pd.DataFrame({"smiles": PAIR}))
    with pytest.raises(InputError, match="not NoneType"):
        fn(None)
    assert not (tmp_path / "out.csv").exists()


# ------------------------------------------------------------------ further public helpers


def _more_string_entry_points():
    from helixforge.chem.generate.novelty import NoveltyReference
    from helixforge.chem.generate.vocab import Vocabulary
    from helixforge.chem.graphs import featurize_graphs

    ref = NoveltyReference.build(["CCO"], 10)
    return {
        "NoveltyReference.build": lambda s: NoveltyReference.build(s, 10),
        "NoveltyReference.contains": ref.contains,
        "Vocabulary.build": Vocabulary.build,
        "featurize_graphs": featurize_graphs,
    }


@pytest.mark.parametrize(
    "name",
    ["NoveltyReference.build", "NoveltyReference.contains", "Vocabulary.build", "featurize_graphs"],
)
def test_more_smiles_entry_points_refuse_one_string(name):
    """NoveltyReference.build('CCO') stored 'C' and 'O' (then contains(['C']) was True),
    Vocabulary.build('CCO') and featurize_graphs('CCO') read characters."""
    fn = _more_string_entry_points()[name]
    with pytest.raises(InputError, match=f"{name}: .* one string"):
        fn("CCO")
    with pytest.raises(InputError, match="is None"):
        fn(None)


def test_novelty_reference_build_reads_a_stream_once():
    from helixforge.chem.generate.novelty import NoveltyReference

    ref = NoveltyReference.build((s for s in ["CCO", "CCN"]), 10)
    assert ref.n_items == 2 and ref.contains(np.array(["CCO", "CCC"])).tolist() == [True, False]
    with pytest.raises(ConfigError, match="fp_rate"):
        NoveltyReference.build(["CCO"], 10, fp_rate=2)


def test_more_molecule_helpers_refuse_smiles(tmp_path):
    from helixforge.chem.admet.physchem import physchem_matrix, qed_values
    from helixforge.chem.generate import ga_ops

    rng = np.random.default_rng(0)
    with pytest.raises(InputError, match="qed_values: mols"):
        qed_values(["CCO"])  # NaN before
    with pytest.raises(InputError, match="physchem_matrix: mols"):
        physchem_matrix(["CCO"])
    with pytest.raises(InputError, match="mutate: mol is str"):
        ga_ops.mutate("CCO", rng)
    with pytest.raises(InputError, match="crossover: parent_b is NoneType"):
        ga_ops.crossover(Chem.MolFromSmiles("CCO"), None, rng)


def test_tables_scores_scalers_and_caches_check_their_input(tmp_path):
    from helixforge.chem.pretrained.cache import EmbeddingCache
    from helixforge.chem.scaling import FeatureScaler
    from helixforge.chem.screen.score import ScoreExpression
    from helixforge.chem.uncertainty import ApplicabilityDomain, applicability_columns

    with pytest.raises(InputError, match="merge_duplicates: expected a pandas DataFrame"):
        S.merge_duplicates(PAIR, ["y"], ["regression"])
    with pytest.raises(ConfigError, match="'a' not in the table scored"):
        ScoreExpression("a + 1").evaluate(pd.DataFrame({"b": [1.0]}))  # KeyError before
    with pytest.raises(InputError, match="2-D"):
        FeatureScaler().fit([1.0, 2.0])  # a scalar mean before
    with pytest.raises(ConfigError, match="not fitted"):
        FeatureScaler().transform(np.zeros((2, 3)))
    with pytest.raises(InputError, match="damaged scaler JSON"):
        FeatureScaler.from_json("x")
    cache = EmbeddingCache(tmp_path / "e.sqlite")
    with pytest.raises(InputError, match="keys is one string"):
        cache.missing("m", "CCO")  # ['C', 'O'] before
    assert cache.missing("m", (k for k in ["CCO", "CCO", "CCN"])) == ["CCO", "CCN"]
    for bad in (2, -0.1, float("nan"), "0.3"):
        with pytest.raises(ConfigError, match="Tanimoto similarity in"):
            applicability_columns(threshold=bad)
        with pytest.raises(ConfigError, match="Tanimoto similarity in"):
            ApplicabilityDomain(bad)


def test_iter_smiles_takes_a_path():
    from helixforge.chem.generate.corpus import iter_smiles

    with pytest.raises(InputError, match="iter_smiles: path must be a file path"):
        list(iter_smiles(["CCO"]))


def test_generate_file_functions_take_paths(tmp_path):
    from helixforge.chem.generate.sampling import generate_molecules
    from helixforge.chem.generate.train_prior import train_prior

    with pytest.raises(InputError, match="train_prior: corpus must be a file path"):
        train_prior(["CCO"], tmp_path / "prior")
    with pytest.raises(InputError, match="generate_molecules: out must be a file path"):
        generate_molecules(None, 3, ["x.csv"])


def test_standardize_options_and_job_counts_are_checked():
    """options=None failed every molecule ('standardisation failed: NoneType has no attribute
    largest_fragment'), tautomer='no' (truthy) switched tautomers on, n_jobs='2' was a
    TypeError from core.parallel."""
    assert S.standardize_many(["CCO"], None) == [("CCO", None)]
    with pytest.raises(ConfigError, match="options must be StandardizeOptions"):
        S.standardize_smiles("CCO", "keep")
    with pytest.raises(ConfigError, match="options must be StandardizeOptions"):
        F.standardize_and_featurize(["CCO"], options="reject")
    with pytest.raises(ConfigError, match="tautomer must be True or False"):
        S.StandardizeOptions(tautomer="no")
    for fn in (S.standardize_many, F.featurize, F.standardize_and_featurize):
        with pytest.raises(ConfigError, match="n_jobs must be an integer"):
            fn(PAIR, n_jobs="2")
        with pytest.raises(ConfigError, match="chunk_size must be an integer"):
            fn(PAIR, chunk_size=float("nan"))
    assert len(F.featurize(PAIR, F.FeatureSpec(descriptors="none"), n_jobs=np.int64(1))) == 2


def test_a_set_is_taken_where_the_result_does_not_depend_on_order():
    from helixforge.chem.generate import metrics as M
    from helixforge.chem.generate.novelty import NoveltyReference
    from helixforge.chem.generate.vocab import Vocabulary

    assert NoveltyReference.build({"CCO", "CCN"}, 10).contains(["CCO"]).tolist() == [True]
    assert Vocabulary.build({"CCO"}).tokens[-2:] == ["C", "O"]
    assert M.validity({"CCO", "xx"}) == 0.5
    assert M.novelty({"CCO"}, {"CCO"}) == 0.0
    with pytest.raises(InputError, match="no order"):
        F.featurize({"CCO"})  # rows: the order matters


def test_a_missing_smiles_column_is_told_which_column_holds_smiles(tmp_path, make_table, fast_gbm):
    """A model trained on BACE's 'mol' column, given a table with 'smiles' (or train /
    standardize run with the default 'smiles' on BACE) only got the list of columns."""
    from helixforge.chem.inputs import smiles_columns
    from helixforge.chem.predict import predict_property
    from helixforge.chem.standardize import standardize_file
    from helixforge.chem.train import train_property_model
    from helixforge.core.errors import InputError

    t = make_table()
    t.rename(columns={"smiles": "mol"}).to_csv(tmp_path / "mol.csv", index=False)
    t.to_csv(tmp_path / "smiles.csv", index=False)
    assert smiles_columns(tmp_path / "mol.csv") == ["mol"]  # not id (m0…), not the numbers
    want = "'mol' holds SMILES: pass --input-col 'mol'"
    with pytest.raises(InputError) as e:
        train_property_model(tmp_path / "mol.csv", "smiles", ["logp_like"], model="gbm",
                             model_params=fast_gbm, out=tmp_path / "r0", report=False)  # fmt: skip
    assert e.value.hint == want and "column 'smiles' not found" in e.value.message
    with pytest.raises(InputError) as e:
        standardize_file(tmp_path / "mol.csv", tmp_path / "s.csv", smiles_col="smiles")
    assert e.value.hint == want
    train_property_model(tmp_path / "mol.csv", "mol", ["logp_like"], model="gbm",
                         model_params=fast_gbm, split="random", out=tmp_path / "run",
                         report=False)  # fmt: skip
    with pytest.raises(InputError) as e:
        predict_property(tmp_path / "run", tmp_path / "smiles.csv", tmp_path / "p.csv")
    assert e.value.hint == "'smiles' holds SMILES: pass --input-col 'smiles'"
    (tmp_path / "none.csv").write_text("name,y\naspirin,1\nwater,2\n")
    with pytest.raises(InputError) as e:
        predict_property(tmp_path / "run", tmp_path / "none.csv", tmp_path / "p.csv")
    assert "holds SMILES" not in (e.value.hint or "")


def test_the_smiles_column_hint_keeps_what_the_error_knew_about_the_other_columns(tmp_path):
    """The chem hint replaced the table reader's: 'LogP' for a missing 'logp' went unnamed,
    and a file without a header line was told to pass --input-col '<its first SMILES>'."""
    from helixforge.chem.table import load_property_table
    from helixforge.core.errors import InputError

    rows = [("CCOc1ccccc1", 1.2), ("CC(=O)Nc1ccc(O)cc1", 0.5), ("c1ccc2ccccc2c1", 3.3)]
    (tmp_path / "caps.csv").write_text("SMILES,LogP\n" + "".join(f"{s},{y}\n" for s, y in rows))
    with pytest.raises(InputError) as e:
        load_property_table(tmp_path / "caps.csv", "smiles", ["logp"])
    assert e.value.hint == (
        "'SMILES' holds SMILES: pass --input-col 'SMILES'; and for 'logp': did you mean 'LogP'?"
    )
    (tmp_path / "bare.csv").write_text("".join(f"{s},{y}\n" for s, y in rows))
    with pytest.raises(InputError) as e:
        load_property_table(tmp_path / "bare.csv", "smiles", ["logp"])
    assert "--input-col" not in e.value.hint and "not a header" in e.value.hint
