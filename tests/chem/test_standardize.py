import numpy as np
import pandas as pd
import pytest
from rdkit import Chem

from helixforge.chem.standardize import (
    StandardizeOptions,
    merge_duplicates,
    parse_smiles,
    standardize_smiles,
    standardize_table,
)


def test_salts_are_stripped_and_charges_neutralised():
    assert standardize_smiles("CC(=O)[O-].[Na+]") == ("CC(=O)O", None)
    assert standardize_smiles("c1ccccc1C(=O)O.O")[0] == "O=C(O)c1ccccc1"
    # a quaternary ammonium has no neutral form: it keeps its charge, the counter-ion goes
    assert standardize_smiles("C[N+](C)(C)C.[Cl-]")[0] == "C[N+](C)(C)C"


def test_neutralising_an_aromatic_carbanion_gives_smiles_that_parse_back():
    # TDC VDss lists sulfinpyrazone as its aromatic C-anion; protonating it must re-perceive
    # aromaticity, or the canonical SMILES cannot be read back (the D-MPNN then failed on it)
    smi, reason = standardize_smiles("O=c1[c-](CC[S@](=O)c2ccccc2)c(=O)n(-c2ccccc2)n1-c1ccccc1")
    assert reason is None and "[c-]" not in smi
    assert Chem.MolFromSmiles(smi) is not None
    assert Chem.GetFormalCharge(Chem.MolFromSmiles(smi)) == 0


def test_equivalent_spellings_give_one_canonical_smiles():
    assert standardize_smiles("OCC")[0] == standardize_smiles("C(O)C")[0] == "CCO"


@pytest.mark.parametrize(
    "forms",
    [
        ["CCN", "[H]N([H])CC", "CC[NH3+].[Cl-]", "CCN.[H]Cl"],  # explicit H, salt forms
        ["c1ccccc1", "C1=CC=CC=C1", "[H]c1ccccc1"],  # aromatic, kekulé, explicit H
        ["C[C@@H](N)C(=O)O", "[H][C@](C)(N)C(=O)O"],  # stereo given through an explicit H
        ["C/C=C/C", "[H]/C(C)=C(/[H])C"],
        ["C", "[H]C([H])([H])[H]", "[CH4]"],
    ],
)
def test_every_spelling_of_a_molecule_gives_one_canonical_smiles(forms):
    # explicit [H] atoms were kept as graph atoms: '[H]N([H])CC' and 'CCN' stayed two
    # molecules (not merged as duplicates, free to land on both sides of a split)
    assert len({standardize_smiles(f) for f in forms}) == 1


def test_hydrogens_that_carry_information_are_kept():
    assert standardize_smiles("[2H]O[2H]")[0] == "[2H]O[2H]"
    assert standardize_smiles("[H][H]")[0] == "[H][H]"


def test_tautomer_canonicalisation_is_optional():
    plain = standardize_smiles("Oc1ccccn1")[0]
    taut = standardize_smiles("Oc1ccccn1", StandardizeOptions(tautomer=True))[0]
    assert plain == "Oc1ccccn1"
    assert taut == standardize_smiles("O=c1cccc[nH]1", StandardizeOptions(tautomer=True))[0]


def test_rejections_carry_a_reason_instead_of_rdkit_log():
    assert parse_smiles("")[1] == "empty SMILES"
    assert parse_smiles(None)[1] == "empty SMILES"
    assert "syntax" in parse_smiles("C1CC")[1]
    assert "valence" in parse_smiles("Cn(C)(C)(C)C")[1].lower()
    assert "characters long" in parse_smiles("C" * 20_000)[1]


def test_standardize_table_keeps_line_numbers_and_records_errors():
    df = pd.DataFrame({"smiles": ["CCO", "not_a_smiles", "", "c1ccccc1"]}, index=[2, 3, 4, 5])
    clean, errors = standardize_table(df, "smiles", source="x.csv")
    assert list(clean.index) == [2, 5]
    assert clean["canonical_smiles"].tolist() == ["CCO", "c1ccccc1"]
    assert {e.row for e in errors} == {3, 4}
    assert all(e.file == "x.csv" and e.column == "smiles" for e in errors)


def test_merge_duplicates_means_regression_and_reports_spread():
    df = pd.DataFrame(
        {"canonical_smiles": ["CCO", "CCO", "CCN", "CCC", "CCC"], "y": [1.0, 3.0, 5.0, 2.0, 2.2]},
        index=[2, 3, 4, 5, 6],
    )
    merged, conflicts = merge_duplicates(df, ["y"], ["regression"], tolerance=0.5)
    assert len(merged) == 3
    assert merged.set_index("canonical_smiles").loc["CCO", "y"] == 2.0
    assert np.isclose(merged.set_index("canonical_smiles").loc["CCC", "y"], 2.1)
    assert conflicts["canonical_smiles"].tolist() == ["CCO"]  # CCC's spread 0.2 is within tolerance


