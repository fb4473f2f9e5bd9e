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


def test_one_line_that_is_not_utf8_is_an_errors_row_with_its_line(tmp_path: Path):
    """A stray Latin-1 byte was decoded to U+FFFD and the line read as a SMILES (or, in the
    name column, trained on); the shared reader's rule: the line is rejected and counted."""
    from helixforge.chem.generate.corpus import iter_corpus_rows
    from helixforge.chem.generate.train_prior import scan_corpus
    from helixforge.core.errors import RowErrors
    from helixforge.core.table_reader import BadLine

    body = [f"{s},m{i}\n".encode() for i, s in enumerate(SMILES * 10)]
    body[3] = b"CC\xe9O,m3\n"  # the SMILES itself (file line 5)
    body[7] = b"CCO,\xe9thanol\n"  # the name column (file line 9)
    table = tmp_path / "c.csv"
    table.write_bytes(b"smiles,name\n" + b"".join(body))
    smi = tmp_path / "c.smi"
    smi.write_bytes(b"".join(b.replace(b",", b" ") for b in body))
    for path, lines, columns in (
        (table, [5, 9], ["smiles", "name"]),
        (smi, [4, 8], ["smiles", "name"]),
    ):
        bad = [r for r in iter_corpus_rows(path) if isinstance(r, BadLine)]
        assert [b.line for b in bad] == lines and [b.column for b in bad] == columns
        assert all("not UTF-8 text" in b.reason and "iconv -f cp1252" in b.reason for b in bad)
        assert "\ufffd" not in "".join(iter_smiles(path)) and len(list(iter_smiles(path))) == 28
        errors = RowErrors(path)
        _, rows, n_bad = scan_corpus(path, errors=errors)
        assert (rows, n_bad) == (30, 2) and sorted(errors.rows()) == lines
        assert "byte 0xE9 at byte 3 of line" in next(iter(errors)).reason


def test_a_corpus_not_utf8_as_a_whole_is_refused_with_the_iconv_command(tmp_path: Path):
    """Damaged lines past the first 64,000 characters (the sample read up front) are counted
    as the file is read: more than stray ones refuse the file, as every table reader does."""
    path = tmp_path / "c.smi"
    clean = b"CCO\n" * 20_000  # 80,000 bytes: past the sample
    path.write_bytes(clean + b"CC\xe9O\n" * 300)
    with pytest.raises(InputError, match="is not UTF-8 text") as err:
        list(iter_smiles(path))
    assert "iconv -f cp1252 -t utf-8" in err.value.hint
    path.write_bytes(b"smiles\n" + "CCO\nCC\xe9O\n".encode("latin-1"))  # half of a small file
    with pytest.raises(InputError, match="is not UTF-8 text"):
        list(iter_smiles(path))
