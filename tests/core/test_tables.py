import gzip

import pandas as pd
import pytest

from helixforge.core.errors import ColumnNotFoundError, EmptyInputError, InputError
from helixforge.core.tables import atomic_path, read_table, to_numeric_column, write_table


def test_reads_csv_tsv_gz_and_parquet_round_trip(tmp_path):
    df = pd.DataFrame({"smiles": ["CCO", "c1ccccc1"], "y": ["1.5", "2"]})
    for name in ["t.csv", "t.tsv", "t.csv.gz", "t.parquet"]:
        write_table(df, tmp_path / name)
        back = read_table(tmp_path / name, columns=["smiles", "y"])
        assert back["smiles"].tolist() == ["CCO", "c1ccccc1"]


def test_index_is_file_line_number(tmp_path):
    (tmp_path / "a.csv").write_text("smiles,y\nCCO,1\nCCN,2\n")
    assert read_table(tmp_path / "a.csv").index.tolist() == [2, 3]


def test_missing_column_lists_present_columns(tmp_path):
    (tmp_path / "a.csv").write_text("smiles,y\nCCO,1\n")
    with pytest.raises(ColumnNotFoundError) as err:
        read_table(tmp_path / "a.csv", columns=["SMILES"])
    assert "'smiles'" in str(err.value) and "'y'" in str(err.value) and "a.csv" in str(err.value)


def test_empty_file_and_header_only(tmp_path):
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "header.csv").write_text("smiles,y\n")
    with pytest.raises(EmptyInputError, match="empty"):
        read_table(tmp_path / "empty.csv")
    with pytest.raises(EmptyInputError, match="no data rows"):
        read_table(tmp_path / "header.csv")


def test_missing_file_names_path(tmp_path):
    with pytest.raises(InputError, match="nope.csv: file not found"):
        read_table(tmp_path / "nope.csv")


def test_semicolon_delimiter_is_sniffed(tmp_path):
    (tmp_path / "a.csv").write_text("smiles;y\nCCO;1\n")
    assert list(read_table(tmp_path / "a.csv").columns) == ["smiles", "y"]


def test_wrong_explicit_delimiter_gets_a_delimiter_hint(tmp_path):
    (tmp_path / "a.tsv").write_text("smiles,y\nCCO,1\n")
    with pytest.raises(InputError, match="delimiter"):
        read_table(tmp_path / "a.tsv", columns=["smiles"], sep="\t")


def test_huge_line_is_read(tmp_path):
    big = "C" * 10_000_000
    (tmp_path / "a.csv").write_text(f"smiles,y\n{big},1\nCCO,2\n")
    df = read_table(tmp_path / "a.csv", columns=["smiles"])
    assert len(df.loc[2, "smiles"]) == 10_000_000 and df.loc[3, "smiles"] == "CCO"


def test_smi_file_with_names(tmp_path):
    with gzip.open(tmp_path / "x.smi.gz", "wt") as fh:
        fh.write("CCO ethanol\nc1ccccc1\n")
    df = read_table(tmp_path / "x.smi.gz")
    assert df["smiles"].tolist() == ["CCO", "c1ccccc1"] and df["name"].tolist() == ["ethanol", ""]


def test_numeric_column_flags_text_but_not_blanks():
    df = pd.DataFrame({"y": ["1.5", "", "abc", "NA", "2"]})
    values, bad = to_numeric_column(df, "y")
    assert bad.tolist() == [False, False, True, False, False]
    assert values.isna().tolist() == [False, True, True, True, False]


def test_atomic_path_leaves_nothing_on_failure(tmp_path):
    dest = tmp_path / "out.csv"
    with pytest.raises(RuntimeError), atomic_path(dest) as tmp:
        tmp.write_text("partial")
        raise RuntimeError("crash mid-write")
    assert not dest.exists() and list(tmp_path.iterdir()) == []


def test_written_files_get_normal_permissions(tmp_path):
    import os

    path = write_table(pd.DataFrame({"a": [1]}), tmp_path / "p.csv")
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask


def test_malformed_and_blank_lines_keep_true_row_numbers(tmp_path):
    from helixforge.core.tables import skipped_line_errors

    (tmp_path / "a.csv").write_text("smiles,y\nCCO,1\nCCN,2.0,extra\n\nCCC,3\nC,4,5\nCO,x\n")
    df = read_table(tmp_path / "a.csv")
    assert df.index.tolist() == [2, 5, 7] and df["smiles"].tolist() == ["CCO", "CCC", "CO"]
    errs = skipped_line_errors(df, tmp_path / "a.csv")
    assert [e.row for e in errs] == [3, 6] and "fields" in errs[0].reason
