"""Bytes that are not UTF-8 (and NUL bytes) in a text table: one damaged line is an errors-table
row naming its line, column and byte; a file in another encoding as a whole is refused, naming
the encoding and the command that converts it. Also: a stray quote costs its own line only."""

import gzip

import pandas as pd
import pytest

from helixforge.core.errors import InputError, RowErrors
from helixforge.core.table_reader import BadLine, TextTable, too_many_damaged
from helixforge.core.tables import iter_table, read_table, write_table

HEADER = b"id,smiles,name\n"


def _rows(n: int, start: int = 0) -> bytes:
    return b"".join(b"m%d,C%s,cmpd %d\n" % (i, b"C" * (i % 7), i) for i in range(start, start + n))


def _write(path, data: bytes):
    if path.name.endswith(".gz"):
        path.write_bytes(gzip.compress(data))
    else:
        path.write_bytes(data)
    return path


def _read(path):
    errs = RowErrors(path)
    df = read_table(path, errors=errs)
    return df, list(errs)


# ---------------------------------------------------------------- one bad line: a row error


@pytest.mark.parametrize("name", ["lib.csv", "lib.csv.gz"])
def test_one_latin1_line_is_an_errors_row_and_every_other_row_is_read(tmp_path, name):
    # line 5 holds 'éthanol' written in Latin-1 (byte 0xE9), the rest is UTF-8
    data = HEADER + _rows(3) + b"m3,CCO,\xe9thanol\n" + _rows(4, start=4)
    path = _write(tmp_path / name, data)
    df, errs = _read(path)
    assert df.index.tolist() == [2, 3, 4, 6, 7, 8, 9]
    assert df.attrs["rows_in"] == len(df) + len(errs) == 8  # every record accounted for
    (err,) = errs
    assert (err.row, err.column) == (5, "name")
    assert "not UTF-8" in err.reason and "byte 0xE9 at byte 8 of line 5" in err.reason
    assert "'é' in cp1252" in err.reason and "iconv -f cp1252 -t utf-8" in err.reason
    assert err.value == "m3,CCO,\ufffdthanol"  # shown with a replacement character

    chunks = list(iter_table(path, 3))
    assert [c.frame.index.tolist() for c in chunks] == [[2, 3, 4], [6, 7, 8], [9]]
    assert [[e.row for e in c.errors] for c in chunks] == [[], [5], []]


def test_the_errors_table_of_a_latin1_line_is_written_as_utf8(tmp_path):
    path = _write(tmp_path / "lib.csv", HEADER + _rows(4) + b"m9,CCO,caf\xe9\n")
    df, errs = _read(path)
    out = RowErrors(path)
    out.extend(errs)
    back = pd.read_csv(out.write(tmp_path / "errors.csv"), encoding="utf-8")
    assert back["row"].tolist() == [6] and back["value"].tolist() == ["m9,CCO,caf\ufffd"]


def test_a_bad_byte_inside_a_quoted_multiline_field_names_its_own_line(tmp_path):
    data = HEADER + b'm0,CCO,ok\nm1,CCN,"two\nline\xe9s"\nm2,CCC,ok\n'
    df, errs = _read(_write(tmp_path / "ml.csv", data))
    assert df.index.tolist() == [2, 5]  # true physical lines kept after the 2-line record
    (err,) = errs
    assert (err.row, err.column) == (3, "name")  # the record starts on line 3 ...
    assert "byte 0xE9 at byte 5 of line 4" in err.reason  # ... the byte is on line 4


def test_a_few_stray_latin1_lines_in_a_large_file_are_row_errors(tmp_path):
    """10 damaged lines in 5,000 (0.2%), spread past the first 64 KB: each is a row error."""
    parts = [HEADER]
    for k in range(10):
        parts += [_rows(499, start=k * 500), b"x%d,CCO,na\xefve\n" % k]
    df, errs = _read(_write(tmp_path / "big.csv", b"".join(parts)))
    assert len(df) == 4990 and len(errs) == 10 and df.attrs["rows_in"] == 5000
    assert all(e.column == "name" and "0xEF" in e.reason for e in errs)


def test_latin1_lines_among_utf8_accents_everywhere(tmp_path):
    """Every line holds a UTF-8 'é'; three lines hold a Latin-1 one: exactly those three."""
    lines = [b"m%d,CCO,\xc3\xa9thanol %d\n" % (i, i) for i in range(3000)]
    for i in (10, 1500, 2990):
        lines[i] = b"m%d,CCO,\xe9thanol %d\n" % (i, i)
    df, errs = _read(_write(tmp_path / "acc.csv", HEADER + b"".join(lines)))
    assert [e.row for e in errs] == [12, 1502, 2992] and len(df) == 2997
    assert df.loc[2, "name"] == "éthanol 0"


