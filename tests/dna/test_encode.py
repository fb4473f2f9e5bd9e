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
