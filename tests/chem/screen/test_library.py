"""Reading libraries in chunks: true row numbers, every record a row or an error."""

from __future__ import annotations

import gzip

import pytest

from helixforge.chem.screen.library import library_digest, read_library
from helixforge.core.errors import ConfigError, EmptyInputError, InputError


def _rows(chunks):
    rows, errors = [], []
    for c in chunks:
        rows += c.frame.index.tolist()
        errors += [e.row for e in c.errors]
    return rows, errors


def test_smi_gz_rows_are_file_lines(tmp_path):
    path = tmp_path / "lib.smi.gz"
    with gzip.open(path, "wt") as fh:
        fh.write("smiles name\nCCO ethanol\n\nc1ccccc1 benzene\nCCN\n")
    chunks = list(read_library(path, chunk_size=2))
    assert [len(c.frame) for c in chunks] == [2, 1]
    assert _rows(chunks) == ([2, 4, 5], [])
    assert chunks[0].frame["smiles"].tolist() == ["CCO", "c1ccccc1"]


def test_csv_and_parquet_keep_the_id_column(tmp_path):
    import pandas as pd

    df = pd.DataFrame({"id": ["a", "b", "c"], "smi": ["CCO", "CCN", "CCC"], "x": [1, 2, 3]})
    df.to_csv(tmp_path / "lib.csv", index=False)
    df.to_parquet(tmp_path / "lib.parquet")
    for name, first in (("lib.csv", 2), ("lib.parquet", 1)):
        chunks = list(read_library(tmp_path / name, 2, input_col="smi", id_col="id"))
        assert _rows(chunks)[0] == [first, first + 1, first + 2]
        assert chunks[0].frame["id"].tolist() == ["a", "b"]


def _sdf(smiles: list[str]) -> str:
    from rdkit import Chem

    blocks = []
    for i, s in enumerate(smiles):
        mol = Chem.MolFromSmiles(s)
        mol.SetProp("_Name", f"rec{i}")
        mol.SetProp("catalog_id", f"Z{i}")
        blocks.append(Chem.MolToMolBlock(mol) + f">  <catalog_id>\nZ{i}\n\n$$$$\n")
    return "".join(blocks)


def test_sdf_records_are_rows_and_broken_records_errors(tmp_path):
    text = _sdf(["CCO", "c1ccccc1", "CCN"])
    broken = text.split("$$$$\n")
    broken[1] = "garbage\n\n\n  999  999  0  0  0  0  0  0  0  0999 V2000\nM  END\n"
    for name, opener in (("lib.sdf", open), ("lib.sdf.gz", gzip.open)):
        with opener(tmp_path / name, "wt") as fh:
            fh.write("$$$$\n".join(broken))
        chunks = list(read_library(tmp_path / name, chunk_size=2, id_col="catalog_id"))
        assert _rows(chunks) == ([1, 3], [2])
        frame = chunks[0].frame
        assert frame["name"].tolist() == ["rec0"] and frame["catalog_id"].tolist() == ["Z0"]


def test_sdf_id_col_no_record_has_is_refused_naming_the_items_there(tmp_path):
    """--id-col id on records that say '> <catalog_id>' (or '> <ID>') gave an id column of
    nothing but blanks without a word; a table's missing column is refused."""
    (tmp_path / "lib.sdf").write_text(_sdf(["CCO", "c1ccccc1", "CCN"]))
    with pytest.raises(ConfigError, match="--id-col 'ID': none of the first 2 SD records") as e:
        list(read_library(tmp_path / "lib.sdf", chunk_size=2, id_col="ID"))
    assert "'catalog_id'" in e.value.message and "case matters" in e.value.hint
    # a record here and there without the item is a blank id, not an error
    text = _sdf(["CCO", "CCN"]).replace(">  <catalog_id>\nZ0\n\n", "", 1)
    (tmp_path / "some.sdf").write_text(text)
    chunks = list(read_library(tmp_path / "some.sdf", chunk_size=5, id_col="catalog_id"))
    assert chunks[0].frame["catalog_id"].isna().tolist() == [True, False]