def test_merge_duplicates_majority_and_ties_for_classes():
    df = pd.DataFrame(
        {"canonical_smiles": ["A", "A", "A", "B", "B"], "c": [1.0, 1.0, 0.0, 0.0, 1.0]},
        index=[2, 3, 4, 5, 6],
    )
    merged, conflicts = merge_duplicates(df, ["c"], ["binary"])
    values = merged.set_index("canonical_smiles")["c"]
    assert values["A"] == 1.0 and values["B"] == 0.0  # majority; tie keeps the first
    reasons = dict(zip(conflicts["canonical_smiles"], conflicts["reason"]))
    assert "majority" in reasons["A"] and "tie" in reasons["B"]


SALT_CASES = [
    # (input, canonical parent) — the organic parent loses its counter-ions ...
    ("Cl.CCN", "CCN"),
    ("CC(=O)[O-].[Na+]", "CC(=O)O"),  # only an organic counter-ion: it is the parent
    ("Cc1ccc(S(=O)(=O)O)cc1.CN(C)C(=N)N=C(N)N", "CN(C)C(=N)N=C(N)N"),  # metformin tosylate
    ("OC(=O)/C=C/C(=O)O.CN1CCC[C@H]1c1cccnc1", "CN1CCC[C@H]1c1cccnc1"),  # nicotine fumarate
    ("c1ccccc1C(=O)O.O", "O=C(O)c1ccccc1"),  # hydrate
    ("[Na+].[Cl-].CCO", "CCO"),  # an organic molecule beside an inorganic salt
    ("CCCC.CCO", "CCCC"),  # a mixture: the largest organic component
    # pharmaceutical counter-ions outside RDKit's list, larger than their drugs (the counter-ion
    # was the parent: pamoic acid, citric acid, tromethamine)
    (
        "CN1CCCN=C1/C=C/c1cccc(O)c1.OC(=O)c1cc2ccccc2c(Cc2c(O)c(C(=O)O)cc3ccccc23)c1O",
        "CN1CCCN=C1/C=C/c1cccc(O)c1",
    ),  # oxantel pamoate
    ("CN(C)C(=N)N=C(N)N.OC(=O)CC(O)(CC(=O)O)C(=O)O", "CN(C)C(=N)N=C(N)N"),  # metformin citrate
    ("NC(CO)(CO)CO.C[C@@H]1O[C@@H]1P(=O)(O)O", "C[C@@H]1O[C@@H]1P(=O)(O)O"),  # fosfomycin
    ("[Na+].[Na+].[O-]C(=O)CC(O)(CC(=O)[O-])C(=O)O", "O=C(O)CC(O)(CC(=O)O)C(=O)O"),  # only it
    # ... while a compound made only of counter-ions / inorganic fragments is kept whole
    ("[Na+].[Cl-]", "[Cl-].[Na+]"),
    ("[Cl-].[Na+]", "[Cl-].[Na+]"),
    ("[Na+].[Cl-].O.O", "[Cl-].[Na+]"),  # its hydrate: water dropped
    ("O.O.[Na+].[Cl-]", "[Cl-].[Na+]"),
    ("[NH4+].[Cl-]", "[Cl-].[NH4+]"),  # not neutralised into Cl.N
    ("[Na+].[Na+].[O-]S([O-])(=O)=O", "O=S(=O)([O-])[O-].[Na+].[Na+]"),  # stoichiometry kept
    ("[Cu+2].[O-]S(=O)(=O)[O-].O.O.O.O.O", "O=S(=O)([O-])[O-].[Cu+2]"),
    ("N.N.Cl[Pt]Cl", "N.N.[Cl][Pt][Cl]"),  # cisplatin is not ammonia
    ("[K+].[C-]#N", "[C-]#N.[K+]"),  # cyanide counts as inorganic
    ("O.O", "O"),
    ("O", "O"),
]


@pytest.mark.parametrize(("raw", "parent"), SALT_CASES)
def test_salts_mixtures_and_hydrates_keep_the_right_parent(raw, parent):
    assert standardize_smiles(raw) == (parent, None)


@pytest.mark.parametrize(("raw", "parent"), SALT_CASES)
def test_salts_reject_policy_turns_only_counter_ion_inputs_into_row_errors(raw, parent):
    smi, reason = standardize_smiles(raw, StandardizeOptions(salts="reject"))
    if "." in parent:  # a salt kept whole by default
        assert smi is None and reason.startswith("only counter-ions")
    else:
        assert (smi, reason) == (parent, None)


