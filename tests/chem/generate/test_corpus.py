"""Prior corpora read like every other table: a BOM, Parquet, and non-UTF-8 files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from helixforge.chem.generate.corpus import iter_smiles
from helixforge.core.errors import InputError

SMILES = ["CCO", "c1ccccc1", "CC(=O)O"]


def test_a_corpus_saved_with_a_byte_order_mark_finds_its_smiles_column(tmp_path: Path):
    path = tmp_path / "c.csv"
    path.write_bytes(("\ufeffsmiles,name\n" + "".join(f"{s},x\n" for s in SMILES)).encode())
    assert list(iter_smiles(path)) == SMILES


def test_a_parquet_corpus_is_read_by_column(tmp_path: Path):
    path = tmp_path / "c.parquet"
    pd.DataFrame({"id": [1, 2, 3, 4], "SMILES": [*SMILES, None]}).to_parquet(path)
    assert list(iter_smiles(path)) == SMILES
    with pytest.raises(InputError, match="'mol' not found"):
        list(iter_smiles(path, "mol"))


def test_a_utf16_corpus_with_its_byte_order_mark_is_read(tmp_path: Path):
    path = tmp_path / "c.csv"
    path.write_bytes(("smiles,name\n" + "".join(f"{s},x\n" for s in SMILES)).encode("utf-16"))
    assert list(iter_smiles(path)) == SMILES


@pytest.mark.parametrize(
    "encoding,words",
    [("utf-16-le", "not UTF-8 text|binary file"), ("latin-1", "is not UTF-8 text")],
)
def test_a_corpus_in_another_encoding_is_named_not_read_as_garbage(tmp_path, encoding, words):
    path = tmp_path / "c.csv"
    path.write_bytes("smiles,name\nCCO,\xe9thanol\n".encode(encoding))
    with pytest.raises(InputError, match=words):
        list(iter_smiles(path))


@pytest.mark.parametrize("delim", [";", "|", "\t"])
def test_a_corpus_table_with_another_delimiter_finds_its_smiles_column(tmp_path, delim):
    """A ';' table's header was read as a SMILES line and every row as one invalid SMILES
    ('only 0 usable SMILES'); every other chem verb reads it as a table."""
    path = tmp_path / "c.csv"
    path.write_text(
        f"id{delim}smiles\n" + "".join(f"m{i}{delim}{s}\n" for i, s in enumerate(SMILES))
    )
    assert list(iter_smiles(path)) == SMILES
    assert list(iter_smiles(path, "smiles")) == SMILES


def test_a_smi_corpus_with_cxsmiles_extensions_is_not_taken_for_a_table(tmp_path: Path):
    path = tmp_path / "c.smi"
    path.write_text("CCO |$;;$|\nc1ccccc1\n")
    assert list(iter_smiles(path)) == ["CCO", "c1ccccc1"]


def test_a_corpus_table_with_a_column_named_twice_is_refused(tmp_path: Path):
    """Every chem table reader refuses it (which of the two is meant is unknowable); the
    corpus reader took the first."""
    path = tmp_path / "c.csv"
    path.write_text("smiles,smiles\nCCO,c1ccccc1\n")
    with pytest.raises(InputError, match="duplicate column name 'smiles'"):
        list(iter_smiles(path))


def test_a_parquet_corpus_of_numbers_keeps_the_values_for_the_errors_table(tmp_path: Path):
    """A non-text cell was read as an empty line ('empty line: no SMILES', no value)."""
    from helixforge.chem.generate.train_prior import scan_corpus
    from helixforge.core.errors import RowErrors

    path = tmp_path / "c.parquet"
    pd.DataFrame({"smiles": [0, 1, 2]}).to_parquet(path)
    errors = RowErrors(path)
    _, rows, bad = scan_corpus(path, errors=errors)
    assert rows == bad == 3
    assert [e.value for e in errors] == ["0", "1", "2"]
    assert all("not a valid SMILES" in e.reason for e in errors)


def test_a_corpus_line_with_a_dummy_atom_is_unusable_as_in_every_chem_verb():
    from helixforge.chem.generate.train_prior import corpus_problem

    assert "dummy atom" in corpus_problem("*c1ccccc1")
    assert "dummy atom" in corpus_problem("[*]CC[*]")
    assert corpus_problem("c1ccccc1") is None


@pytest.mark.parametrize(
    ("name", "kind"), [("mols.sdf", "an SD file"), ("mols.sdf.gz", "an SD file"), ("c.xlsx", "")]
)
def test_a_corpus_named_as_another_format_is_refused_not_read_line_by_line(tmp_path, name, kind):
    """An SD file was trained on line by line: its atom blocks and '$$$$' lines became 27
    unusable 'SMILES' and the rest garbage; every other chem verb refuses it by name."""
    path = tmp_path / name
    path.write_text("CCO\n  RDKit\n\n  3  2  0\n$$$$\n")
    with pytest.raises(InputError, match=f"{kind}.*not read as a SMILES corpus") as err:
        list(iter_smiles(path))
    assert ".smi" in err.value.hint
