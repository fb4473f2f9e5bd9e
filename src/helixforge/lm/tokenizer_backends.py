"""The tokenizers-library backends behind each tokenizer spec (see `helixforge.lm.tokenizers`),
and the input check that keeps characters a tokenizer would turn into [UNK] out of the model
(`sequence_check`: such rows go to the errors table instead)."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from helixforge.core.errors import ConfigError, HelixError, RowErrors
from helixforge.lm.tokenizers import (
    _IUPAC_AMBIGUOUS,
    CLS,
    SEP,
    SMILES_BASE_VOCAB,
    SMILES_REGEX,
    SPECIAL_TOKENS,
    TokenizerSpec,
)

if TYPE_CHECKING:
    import pandas as pd

# What the DNA normalizer maps onto the vocabulary: ACGTN, U (→ T), IUPAC ambiguity codes (→ N).
DNA_ALPHABET = frozenset("ACGTNU" + _IUPAC_AMBIGUOUS)
_BASES = frozenset("ACGTU")


def _offending(seq: str, is_bad: Callable[[str], bool], limit: int = 5) -> str:
    """ "'>' at position 1, ' ' at position 5" (first position of each bad character, 1-based)."""
    seen: dict[str, int] = {}
    for i, c in enumerate(seq, 1):
        if c not in seen and is_bad(c):
            seen[c] = i
    shown = ", ".join(f"{c!r} at position {i}" for c, i in list(seen.items())[:limit])
    return shown + (f" (+{len(seen) - limit} more)" if len(seen) > limit else "")


@dataclass(frozen=True)
class SequenceCheck:
    """The alphabet check of one checkpoint's tokenizer (`kind`: "dna" or "smiles"); `k`: the
    k-mer length of a dna-kmer tokenizer (1 otherwise)."""

    kind: str
    tokenizer: str
    k: int = 1

    def problem(self, seq: str) -> str | None:
        """Why `seq` must not reach the model, or None when it is fine."""
        if self.kind == "dna":
            upper = seq.upper()  # soft-masked lower case is fine
            if not DNA_ALPHABET.issuperset(upper):
                bad = _offending(upper, lambda c: c not in DNA_ALPHABET)
                return (
                    f"character(s) outside the DNA alphabet of the {self.tokenizer} tokenizer "
                    f"(ACGTN, U, IUPAC {_IUPAC_AMBIGUOUS}): {bad}"
                )
        elif self.kind == "smiles" and any(c.isspace() for c in seq):
            return f"whitespace inside a SMILES: {_offending(seq, str.isspace)}"
        return None

    def row_problem(self, seq: str) -> str | None:
        """`problem`, and for DNA a sequence the tokenizer can only read as [UNK]: shorter than
        one k-mer of a dna-kmer tokenizer, or no A/C/G/T/U base at all (all N / ambiguity
        codes). Each gave the same embedding, score and prediction as any other such row (the
        model's answer to nothing), as if it were a result."""
        why = self.problem(seq)
        if why or self.kind != "dna":
            return why
        if len(seq) < self.k:
            return (
                f"{len(seq)} base(s), shorter than one {self.k}-mer of the {self.tokenizer}:"
                f"{self.k} tokenizer: it has no token but [UNK]"
            )
        if not _BASES.intersection(seq.upper()):
            return "no A, C, G or T base (all N or ambiguity codes): nothing for the model to read"
        return None

    def filter(self, frame: pd.DataFrame, col: str, errors: RowErrors) -> pd.DataFrame:
        """Rows of `frame` (index = file line) whose stripped `col` passes `row_problem`; the
        others go to `errors` with their line, column, value and the reason."""
        bad = []
        for line, value in frame[col].items():
            why = self.row_problem(str(value).strip())
            if why:
                errors.add(int(line), col, value, why)
                bad.append(line)
        return frame.drop(index=bad) if bad else frame


def sequence_check(model_path: str | os.PathLike | None) -> SequenceCheck | None:
    """The input check for a checkpoint (or a run directory) whose tokenizer HelixForge built
    (its helixforge_tokenizer.json records the kind; without it, tokenizer.json is
    recognised, `tokenizers.read_spec`): DNA → alphabet check, SMILES → no
    whitespace. None for other tokenizers (published checkpoints keep their own handling) and
    for paths that do not resolve (loading the model reports those)."""
    from helixforge.lm.models import resolve_model_dir

    if model_path is None:
        return None
    from helixforge.lm.tokenizers import read_spec

    try:
        spec = read_spec(resolve_model_dir(str(model_path).removeprefix("lm:")))
    except (HelixError, OSError, ValueError, AttributeError):
        return None
    return spec_check(spec)


def spec_check(spec: TokenizerSpec | None) -> SequenceCheck | None:
    """The alphabet check of a tokenizer spec (DNA / SMILES tokenizers HelixForge builds)."""
    kind = getattr(spec, "kind", None)
    family = kind.split("-")[0] if isinstance(kind, str) else ""
    k = int(getattr(spec, "k", 1) or 1) if kind == "dna-kmer" else 1
    return SequenceCheck(family, kind, k) if family in ("dna", "smiles") else None


def clean_api_sequences(
    sequences, check: SequenceCheck | None, name: str = "sequences"
) -> list[str]:
    """The Python API's form of the CLI's row checks, for functions that return one result per
    input and so cannot skip a row: `sequences` normalised (`lm.inputs.as_sequences`: a single
    string is one sequence, None / non-text items are named), outer whitespace stripped as the
    table readers do, and the first sequence `check` refuses (a character the tokenizer would
    read as [UNK]) an `InputError` naming `name[i]`."""
    from helixforge.core.errors import InputError
    from helixforge.lm.inputs import as_sequences

    seqs = [s.strip() for s in as_sequences(sequences, name)]
    for i, s in enumerate(seqs):
        if not s:
            raise InputError(f"{name}[{i}] is empty", hint="drop empty sequences first")
    if check is not None:
        for i, s in enumerate(seqs):
            why = check.row_problem(s)
            if why:
                raise InputError(
                    f"{name}[{i}]: {why}",
                    hint="fix or drop this sequence (a '>' line is a FASTA header: read FASTA "
                    "files with dna.io.read_fasta); the command-line verbs send such rows to "
                    "the errors table",
                )
    return seqs


def _corpus_texts(corpus: Iterable) -> Iterable[str]:
    """The corpus as text, read lazily (a corpus may stream a genome): bytes decoded, a missing
    or non-text item an InputError naming corpus[i] (the trainer raised a bare TypeError)."""
    from helixforge.lm.inputs import as_sequence

    for i, item in enumerate(corpus):
        yield item if type(item) is str else as_sequence(item, f"corpus[{i}]")


def dna_normalizer():
    from tokenizers import Regex, normalizers

    # Upper-case (drops soft-masking), U→T, ambiguity codes → N; see the module docstring.
    return normalizers.Sequence(
        [
            *[normalizers.Replace(c, c.upper()) for c in "acgtn" + _IUPAC_AMBIGUOUS.lower() + "u"],
            normalizers.Replace("U", "T"),
            normalizers.Replace(Regex(f"[{_IUPAC_AMBIGUOUS}]"), "N"),
        ]
    )


def _post_processor():
    from tokenizers import processors

    return processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", CLS), ("[SEP]", SEP)],
    )


