"""The Python-API argument normalisers shared by lm, dna and crispr."""

import numpy as np
import pandas as pd
import pytest

from helixforge.core.errors import ConfigError, InputError
from helixforge.lm.inputs import as_names, as_path, as_sequence, as_sequences


def test_one_string_is_one_sequence():
    assert as_sequences("ACGT") == ["ACGT"]
    assert as_sequences(b"ACGT") == ["ACGT"]
    assert as_sequences(np.str_("ACGT")) == ["ACGT"]


@pytest.mark.parametrize(
    "given",
    [["AC", "GT"], ("AC", "GT"), np.array(["AC", "GT"]), pd.Series(["AC", "GT"]),
     (s for s in ["AC", "GT"]), [b"AC", bytearray(b"GT")], pd.Index(["AC", "GT"])],
)  # fmt: skip
def test_containers_give_plain_strings_in_order(given):
    out = as_sequences(given)
    assert out == ["AC", "GT"] and all(type(s) is str for s in out)


@pytest.mark.parametrize(
    "given, match",
    [
        (None, "seqs is None"),
        (5, "seqs is an int"),
        ({"a": "AC"}, "seqs is a dict"),
        ({"AC"}, "seqs is a set"),
        (pd.DataFrame({"sequence": ["AC"]}), r"(?s)DataFrame.*df\['sequence'\]"),
        (np.zeros((2, 3, 4)), "3-D array"),
        (["AC", None], r"seqs\[1\] is missing"),
        (["AC", float("nan")], r"seqs\[1\] is missing"),
        (pd.Series(["AC", None]), r"seqs\[1\] is missing"),
        (["AC", 3], r"seqs\[1\] is an int"),
        ([b"\xff"], "not ASCII"),
    ],
)
def test_what_is_not_sequences_is_named(given, match):
    with pytest.raises(InputError, match=match):
        as_sequences(given, "seqs")


def test_names_and_paths():
    assert as_names("NGG", "pams") == ["NGG"]
    assert as_names(("NGG", "NAG"), "pams") == ["NGG", "NAG"]
    assert as_names(None, "pams") is None
    with pytest.raises(ConfigError, match=r"pams\[1\] must be a string"):
        as_names(["NGG", 3], "pams")
    with pytest.raises(ConfigError, match="pams is None"):
        as_names(None, "pams", allow_none=False)
    # bytes are text, as in as_sequences (b'NGG' was iterated: "pams[0] ... an int (78)")
    assert as_names(b"NGG", "pams") == ["NGG"]
    assert as_names([b"NGG", bytearray(b"NAG")], "pams") == ["NGG", "NAG"]
    with pytest.raises(InputError, match=r"pams\[1\]: bytes that are not ASCII"):
        as_names(["NGG", b"\xff"], "pams")
    assert str(as_path("x.fa", "genome")) == "x.fa"
    with pytest.raises(InputError, match="genome is None"):
        as_path(None, "genome")
    with pytest.raises(InputError, match="genome must be a path"):
        as_path(5, "genome")
    with pytest.raises(InputError, match="sequence is missing"):
        as_sequence(None)