METAL_COMPOUNDS = [
    # (input, canonical SMILES): a metal that is no alkali / alkaline-earth counter-ion, beside
    # an organic fragment, is a metal compound drawn as fragments, kept whole (water dropped,
    # charges kept). Stripped, each became its free ligand and was merged with the ligand's rows.
    ("[Fe+2].[cH-]1cccc1.[cH-]1cccc1", "[Fe+2].c1cc[cH-]c1.c1cc[cH-]c1"),  # ferrocene
    ("C1=CC=C[CH-]1.[Fe+2].C1=CC=C[CH-]1", "[Fe+2].c1cc[cH-]c1.c1cc[cH-]c1"),
    ("C1CC(C1)(C(=O)O)C(=O)O.N.N.[Pt]", "N.N.O=C(O)C1(C(=O)O)CCC1.[Pt]"),  # carboplatin
    ("O.O.[Zn+2].CC(=O)[O-].CC(=O)[O-]", "CC(=O)[O-].CC(=O)[O-].[Zn+2]"),  # zinc acetate
    ("Cl[Hg]Cl.O=c1c2ccccc2oc2ccccc12", "O=c1c2ccccc2oc2ccccc12.[Cl][Hg][Cl]"),
]


@pytest.mark.parametrize(("raw", "kept"), METAL_COMPOUNDS)
def test_a_metal_compound_drawn_as_fragments_is_kept_whole_not_read_as_its_ligand(raw, kept):
    assert standardize_smiles(raw) == (kept, None)
    assert standardize_smiles(kept) == (kept, None)
    # it is no salt of counter-ions: the strict salt policy keeps it too
    assert standardize_smiles(raw, StandardizeOptions(salts="reject")) == (kept, None)


def test_alkali_and_alkaline_earth_metals_stay_counter_ions():
    assert standardize_smiles("CC(=O)[O-].CC(=O)[O-].[Ca+2]") == ("CC(=O)O", None)
    assert standardize_smiles("[Li+].[O-]C(=O)c1ccccc1") == ("O=C(O)c1ccccc1", None)
    assert standardize_smiles("O.CCCC[Sn](CCCC)(CCCC)Cl")[0].count(".") == 0  # one fragment


def test_only_counter_ion_rows_are_accounted_for_in_the_table():
    df = pd.DataFrame({"smiles": ["[Na+].[Cl-]", "Cl.CCN", "[K+].[Br-].O"]}, index=[2, 3, 4])
    kept, errors = standardize_table(df, "smiles")
    assert kept["canonical_smiles"].tolist() == ["[Cl-].[Na+]", "CCN", "[Br-].[K+]"]
    strict, errors = standardize_table(df, "smiles", options=StandardizeOptions(salts="reject"))
    assert strict["canonical_smiles"].tolist() == ["CCN"]
    assert len(strict) + len(errors) == len(df)
    assert all("only counter-ions" in e.reason for e in errors)


def test_unknown_salt_policy_is_a_config_error():
    from helixforge.core.errors import ConfigError

    with pytest.raises(ConfigError, match="salts"):
        StandardizeOptions(salts="strip")


def test_a_molecule_over_the_atom_limit_is_a_row_error_not_a_stalled_job():
    # Atom-pair, ErG and autocorrelation features grow with the cube of the atom count: a
    # 1,500-atom chain took minutes per molecule before it was refused here.
    from helixforge.chem.standardize import MAX_HEAVY_ATOMS, parse_smiles

    mol, reason = parse_smiles("C" * MAX_HEAVY_ATOMS)
    assert mol is not None and reason is None
    mol, reason = parse_smiles("C" * (MAX_HEAVY_ATOMS + 1))
    assert mol is None and "too large" in reason and f"{MAX_HEAVY_ATOMS + 1:,}" in reason
    mol, reason = parse_smiles("c1ccccc1" * 200)  # 1,200 atoms in 1,600 characters
    assert mol is None and "1,200 heavy atoms" in reason


def test_standardize_file_counts_and_records_lines_that_are_not_rows(tmp_path):
    from helixforge.chem.standardize import standardize_file

    src = tmp_path / "in.csv"
    src.write_text("id,smiles\nm1,CCO\nm2,CCN,extra\nm3,xx\nm4,CCC\n")
    res = standardize_file(src, tmp_path / "out.csv")
    assert (res["rows"], res["ok"], res["errors"]) == (4, 2, 2)
    errs = pd.read_csv(tmp_path / "out.errors.csv")
    assert errs["row"].tolist() == [3, 4]  # file lines, in order
    assert errs.loc[0, "value"] == "m2,CCN,extra"  # the raw line, not an empty value
    assert "wrong number of fields" in errs.loc[0, "reason"]


