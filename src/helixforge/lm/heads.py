"""What each fine-tuning task feeds the model: windows, labels, collate and loss.

Sequence-level tasks: sequences longer than the window are cut into overlapping windows; every
window is a training example with its sequence's label, and predictions average the windows'
logits. Several tasks share one head (one output each): binary columns use a masked BCE loss,
regression columns a masked MSE on standardized targets, so NaN labels are skipped. A multiclass
task is one column of labels 0..k-1 (cross-entropy).

Token classification labels every position: the label column holds one integer per base or
character (e.g. "0001110" or "0 0 0 1 1 1 0"); each token takes the label of its first character.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from helixforge.lm.batching import pad_batch, window_spans


def sequence_windows(tok, seqs: Sequence[str], max_len: int, stride_fraction: float):
    """Token windows of every sequence and the owner index of each window."""
    body = max_len - tok.n_special
    stride = max(1, int(body * stride_fraction))
    windows, owner = [], []
    for i, ids in enumerate(tok.tokenize_ids(list(seqs))):
        for a, b in window_spans(len(ids), body, stride):
            windows.append(tok.with_specials(ids[a:b]))
            owner.append(i)
    return windows, np.asarray(owner, dtype=np.int64)


def sequence_collate(pad_id: int):
    def collate(batch):
        import torch

        ids, attn = pad_batch([b[0] for b in batch], pad_id)
        target = torch.tensor(np.stack([b[1] for b in batch]), dtype=torch.float32)
        return {"input_ids": ids, "attention_mask": attn, "y": target}

    return collate


def sequence_loss(task_types: Sequence[str]):
    """Masked BCE / MSE per column, or cross-entropy for one multiclass column."""
    import torch

    multiclass = list(task_types) == ["multiclass"]
    reg = torch.tensor([t == "regression" for t in task_types])

    def loss_fn(m, batch):
        logits = m(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
        logits = logits.float()
        target = batch["y"]
        if multiclass:
            t = target[:, 0]
            ok = ~torch.isnan(t)
            return torch.nn.functional.cross_entropy(logits[ok], t[ok].long())
        ok = ~torch.isnan(target)
        t = torch.nan_to_num(target)
        bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, t, reduction="none")
        per = torch.where(reg.to(logits.device), (logits - t) ** 2, bce) * ok
        return per.sum() / ok.sum().clamp(min=1)

    return loss_fn


def parse_position_labels(value: str) -> list[int]:
    """'0011' or '0 0 1 1' or '0,0,1,1' → [0, 0, 1, 1] (ValueError when not integers)."""
    s = str(value).strip()
    parts = s.split() if (" " in s or "," in s) else list(s)
    return [int(x) for x in (p.strip(",") for p in parts) if x != ""]


def token_starts(tok, seq: str) -> list[int]:
    """Character index where each (non-special) token of `seq` starts."""
    if tok.spec.kind == "dna-kmer" and tok.spec.overlap:
        return list(range(max(len(seq) - tok.spec.k + 1, 1)))
    enc = tok.hf(tok.preprocess(seq), add_special_tokens=False, return_offsets_mapping=True)
    return [a for a, _ in enc["offset_mapping"]]


def token_items(tok, seqs, labels, max_len: int) -> list[tuple[list[int], list[int]]]:
    """(window ids, per-token labels with -100 on specials) for token classification."""
    prefix, suffix = tok.affixes()
    body = max_len - tok.n_special
    out = []
    for s, lab in zip(seqs, labels):
        ids = tok.tokenize_ids([s])[0]
        starts = token_starts(tok, s)
        tl = [lab[a] if a < len(lab) else -100 for a in starts[: len(ids)]]
        for a, b in window_spans(len(ids), body, body):
            out.append(
                (tok.with_specials(ids[a:b]), [-100] * len(prefix) + tl[a:b] + [-100] * len(suffix))
            )
    return out


def token_collate(pad_id: int):
    def collate(batch):
        ids, attn = pad_batch([b[0] for b in batch], pad_id)
        lab, _ = pad_batch([b[1] for b in batch], -100)
        return {"input_ids": ids, "attention_mask": attn, "labels": lab}

    return collate


def token_probabilities(model, tok, seq: str, max_len: int, n_classes: int, device) -> np.ndarray:
    """Per-character class probabilities (len(seq), n_classes)."""
    import torch

    prefix, _ = tok.affixes()
    body = max_len - tok.n_special
    ids = tok.tokenize_ids([seq])[0]
    starts = token_starts(tok, seq)[: len(ids)]
    probs = np.zeros((len(ids), n_classes))
    with torch.no_grad():
        for a, b in window_spans(len(ids), body, body):
            x = torch.tensor([tok.with_specials(ids[a:b])], device=device)
            p = torch.softmax(model(input_ids=x).logits.float()[0], -1).cpu().numpy()
            probs[a:b] = p[len(prefix) : len(prefix) + (b - a)]
    per_char = np.zeros((len(seq), n_classes))
    bounds = [*starts[1:], len(seq)]
    for t, (a, b) in enumerate(zip(starts, bounds)):
        per_char[a : max(b, a + 1)] = probs[t]
    return per_char
