"""Pretraining corpora: random genome windows, streamed SMILES / text lines.

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

import csv
import os
import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from helixforge.core.errors import ConfigError, EmptyInputError, InputError
from helixforge.lm.alphabet import reverse_complement

FASTA_SUFFIXES = (".fa", ".fasta", ".fna", ".ffn", ".fas")
_ORGANELLE = re.compile(
    r"(^|[^a-z])(chrm|mt|mito|mitochondri\w*|chrc|pt|chloroplast|plastid)([^a-z]|$)", re.I
)


def _open_text(path: Path):
    """Plain or gzip text; a truncated or corrupt gzip is an InputError naming the file."""
    from helixforge.core.io import open_text

    return open_text(path, newline=None)


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


class FastaCorpus:
    """Random windows of a genome; see the module docstring for the hold-out rule."""

    kind = "fasta"

    def __init__(
        self,
        path: str | os.PathLike,
        *,
        window: int = 512,
        seed: int = 0,
        holdout: list[str] | None = None,
        valid_fraction: float = 0.05,
        max_n_fraction: float = 0.05,
    ):
        self.path = Path(path)
        self.window = int(window)
        self.seed = seed
        self.max_n_fraction = max_n_fraction
        records = self._read()
        if not records:
            raise EmptyInputError(
                f"{self.path}: no FASTA records", hint="the file must start with a '>' header line"
            )
        names = [n for n, _ in records]
        self.train: list[tuple[str, np.ndarray]] = []
        self.valid: list[tuple[str, np.ndarray]] = []
        if holdout:
            missing = [h for h in holdout if h not in names]
            if missing:
                raise ConfigError(
                    f"{self.path}: hold-out record(s) {missing} not found",
                    hint=f"records: {', '.join(names[:20])}",
                )
            for name, seq in records:
                (self.valid if name in holdout else self.train).append((name, seq))
            self.holdout_desc = f"records {', '.join(holdout)}"
        elif len(records) > 1 and any(len(s) >= 4 * self.window for n, s in records[:-1]):
            nuclear = [
                i
                for i, (n, s) in enumerate(records)
                if not _ORGANELLE.search(n) and len(s) >= 4 * self.window
            ]
            pick = nuclear[-1] if nuclear else len(records) - 1
            for i, rec in enumerate(records):
                (self.valid if i == pick else self.train).append(rec)
            self.holdout_desc = f"record {records[pick][0]}"
        else:
            name, seq = max(records, key=lambda r: len(r[1]))
            cut = int(len(seq) * (1 - valid_fraction))
            self.train = [(n, s) for n, s in records if n != name] + [(name, seq[:cut])]
            self.valid = [(name, seq[cut:])]
            self.holdout_desc = f"last {valid_fraction:.0%} of {name} (from base {cut + 1})"
        self.train = [(n, s) for n, s in self.train if len(s) >= self.window]
        if not self.train:
            raise InputError(
                f"{self.path}: no record is longer than the window ({self.window} bp) after the hold-out",
                hint="use a smaller --max-len or a larger genome",
            )
        n_code = ord("N")
        if not any(np.count_nonzero(s != n_code) >= self.window for _, s in self.train):
            raise InputError(
                f"{self.path}: no {self.window} bp window of A/C/G/T bases (the sequence is all or "
                "mostly N)",
                hint="check the file; pretraining needs real sequence",
            )
        lengths = np.array([len(s) - self.window + 1 for _, s in self.train], dtype=np.float64)
        self._weights = lengths / lengths.sum()
        self.n_bases = int(sum(len(s) for _, s in records))

    def _read(self) -> list[tuple[str, np.ndarray]]:
        records: list[tuple[str, np.ndarray]] = []
        name, chunks = None, []
        with _open_text(self.path) as fh:
            for line in fh:
                if line.startswith(">"):
                    if name is not None:
                        records.append((name, self._pack(chunks)))
                    name, chunks = (
                        line[1:].split(None, 1)[0]
                        if line[1:].strip()
                        else f"record{len(records) + 1}",
                        [],
                    )
                elif name is not None:
                    chunks.append(line.strip())
                elif line.strip():
                    raise InputError(
                        f"{self.path}: line 1 is not a FASTA header",
                        hint="a FASTA file starts with '>name'",
                    )
        if name is not None:
            records.append((name, self._pack(chunks)))
        return records

    @staticmethod
    def _pack(chunks: list[str]) -> np.ndarray:
        raw = "".join(chunks).upper().replace("U", "T").encode("ascii", "replace")
        arr = np.frombuffer(raw, dtype=np.uint8).copy()
        acgt = np.isin(arr, np.frombuffer(b"ACGT", dtype=np.uint8))
        arr[~acgt] = ord("N")
        return arr

    def _window(self, rng: np.random.Generator, records, weights) -> str:
        for _ in range(100):
            i = rng.choice(len(records), p=weights)
            seq = records[i][1]
            start = int(rng.integers(0, len(seq) - self.window + 1))
            w = seq[start : start + self.window]
            if np.count_nonzero(w == ord("N")) <= self.max_n_fraction * self.window:
                s = w.tobytes()
                if rng.random() < 0.5:
                    s = reverse_complement(s)
                return s.decode("ascii")
        raise InputError(
            f"{self.path}: could not find a window without N runs",
            hint="the genome is mostly N; check the file",
        )

    def sample(self, n: int, step: int, micro: int = 0) -> list[str]:
        """`n` random training windows for optimizer step `step` (deterministic in seed, step)."""
        rng = np.random.default_rng([self.seed, step, micro])
        return [self._window(rng, self.train, self._weights) for _ in range(n)]

    def validation(self, n: int) -> list[str]:
        """`n` fixed windows from the held-out part, tiled evenly, both strands alternating."""
        out = []
        spans = [(name, s) for name, s in self.valid if len(s) >= self.window]
        if not spans:
            return out
        total = sum(len(s) - self.window + 1 for _, s in spans)
        stride = max(1, total // max(n, 1))
        for _, s in spans:
            for start in range(0, len(s) - self.window + 1, stride):
                w = s[start : start + self.window]
                if np.count_nonzero(w == ord("N")) > self.max_n_fraction * self.window:
                    continue
                b = w.tobytes()
                out.append((b if len(out) % 2 == 0 else reverse_complement(b)).decode("ascii"))
                if len(out) >= n:
                    return out
        return out

    def training_sample(self, n: int) -> list[str]:
        return self.sample(n, step=2**31 - 1)  # a stream of its own, apart from training steps

    def state(self) -> dict[str, Any]:
        return {}

    def restore(self, state: dict[str, Any]) -> None:
        return None

    def describe(self) -> str:
        return f"FASTA {self.path.name}: {self.n_bases:,} bp; validation = {self.holdout_desc}"


class LineCorpus:
    """SMILES or text lines streamed from a file; see the module docstring."""

    kind = "lines"

    def __init__(
        self,
        path: str | os.PathLike,
        *,
        seed: int = 0,
        smiles: bool = True,
        column: str | None = None,
        valid_every: int = 50,
        enumerate_smiles: bool = False,
        shuffle_buffer: int = 10_000,
    ):
        self.path = Path(path)
        self.seed = seed
        self.smiles = smiles
        self.column = column
        self.valid_every = max(2, int(valid_every))
        self.enumerate_smiles = enumerate_smiles and smiles
        self.shuffle_buffer = shuffle_buffer
        self._rng = random.Random(seed)
        self._consumed = 0  # training lines handed out so far (across passes)
        self._stream: Iterator[str] | None = None
        self._buffer: list[str] = []
        self._col_index, self._delim, self._has_header = self._inspect()
        n_lines = sum(1 for _ in zip(range(2), self._lines()))
        if n_lines < 2:
            raise EmptyInputError(
                f"{self.path}: only {n_lines} sequence line(s); pretraining needs many",
                hint="one sequence per line; use a larger corpus",
            )

    def _inspect(self) -> tuple[int, str | None, bool]:
        name = self.path.name.lower()
        with _open_text(self.path) as fh:
            first = ""
            for line in fh:
                if line.strip():
                    first = line.rstrip("\n\r")
                    break
        if not first:
            raise EmptyInputError(
                f"{self.path}: corpus is empty", hint="one sequence (SMILES) per line"
            )
        if not self.smiles:
            return 0, None, False
        delim = "\t" if ".tsv" in name else "," if ".csv" in name else None
        if delim is None:  # .smi: 'SMILES [name]'
            has_header = first.split()[0].lower() in {"smiles", "smi"}
            return 0, None, has_header
        header = next(csv.reader([first], delimiter=delim))
        lower = [h.strip().lower() for h in header]
        if self.column is not None:
            if self.column not in header:
                from helixforge.core.errors import ColumnNotFoundError

                raise ColumnNotFoundError([self.column], header, self.path)
            return header.index(self.column), delim, True
        for cand in ("smiles", "canonical_smiles", "smi", "sequence"):
            if cand in lower:
                return lower.index(cand), delim, True
        return 0, delim, False  # no header we recognise: first column, first line is data

    def _lines(self) -> Iterator[tuple[int, str]]:
        """(line number, sequence) for every data line of one pass."""
        with _open_text(self.path) as fh:
            for i, line in enumerate(fh, start=1):
                if i == 1 and self._has_header:
                    continue
                line = line.strip()
                if not line:
                    continue
                if self._delim is None:
                    value = line.split()[0] if self.smiles else line
                else:
                    parts = (
                        line.split(self._delim)
                        if '"' not in line
                        else next(csv.reader([line], delimiter=self._delim))
                    )
                    if self._col_index >= len(parts):
                        continue
                    value = parts[self._col_index].strip()
                if value:
                    yield i, value

    def _train_stream(self) -> Iterator[str | None]:
        passes = 0
        while True:
            n = 0
            for i, value in self._lines():
                if i % self.valid_every != 0:
                    n += 1
                    yield value
            if n == 0:
                raise EmptyInputError(
                    f"{self.path}: no training lines", hint="the corpus needs more lines"
                )
            passes += 1
            yield None  # end of a pass: a small file does not fill the buffer with repeats

    def _next(self) -> str:
        if self._stream is None:
            self._stream = self._train_stream()
            skipped = 0
            while skipped < self._consumed:  # resume: skip what earlier runs already used
                skipped += next(self._stream) is not None
        while len(self._buffer) < self.shuffle_buffer:
            value = next(self._stream)
            if value is None:
                if self._buffer:
                    break
                continue
            self._buffer.append(value)
        j = self._rng.randrange(len(self._buffer))
        self._buffer[j], self._buffer[-1] = self._buffer[-1], self._buffer[j]
        self._consumed += 1
        return self._buffer.pop()

    def sample(self, n: int, step: int = 0, micro: int = 0) -> list[str]:
        """The next `n` training sequences of the stream."""
        out = [self._next() for _ in range(n)]
        if self.enumerate_smiles:
            out = [randomize_smiles(s, self._rng) if self._rng.random() < 0.5 else s for s in out]
        return out

    def validation(self, n: int) -> list[str]:
        out = []
        for i, value in self._lines():
            if i % self.valid_every == 0:
                out.append(value)
                if len(out) >= n:
                    break
        return out

    def training_sample(self, n: int) -> list[str]:
        out = []
        for i, value in self._lines():
            if i % self.valid_every != 0:
                out.append(value)
                if len(out) >= n:
                    break
        return out

    def state(self) -> dict[str, Any]:
        # The shuffle buffer is not saved: on resume it refills from where the stream stopped.
        return {"consumed": self._consumed + len(self._buffer)}

    def restore(self, state: dict[str, Any]) -> None:
        self._consumed = int(state.get("consumed", 0))
        self._rng = random.Random(self.seed + self._consumed)
        self._stream = None
        self._buffer = []

    def describe(self) -> str:
        what = "SMILES" if self.smiles else "text"
        return f"{what} lines from {self.path.name}; validation = every {self.valid_every}th line (held out)"


def randomize_smiles(smiles: str, rng: random.Random | None = None) -> str:
    """A random, valid, non-canonical SMILES of the same molecule (the input if RDKit cannot parse it)."""
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        return smiles
    if rng is not None:
        from rdkit.Chem import rdBase

        rdBase.SeedRandomNumberGenerator(rng.randrange(2**31))
    return Chem.MolToSmiles(mol, doRandom=True, canonical=False)