def test_standardize_file_reads_an_sd_file_record_by_record(tmp_path):
    from rdkit import Chem

    from helixforge.chem.standardize import standardize_file

    src = tmp_path / "in.sdf"
    w = Chem.SDWriter(str(src))
    for i, smi in enumerate(["CCO", "c1ccccc1C(=O)[O-].[Na+]", "CCN"]):
        mol = Chem.MolFromSmiles(smi)
        mol.SetProp("_Name", f"m{i}")
        w.write(mol)
    w.close()
    text = src.read_text()  # a record RDKit cannot read, after the first
    src.write_text(text.replace("$$$$\n", "$$$$\nbad\n\n\n  3  2\nM  END\n$$$$\n", 1))
    res = standardize_file(src, tmp_path / "out.csv")
    assert (res["rows"], res["ok"], res["errors"]) == (4, 3, 1)
    out = pd.read_csv(tmp_path / "out.csv")
    assert out["name"].tolist() == ["m0", "m1", "m2"]
    assert out["canonical_smiles"].tolist() == ["CCO", "O=C(O)c1ccccc1", "CCN"]
    assert pd.read_csv(tmp_path / "out.errors.csv")["row"].tolist() == [2]


@pytest.mark.parametrize(
    "text,words",
    [
        ("C\u2013C", "character 2 is '\u2013' (U+2013 EN DASH)"),  # a dash from Word
        ("\uff23\uff23O", "U+FF23 FULLWIDTH LATIN CAPITAL LETTER C"),  # full-width letters
        ("CC\u200bO", "character 3 is '\\u200b' (U+200B ZERO WIDTH SPACE)"),  # invisible
        ("InChI=1S/CH4/h1H4", "an InChI, not a SMILES"),
        ("n/a", "marks a missing value"),
        ("None", "marks a missing value"),
        ("LFQSCWFLJHTTHZ-UHFFFAOYSA-N", "an InChIKey (a hash"),  # ethanol's
        ("64-17-5", "a CAS registry number"),
        ("[C][=C][Branch1][C][O]", "a SELFIES string"),
        ("[C][C][O]", "a SELFIES string"),  # parsed as a chain of three radicals before
    ],
)
def test_a_string_that_is_not_a_smiles_says_what_gives_it_away(text, words):
    mol, reason = parse_smiles(text)
    assert mol is None and words in reason, reason


@pytest.mark.parametrize("text", ["[Cl][Cl]", "[Na][Cl]", "[13CH3][OH]", "[CH2][CH2]"])
def test_bracket_atoms_side_by_side_without_radicals_stay_smiles(text):
    assert parse_smiles(text)[0] is not None


def test_a_valid_smiles_with_a_non_ascii_name_after_it_still_parses():
    assert parse_smiles("CCO \u00e9thanol")[0] is not None


@pytest.mark.parametrize("text", ["\uff23\uff23O", "\u00e9CC", "CC\u2013", "C\u00b7C"])
def test_a_non_ascii_character_is_an_error_never_a_different_molecule(text):
    """RDKit alone reads 'ＣＣO' as water and 'éCC' / 'CC–' as ethane."""
    mol, reason = parse_smiles(text)
    assert mol is None and "SMILES are plain ASCII" in reason, reason


def test_an_input_canonical_smiles_column_is_kept_as_input_canonical_smiles():
    import pandas as pd

    from helixforge.chem.standardize import standardize_table

    df = pd.DataFrame({"smiles": ["OCC", "c1ccccc1"], "canonical_smiles": ["mine-1", "mine-2"]})
    out, errors = standardize_table(df, "smiles")
    assert len(errors) == 0
    assert out["input_canonical_smiles"].tolist() == ["mine-1", "mine-2"]  # not overwritten
    assert out["canonical_smiles"].tolist() == ["CCO", "c1ccccc1"]
    # the SMILES column itself may be called canonical_smiles: the raw text is kept too
    raw = pd.DataFrame({"canonical_smiles": ["OCC"]})
    out, _ = standardize_table(raw, "canonical_smiles")
    assert out["input_canonical_smiles"].tolist() == ["OCC"]
    assert out["canonical_smiles"].tolist() == ["CCO"]


def test_atom_map_numbers_are_dropped():
    # reaction-mapping and R-group tools write '[CH3:1][OH:2]': the same methanol, which kept
    # its labels and stayed a molecule of its own (no duplicate merge, never 'in training')
    forms = ["CO", "[CH3:1][OH:2]", "[CH3:7]O", "[H:3][CH2:1]O"]
    assert {standardize_smiles(f) for f in forms} == {("CO", None)}


