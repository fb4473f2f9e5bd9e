"""Embeddings and likelihood scores from any local checkpoint, for inputs of any length.

`embed` mean-pools the last (or a chosen) hidden layer over the ordinary tokens of a sequence.
`score` returns, per sequence and per position, the log-probability the model gives each token:

* encoders (masked LM): pseudo-log-likelihood (Salazar et al. 2020) — each position is masked
  in turn and scored given all others; the masked copies are batched;
* decoders (causal LM): the log-likelihood log p(token | previous tokens).

Long inputs are cut into windows of the model's length. Embeddings average all windows' tokens.
For scores each token is taken from the window where it has the most context: encoder windows
overlap by half and a token is scored in the window where it sits farthest from an edge;
decoder windows overlap by half and each window scores only the tokens the previous one did
not, each with at least half a window of left context (the strided perplexity recipe).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from helixforge.lm.batching import pad_batch, window_spans
from helixforge.lm.models import (
    default_max_len,
    is_causal_config,
    load_pretrained,
    resolve_model_dir,
)


def _check_options(batch_size: int, max_len: int | None) -> tuple[int, int | None]:
    """batch_size ≥ 1 and max_len None or ≥ 1 (0 read as 'the model's length' before)."""
    from helixforge.core.options import require_int

    batch_size = require_int(batch_size, "batch_size", min_value=1)
    if max_len is not None:
        max_len = require_int(max_len, "max_len", min_value=1)
    return batch_size, max_len


def _input_sequences(sequences, tok) -> list[str]:
    """`sequences` as a list of clean strings for this tokenizer (see `clean_api_sequences`)."""
    from helixforge.lm.tokenizer_backends import clean_api_sequences, spec_check

    return clean_api_sequences(sequences, spec_check(getattr(tok, "spec", None)))


def _window_len(model_dir, model, tok, max_len: int | None) -> int:
    from helixforge.lm.models import check_max_len

    check_max_len(max_len, model_dir, model.config)
    n = max_len or default_max_len(model_dir, model.config)
    body = n - tok.n_special
    if body < 2:
        from helixforge.core.errors import ConfigError

        raise ConfigError(f"--max-len {n} leaves no room for tokens", hint="use a larger --max-len")
    return body


def _hidden_state(out, layer: int):
    """`out.hidden_states[layer]` (the last hidden state when the model gives no list); a
    layer the model does not have is a `ConfigError` naming the valid range."""
    states = out.hidden_states
    if states is None:
        return out.last_hidden_state
    n = len(states)
    if not -n <= layer < n:
        from helixforge.core.errors import ConfigError

        raise ConfigError(
            f"--layer {layer}: this model has {n} hidden states "
            f"(0 = token embeddings … {n - 1} = last layer)",
            hint=f"use a layer from {-n} to {n - 1}; -1 is the last layer",
        )
    return states[layer]


def embed(
    model_path: str | os.PathLike,
    sequences: Sequence[str],
    *,
    batch_size: int = 32,
    max_len: int | None = None,
    layer: int = -1,
    device: str = "auto",
    trust_remote_code: bool = False,
    quiet: bool = True,
) -> np.ndarray:
    """(n, hidden) mean-pooled embeddings; `layer` indexes hidden_states (-1 = last).

    `sequences`: a list (tuple, array, Series, generator) of strings, or one string (one
    sequence); outer whitespace is stripped. With a DNA or SMILES tokenizer HelixForge built, a
    character it would read as [UNK] (a '>' header, a space inside) is an `InputError` naming
    the sequence, as are None and non-text items."""
    import torch

    from helixforge.core.options import require_int
    from helixforge.core.training import resolve_device

    batch_size, max_len = _check_options(batch_size, max_len)
    layer = require_int(layer, "layer", min_value=None)
    dev = resolve_device(device)
    model_dir = resolve_model_dir(model_path)
    model, tok = load_pretrained(
        model_dir, task="base", trust_remote_code=trust_remote_code, device=str(dev)
    )
    body = _window_len(model_dir, model, tok, max_len)
    sequences = _input_sequences(sequences, tok)
    prefix, _ = tok.affixes()
    windows, owner, lengths = [], [], []
    for i, ids in enumerate(tok.tokenize_ids(list(sequences))):
        for a, b in window_spans(len(ids), body, body):
            windows.append(tok.with_specials(ids[a:b]))
            owner.append(i)
            lengths.append(b - a)
    hidden = None
    sums = None
    counts = np.zeros(len(sequences))
    from helixforge.core.progress import progress

    with (
        torch.no_grad(),
        progress("embedding", len(windows), quiet=quiet, unit="windows") as advance,
    ):
        for start in range(0, len(windows), batch_size):
            chunk = windows[start : start + batch_size]
            ids, attn = pad_batch(chunk, tok.pad_id)
            out = model(
                input_ids=ids.to(dev), attention_mask=attn.to(dev), output_hidden_states=True
            )
            h = _hidden_state(out, layer).float().cpu().numpy()
            if sums is None:
                hidden = h.shape[-1]
                sums = np.zeros((len(sequences), hidden))
            for j in range(len(chunk)):
                k = start + j
                a = len(prefix)
                b = a + lengths[k]
                if b > a:
                    sums[owner[k]] += h[j, a:b].sum(axis=0)
                    counts[owner[k]] += b - a
            advance(len(chunk))
    if sums is None:
        return np.zeros((0, int(getattr(model.config, "hidden_size", 0))), dtype=np.float32)
    return (sums / np.maximum(counts, 1)[:, None]).astype(np.float32)


@dataclass
class ScoreResult:
    """Per-sequence sums and per-position log-probabilities (natural log)."""

    log_likelihood: np.ndarray  # (n,) sum over tokens
    n_tokens: np.ndarray  # (n,)
    per_position: list[np.ndarray]  # token log-probs per sequence (NaN: not scorable)
    tokens: list[list[str]]
    objective: str  # 'pseudo-log-likelihood' | 'log-likelihood'

    @property
    def mean_log_likelihood(self) -> np.ndarray:
        return self.log_likelihood / np.maximum(self.n_tokens, 1)

    def to_frame(self, ids: Sequence | None = None):
        """One row per sequence: id (`ids`, default 0…n-1), n_tokens, log_likelihood, ...;
        `ids` must give one id per sequence (one string is one id, not its characters)."""
        import pandas as pd

        from helixforge.core.errors import InputError

        if ids is not None:
            ids = [ids] if isinstance(ids, str) else list(ids)
            if len(ids) != len(self.n_tokens):
                raise InputError(
                    f"ids has {len(ids)} entries but {len(self.n_tokens)} sequence(s) were scored",
                    hint="pass one id per scored sequence, in the same order",
                )

        return pd.DataFrame(
            {
                "id": ids if ids is not None else np.arange(len(self.n_tokens)),
                "n_tokens": self.n_tokens,
                "log_likelihood": self.log_likelihood,
                "mean_log_likelihood": self.mean_log_likelihood,
                "perplexity": np.exp(-self.mean_log_likelihood),
            }
        )

    def positions_frame(self, ids: Sequence | None = None):
        import pandas as pd

        rows = []
        for i, (lp, toks) in enumerate(zip(self.per_position, self.tokens)):
            sid = ids[i] if ids is not None else i
            rows.extend(
                {"id": sid, "position": p, "token": t, "log_prob": float(v)}
                for p, (t, v) in enumerate(zip(toks, lp))
            )
        return pd.DataFrame(rows, columns=["id", "position", "token", "log_prob"])


def score(
    model_path: str | os.PathLike,
    sequences: Sequence[str],
    *,
    batch_size: int = 32,
    max_len: int | None = None,
    device: str = "auto",
    trust_remote_code: bool = False,
    quiet: bool = True,
    log: Callable[[str], None] | None = None,
) -> ScoreResult:
    """Pseudo-log-likelihood (encoders) or log-likelihood (decoders) per sequence and position.

    `sequences` as for `embed` (one string is one sequence; [UNK] characters are refused).
    Before any work `log` gets the number of forward passes it will take (`score_cost`)."""
    from helixforge.core.training import resolve_device

    batch_size, max_len = _check_options(batch_size, max_len)
    dev = resolve_device(device)
    model_dir = resolve_model_dir(model_path)
    model, tok = load_pretrained(
        model_dir, task="lm", trust_remote_code=trust_remote_code, device=str(dev)
    )
    body = _window_len(model_dir, model, tok, max_len)
    causal = is_causal_config(model.config)
    all_ids = tok.tokenize_ids(_input_sequences(sequences, tok))
    if log is not None:
        lengths = [len(ids) for ids in all_ids]
        prefix = len(tok.affixes()[0])
        log(score_cost(lengths, body, causal, batch_size, n_special=tok.n_special, prefix=prefix))
    per_position = []
    from helixforge.core.progress import progress

    with progress("scoring", len(all_ids), quiet=quiet, unit="sequences") as advance:
        for ids in all_ids:
            lp = (
                _score_causal(model, tok, ids, body, batch_size, dev)
                if causal
                else _score_masked(model, tok, ids, body, batch_size, dev)
            )
            per_position.append(lp)
            advance(1)
    return ScoreResult(
        log_likelihood=np.array([float(np.nansum(p)) for p in per_position]),
        n_tokens=np.array([int(np.isfinite(p).sum()) for p in per_position]),
        per_position=per_position,
        tokens=[tok.hf.convert_ids_to_tokens(ids) for ids in all_ids],
        objective="log-likelihood" if causal else "pseudo-log-likelihood",
    )


# Above this many forward passes `score_cost` says how to make scoring cheaper.
MANY_PASSES = 20_000


def score_cost(
    lengths: Sequence[int],
    body: int,
    causal: bool,
    batch_size: int,
    *,
    n_special: int = 0,
    prefix: int = 0,
) -> str:
    """What `score` will cost, said before the work: forward passes of one window each.

    Pseudo-log-likelihood masks one position per pass, so an encoder takes one pass per token
    (a 200 kb record with a single-base tokenizer: 200,000 passes, whatever the window); a
    decoder takes one pass per window, windows advancing by half a window. Above
    `MANY_PASSES` the text says what makes it cheaper (there is no option that skips
    positions). `body`: tokens per window; `prefix`: begin tokens a decoder window starts with."""
    tokens = sum(lengths)
    window = body + n_special
    if causal:
        size = body + prefix  # as in `_score_causal`
        half = max(1, size // 2)
        passes = sum(
            1 + max(0, math.ceil((n + prefix - size) / half)) for n in lengths if n + prefix > 1
        )
        what = "log-likelihood: one pass per window, windows overlapping by half"
    else:
        passes = tokens
        what = "pseudo-log-likelihood: one pass per token, each with that token masked"
    text = (
        f"scoring {len(lengths):,} sequence(s), {tokens:,} tokens: {passes:,} forward passes "
        f"of a window of up to {window:,} tokens, {math.ceil(passes / batch_size):,}+ batches "
        f"of {batch_size} ({what})"
    )
    if passes >= MANY_PASSES:
        text += (
            "; this is a long job. Cheaper: a smaller --max-len (each pass reads a shorter "
            "window: less context, proportionally less work), a larger --batch-size on a GPU "
            "(--device cuda), a tokenizer with fewer tokens per base (k-mer / BPE), scoring "
            "only the region of interest, or a causal (decoder) model, which needs one pass "
            "per half window"
            if not causal
            else "; this is a long job. Cheaper: a GPU (--device cuda) or only the region of "
            "interest"
        )
    return text


def _assign_masked_windows(n: int, body: int) -> list[tuple[int, int, list[int]]]:
    """Windows (a, b) and, for each, the positions it scores: each position goes to the window
    where it is farthest from an edge."""
    from bisect import bisect_right

    spans = window_spans(n, body, max(1, body // 2))
    starts = [a for a, _ in spans]  # starts and ends never decrease
    owner: dict[int, list[int]] = {k: [] for k in range(len(spans))}
    for p in range(n):  # only the few windows holding p (was every window: 160 M steps at 200 kb)
        k, best = bisect_right(starts, p) - 1, None
        while k >= 0 and spans[k][1] > p:
            a, b = spans[k]
            best = max(best, (min(p - a, b - 1 - p), k)) if best else (min(p - a, b - 1 - p), k)
            k -= 1
        owner[best[1]].append(p)
    return [(a, b, owner[k]) for k, (a, b) in enumerate(spans) if owner[k]]


def _score_masked(model, tok, ids: list[int], body: int, batch_size: int, dev) -> np.ndarray:
    import torch

    if tok.mask_id is None:
        from helixforge.core.errors import ConfigError

        raise ConfigError(
            "this encoder's tokenizer has no mask token; pseudo-log-likelihood needs one"
        )
    out = np.zeros(len(ids))
    prefix, _ = tok.affixes()
    off = len(prefix)
    for a, b, positions in _assign_masked_windows(len(ids), body):
        window = torch.tensor(tok.with_specials(ids[a:b]))
        for s in range(0, len(positions), batch_size):
            ps = positions[s : s + batch_size]
            batch = window.repeat(len(ps), 1)
            cols = torch.tensor([p - a + off for p in ps])
            rows = torch.arange(len(ps))
            batch[rows, cols] = tok.mask_id
            # Overlapping K-mers: neighbours within K − 1 tokens spell the scored token out.
            for shift in range(1, tok.overlap_radius + 1):
                for c in (cols - shift, cols + shift):
                    inside = (c >= off) & (c < off + (b - a))
                    batch[rows[inside], c[inside]] = tok.mask_id
            with torch.no_grad():
                logits = model(
                    input_ids=batch.to(dev), attention_mask=torch.ones_like(batch).to(dev)
                ).logits.float()
            logp = torch.log_softmax(logits[rows.to(dev), cols.to(dev)], dim=-1)
            target = torch.tensor([ids[p] for p in ps], device=dev)
            out[ps] = logp.gather(1, target[:, None])[:, 0].cpu().numpy()
    return out


def _score_causal(model, tok, ids: list[int], body: int, batch_size: int, dev) -> np.ndarray:
    """log p(token_t | tokens < t). The first token is scored given the begin token when the
    tokenizer adds one; otherwise it has no context and stays NaN (not counted)."""
    import torch

    prefix, _ = tok.affixes()
    seq = prefix + list(ids)  # begin-of-sequence token(s) give the first token a context
    off = len(prefix)
    out = np.full(len(ids), np.nan)
    size = body + off
    stride = max(1, size // 2)
    scored_until = off if off else 1  # index in `seq` of the next token to score
    start = 0
    while scored_until < len(seq):
        end = min(start + size, len(seq))
        x = torch.tensor([seq[start:end]], device=dev)
        with torch.no_grad():
            logits = model(input_ids=x).logits.float()[0]
        logp = torch.log_softmax(logits[:-1], dim=-1)
        targets = x[0, 1:]
        lp = logp.gather(1, targets[:, None])[:, 0].cpu().numpy()  # lp[j] scores seq[start + j + 1]
        for t in range(max(scored_until, start + 1), end):
            out[t - off] = lp[t - start - 1]
        scored_until = end
        start += stride
        if end == len(seq):
            break
    return out


def read_sequences(path, column=None, id_column=None):
    """(ids, sequences) of a table or FASTA (see `helixforge.lm.tables.read_sequences`)."""
    from helixforge.lm.tables import read_sequences as read

    inp = read(path, column, id_column)
    return inp.ids, inp.sequences
