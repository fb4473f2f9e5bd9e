"""Sampling designs from a causal DNA language model, ranked by a sequence model."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd

from helixforge.core.errors import ConfigError
from helixforge.core.options import require_float, require_int
from helixforge.dna.design.edit import DESIGN_COLUMNS

MAX_SAMPLES = 100_000  # sequences drawn per call (--n × oversample)
SAMPLE_BATCH = 256  # sequences generated at a time (one huge batch exhausted memory)


def sample_from_lm(
    lm_path: str | os.PathLike,
    model: Any,
    n: int = 100,
    length: int = 200,
    target: Any = None,
    temperature: float = 1.0,
    top_k: int | None = None,
    prompt: str = "",
    oversample: int = 1,
    seed: int = 0,
    device: str = "cpu",
) -> pd.DataFrame:
    """Sample sequences from a causal DNA language model and rank them by `model`'s target score.

    Draws `n × oversample` sequences of `length` bases (starting with `prompt`), scores each with
    the classifier, and returns the best `n` as seed='lm', rank, method='lm-sample', sequence, score.
    """
    import torch

    from helixforge.dna.interpret import as_scorer, onehot_sequences

    require_int(n, "--n", min_value=1, max_value=MAX_SAMPLES)
    require_int(length, "--length", min_value=1)
    require_int(oversample, "--oversample", min_value=1)
    require_float(temperature, "--temperature", low=0, low_open=True)
    if top_k is not None:
        require_int(top_k, "--top-k", min_value=0)  # 0: no top-k cut, as in transformers
    if prompt is None:
        prompt = ""
    from helixforge.dna.sequence import validate_dna

    prompt = validate_dna(prompt, name="prompt") if prompt else ""
    if n * oversample > MAX_SAMPLES:
        raise ConfigError(
            f"--n {n:,} × oversample {oversample} asks for {n * oversample:,} samples",
            hint=f"at most {MAX_SAMPLES:,} per run; run several times with different --seed",
        )
    max_in = getattr(model, "max_len", None)
    if max_in and length > max_in:  # the ranking model cannot score longer sequences
        raise ConfigError(
            f"--length {length:,} is longer than the model's maximum input of {max_in:,} bases",
            hint=f"use --length {max_in} or less",
        )
    from helixforge.lm.models import is_causal_config, load_pretrained

    lm, tok = load_pretrained(lm_path, task="lm", device=device)
    if not is_causal_config(lm.config):
        raise ConfigError(
            f"{lm_path}: not a decoder (causal) language model",
            hint="sampling needs a model trained with --arch decoder",
        )
    torch.manual_seed(seed)
    prefix = tok.affixes()[0] if hasattr(tok, "affixes") else []  # e.g. [BOS]
    body = tok.tokenize_ids([prompt])[0] if prompt else []
    start = list(prefix) + list(body)
    if not start:
        start = tok.tokenize_ids(["ACGT"[seed % 4]])[0]
    total = n * max(1, oversample)
    # only tokens made of bases may be generated (no N, no end-of-sequence before `length`)
    base_only = [i for t, i in tok.hf.get_vocab().items() if t and set(t.upper()) <= set("ACGT")]
    if not base_only:
        raise ConfigError(f"{lm_path}: the tokenizer has no tokens made only of A, C, G, T")
    suppress = sorted(set(range(len(tok))) - set(base_only))
    ids = torch.tensor([start], device=lm.device)
    rows: list[list[int]] = []
    with torch.no_grad():
        for done in range(0, total, SAMPLE_BATCH):  # one random stream: same seed, same bytes
            gen = lm.generate(
                ids,
                do_sample=True,
                max_new_tokens=length,
                temperature=temperature,
                top_k=top_k or 0,
                num_return_sequences=min(SAMPLE_BATCH, total - done),
                pad_token_id=tok.pad_id,
                suppress_tokens=suppress or None,
            )
            rows += gen.tolist()
    seqs = []
    for row in rows:
        s = "".join(c for c in tok.decode(row).upper() if c in "ACGT")
        if len(s) >= length:
            seqs.append(s[:length])
    if not seqs:
        raise ConfigError(
            f"{lm_path}: the model produced no sequence of {length} bases",
            hint="lower --length or check the model",
        )
    scores = as_scorer(model, target)(onehot_sequences(seqs, length))
    order = np.argsort(-scores, kind="stable")[:n]
    return pd.DataFrame(
        {
            "seed": "lm",
            "rank": np.arange(1, len(order) + 1),
            "method": "lm-sample",
            "sequence": [seqs[i] for i in order],
            "n_edits": 0,
            "edits": "",
            "seed_score": np.nan,
            "score": scores[order],
            "delta": np.nan,
        }
    )[DESIGN_COLUMNS]
