import numpy as np
import pytest

from helixforge.core.errors import InputError
from helixforge.dna.sequence import (
    clean_sequence,
    encode_int,
    gc_content,
    iupac_match,
    one_hot,
    reverse_complement,
    validate_dna,
)


def test_reverse_complement_is_iupac_aware_and_case_preserving():
    assert reverse_complement("ACGTN") == "NACGT"
    assert reverse_complement("acgR") == "Ycgt"
    assert reverse_complement(reverse_complement("GATTACAnnRY")) == "GATTACAnnRY"


def test_validate_uppercases_soft_masked_and_names_bad_position():
    assert validate_dna("acgtN") == "ACGTN"
    with pytest.raises(InputError, match="position 3 is not a nucleotide"):
        validate_dna("ACXT", name="seq1")
    with pytest.raises(InputError, match="IUPAC ambiguity code"):
        validate_dna("ACRT")
    assert validate_dna("ACRT", allow_iupac=True) == "ACRT"
    with pytest.raises(InputError):
        validate_dna("ACNT", allow_n=False)


def test_encodings():
    assert encode_int("ACGTNa").tolist() == [0, 1, 2, 3, 4, 0]
    oh = one_hot("ACN")
    assert oh.shape == (3, 4) and oh[2].sum() == 0 and np.array_equal(oh[:2], np.eye(4)[:2])
    assert gc_content("GGCCAT") == pytest.approx(4 / 6)
    assert iupac_match("A", "R") and not iupac_match("C", "R")


def test_one_complement_table_for_str_and_bytes():
    assert reverse_complement(b"ACGTNr") == b"yNACGT"
    assert reverse_complement("ACGTNr").encode() == reverse_complement(b"ACGTNr")


# ---------------------------------------------------------------- Python-API inputs


@pytest.mark.parametrize("fn", [clean_sequence, validate_dna, gc_content, one_hot, encode_int])
@pytest.mark.parametrize("value", [None, 5, ["ACGT"], float("nan")])
def test_a_non_sequence_is_an_input_error_not_a_raw_exception(fn, value):
    with pytest.raises(InputError, match="sequence"):
        fn(value)


def test_reverse_complement_of_none_names_the_argument():
    with pytest.raises(InputError, match="seq is missing"):
        reverse_complement(None)


@pytest.mark.parametrize("fn", [clean_sequence, validate_dna])
def test_bytes_and_numpy_strings_are_read_as_text(fn):
    assert fn(b"acgt") == "ACGT"
    assert fn(np.str_("acgu")) == "ACGT"
    assert encode_int(b"ACGT").tolist() == [0, 1, 2, 3]
    assert one_hot(b"ACGT").shape == (4, 4)
