"""Pretraining corpora: random genome windows, streamed SMILES / text lines.

`open_corpus` picks the reader from the file name; the readers live in `corpus_genome` and
`corpus_lines` (re-exported here).

* `FastaCorpus` — FASTA(.gz) genomes. Each training sample is a random window from a random
  record (weighted by length) on a random strand; windows with more than 5 % N (or other
  non-ACGT bases) are redrawn, so assembly gaps are skipped. Validation is a chromosome hold-out:
  with several records the last one that is not an organelle (chrM, Mito, chloroplast…) is held
  out, or the records named in `holdout`; a single-record genome (a bacterium) holds out its
  last `valid_fraction` as a region, and training windows never touch it. Sampling for step
  `s` is seeded by (seed, s), so a resumed run draws the same windows it would have.
  The genome is held in memory as one byte per base (E. coli 4.6 MB, yeast 12 MB).
* `LineCorpus` — .smi/.csv/.tsv(.gz) SMILES or plain text, one sequence per line, streamed
  (a 1.6 M-line MOSES file is never loaded whole). Every `valid_every`-th line is held out for
  validation; training lines pass through a shuffle buffer; the stream loops over the file.
  The state (lines read) is saved with checkpoints, so `--resume` continues where it stopped.
  SMILES enumeration (`enumerate_smiles=True`) replaces half of the training SMILES by a random
  non-canonical SMILES of the same molecule (RDKit `doRandom`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from helixforge.core.errors import InputError
from helixforge.lm.corpus_genome import FastaCorpus
from helixforge.lm.corpus_lines import LineCorpus, randomize_smiles

__all__ = [
    "FASTA_SUFFIXES",
    "FastaCorpus",
    "LineCorpus",
    "corpus_kind",
    "open_corpus",
    "randomize_smiles",
]

FASTA_SUFFIXES = (".fa", ".fasta", ".fna", ".ffn", ".fas")


def corpus_kind(path: str | os.PathLike) -> str:
    """'fasta', 'smiles' or 'text' from the file name."""
    name = Path(path).name.lower()
    name = name[:-3] if name.endswith(".gz") else name
    if name.endswith(FASTA_SUFFIXES):
        return "fasta"
    if name.endswith((".smi", ".smiles", ".csv", ".tsv")):
        return "smiles"
    return "text"


def open_corpus(path: str | os.PathLike, *, window: int = 512, seed: int = 0, **kwargs: Any):
    """Open `path` with the right reader (`window` is in bases, for genomes)."""
    p = Path(path)
    if not p.is_file():
        raise InputError(
            f"{p}: corpus file not found", hint="pass a FASTA(.gz), .smi/.csv(.gz) or text file"
        )
    kind = corpus_kind(p)
    if kind == "fasta":
        keys = {"holdout", "valid_fraction", "max_n_fraction"}
        return FastaCorpus(
            p, window=window, seed=seed, **{k: v for k, v in kwargs.items() if k in keys}
        )
    keys = {"column", "valid_every", "enumerate_smiles", "shuffle_buffer"}
    return LineCorpus(
        p, seed=seed, smiles=kind == "smiles", **{k: v for k, v in kwargs.items() if k in keys}
    )
