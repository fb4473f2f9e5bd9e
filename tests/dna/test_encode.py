"""Encoding DNA for models: padding with N, one-hot, reverse complements."""

import numpy as np

from helixforge.dna.encode import check_lengths, encode_padded, onehot_batch, rc_codes, rc_onehot
from helixforge.dna.sequence import one_hot, reverse_complement


def test_padded_codes_use_n_for_padding():
    codes = encode_padded(["ACGT", "GG"])
    assert codes.shape == (2, 4)
    assert codes[0].tolist() == [0, 1, 2, 3]
    assert codes[1].tolist() == [2, 2, 4, 4]


def test_onehot_batch_pads_with_zero_rows():
    x = onehot_batch(["ACG", "T"], length=4)
    assert x.shape == (2, 4, 4)
    assert x[1, 0].tolist() == [0, 0, 0, 1]
    assert x[1, 1:].sum() == 0 and x[0, 3].sum() == 0


def test_rc_of_onehot_equals_onehot_of_reverse_complement():
    seq = "AACGTTGCAN"
    assert np.array_equal(rc_onehot(one_hot(seq)), one_hot(reverse_complement(seq)))


def test_rc_codes_and_torch_tensors():
    import torch

    codes = encode_padded(["ACGTN"])
    assert rc_codes(codes)[0].tolist() == [4, 0, 1, 2, 3]
    t = torch.from_numpy(onehot_batch(["ACCG"]))
    assert torch.equal(rc_onehot(t), torch.from_numpy(onehot_batch(["CGGT"])))


def test_check_lengths_flags_long_sequences():
    assert check_lengths(["AC", "ACGTA"], 4).tolist() == [False, True]


def test_one_string_is_one_sequence_never_its_characters():
    assert encode_padded("ACGT").shape == (1, 4)
    assert onehot_batch("ACGT").shape == (1, 4, 4)
    assert check_lengths("ACGTACGT", 4).tolist() == [True]


def test_arrays_series_tuples_generators_and_bytes_are_batches():
    import pandas as pd

    want = encode_padded(["ACGT", "AC"])
    for given in (
        np.array(["ACGT", "AC"]),
        pd.Series(["ACGT", "AC"]),
        ("ACGT", "AC"),
        (s for s in ["ACGT", "AC"]),
        [b"ACGT", b"AC"],
    ):
        assert np.array_equal(encode_padded(given), want)


def test_missing_items_and_bad_lengths_are_named():
    import pytest

    from helixforge.core.errors import ConfigError, InputError

    with pytest.raises(InputError, match=r"seqs\[1\] is missing"):
        encode_padded(["ACGT", None])
    with pytest.raises(InputError, match="seqs is None"):
        onehot_batch(None)
    with pytest.raises(ConfigError, match="length must be at least 0"):
        encode_padded(["A"], length=-1)
