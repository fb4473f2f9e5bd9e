"""ORF-aware gene calling from per-base probabilities, and writing genes as GFF3.

On each strand and frame, every open reading frame from a stop codon to the next is a
candidate; for each, the start codon (ATG/GTG/TTG) is chosen that maximises
Σ (P(coding in that frame) − τ) over [start, stop], a maximal-scoring segment that must end in
the stop codon. Candidates with a positive score and at least `min_len` bases are kept, best
first, rejecting those that overlap an accepted gene by more than `max_overlap` bases.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from helixforge.dna.annotate.labels import STARTS, STOPS
from helixforge.dna.sequence import reverse_complement


def call_genes(
    seq: str,
    proba: np.ndarray,
    threshold: float = 0.5,
    min_len: int = 90,
    max_overlap: int = 60,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Genes (start, end 0-based half-open incl. stop codon, strand, score, mean_prob)."""
    n = len(seq)
    cands = [
        (s, e, "+", sc, q)
        for s, e, sc, q in _orfs_one_strand(seq.upper(), proba[:, 1:4], threshold, min_len)
    ]
    rc_seq = reverse_complement(seq.upper())
    for s, e, sc, q in _orfs_one_strand(rc_seq, proba[::-1, 4:7], threshold, min_len):
        cands.append((n - e, n - s, "-", sc, q))
    cands.sort(key=lambda c: -c[3])
    accepted: list[tuple[int, int, str, float, float]] = []
    occupied = np.zeros(n, dtype=bool)
    for c in cands:
        s, e = c[0], c[1]
        if occupied[s:e].sum() > max_overlap:
            continue
        accepted.append(c)
        occupied[s:e] = True
    accepted.sort(key=lambda c: c[0])
    return [
        {"start": s + offset, "end": e + offset, "strand": st, "score": sc, "mean_prob": q}
        for s, e, st, sc, q in accepted
    ]


def _codon_positions(seq: str, codons: Sequence[str]) -> np.ndarray:
    pattern = "(?=(" + "|".join(codons) + "))"
    return np.array([m.start() for m in re.finditer(pattern, seq)], dtype=np.int64)


def _orfs_one_strand(
    seq: str, p_frame: np.ndarray, tau: float, min_len: int
) -> list[tuple[int, int, float, float]]:
    """Best-start ORFs on the forward strand: (start, end incl. stop, score, mean in-frame prob).

    p_frame[:, k] = P(base is at codon position k+1 of a + strand CDS).
    """
    n = len(seq)
    starts_all = _codon_positions(seq, STARTS)
    stops_all = _codon_positions(seq, STOPS)
    out = []
    for f in range(3):
        idx = np.arange(n)
        q = p_frame[
            idx, (idx - f) % 3
        ]  # in-frame coding probability for genes starting at ≡ f (mod 3)
        csum = np.concatenate([[0.0], np.cumsum(q - tau)])
        qsum = np.concatenate([[0.0], np.cumsum(q)])
        stops = stops_all[stops_all % 3 == f]
        starts = starts_all[starts_all % 3 == f]
        prev = f - 3  # a virtual stop before the sequence start
        si = 0
        for stop in stops:
            end = stop + 3
            while si < len(starts) and starts[si] <= prev:
                si += 1
            sj = si
            cand = []
            while sj < len(starts) and starts[sj] < stop:
                cand.append(starts[sj])
                sj += 1
            prev = stop
            if not cand:
                continue
            cand = np.array(cand)
            cand = cand[end - cand >= min_len]
            if len(cand) == 0:
                continue
            scores = csum[end] - csum[cand]
            best = int(np.argmax(scores))
            if scores[best] > 0:
                s = int(cand[best])
                out.append((s, end, float(scores[best]), float((qsum[end] - qsum[s]) / (end - s))))
    return out


def write_genes(genes: list[dict[str, Any]], path: str | os.PathLike) -> Path:
    """Genes (0-based half-open) as GFF3 gene + CDS features, written atomically."""
    import pandas as pd

    from helixforge.dna.io import write_gff3

    rows = []
    for i, gene in enumerate(genes, start=1):
        gid = f"hf_gene_{i:05d}"
        base = {
            "seqid": gene["seqid"],
            "start": gene["start"],
            "end": gene["end"],
            "strand": gene["strand"],
            "source": "HelixForge",
        }
        rows.append({**base, "type": "gene", "id": gid, "score": round(gene["mean_prob"], 3)})
        rows.append(
            {
                **base,
                "type": "CDS",
                "id": f"{gid}.cds",
                "parent": gid,
                "phase": 0,
                "score": round(gene["mean_prob"], 3),
            }
        )
    df = pd.DataFrame(
        rows,
        columns=[
            "seqid",
            "source",
            "type",
            "start",
            "end",
            "score",
            "strand",
            "phase",
            "id",
            "parent",
        ],
    )
    return write_gff3(df, path)
