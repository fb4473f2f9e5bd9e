import numpy as np
import pytest

from helixforge.core.errors import InputError
from helixforge.dna.sequence import (
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