def test_sdf_record_missing_its_end_line_is_an_error_not_a_lost_molecule(tmp_path):
    """Two records run together (no '$$$$' between them): RDKit read the first molecule and
    dropped the second without a word, so 3 records in gave 2 rows and 0 errors."""
    text = _sdf(["CCO", "c1ccccc1", "CCN", "CCC"])
    records = text.split("$$$$\n")
    merged = records[0] + "$$$$\n" + records[1] + records[2] + "$$$$\n" + records[3] + "$$$$\n"
    (tmp_path / "lib.sdf").write_text(merged)
    chunks = list(read_library(tmp_path / "lib.sdf", chunk_size=10))
    assert _rows(chunks) == ([1, 3], [2])
    (error,) = list(chunks[0].errors)
    assert "'$$$$' line between them is missing" in error.reason
    assert library_digest(tmp_path / "lib.sdf", count=True)[1] == 3  # rows in = rows + errors
    # a last record without its '$$$$' line is still read
    (tmp_path / "tail.sdf").write_text(text[: -len("$$$$\n")])
    assert _rows(list(read_library(tmp_path / "tail.sdf", 10))) == ([1, 2, 3, 4], [])


@pytest.mark.parametrize(
    "name, content, error",
    [
        ("empty.sdf", "", EmptyInputError),
        ("missing.sdf", None, InputError),
        ("empty.csv", "", EmptyInputError),
        ("header.csv", "smiles\n", EmptyInputError),
        ("nocol.csv", "smi\nCCO\n", InputError),
    ],
)
def test_unusable_libraries_are_refused(tmp_path, name, content, error):
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    with pytest.raises(error):
        list(read_library(path, 10))


def test_sdf_has_no_input_column_to_choose(tmp_path):
    (tmp_path / "a.sdf").write_text(_sdf(["CCO"]))
    with pytest.raises(ConfigError, match="SD file"):
        read_library(tmp_path / "a.sdf", 10, input_col="Drug")


def test_digest_counts_rows_for_the_eta(tmp_path):
    (tmp_path / "a.csv").write_text("smiles\nCCO\nCCN\n")
    (tmp_path / "a.sdf").write_text(_sdf(["CCO", "CCN", "CCC"]))
    assert library_digest(tmp_path / "a.csv", count=True)[1] == 2
    assert library_digest(tmp_path / "a.sdf", count=True)[1] == 3
    assert len(library_digest(tmp_path / "a.csv")[0]) == 64


def test_sdf_blank_records_are_errors_that_say_so(tmp_path):
    """A blank record or a stray '$$$$' line was 'SD record could not be read by RDKit',
    the same words as a broken molecule block."""
    text = _sdf(["CCO", "CCN"])
    first, second = text.split("$$$$\n")[:2]
    (tmp_path / "lib.sdf").write_text(first + "$$$$\n\n\n\n$$$$\n$$$$\n" + second + "$$$$\n")
    chunks = list(read_library(tmp_path / "lib.sdf", chunk_size=10))
    assert _rows(chunks) == ([1, 4], [2, 3])
    assert all("no molecule block" in e.reason for e in chunks[0].errors)


# L-alanine as a V2000 record, its centre wedged; {flag} is the chiral flag of the counts line
ALANINE_V2000 = """alanine
     RDKit          2D

  6  5  0  0  {flag}  0  0  0  0  0999 V2000
    0.0000    0.0000    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0
    1.2990    0.7500    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0
    1.2990    2.2500    0.0000 N   0  0  0  0  0  0  0  0  0  0  0  0
    2.5981   -0.0000    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0
    2.5981   -1.5000    0.0000 O   0  0  0  0  0  0  0  0  0  0  0  0
    3.8971    0.7500    0.0000 O   0  0  0  0  0  0  0  0  0  0  0  0
  2  1  1  6
  2  3  1  0
  2  4  1  0
  4  5  2  0
  4  6  1  0
M  END
$$$$
"""