def test_two_damaged_tables_read_side_by_side_each_report_their_own_lines(tmp_path):
    a = _write(tmp_path / "a.csv", HEADER + _rows(3) + b"m9,C,\xe9\n" + _rows(3, start=10))
    b = _write(tmp_path / "b.csv", HEADER + b"m0,C,\xb5\n" + _rows(6, start=1))
    errors = {"a": [], "b": []}
    for ca, cb in zip(iter_table(a, 1), iter_table(b, 1), strict=False):
        errors["a"] += [e.row for e in ca.errors]
        errors["b"] += [e.row for e in cb.errors]
    assert errors == {"a": [5], "b": [2]}


def test_a_bom_and_one_latin1_line(tmp_path):
    path = _write(tmp_path / "bom.csv", b"\xef\xbb\xbf" + HEADER + _rows(3) + b"m9,C,\xb5M\n")
    df, errs = _read(path)
    assert list(df.columns) == ["id", "smiles", "name"] and len(df) == 3
    assert [e.row for e in errs] == [5] and "'µ' in cp1252 / Latin-1" in errs[0].reason


def test_one_latin1_name_in_a_smi_file(tmp_path):
    path = _write(tmp_path / "x.smi", b"CCO ethanol\nCCN \xe9thylamine\nCCC propane\nC methane\n")
    df, errs = _read(path)
    assert df.index.tolist() == [1, 3, 4]
    assert [(e.row, e.column) for e in errs] == [(2, "name")]


def test_a_nul_byte_in_one_line_is_a_row_error_not_a_binary_file(tmp_path):
    df, errs = _read(_write(tmp_path / "nul.csv", HEADER + _rows(4) + b"m9,CC\x00O,x\n"))
    assert len(df) == 4 and [(e.row, e.column) for e in errs] == [(6, "smiles")]
    assert "NUL byte at byte 6 of line 6" in errs[0].reason and "\x00" not in errs[0].value


def test_a_record_that_is_damaged_and_has_the_wrong_field_count_names_no_column(tmp_path):
    df, errs = _read(_write(tmp_path / "w.csv", HEADER + _rows(3) + b"m9,C,a,\xe9\n"))
    assert [(e.row, e.column) for e in errs] == [(5, None)] and "not UTF-8" in errs[0].reason


# ---------------------------------------------------------------- the whole file: refused


@pytest.mark.parametrize("name", ["excel.csv", "excel.csv.gz"])
def test_a_whole_cp1252_file_is_refused_naming_the_encoding_and_iconv(tmp_path, name):
    text = "id,smiles,name\n" + "".join(
        f"m{i},C{'C' * (i % 5)},{'café' if i % 10 == 0 else 'tea'} {i}\n" for i in range(2000)
    )
    path = _write(tmp_path / name, text.encode("cp1252"))
    with pytest.raises(InputError, match="is not UTF-8 text") as err:
        read_table(path)
    msg = str(err.value)
    assert name in msg and "200 of the first 2000 data lines" in msg and "cp1252" in msg
    if name.endswith(".gz"):
        assert f"gunzip -c {name} | iconv -f cp1252 -t utf-8 | gzip" in msg
    else:
        assert f"iconv -f cp1252 -t utf-8 {name}" in msg
    assert "CSV UTF-8" in msg
    with pytest.raises(InputError, match="is not UTF-8 text"):
        iter_table(path, 100)  # before the first chunk


def test_damage_far_into_a_file_refuses_it_as_it_is_read(tmp_path):
    """Clean for 5,000 lines (past the 64 KB sample), then every line is Latin-1: the reader
    refuses once more than 10 and more than 1% of the lines read are damaged (51 of 5051)."""
    tail = b"".join(b"n%d,CCO,caf\xe9\n" % i for i in range(100))
    path = _write(tmp_path / "late.csv", HEADER + _rows(5000) + tail)
    assert path.stat().st_size > 100_000
    with pytest.raises(InputError, match=r"51 of the first 5051 data lines.*line 5002"):
        read_table(path)
    seen = []
    with pytest.raises(InputError, match="is not UTF-8 text"):
        for chunk in iter_table(path, 1000):
            seen.append(len(chunk.frame))
    assert seen == [1000] * 5  # the clean rows before the damage were read


