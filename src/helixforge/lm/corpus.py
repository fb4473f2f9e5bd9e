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
import random
import re
from pathlib import Path
from typing import Any

from helixforge.core.errors import ConfigError, EmptyInputError, InputError
from helixforge.lm.corpus_genome import FastaCorpus
from helixforge.lm.corpus_lines import LineCorpus, randomize_smiles

__all__ = [
    "FASTA_SUFFIXES",
    "FastaCorpus",
    "LineCorpus",
    "corpus_kind",
    "open_corpus",
    "randomize_smiles",
    "fasta_text_sample",
    "require_dna_text",
    "require_smiles_text",
    "sample_sequences",
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


def _corpus_file(path: str | os.PathLike) -> Path:
    from helixforge.lm.inputs import as_path

    p = as_path(path, "corpus")
    if p.is_dir():
        raise InputError(
            f"{p}: is a directory, not a corpus file",
            hint="pass a FASTA(.gz), .smi/.csv(.gz) or text file",
        )
    if not p.is_file():
        raise InputError(
            f"{p}: corpus file not found", hint="pass a FASTA(.gz), .smi/.csv(.gz) or text file"
        )
    return p


def open_corpus(path: str | os.PathLike, *, window: int = 512, seed: int = 0, **kwargs: Any):
    """Open `path` with the right reader (`window` is in bases, for genomes)."""
    p = _corpus_file(path)
    kind = corpus_kind(p)
    if kind == "fasta":
        keys = {"holdout", "valid_fraction", "max_n_fraction"}
        return FastaCorpus(
            p, window=window, seed=seed, **{k: v for k, v in kwargs.items() if k in keys}
        )
    keys = {"column", "valid_every", "enumerate_smiles", "shuffle_buffer", "check"}
    return LineCorpus(
        p, seed=seed, smiles=kind == "smiles", **{k: v for k, v in kwargs.items() if k in keys}
    )


def sample_sequences(
    path: str | os.PathLike,
    n: int,
    *,
    window: int = 1000,
    seed: int = 0,
    max_n_fraction: float = 0.05,
    **kwargs: Any,
) -> list[str]:
    """Up to `n` training sequences of a corpus, to fit a tokenizer or measure bases per token.

    A genome (a FASTA record of at least 4 windows) gives random `window`-bp windows, as
    pretraining draws them. A FASTA of shorter records (reads, amplicons, genes) gives its
    records cut into pieces of at most `window` bp, sampled with the seed: such a file was
    refused before for having no record as long as this internal window. Pieces with more than
    `max_n_fraction` N (or other non-ACGT letters) and records named in `holdout` are left out.
    Lines corpora give their training lines.
    """
    p = _corpus_file(path)
    if corpus_kind(p) != "fasta":
        return open_corpus(p, window=window, seed=seed, **kwargs).training_sample(n)
    from helixforge.core.io import fasta_records

    n_records = 0
    for _, _, seq in fasta_records(p):  # a genome stops the scan at its first long record
        n_records += 1
        if len(seq) >= 4 * window:
            return open_corpus(p, window=window, seed=seed, **kwargs).training_sample(n)
    if not n_records:
        open_corpus(p, window=1, seed=seed)  # raises its 'no FASTA records' error
    holdout = set(kwargs.get("holdout") or ())
    rng = random.Random(seed)
    sample: list[str] = []
    seen = 0
    for _, header, seq in fasta_records(p):
        name = header.split(None, 1)[0] if header else ""
        if name in holdout:
            continue
        packed = FastaCorpus._pack([seq]).tobytes().decode("ascii")
        for start in range(0, len(packed), window):
            piece = packed[start : start + window]
            if piece.count("N") > max_n_fraction * len(piece):
                continue
            seen += 1  # reservoir sampling: memory stays at `n` pieces
            if len(sample) < n:
                sample.append(piece)
            else:
                j = rng.randrange(seen)
                if j < n:
                    sample[j] = piece
    if not sample:
        raise EmptyInputError(
            f"{p}: no record has A/C/G/T sequence (every record is empty or mostly N / "
            "non-ACGT letters)",
            hint="check the file; a DNA corpus needs real sequence",
        )
    return sample


_DNA_LETTERS = frozenset("ACGTNUacgtnu")


def fasta_text_sample(path: str | os.PathLike, n_chars: int = 20_000) -> list[str]:
    """The first sequence lines of a FASTA file as written (about `n_chars` characters), for
    `require_dna_text`: the genome reader turns every letter that is not a base into N, so a
    protein FASTA was refused as 'the genome is mostly N'."""
    from helixforge.core.io import open_text

    out: list[str] = []
    total = 0
    with open_text(_corpus_file(path), errors="replace") as fh:
        for raw in fh:
            line = raw.strip().lstrip("\ufeff")
            if not line or line[0] in ">;":
                continue
            out.append(line)
            total += len(line)
            if total >= n_chars:
                break
    return out


def require_dna_text(texts: list[str], path: str | os.PathLike, tokenizer: str) -> None:
    """Refuse a DNA tokenizer on a corpus whose lines are not DNA (a SMILES or text file):
    more than 10 % of the sampled characters outside A/C/G/T/N/U. Such a corpus was
    trained on as DNA, every other letter an N or an unknown token, without a word."""
    total = sum(len(t) for t in texts)
    if not total:
        return
    other = sum(1 for t in texts for c in t if c not in _DNA_LETTERS)
    if other > 0.1 * total:
        example = next(t for t in texts if any(c not in _DNA_LETTERS for c in t))
        raise ConfigError(
            f"{path}: not DNA: {other / total:.0%} of the sampled characters are not A/C/G/T/N "
            f"(e.g. {example[:40]!r}), but the tokenizer is {tokenizer}",
            hint="use a smiles-* tokenizer for molecules, or pass the DNA corpus (FASTA, or a "
            "table with a sequence column)",
        )


_DNA_LINE = re.compile(r"[ACGTUNacgtun]*[AGTUagtu][ACGTUNacgtun]*")


def require_smiles_text(texts: list[str], path: str | os.PathLike, tokenizer: str) -> None:
    """Refuse a SMILES tokenizer on a corpus that is DNA: more than half of the sampled lines
    are only bases with an A, G, T or U among them (no SMILES is: those letters are not atoms
    outside brackets). Such a corpus was trained on as SMILES without a word; the reverse
    case is `require_dna_text`'s."""
    texts = [t for t in texts if t]
    dna = [t for t in texts if _DNA_LINE.fullmatch(t)]
    if texts and len(dna) > 0.5 * len(texts):
        raise ConfigError(
            f"{path}: not SMILES: {len(dna)} of {len(texts)} sampled sequences are DNA "
            f"(e.g. {dna[0][:40]!r}), but the tokenizer is {tokenizer}",
            hint="use a dna-* tokenizer (dna-char, dna-kmer:6, dna-bpe:V) for DNA, or pass the "
            "SMILES corpus",
        )