def _v2000(smiles: str, flag: int) -> str:
    """`smiles` as a V2000 record (wedges from its stereo tags) with chiral flag `flag`."""
    from rdkit import Chem

    lines = Chem.MolToMolBlock(Chem.MolFromSmiles(smiles)).splitlines()
    lines[3] = lines[3][:12] + f"{flag:>3}" + lines[3][15:]
    return "\n".join(lines) + "\n$$$$\n"


def test_chiral_flag_0_is_relative_stereo_in_a_file_that_sets_the_flag(tmp_path):
    """A V2000 record with the chiral flag 0 draws its stereo as relative (the drawn isomer or
    its mirror image: a racemate, as registration systems read it). RDKit read its wedges as
    absolute, so the racemate of alanine became L-alanine, the pure enantiomer."""
    import pandas as pd
    from rdkit import Chem

    from helixforge.chem.screen.library import uses_chiral_flag
    from helixforge.chem.standardize import standardize_file

    path = tmp_path / "lib.sdf"
    path.write_text(
        ALANINE_V2000.format(flag=1)  # absolute: L-alanine
        + ALANINE_V2000.format(flag=0)  # relative: the racemate
        + _v2000("C[C@@H](O)[C@H](C)O", 0)  # meso-2,3-butanediol: its own mirror image
        + _v2000("C[C@H]1CC[C@@H](C)CC1", 0)  # cis-1,4-dimethylcyclohexane
        + _v2000("C/C=C/C(=O)O", 0)  # no centre: the flag changes nothing
    )
    assert uses_chiral_flag(path)
    (chunk,) = read_library(path, chunk_size=10)
    assert chunk.frame["smiles"].tolist()[:2] == ["C[C@H](N)C(=O)O", "C[C@H](N)C(=O)O |&1:1|"]
    standardize_file(path, tmp_path / "out.csv")
    assert pd.read_csv(tmp_path / "out.csv")["canonical_smiles"].tolist() == [
        "C[C@H](N)C(=O)O",
        "CC(N)C(=O)O",
        Chem.CanonSmiles("C[C@@H](O)[C@H](C)O"),  # relative stereo that is no enantiomer: kept
        Chem.CanonSmiles("C[C@H]1CC[C@@H](C)CC1"),
        "C/C=C/C(=O)O",
    ]


def test_a_file_that_never_sets_the_chiral_flag_keeps_its_wedges(tmp_path):
    """RDKit (among other writers) writes the flag 0 whatever the stereo means: in a file
    where no record sets it, the flag says nothing and the wedges are read as drawn (a file
    written by RDKit from isomeric SMILES keeps its stereo)."""
    from helixforge.chem.screen.library import uses_chiral_flag

    path = tmp_path / "lib.sdf"
    path.write_text(ALANINE_V2000.format(flag=0) + _v2000("C[C@@H](O)CC", 0))
    assert not uses_chiral_flag(path)
    (chunk,) = read_library(path, chunk_size=10)
    assert chunk.frame["smiles"].tolist() == ["C[C@H](N)C(=O)O", "CC[C@@H](C)O"]
    # the same in a gzip file, read in chunks: the decision is the file's, made before chunk 1
    with gzip.open(tmp_path / "lib.sdf.gz", "wt") as fh:
        fh.write(ALANINE_V2000.format(flag=0) + ALANINE_V2000.format(flag=1))
    chunks = list(read_library(tmp_path / "lib.sdf.gz", chunk_size=1))
    assert [c.frame["smiles"].tolist() for c in chunks] == [
        ["C[C@H](N)C(=O)O |&1:1|"],
        ["C[C@H](N)C(=O)O"],
    ]
