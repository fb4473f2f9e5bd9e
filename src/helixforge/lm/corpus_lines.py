"""Pretraining corpus of lines: `LineCorpus`, SMILES or text streamed from a file.

.smi/.csv/.tsv(.gz) SMILES or plain text, one sequence per line, streamed
(a 1.6 M-line MOSES file is never loaded whole). Every `valid_every`-th sequence line is held
out for validation (blank lines, a header and refused lines are not counted); training lines
pass through a shuffle buffer; the stream loops over the file.
The state (lines read) is saved with checkpoints, so `--resume` continues where it stopped.
SMILES enumeration (`enumerate_smiles=True`) replaces half of the training SMILES by a random
non-canonical SMILES of the same molecule (RDKit `doRandom`).
"""

from __future__ import annotations

import csv
import os
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from helixforge.core.errors import EmptyInputError
from helixforge.core.io import open_text


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
        check: Callable[[str], str | None] | None = None,
    ):
        self.path = Path(path)
        # `check(value)`: why a line is not a sequence for the tokenizer, or None. Such lines
        # are neither trained nor validated on; `rejected` maps their line number to
        # (value, reason) (complete after `rejected_lines`).
        self.check = check
        self.rejected: dict[int, tuple[str, str]] = {}
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
                f"{self.path}: only {n_lines} sequence line(s); training a tokenizer or a model needs many",
                hint="one sequence per line; use a larger corpus",
            )

    def _inspect(self) -> tuple[int, str | None, bool]:
        name = self.path.name.lower()
        with open_text(self.path, newline=None) as fh:
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
        if len(header) > 1:  # a table whose header names no SMILES column: which one is it?
            from helixforge.core.errors import ConfigError

            raise ConfigError(
                f"{self.path}: the first line ({', '.join(repr(h) for h in header[:6])}) names "
                "no SMILES column (smiles, canonical_smiles, smi, sequence)",
                hint="pass --input-col NAME for a header line, or give one SMILES per line "
                "(.smi) without a header",
            )
        return 0, delim, False  # one column, no header we recognise: the first line is data

    def _lines(self) -> Iterator[tuple[int, str]]:
        """(line number, sequence) for every data line of one pass."""
        with open_text(self.path, newline=None) as fh:
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
                    if self._col_index >= len(parts):  # was dropped without a word
                        self.rejected.setdefault(
                            i,
                            (line[:200], f"{len(parts)} field(s); the sequence column is "
                             f"field {self._col_index + 1}"),
                        )  # fmt: skip
                        continue
                    value = parts[self._col_index].strip()
                    if not value:
                        self.rejected.setdefault(i, ("", "empty value in the sequence column"))
                        continue
                if value and self.check is not None:
                    why = self.check(value)
                    if why:
                        self.rejected.setdefault(i, (value, why))
                        continue
                if value:
                    yield i, value

    def _split_lines(self) -> Iterator[tuple[bool, str]]:
        """(held out?, sequence) for every data line of one pass: every `valid_every`-th
        sequence is held out, counted over the sequences themselves, so blank lines, a header
        or refused lines never decide the hold-out (on a corpus with a blank line after every
        sequence, the held-out line numbers were all blank: no validation at all)."""
        for k, (_, value) in enumerate(self._lines(), start=1):
            yield k % self.valid_every == 0, value

    def _train_stream(self) -> Iterator[str | None]:
        passes = 0
        while True:
            n = 0
            for held_out, value in self._split_lines():
                if not held_out:
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
        for held_out, value in self._split_lines():
            if held_out:
                out.append(value)
                if len(out) >= n:
                    break
        return out

    def training_sample(self, n: int) -> list[str]:
        out = []
        for held_out, value in self._split_lines():
            if not held_out:
                out.append(value)
                if len(out) >= n:
                    break
        return out

    def rejected_lines(self) -> dict[int, tuple[str, str]]:
        """Every line `check` refuses, and every table line without a value in the sequence
        column (line number → (value, reason)), from one pass."""
        for _ in self._lines():
            pass
        return dict(sorted(self.rejected.items()))

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
        return f"{what} lines from {self.path.name}; validation = every {self.valid_every}th sequence line (held out)"


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