def _word_level(vocab_tokens: Iterable[str]):
    from tokenizers import Tokenizer, models

    vocab = {t: i for i, t in enumerate(SPECIAL_TOKENS)}
    for t in vocab_tokens:
        vocab.setdefault(t, len(vocab))
    return Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))


def build_backend(spec: TokenizerSpec, corpus: Iterable[str] | None):
    """A tokenizers.Tokenizer for `spec`, trained on `corpus` where the spec needs one."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers

    if spec.kind == "dna-char":
        tok = _word_level("ACGTN")
        tok.normalizer = dna_normalizer()
        tok.pre_tokenizer = pre_tokenizers.Split(Regex("."), behavior="isolated")
        tok.decoder = decoders.Fuse()
    elif spec.kind == "dna-kmer" and spec.overlap:
        kmers = ["".join(p) for p in itertools.product("ACGT", repeat=spec.k)]
        tok = _word_level(kmers)
        tok.normalizer = dna_normalizer()
        tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    elif spec.kind == "dna-kmer":
        kmers = [
            "".join(p) for n in range(spec.k, 0, -1) for p in itertools.product("ACGT", repeat=n)
        ]
        tok = _word_level(kmers)
        tok.normalizer = dna_normalizer()
        tok.pre_tokenizer = pre_tokenizers.Split(Regex(f".{{1,{spec.k}}}"), behavior="isolated")
        tok.decoder = decoders.Fuse()
    elif spec.kind == "smiles-atom":
        pre = pre_tokenizers.Split(Regex(SMILES_REGEX), behavior="isolated")
        if corpus is not None:
            tok = Tokenizer(models.WordLevel(unk_token="[UNK]"))
            tok.pre_tokenizer = pre
            trainer = trainers.WordLevelTrainer(special_tokens=SPECIAL_TOKENS, min_frequency=1)
            tok.train_from_iterator(_corpus_texts(corpus), trainer=trainer)
            known = tok.get_vocab()
            # Keep the common base tokens too, so rare atoms absent from a small corpus still map.
            vocab = sorted(known, key=known.get) + [t for t in SMILES_BASE_VOCAB if t not in known]
            tok = _word_level(vocab[len(SPECIAL_TOKENS) :])
        else:
            tok = _word_level(SMILES_BASE_VOCAB)
        tok.pre_tokenizer = pre
        tok.decoder = decoders.Fuse()
    elif spec.kind in {"dna-bpe", "smiles-bpe"}:
        if corpus is None:
            raise ConfigError(
                f"tokenizer {spec} is trained on a corpus; none was given",
                hint="pass --corpus FILE",
            )
        tok = Tokenizer(models.BPE(unk_token="[UNK]"))
        alphabet = list("ACGTN") if spec.kind == "dna-bpe" else []
        if spec.kind == "dna-bpe":
            tok.normalizer = dna_normalizer()
        trainer = trainers.BpeTrainer(
            vocab_size=spec.vocab_size,
            special_tokens=SPECIAL_TOKENS,
            initial_alphabet=alphabet,
            show_progress=False,
        )
        tok.train_from_iterator(_corpus_texts(corpus), trainer=trainer)
        tok.decoder = decoders.Fuse()
    else:  # pragma: no cover - parse_spec guards this
        raise ConfigError(f"cannot build tokenizer {spec}")
    tok.post_processor = _post_processor()
    return tok
