"""Turn DNA strings into arrays for models: integer codes, padded batches, one-hot tensors.

Sequences of different lengths are padded on the right with N, which one-hot encodes as an
all-zero row, so padding carries no signal. The reverse complement of a one-hot (L, 4) array in
ACGT order is the array flipped along both axes (A<->T, C<->G), which is what `rc_onehot` does
for numpy arrays and torch tensors alike.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from helixforge.core.options import require_int
from helixforge.dna.sequence import as_sequences, encode_int

PAD_CODE = 4  # the integer code of N; one-hot rows of N are zero


def encode_padded(seqs: Sequence[str], length: int | None = None) -> np.ndarray:
    """(n, length) uint8 codes (A0 C1 G2 T3, N/pad 4); `length` defaults to the longest sequence.

    Sequences longer than `length` are not cut here; callers check lengths first (see
    `check_lengths`) so that nothing is silently truncated. `seqs` is normalised by
    `as_sequences` (a single string is one sequence; None or a non-text item is an InputError).
    """
    seqs = as_sequences(seqs, "seqs")
    length = (
        max((len(s) for s in seqs), default=0)
        if length is None
        else require_int(length, "length", min_value=0)
    )
    out = np.full((len(seqs), length), PAD_CODE, dtype=np.uint8)
    for i, s in enumerate(seqs):
        codes = encode_int(s)[:length]
        out[i, : len(codes)] = codes
    return out


def onehot_from_codes(codes: np.ndarray, dtype=np.float32) -> np.ndarray:
    """(n, L) integer codes → (n, L, 4) one-hot; code 4 (N/pad) → zeros."""
    eye = np.vstack([np.eye(4, dtype=dtype), np.zeros((1, 4), dtype=dtype)])
    return eye[np.asarray(codes, dtype=np.int64)]


def onehot_batch(seqs: Sequence[str], length: int | None = None, dtype=np.float32) -> np.ndarray:
    """(n, L, 4) one-hot batch of right-padded sequences."""
    return onehot_from_codes(encode_padded(seqs, length), dtype=dtype)


def rc_onehot(x):
    """Reverse complement of one-hot arrays / tensors shaped (..., L, 4)."""
    try:
        import torch

        if isinstance(x, torch.Tensor):
            return torch.flip(x, dims=(-2, -1))
    except ImportError:  # pragma: no cover
        pass
    return np.ascontiguousarray(np.asarray(x)[..., ::-1, ::-1])


def rc_codes(codes: np.ndarray) -> np.ndarray:
    """Reverse complement of integer codes (n, L) or (L,): A<->T, C<->G, N stays N."""
    comp = np.array([3, 2, 1, 0, 4], dtype=np.uint8)
    return comp[np.asarray(codes)][..., ::-1]


def check_lengths(seqs: Sequence[str], max_len: int) -> np.ndarray:
    """Boolean mask of sequences longer than `max_len` (callers turn these into row errors)."""
    seqs = as_sequences(seqs, "seqs")
    return np.array([len(s) > max_len for s in seqs], dtype=bool)