def test_a_header_that_is_not_utf8_refuses_the_file(tmp_path):
    path = _write(tmp_path / "h.csv", b"id,smiles,d\xe9signation\n" + _rows(50))
    with pytest.raises(InputError, match=r"h.csv, line 1: the header is not UTF-8 text"):
        read_table(path)


def test_a_small_file_mostly_in_latin1_is_refused(tmp_path):
    """In a file read whole, at least half of the data lines damaged is the file's encoding."""
    path = _write(tmp_path / "s.csv", b"smiles,name\nCCO,\xe9thanol\nCCN,amine\n")
    with pytest.raises(InputError, match="1 of the first 2 data lines"):
        read_table(path)


def test_a_file_in_another_legacy_encoding_is_not_called_cp1252(tmp_path):
    # 0x81 and 0x8D are not characters in cp1252 (here: bytes of a Shift-JIS / Big5 text)
    path = _write(tmp_path / "o.csv", HEADER + b"".join(b"m%d,C,\x81\x8d\n" % i for i in range(30)))
    with pytest.raises(InputError, match="not all Windows-1252") as err:
        read_table(path)
    assert "iconv -f ENCODING -t utf-8" in str(err.value) and "file -i" in str(err.value)


def test_utf16_without_its_byte_order_mark_is_named(tmp_path):
    path = _write(tmp_path / "u.csv", "smiles,name\nCCO,x\nCCN,y\n".encode("utf-16-le"))
    with pytest.raises(InputError, match="looks like UTF-16LE without its byte-order mark"):
        read_table(path)


def test_nul_bytes_in_many_lines_are_a_binary_file(tmp_path):
    data = HEADER + b"".join(b"m%d,C\x00\x00,x\n" % i for i in range(40))
    with pytest.raises(InputError, match="looks like a binary file"):
        read_table(_write(tmp_path / "b.csv", data))


def test_one_damaged_line_in_a_few_is_a_row_error_but_half_of_them_is_refused(tmp_path):
    path = _write(tmp_path / "d.csv", b"smiles,y\n" + b"CCO,1\n" * 5 + b"CC\xe9,1\n")
    assert len(read_table(path)) == 5
    path = _write(tmp_path / "e.csv", b"smiles,y\nCC\x00,1\nCCO,2\n\n\n")
    with pytest.raises(InputError, match="looks like a binary file"):
        read_table(path)


@pytest.mark.parametrize(
    "bad, seen, whole, refused",
    [
        (1, 1_000_000, False, False),  # one stray line
        (10, 100, False, False),  # a handful, even if 10% of what was read
        (11, 1_000, False, True),  # more than 10 and more than 1%
        (11, 2_000, False, False),  # more than 10 but 0.55%
        (1, 2, False, False),  # a file's first lines, more to come
        (1, 2, True, True),  # the whole file: half of it
        (1, 3, True, False),
    ],
)
def test_the_refusal_rule(bad, seen, whole, refused):
    assert too_many_damaged(bad, seen, whole=whole) is refused


# ---------------------------------------------------------------- unaffected paths


def test_utf8_text_with_accents_is_read_unchanged(tmp_path):
    text = "id,smiles,name\nm0,CCO,éthanol\nm1,CCN,β-alanine\n"
    df, errs = _read(_write(tmp_path / "ok.csv", text.encode("utf-8")))
    assert df["name"].tolist() == ["éthanol", "β-alanine"] and errs == []


def test_parquet_with_accented_names_is_unaffected(tmp_path):
    df = pd.DataFrame({"smiles": ["CCO", "CCN"], "name": ["éthanol", "amine"]})
    write_table(df, tmp_path / "a.parquet")
    back = read_table(tmp_path / "a.parquet")
    assert back["name"].tolist() == ["éthanol", "amine"] and back.attrs["rows_in"] == 2
    assert [c.frame["name"].tolist() for c in iter_table(tmp_path / "a.parquet", 1)] == [
        ["éthanol"],
        ["amine"],
    ]


# ---------------------------------------------------------------- a stray quote


def test_a_stray_quote_costs_its_own_line_not_the_rows_it_swallowed(tmp_path):
    """Line 3's quote is never closed on its line; csv reads on to the quoted name on line 7.
    The stray line is the one error and lines 4-7 are rows (they were lost in one error)."""
    data = HEADER + b'm0,CCO,a\nm1,"CCN,b\nm2,CCC,c\nm3,CO,d\nm4,CN,e\nm5,C,"x, y"\nm6,CF,f\n'
    df, errs = _read(_write(tmp_path / "q.csv", data))
    assert df.index.tolist() == [2, 4, 5, 6, 7, 8]
    assert df.loc[7, "name"] == "x, y"
    assert [e.row for e in errs] == [3] and "unbalanced quote" in errs[0].reason


