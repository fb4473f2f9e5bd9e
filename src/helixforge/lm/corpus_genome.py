"""Pretraining corpus of a genome: `FastaCorpus`, random windows of a FASTA(.gz) file.

FASTA(.gz) genomes. Each training sample is a random window from a random
record (weighted by length) on a random strand; windows with more than 5 % N (or other
non-ACGT bases) are redrawn, so assembly gaps are skipped. Validation is a chromosome hold-out:
with several records the last one that is not an organelle (chrM, Mito, chloroplast…) is held
out, or the records named in `holdout`; a single-record genome (a bacterium) holds out its
last `valid_fraction` as a region, and training windows never touch it. Sampling for step
`s` is seeded by (seed, s), so a resumed run draws the same windows it would have.
The genome is held in memory as one byte per base (E. coli 4.6 MB, yeast 12 MB).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from helixforge.core.errors import ConfigError, EmptyInputError, InputError
from helixforge.core.io import convert_command, open_text
from helixforge.lm.alphabet import reverse_complement

_ORGANELLE = re.compile(
    r"(^|[^a-z])(chrm|mt|mito|mitochondri\w*|chrc|pt|chloroplast|plastid)([^a-z]|$)", re.I
)


def _not_gzip_note(path: Path) -> str:
    """A word on a file named .gz that is not gzip-compressed (read as plain text)."""
    from helixforge.core.io import is_gzip

    if path.name.lower().endswith(".gz") and not is_gzip(path):
        return f"; {path.name} is named .gz but is not gzip-compressed"
    return ""


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
            # by position, not name: records sharing the longest one's name (reads, amplicons
            # all called 'seq') were all left out of training with it
            longest_at = max(range(len(records)), key=lambda i: len(records[i][1]))
            name, seq = records[longest_at]
            cut = int(len(seq) * (1 - valid_fraction))
            self.train = [r for i, r in enumerate(records) if i != longest_at] + [(name, seq[:cut])]
            self.valid = [(name, seq[cut:])]
            self.holdout_desc = f"last {valid_fraction:.0%} of {name} (from base {cut + 1})"
        if not self.train:
            raise ConfigError(
                f"{self.path}: every record is held out for validation ({self.holdout_desc}); "
                "none is left for training",
                hint="hold out fewer records with --holdout",
            )
        longest = max(len(s) for _, s in self.train)
        if longest == 0:
            raise InputError(
                f"{self.path}: the training records hold no sequence (every record is empty)",
                hint="check the file; pretraining needs real sequence",
            )
        self.train = [(n, s) for n, s in self.train if len(s) >= self.window]
        if not self.train:
            raise InputError(
                f"{self.path}: no record is longer than the window ({self.window} bp) after the "
                f"hold-out (the longest training record has {longest:,} bp)",
                hint="use a smaller --max-len or a larger genome",
            )
        n_code = ord("N")
        if not any(np.count_nonzero(s != n_code) >= self.window for _, s in self.train):
            raise InputError(
                f"{self.path}: no {self.window} bp window of A/C/G/T bases (the sequence is all or "
                "mostly N)",
                hint="check the file; pretraining needs real sequence",
            )
        if holdout and not self.validation(1):  # asked for, yet the run would validate on nothing
            longest = max((len(s) for _, s in self.valid), default=0)
            raise ConfigError(
                f"{self.path}: the hold-out record(s) {', '.join(holdout)} hold no validation "
                f"window: none has a {self.window:,} bp stretch with at most "
                f"{self.max_n_fraction:.0%} N (the longest held-out record has {longest:,} bp)",
                hint="hold out a longer record with --holdout (or none: the last chromosome is "
                "then held out), or use a smaller --max-len",
            )
        lengths = np.array([len(s) - self.window + 1 for _, s in self.train], dtype=np.float64)
        self._weights = lengths / lengths.sum()
        self.n_bases = int(sum(len(s) for _, s in records))

    def _read(self) -> list[tuple[str, np.ndarray]]:
        records: list[tuple[str, np.ndarray]] = []
        name, chunks = None, []
        # 'replace': a Latin-1 byte in a '>' description is only shown (Genome and
        # fasta_records read it so); in a sequence line it is refused, as Genome refuses it
        with open_text(self.path, newline=None, errors="replace") as fh:
            for lineno, line in enumerate(fh, start=1):
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
                    if "\ufffd" in line:
                        raise InputError(
                            f"{self.path}, line {lineno}: a sequence line holds a byte that is "
                            "not UTF-8 text (not a base)",
                            hint="fix or remove that line; if the file is in another encoding, "
                            f"convert it first: {convert_command(Path(self.path).name, 'cp1252')}",
                        )
                    chunks.append(line.strip())
                elif line.strip():
                    raise InputError(
                        f"{self.path}: line {lineno} comes before any FASTA header",
                        hint="a FASTA file starts with '>name'" + _not_gzip_note(self.path),
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
