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