def test_racemic_and_unknown_stereo_groups_are_not_read_as_absolute_configurations():
    # CXSMILES '&1' (racemic) / 'o1' (one enantiomer, unknown which): the centre was written with
    # whatever tag the input happened to use, so the racemate became the pure (S) enantiomer
    # and, written '[C@@H]', the (R) one: two canonical SMILES for one racemate
    racemate = {standardize_smiles(f)[0] for f in ["C[C@H](O)CC |&1:1|", "C[C@@H](O)CC |&1:1|"]}
    assert racemate == {"CCC(C)O"} == {standardize_smiles("C[C@@H](O)CC |o1:1|")[0]}
    # absolute stereo is kept
    assert standardize_smiles("C[C@@H](O)CC |a:1|")[0] == "CC[C@@H](C)O"


# (2S,3R)-threonine, its enantiomer, and the two allo-threonines
THREONINE = "C[C@@H](O)[C@H](N)C(=O)O"
PURE_STEREOISOMERS = [
    THREONINE,
    "C[C@H](O)[C@@H](N)C(=O)O",
    "C[C@H](O)[C@H](N)C(=O)O",
    "C[C@@H](O)[C@@H](N)C(=O)O",
]


@pytest.mark.parametrize(
    "written",
    [
        THREONINE + " |&1:1,3|",  # racemic threonine
        "C[C@H](O)[C@@H](N)C(=O)O |&1:1,3|",  # the same racemate, drawn as the other enantiomer
        THREONINE + " |o1:1,3|",  # one enantiomer, unknown which
        THREONINE + " |&1:1,&2:3|",  # each centre racemic on its own
        THREONINE + " |r|",  # ChemAxon: all stereo relative
        "C[C@@H](O)C(N)C(=O)O |&1:1,3|",  # a group with one centre drawn, one not
        THREONINE + "." + "C[C@H](O)[C@@H](N)C(=O)O",  # the racemate as two fragments
    ],
)
def test_a_racemate_of_a_molecule_with_several_centres_is_never_one_pure_stereoisomer(written):
    # a group of several centres was written as the mirror form with the smaller SMILES:
    # racemic threonine got the canonical SMILES of (2S,3R)-threonine and merged with its rows.
    # Now its centres are unknown, as a one-centre racemate's are and as an input without tags
    smi, reason = standardize_smiles(written)
    pure = {standardize_smiles(s)[0] for s in PURE_STEREOISOMERS}
    assert reason is None and smi not in pure
    assert smi == standardize_smiles("CC(O)C(N)C(=O)O")[0] == "CC(O)C(N)C(=O)O"


def test_two_racemic_centres_of_a_symmetric_ring_are_not_read_as_absolute():
    # an inositol isomer with centres 1 and 6 racemic: inverting them gives another molecule,
    # but the copy they were inverted in kept the original's stereo perception, its canonical
    # SMILES was the original's, and the group was kept as if it were meso
    pure = "O[C@H]1[C@H](O)[C@@H](O)[C@H](O)[C@H](O)[C@H]1O"
    smi = standardize_smiles(pure + " |&1:1,6|")[0]
    assert smi != standardize_smiles(pure)[0]
    assert smi == standardize_smiles("OC1[C@H](O)[C@@H](O)C(O)[C@H](O)[C@H]1O")[0]


def test_a_partly_racemic_molecule_keeps_only_its_absolute_centres():
    # three centres, two of them racemic: the absolute one stays, the other two are unknown
    # (it was the pure diastereomer 'C[C@@H](O)[C@H](N)[C@@H](C)C(=O)O')
    pure = "C[C@@H](O)[C@H](N)[C@@H](C)C(=O)O"
    smi = standardize_smiles(pure + " |&1:3,5|")[0]
    assert smi != standardize_smiles(pure)[0]
    assert smi == standardize_smiles("C[C@@H](O)C(N)C(C)C(=O)O")[0] == "CC(C(=O)O)C(N)[C@@H](C)O"
    # one racemic centre beside an absolute one: the same rule, one centre at a time
    assert standardize_smiles(THREONINE + " |&1:3|")[0] == "C[C@@H](O)C(N)C(=O)O"


