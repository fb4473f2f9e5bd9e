"""Batches of token ids: padding, windows over long sequences, MLM masking."""

from __future__ import annotations

from collections.abc import Sequence


def window_spans(n: int, size: int, stride: int | None = None) -> list[tuple[int, int]]:
    """(start, end) spans of at most `size` covering range(n); consecutive spans overlap by
    size - stride. The last span ends at n. One empty span for n == 0."""
    if n <= size:
        return [(0, n)]
    stride = stride or size
    spans = []
    start = 0
    while True:
        end = min(start + size, n)
        spans.append((start, end))
        if end == n:
            break
        start += stride
    if spans[-1][1] - spans[-1][0] < size:  # last window full length, ending at n
        spans[-1] = (n - size, n)
    return spans


def pad_batch(seqs: Sequence[Sequence[int]], pad_id: int, dtype=None):
    """(input_ids, attention_mask) long tensors, right-padded."""
    import torch

    width = max((len(s) for s in seqs), default=0)
    ids = torch.full((len(seqs), max(width, 1)), pad_id, dtype=dtype or torch.long)
    mask = torch.zeros_like(ids)
    for i, s in enumerate(seqs):
        if len(s):
            ids[i, : len(s)] = torch.as_tensor(list(s), dtype=ids.dtype)
            mask[i, : len(s)] = 1
    return ids, mask


def mask_for_mlm(
    input_ids,
    special_mask,
    *,
    mask_id: int,
    vocab_size: int,
    first_normal_id: int,
    probability: float = 0.15,
    radius: int = 0,
    generator=None,
):
    """BERT masking: pick `probability` of the non-special positions; of those 80 % → [MASK],
    10 % → a random ordinary token, 10 % unchanged. Returns (inputs, labels with -100 elsewhere).
    At least one position per batch is picked, so the loss is always defined.

    `radius` > 0 masks spans: each seed position is widened by `radius` tokens on each side
    (seeds drawn at probability / (2·radius + 1), so about `probability` of tokens are still
    masked). Overlapping K-mer tokenizers need radius K − 1, as DNABERT masks contiguous K-mers:
    otherwise a masked token is spelled out by its unmasked neighbours."""
    import torch

    labels = input_ids.clone()
    special = special_mask.bool()
    probs = torch.full(input_ids.shape, probability / (2 * radius + 1))
    probs[special] = 0.0
    picked = torch.bernoulli(probs, generator=generator).bool()
    if not picked.any():
        candidates = (~special).nonzero()
        if len(candidates):
            r = candidates[torch.randint(len(candidates), (1,), generator=generator)][0]
            picked[r[0], r[1]] = True
    if radius > 0:
        widened = torch.nn.functional.max_pool1d(
            picked.float()[:, None, :], kernel_size=2 * radius + 1, stride=1, padding=radius
        )[:, 0, :]
        picked = widened.bool() & ~special
    labels[~picked] = -100
    inputs = input_ids.clone()
    to_mask = torch.bernoulli(torch.full(input_ids.shape, 0.8), generator=generator).bool() & picked
    inputs[to_mask] = mask_id
    to_random = (
        torch.bernoulli(torch.full(input_ids.shape, 0.5), generator=generator).bool()
        & picked
        & ~to_mask
    )
    random_ids = torch.randint(first_normal_id, vocab_size, input_ids.shape, generator=generator)
    inputs[to_random] = random_ids[to_random]
    return inputs, labels
