"""Pretraining objectives: strings → model inputs for masked LM (encoders) or causal LM (decoders)."""

from __future__ import annotations

from typing import Any

from helixforge.core.errors import ConfigError
from helixforge.lm.tokenizers import SequenceTokenizer


def window_bases(tok: SequenceTokenizer, corpus_path, max_len: int, seed: int) -> int:
    """Genome window (bp) that fills `max_len` tokens, from the tokenizer's bases per token."""
    body = max_len - tok.n_special
    sp = tok.spec
    if sp.kind == "dna-char":
        return body
    if sp.kind == "dna-kmer":
        return body + sp.k - 1 if sp.overlap else body * sp.k
    from helixforge.lm.corpus import sample_sequences

    sample = sample_sequences(corpus_path, 16, window=2000, seed=seed)
    ids = tok.tokenize_ids(sample)
    per_token = sum(len(s) for s in sample) / max(1, sum(len(i) for i in ids))
    return max(8, int(per_token * body * 1.05))  # a little extra; the tail is truncated


class LMBatcher:
    """Strings → model inputs for the chosen objective (80/10/10 masking, or next-token labels)."""

    def __init__(self, tok: SequenceTokenizer, max_len: int, causal: bool, mlm_probability: float):
        self.tok = tok
        self.max_len = max_len
        self.causal = causal
        self.mlm_probability = mlm_probability
        specials = set(tok.hf.all_special_ids)
        self.first_normal = max(specials) + 1 if specials and max(specials) < 16 else 5
        if not causal and tok.mask_id is None:
            raise ConfigError(
                "the tokenizer has no [MASK] token, needed for masked-LM pretraining",
                hint="use --arch decoder or another tokenizer",
            )

    def encode(self, seqs: list[str]) -> list[list[int]]:
        """Token ids with the tokenizer's specials, cut to the window."""
        if not seqs:
            return []
        body = self.max_len - self.tok.n_special
        return [self.tok.with_specials(ids[:body]) for ids in self.tok.tokenize_ids(seqs)]

    def __call__(self, ids: list[list[int]], generator=None) -> dict[str, Any]:
        import torch

        from helixforge.lm.batching import mask_for_mlm, pad_batch

        input_ids, attn = pad_batch(ids, self.tok.pad_id)
        if self.causal:
            labels = input_ids.clone()
            labels[attn == 0] = -100
            return {"input_ids": input_ids, "attention_mask": attn, "labels": labels}
        special = torch.zeros_like(input_ids, dtype=torch.bool)
        for sid in self.tok.hf.all_special_ids:
            special |= input_ids == sid
        inputs, labels = mask_for_mlm(
            input_ids,
            special,
            mask_id=self.tok.mask_id,
            vocab_size=len(self.tok),
            first_normal_id=self.first_normal,
            probability=self.mlm_probability,
            radius=self.tok.overlap_radius,
            generator=generator,
        )
        return {"input_ids": inputs, "attention_mask": attn, "labels": labels}


def masked_valid_loss(model, batcher: LMBatcher, valid_ids, batch_size: int, seed: int, dev):
    """Token-weighted validation loss with fixed masks (the same at every evaluation)."""
    import torch

    if not valid_ids:
        return None
    model.eval()
    gen = torch.Generator().manual_seed(seed + 12345)
    use_amp = dev.type == "cuda"
    total, count = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(valid_ids), batch_size):
            b = {k: v.to(dev) for k, v in batcher(valid_ids[i : i + batch_size], gen).items()}
            with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=use_amp):
                loss = model(**b).loss
            n = int((b["labels"] != -100).sum())
            total += float(loss) * n
            count += n
    model.train()
    return total / max(count, 1)