@pytest.mark.parametrize(
    ("written", "plain"),
    [
        # trans- and cis-1,4-dimethylcyclohexane: no enantiomer to be mixed with
        ("C[C@H]1CC[C@@H](C)CC1 |&1:1,4|", "C[C@H]1CC[C@@H](C)CC1"),
        ("C[C@H]1CC[C@H](C)CC1 |o1:1,4|", "C[C@H]1CC[C@H](C)CC1"),
        ("C[C@H]1CC[C@H](C)CC1 |r|", "C[C@H]1CC[C@H](C)CC1"),
        # cis-1,2-dimethylcyclohexane and meso-tartaric acid: meso
        ("C[C@H]1CCCC[C@H]1C |&1:1,6|", "C[C@H]1CCCC[C@H]1C"),
        ("O[C@@H]([C@@H](O)C(=O)O)C(=O)O |r|", "O[C@@H]([C@@H](O)C(=O)O)C(=O)O"),
    ],
)
def test_a_stereo_group_whose_mirror_image_is_the_same_molecule_keeps_its_tags(written, plain):
    # '&1' / 'o1' / '|r|' on a meso compound or on cis / trans ring substituents add nothing
    # (the racemate of an achiral stereoisomer is that stereoisomer): clearing the tags would
    # merge cis with trans
    assert standardize_smiles(written)[0] == standardize_smiles(plain)[0]
    assert "@" in standardize_smiles(written)[0]


def test_racemic_trans_1_2_dimethylcyclohexane_is_not_the_meso_cis_isomer():
    trans = standardize_smiles("C[C@H]1CCCC[C@@H]1C |&1:1,6|")[0]  # chiral: a racemate
    assert trans == "CC1CCCCC1C" != standardize_smiles("C[C@H]1CCCC[C@H]1C |&1:1,6|")[0]


@pytest.mark.parametrize(
    ("smiles", "hint", "written_so"),
    [
        ("c1ccnc1", "c1cc[nH]c1", "c1cc[nH]c1"),  # pyrrole without its [nH]: no Kekulé form
        ("Cc1ccnc1", "[nH]", "Cc1cc[nH]c1"),
        ("C[NH2]->[BH3]", "N->B", "C[NH2]->B"),  # dative bonds add to the acceptor's valence
    ],
)
def test_a_structure_rdkit_cannot_sanitize_says_how_to_write_it(smiles, hint, written_so):
    smi, reason = standardize_smiles(smiles)
    assert smi is None and reason.startswith("RDKit could not sanitize") and hint in reason
    assert standardize_smiles(written_so)[1] is None


@pytest.mark.parametrize(
    ("smiles", "named"),
    [
        ("C(C)(C)(C)(C)C", "atom 1 as written, C, has a valence of 5"),  # pentavalent carbon
        ("CN(C)(C)(C)C", "atom 2 as written, N, has a valence of 5"),  # '[N+]' left out
        ("CC[CH3]C", "atom 3 as written, C, has a valence of 5"),  # an H count too many
    ],
)
def test_a_valence_error_names_the_atom_as_written_and_what_to_check(smiles, named):
    # RDKit's 'Explicit valence for atom # 0 C, 5' counts atoms from 0 and says nothing more
    smi, reason = standardize_smiles(smiles)
    assert smi is None and named in reason and "a charge left out" in reason


def test_a_racemate_in_a_v3000_sd_file_stays_racemic(tmp_path):
    # MDLV30/STERAC1 marks the centre racemic: the SD reader wrote plain SMILES, so the
    # racemate became the pure enantiomer its wedge happened to draw
    from helixforge.chem.standardize import standardize_file

    sdf = tmp_path / "lib.sdf"
    blocks = []
    for smiles in ["C[C@H](O)CC |&1:1|", "C[C@@H](O)CC |&1:1|", "C[C@@H](O)CC"]:
        blocks.append(Chem.MolToV3KMolBlock(Chem.MolFromSmiles(smiles)) + "$$$$\n")
    sdf.write_text("".join(blocks))
    standardize_file(sdf, tmp_path / "out.csv")
    out = pd.read_csv(tmp_path / "out.csv")
    assert out["canonical_smiles"].tolist() == ["CCC(C)O", "CCC(C)O", "CC[C@@H](C)O"]


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("<NA>", "marks a missing value"),  # pandas' pd.NA written out: was 'a reaction SMILES'
        ("n.a.", "marks a missing value"),
        ("#N/A", "spreadsheet error value"),  # was 'not a valid SMILES (syntax error)'
        ("#VALUE!", "spreadsheet error value"),
        ("#DIV/0!", "spreadsheet error value"),
        ("CCO>>CC=O", "a reaction SMILES"),
        ("CC(=O)O.OCC>[H+]>CC(=O)OCC", "a reaction SMILES"),
    ],
)
def test_missing_value_markers_and_spreadsheet_errors_are_named(cell, reason):
    smi, why = standardize_smiles(cell)
    assert smi is None and reason in why


