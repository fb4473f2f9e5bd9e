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