def test_a_quoted_field_across_lines_is_still_one_record(tmp_path):
    df, errs = _read(_write(tmp_path / "m.csv", HEADER + b'm0,CCO,"two\nlines"\nm1,CCN,b\n'))
    assert df.index.tolist() == [2, 4] and df.loc[2, "name"] == "two\nlines" and errs == []


def test_bad_line_records_from_the_reader(tmp_path):
    path = _write(tmp_path / "r.csv", HEADER + b"m0,CCO,a\nm1,CCN,\xe9\n" + _rows(2))
    table = TextTable(path, ",")
    recs = list(table.records())
    assert recs[0] == (2, ["m0", "CCO", "a"])
    assert isinstance(recs[1], BadLine) and (recs[1].line, recs[1].column) == (3, "name")


def test_a_bad_line_becomes_its_errors_table_row(tmp_path):
    path = _write(tmp_path / "r.csv", HEADER + b"m1,CCN,\xe9\r\n" + _rows(2))
    bad = next(r for r in TextTable(path, ",").records() if isinstance(r, BadLine))
    err = bad.row_error("r.csv")
    assert (err.file, err.row, err.column, err.reason) == ("r.csv", 2, "name", bad.reason)
    assert err.value == "m1,CCN,\ufffd"  # shown as U+FFFD, without its line break
    long = BadLine(7, "why", "x" * 300 + "\n").row_error("f.csv")
    assert long.value == "x" * 197 + "..." and long.column is None


def test_a_table_of_nul_bytes_only_is_named_as_zeroed_not_utf16(tmp_path):
    """A table a crash left as 4 KiB of NUL bytes was 'looks like UTF-16LE without its
    byte-order mark' with 'iconv -f utf-16le', which would make nothing of it."""
    path = _write(tmp_path / "t.csv", b"\x00" * 4096)
    with pytest.raises(InputError, match="holds only NUL bytes") as exc:
        read_table(path)
    assert "UTF-16" not in exc.value.message and "iconv" not in (exc.value.hint or "")


def test_an_unquoted_cxsmiles_with_commas_is_an_errors_row_saying_to_quote_it(tmp_path):
    # the extension '|&1:1,3|' lists atoms with a comma: unquoted, it splits the SMILES cell
    (tmp_path / "in.csv").write_text(
        'smiles,y\nC[C@H](O)[C@@H](C)N |&1:1,3|,1.0\n"C[C@H](O)[C@@H](C)N |&1:1,3|",2.0\nCCO,3\n'
    )
    errs = RowErrors("in.csv")
    df = read_table(tmp_path / "in.csv", errors=errs)
    assert df["smiles"].tolist() == ["C[C@H](O)[C@@H](C)N |&1:1,3|", "CCO"]  # quoted: read
    (err,) = errs.items
    assert (err.row, err.column) == (2, "smiles")
    assert "wrong number of fields (3; the header has 2)" in err.reason
    assert "'C[C@H](O)[C@@H](C)N |&1:1,3|' looks like a CXSMILES" in err.reason
    assert 'quote the value ("...") or save the table as TSV' in err.reason


def test_a_file_of_unquoted_cxsmiles_only_is_refused_naming_the_line_and_the_fix(tmp_path):
    (tmp_path / "in.csv").write_text("id,smiles\nm1,CC(O)C(C)N |&1:1,3,5|\n")
    with pytest.raises(InputError, match=r"line 2: .*looks like a CXSMILES.*quote the value") as e:
        read_table(tmp_path / "in.csv")
    assert "split into 3 fields" in str(e.value)


def test_too_many_fields_says_a_value_holding_the_delimiter_must_be_quoted(tmp_path):
    (tmp_path / "in.csv").write_text("name,y\naspirin, 500 mg,1\nCCO,2\n")
    errs = RowErrors()
    read_table(tmp_path / "in.csv", errors=errs)
    assert "a value holding a comma, the delimiter, must be quoted" in errs.items[0].reason
    (tmp_path / "in.tsv").write_text("name\ty\nx\ty\t1\nCCO\t2\n")
    errs = RowErrors()
    read_table(tmp_path / "in.tsv", errors=errs)
    assert "holding a tab, the delimiter" in errs.items[0].reason
    assert "use another delimiter" in errs.items[0].reason