def test_dihydrogen_has_one_canonical_smiles():
    # '[HH]' stayed one atom with an implicit H while '[H][H]' keeps two atoms: two molecules
    assert {standardize_smiles(f) for f in ["[H][H]", "[HH]", "[H-]"]} == {("[H][H]", None)}
    assert {standardize_smiles(f) for f in ["[2H][H]", "[2HH]"]} == {("[H][2H]", None)}
    assert standardize_smiles("[H+]") == ("[H+]", None) and standardize_smiles("[H]")[0] == "[H]"


@pytest.mark.parametrize(
    "forms",
    [
        ["CS(C)=O", "C[S+](C)[O-]"],  # DMSO; a third of the TDC sulfoxides were charge-separated
        ["C[S@@](=O)c1ccccc1", "C[S@@+]([O-])c1ccccc1", "[O-][S@+](C)c1ccccc1"],  # stereo kept
        ["CS(C)(=O)=O", "C[S+2]([O-])([O-])C", "C[S+](=O)([O-])C"],
        ["CS(C)(=N)=O", "C[S+](C)(=N)[O-]"],  # sulfoximine
        ["CP(C)(C)=O", "C[P+](C)(C)[O-]"],
        ["C=[N+]=[N-]", "[CH2-][N+]#N"],
    ],
)
def test_charge_separated_and_double_bond_spellings_give_one_canonical_smiles(forms):
    assert {standardize_smiles(f) for f in forms} == {(forms[0], None)}


def test_n_oxides_and_nitro_groups_keep_their_separated_charges():
    assert standardize_smiles("C[N+](C)(C)[O-]")[0] == "C[N+](C)(C)[O-]"
    assert standardize_smiles("CN(=O)=O")[0] == "C[N+](=O)[O-]"


def test_the_cxsmiles_relative_flag_is_not_read_as_absolute_stereo():
    # ChemAxon's '|r|': every centre's configuration is relative; RDKit reads past it, so a
    # lone centre was written as the absolute configuration its tag happened to have
    assert {standardize_smiles(f)[0] for f in ["C[C@H](O)CC |r|", "C[C@@H](O)CC |r|"]} == {
        "CCC(C)O"
    }
    # several centres: their configuration relative to each other is not an absolute one
    # (test_a_racemate_of_a_molecule_with_several_centres_is_never_one_pure_stereoisomer)
    assert standardize_smiles("C[C@H](O)[C@H](C)CC |r|")[0] == "CCC(C)C(C)O"
    # an absolute group keeps its centre
    assert standardize_smiles("C[C@H](O)[C@H](C)CC |a:1,r|")[0] == "CCC(C)[C@H](C)O"


def test_a_mixture_of_stereoisomers_written_as_fragments_has_no_stereo():
    # AqSolDB writes some racemates and isomer mixtures fragment by fragment: the size rule
    # picked one isomer ('C[C@@H](N)C(=O)O'), claiming a pure enantiomer
    racemate = ["C[C@@H](N)C(=O)O.C[C@H](N)C(=O)O", "C[C@H](N)C(=O)O.C[C@@H](N)C(=O)O"]
    assert {standardize_smiles(f) for f in racemate} == {("CC(N)C(=O)O", None)}
    assert standardize_smiles("C/C=C/C.C/C=C\\C") == ("CC=CC", None)  # E + Z
    # the same isomer twice (and a salt of it) keeps its stereo
    assert standardize_smiles("C[C@@H](N)C(=O)O.C[C@@H](N)C(=O)O.Cl")[0] == "C[C@@H](N)C(=O)O"


@pytest.mark.parametrize(
    ("mixture", "named"),
    [
        ("Cc1ccc(O)cc1.Cc1cccc(O)c1.Cc1ccccc1O", "3 isomers (C7H8O"),  # cresol, as TDC writes it
        ("CCO.COC", "2 isomers (C2H6O: 'CCO' and 'COC')"),
        ("COC.CCO", "2 isomers (C2H6O: 'CCO' and 'COC')"),  # the same answer in either order
        ("c1noc2c1CCCC2.c1onc2c1CCCC2.Cl", "2 isomers"),  # regioisomers (HIV), a salt of them
    ],
)
def test_a_mixture_of_isomers_is_a_row_error_not_one_of_them(mixture, named):
    # the size rule cannot choose between fragments of one formula: it kept the isomer whose
    # SMILES sorts first ('CCO' for 'CCO.COC', p-cresol for cresol) and claimed it pure
    smi, reason = standardize_smiles(mixture)
    assert smi is None and named in reason and "give the one isomer" in reason


