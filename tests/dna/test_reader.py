"""The sequence reader of dna train / predict / evaluate: how table cells become rows or errors."""

from __future__ import annotations

import pytest

from helixforge.core.errors import RowErrors
from helixforge.dna.reader import read_sequence_input


@pytest.mark.parametrize("marker", ["NA", "nan", "NaN", "null", "None"])
def test_a_missing_value_marker_in_the_sequence_column_is_an_error_not_bases(tmp_path, marker):
    # 'NA' and 'nan' are made of valid bases (N, A): R and pandas write them for a missing value
    (tmp_path / "t.csv").write_text(f"sequence,label\nACGTACGTAC,1\n{marker},0\nTTGACCATGA,0\n")
    errors = RowErrors(tmp_path / "t.csv")
    data = read_sequence_input(tmp_path / "t.csv", errors=errors)
    assert data.sequences == ["ACGTACGTAC", "TTGACCATGA"]
    assert [(e.row, e.value, e.reason) for e in errors] == [
        (3, marker, "missing-value marker, not a sequence")
    ]


def test_only_the_exact_marker_spellings_count_as_missing(tmp_path):
    (tmp_path / "t.csv").write_text("sequence,label\nNAN,1\nNAAN,0\nna,1\n")
    data = read_sequence_input(tmp_path / "t.csv", iupac="keep")
    assert data.sequences == ["NAN", "NAAN", "NA"]


def test_one_malformed_fastq_record_is_an_errors_row_not_the_end_of_the_job(tmp_path):
    from helixforge.dna.reader import sequence_chunks

    fq = tmp_path / "reads.fq"
    fq.write_text(
        "@r1\nACGTACGT\n+\nIIIIIIII\n"
        "@r2 quality too short\nACGTACGT\n+\nIII\n"  # the record Biopython stopped the job at
        "@r3\nTTGACCAT\n+\nIIIIIIII\n"
        "r4 has no at-sign\nACGT\n+\nIIII\n"
        "@r5\nGGGGCCCC\n+\nIIIIIIII\n"
    )
    errors = RowErrors(fq)
    data = read_sequence_input(fq, label_col=None, errors=errors)
    assert data.ids == ["r1", "r3", "r5"] and data.rows_in == 5
    assert [e.row for e in errors] == [5, 13]
    assert "8 bases but 3 quality characters" in errors.items[0].reason
    chunks = list(sequence_chunks(fq, chunk_size=2))  # the chunked reader of predict
    rows = [int(i) for c in chunks for i in c.frame.index]
    bad = [e.row for c in chunks for e in c.errors]
    assert rows == [1, 9, 17] and bad == [5, 13]


def test_a_fasta_record_with_no_name_is_an_errors_row_not_the_end_of_the_job(tmp_path):
    """A '>' line with no name (record 5,000 of a large FASTA) stopped dna train / predict with
    'empty FASTA header'; it is one bad record, as in motifs scan."""
    from helixforge.dna.reader import sequence_chunks

    fa = tmp_path / "peaks.fa"
    fa.write_text(">p1 label=1\nACGTACGT\n>\nTTGACCAT\n>p3 label=0\nGGGGCCCC\n")
    errors = RowErrors(fa)
    data = read_sequence_input(fa, errors=errors)  # labels from the headers (dna train)
    assert data.ids == ["p1", "p3"] and data.rows_in == 3
    assert [(e.row, e.column) for e in errors] == [(3, "id")]
    assert "give the record a name after '>'" in errors.items[0].reason
    chunks = list(sequence_chunks(fa, chunk_size=1))  # the chunked reader of dna predict
    assert [int(i) for c in chunks for i in c.frame.index] == [1, 5]
    assert [e.row for c in chunks for e in c.errors] == [3]


def test_a_rejected_sequence_says_in_the_errors_table_what_to_do(tmp_path):
    """The reasons said what was wrong ('IUPAC ambiguity code ...') but dropped the fix (pass
    --iupac n; cut the sequence into the model's windows)."""
    path = tmp_path / "new.csv"
    path.write_text("sequence\nACGTACGT\nACGRACGT\n" + "ACGT" * 5 + "\nAC\n")
    errors = RowErrors(path)
    data = read_sequence_input(path, label_col=None, errors=errors, max_len=16, min_len=3)
    assert data.sequences == ["ACGTACGT"]
    reasons = {e.row: e.reason for e in errors}
    assert "IUPAC ambiguity code 'R' at position 4; pass --iupac n" in reasons[3]
    assert reasons[4].endswith("the model takes at most 16 bases: cut the sequence into "
                               "windows of 16 bases or fewer, or train on sequences as long")  # fmt: skip
    assert reasons[5].endswith("; give at least 3 bases (one token of the model)")


def test_paths_that_are_none_are_named():
    import pytest

    from helixforge.core.errors import InputError
    from helixforge.dna.predict import SequencePredictor, predict_sequences
    from helixforge.dna.reader import read_sequence_input

    with pytest.raises(InputError, match="path is None"):
        read_sequence_input(None)
    with pytest.raises(InputError, match="run is None"):
        predict_sequences(None, "in.csv", "out.csv")
    with pytest.raises(InputError, match="run directory is None"):
        SequencePredictor(None)


@pytest.mark.parametrize("fmt", ["csv", "fasta"])
def test_a_sequence_with_no_a_c_g_or_t_is_an_error_row_not_a_prediction(tmp_path, fmt):
    """All-N rows (an assembly gap, a masked read) gave the model's output for an empty input
    as if it were a prediction; lower case, IUPAC codes read as N and U count as written."""
    seqs = ["ACGTAC", "NNNNNN", "nnnn", "acgtnn", "RYKM", "N", "UUNN"]
    if fmt == "csv":
        path = tmp_path / "t.csv"
        path.write_text("sequence\n" + "\n".join(seqs) + "\n")
        rows = [2 + i for i in range(len(seqs))]
    else:
        path = tmp_path / "t.fa"
        path.write_text("".join(f">s{i}\n{s}\n" for i, s in enumerate(seqs)))
        rows = [1 + 2 * i for i in range(len(seqs))]
    errors = RowErrors(path)
    data = read_sequence_input(path, label_col=None, errors=errors, iupac="n")
    assert data.sequences == ["ACGTAC", "ACGTNN", "TTNN"]
    assert [e.row for e in errors] == [rows[1], rows[2], rows[4], rows[5]]
    assert all("no A, C, G or T base" in e.reason for e in errors)