@pytest.mark.parametrize(
    ("mixture", "parent"),
    [
        ("NCC(=O)O.[NH3+]CC(=O)[O-]", "NCC(=O)O"),  # a zwitterion beside its neutral form
        ("Oc1ccccn1.O=c1cccc[nH]1", "O=c1cccc[nH]1"),  # two tautomers
        ("CCN.CCO", "CCO"),  # two formulas, 3 heavy atoms each: the heavier one
    ],
)
def test_one_compound_in_two_forms_is_not_a_mixture_of_isomers(mixture, parent):
    assert standardize_smiles(mixture) == (parent, None)


@pytest.mark.parametrize(
    "pair",
    [
        ("CC(C)=O", "C=C(C)O"),  # acetone and its enol
        ("O=C1CCCCC1", "OC1=CCCCC1"),  # cyclohexanone and its enol
    ],
)
def test_keto_and_enol_written_as_fragments_are_one_compound_in_either_order(pair):
    # InChI's mobile H covers tautomers whose H moves between heteroatoms (pyridone), not
    # keto / enol, whose H moves to a carbon: the pair was refused as a mixture of isomers
    first, first_reason = standardize_smiles(".".join(pair))
    second, second_reason = standardize_smiles(".".join(reversed(pair)))
    assert first_reason is None and second_reason is None
    assert first == second and first in pair


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("12345", "'12345' is a number, not a SMILES; check that the SMILES column"),
        ("1.5e3", "is a number"),
        ("-0,5", "is a number"),  # a decimal comma
        ('"CCO"', "quote characters"),  # a cell quoted twice by a spreadsheet export
        ('"""CCO"""', "quote characters"),
        ("'CCO'", "quote characters"),
    ],
)
def test_a_number_or_a_quoted_smiles_is_named_as_such(cell, reason):
    # both were 'not a valid SMILES (syntax error)', which says nothing about what to fix
    smi, why = standardize_smiles(cell)
    assert smi is None and reason in why


@pytest.mark.parametrize(
    "epimers",
    [
        THREONINE + ".C[C@@H](O)[C@@H](N)C(=O)O",  # (2S,3R) + (2R,3R): C2 differs, C3 shared
        "C[C@@H](O)[C@@H](N)C(=O)O." + THREONINE,
        "N[C@H](C(=O)O)[C@@H](C)O.N[C@@H](C(=O)O)[C@@H](C)O",  # the same, other atom order
    ],
)
def test_epimers_written_as_fragments_keep_the_centre_they_share(epimers):
    # the mixture is the 3R compound with C2 unknown, as the CXSMILES spelling of it says;
    # every centre was cleared, so the two spellings of one mixture had two keys
    assert standardize_smiles(epimers)[0] == standardize_smiles(THREONINE + " |&1:3|")[0]
    assert standardize_smiles(epimers)[0] == "C[C@@H](O)C(N)C(=O)O"


def test_stereoisomers_whose_centres_cannot_be_matched_lose_every_centre():
    # two inositol isomers: legacy CIP labels miss their pseudo-asymmetric centres, so no
    # centre is proven shared and none is kept
    mixture = (
        "O[C@H]1[C@H](O)[C@@H](O)[C@H](O)[C@H](O)[C@H]1O."
        "O[C@H]1[C@@H](O)[C@@H](O)[C@H](O)[C@H](O)[C@H]1O"
    )
    assert standardize_smiles(mixture)[0] == "OC1C(O)C(O)C(O)C(O)C1O"


def test_a_racemate_written_as_fragments_keeps_the_double_bond_geometry_its_isomers_share():
    # both enantiomers are (E): the racemate is the (E)-alkene, its centre unknown (all stereo
    # was dropped, the (E) too: Tox21's pitavastatin mixture lost its trans double bond)
    racemate = "C/C=C/[C@H](N)C(=O)O.C/C=C/[C@@H](N)C(=O)O"
    assert standardize_smiles(racemate) == ("C/C=C/C(N)C(=O)O", None)
    # isomers that differ in the double bond too keep neither
    assert standardize_smiles("C/C=C/[C@H](N)C(=O)O.C/C=C\\[C@H](N)C(=O)O")[0] == "CC=CC(N)C(=O)O"


def test_standardize_table_of_a_concatenated_frame_names_rows_by_position():
    from helixforge.chem.standardize import standardize_table

    part = pd.DataFrame({"smiles": ["CCO", "xx((", "CCN"]})
    out, errors = standardize_table(pd.concat([part, part]), "smiles")  # index 0 1 2 0 1 2
    assert [e.row for e in errors] == [1, 4] and out.index.tolist() == [0, 2, 3, 5]
