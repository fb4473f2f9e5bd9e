"""Tokenizers for DNA and SMILES, saved in Hugging Face format (tokenizer.json).

Specs (the `--tokenizer` option of `helix lm pretrain` and `build_tokenizer`):

    dna-char                 one token per base: A C G T N
    dna-kmer:K               overlapping K-mers (K = 3..6), DNABERT-1 style
    dna-kmer:K:nonoverlap    non-overlapping K-mers; a shorter tail chunk keeps every base
    dna-bpe:V                byte-pair encoding with vocabulary V, trained on the corpus
    smiles-atom              atom-level SMILES regex (Schwaller et al. 2019); vocabulary from the
                             corpus when one is given, else a built-in list of common tokens
    smiles-bpe:V             BPE over SMILES characters, trained on the corpus
    a directory              a saved tokenizer (ours, or a published one with tokenizer.json)

Unknown-character policy for DNA (applied by the tokenizer's own normalizer, so it also holds
when the tokenizer is loaded with plain `AutoTokenizer`):

* lowercase (soft-masked repeats) is upper-cased: soft-masking is dropped;
* U is read as T;
* IUPAC ambiguity codes (R Y S W K M B D H V) become N;
* `dna-char` has an N token; a K-mer containing N becomes [UNK]; BPE keeps N as a symbol;
* any other character becomes [UNK] in the tokenizer (`tokenize_ids` and the saved tokenizer
  never raise); `SequenceTokenizer.encode` (one sequence from a user) refuses such a character.

Every tokenizer has the special tokens [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4 and wraps a
sequence as `[CLS] … [SEP]` (the decoder uses [CLS] as begin- and [SEP] as end-of-sequence).

Overlapping K-mers cannot be expressed inside tokenizer.json, so, as in DNABERT-1, that
tokenizer expects space-separated K-mers; `SequenceTokenizer` does that conversion (it is
recorded in helixforge_tokenizer.json next to tokenizer.json). Every other spec tokenizes raw
sequences with `AutoTokenizer` alone.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from helixforge.core.errors import ConfigError, InputError

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
PAD, UNK, CLS, SEP, MASK = range(5)
SPEC_FILE = "helixforge_tokenizer.json"

# Schwaller et al., "Molecular Transformer" (ACS Cent. Sci. 2019): bracket atoms, two-letter
# organic-subset halogens, aromatic atoms, bonds, branches, ring closures (incl. %nn).
SMILES_REGEX = r"(\[[^\]]+]|Br?|Cl?|N|O|S|P|F|I|b|c|n|o|s|p|\(|\)|\.|=|#|-|\+|\\|\/|:|~|@|\?|>|\*|\$|\%[0-9]{2}|[0-9])"
_SMILES_RE = re.compile(SMILES_REGEX)

# Tokens seen in drug-like SMILES, for an atom-level vocabulary when no corpus is given.
SMILES_BASE_VOCAB = [
    "C", "c", "N", "n", "O", "o", "S", "s", "P", "p", "F", "Cl", "Br", "I", "B", "b",
    "(", ")", "=", "#", "-", "+", "\\", "/", ":", "~", "@", "?", ">", "*", "$", ".",
    *[str(i) for i in range(10)], *[f"%{i}" for i in range(10, 30)],
    "[nH]", "[NH+]", "[NH2+]", "[NH3+]", "[N+]", "[N-]", "[n+]", "[n-]", "[O-]", "[OH-]", "[S+]",
    "[S-]", "[s+]", "[C@H]", "[C@@H]", "[C@]", "[C@@]", "[CH]", "[CH2]", "[C-]", "[c-]", "[Si]",
    "[Se]", "[se]", "[P+]", "[B-]", "[2H]", "[13C]", "[Na+]", "[K+]", "[Li+]", "[Cl-]", "[Br-]",
    "[I-]", "[Ca+2]", "[Mg+2]", "[Zn+2]", "[Fe]", "[Pt]", "[Cu]", "[H]", "[NH]", "[N@+]", "[S@]",
    "[S@@]", "[P@]", "[Sn]", "[As]", "[Al]", "[Hg]", "[Co]", "[Ni]", "[Gd]", "[Au]", "[Ag]",
]  # fmt: skip

_IUPAC_AMBIGUOUS = "RYSWKMBDHV"


@dataclass
class TokenizerSpec:
    """What a spec string means: family, K, overlap, vocabulary size."""

    kind: str  # dna-char | dna-kmer | dna-bpe | smiles-atom | smiles-bpe | external
    k: int = 1
    overlap: bool = False
    vocab_size: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def needs_corpus(self) -> bool:
        return self.kind in {"dna-bpe", "smiles-bpe"}

    @property
    def alphabet(self) -> str:
        return (
            "dna"
            if self.kind.startswith("dna")
            else "smiles"
            if self.kind.startswith("smiles")
            else "text"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "k": self.k,
            "overlap": self.overlap,
            "vocab_size": self.vocab_size,
            **self.extra,
        }

    def __str__(self) -> str:
        if self.kind == "dna-kmer":
            return f"dna-kmer:{self.k}" + ("" if self.overlap else ":nonoverlap")
        if self.kind.endswith("bpe"):
            return f"{self.kind}:{self.vocab_size}"
        return self.kind


MIN_VOCAB, MAX_VOCAB = 16, 1_000_000  # BPE vocabulary sizes a spec may ask for


def parse_spec(spec: str) -> TokenizerSpec:
    """Parse 'dna-kmer:6', 'dna-kmer:4:nonoverlap', 'dna-bpe:4096', 'smiles-atom', …"""
    parts = spec.strip().lower().split(":")
    kind = parts[0]
    try:
        if kind == "dna-char" and len(parts) == 1:
            return TokenizerSpec("dna-char")
        if kind == "dna-kmer" and len(parts) in (2, 3):
            k = int(parts[1])
            if not 3 <= k <= 6:
                raise ConfigError(
                    f"tokenizer {spec!r}: K must be 3..6 (got {k})",
                    hint="use dna-kmer:6 for DNABERT-style 6-mers",
                )
            if len(parts) == 3 and parts[2] not in {"nonoverlap", "overlap"}:
                raise ValueError(parts[2])
            return TokenizerSpec("dna-kmer", k=k, overlap=len(parts) == 2 or parts[2] == "overlap")
        if kind in {"dna-bpe", "smiles-bpe"} and len(parts) <= 2:
            vocab = int(parts[1]) if len(parts) == 2 else (4096 if kind == "dna-bpe" else 1000)
            if not MIN_VOCAB <= vocab <= MAX_VOCAB:
                # tokenizers' BPE trainer aborts the process (a Rust panic, exit 134) on a
                # size past 32 bits; a million is far beyond any sequence vocabulary
                raise ConfigError(
                    f"tokenizer {spec!r}: vocabulary size {vocab:,} is too "
                    f"{'small' if vocab < MIN_VOCAB else 'large'}",
                    hint=f"use {MIN_VOCAB:,} to {MAX_VOCAB:,} (4096 is usual for DNA, 1000 for SMILES)",
                )
            return TokenizerSpec(kind, vocab_size=vocab)
        if kind == "smiles-atom" and len(parts) == 1:
            return TokenizerSpec("smiles-atom")
    except ValueError:
        pass
    raise ConfigError(
        f"unknown tokenizer spec {spec!r}",
        hint="use dna-char, dna-kmer:K[:nonoverlap] (K=3..6), dna-bpe:V, smiles-atom, smiles-bpe:V, or a tokenizer directory",
    )


class SequenceTokenizer:
    """A Hugging Face fast tokenizer plus the one conversion tokenizer.json cannot express
    (overlapping K-mers). Use `encode` / `decode`; `hf` is the plain transformers tokenizer."""

    def __init__(self, hf, spec: TokenizerSpec):
        self.hf = hf
        self.spec = spec
        self._affix_cache: tuple[list[int], list[int]] | None = None

    # ids of special tokens; published tokenizers may name them differently
    @property
    def pad_id(self) -> int:
        return self.hf.pad_token_id if self.hf.pad_token_id is not None else 0

    @property
    def mask_id(self) -> int | None:
        return self.hf.mask_token_id

    @property
    def vocab_size(self) -> int:
        return len(self.hf)

    def __len__(self) -> int:
        return len(self.hf)

    def preprocess(self, seq: str) -> str:
        """The text the HF tokenizer expects for `seq` (space-separated K-mers for overlapping K-mers)."""
        if self.spec.kind == "dna-kmer" and self.spec.overlap:
            s = normalize_dna(seq)
            k = self.spec.k
            return " ".join(s[i : i + k] for i in range(max(len(s) - k + 1, 1))) if s else ""
        return seq

    def tokenize_ids(
        self, seqs: Sequence[str], add_special_tokens: bool = False
    ) -> list[list[int]]:
        """Token ids per sequence, no truncation (long inputs are windowed by the caller).
        One string is one sequence; None or a non-text item is an InputError naming it.
        Characters outside the alphabet become [UNK] here (callers check rows first)."""
        from helixforge.lm.inputs import as_sequences

        texts = [self.preprocess(s) for s in as_sequences(seqs, "seqs")]
        if not texts:
            return []
        enc = self.hf(texts, add_special_tokens=add_special_tokens, truncation=False, verbose=False)
        return [list(x) for x in enc["input_ids"]]

    def encode(self, seq: str, add_special_tokens: bool = True) -> list[int]:
        """Token ids of one sequence (a list of sequences is `tokenize_ids`). A character this
        DNA / SMILES tokenizer would read as [UNK] (a space, a '>' header, a digit in DNA) is an
        `InputError` naming it; `self.hf` keeps the tokenizer's own [UNK] policy."""
        from helixforge.core.errors import InputError
        from helixforge.lm.inputs import as_sequence
        from helixforge.lm.tokenizer_backends import spec_check

        if isinstance(seq, list | tuple):
            raise InputError(
                f"encode() takes one sequence, got a {type(seq).__name__} of {len(seq)}",
                hint="use tokenize_ids(list_of_sequences) for several",
            )
        seq = as_sequence(seq, "seq")
        check = spec_check(getattr(self, "spec", None))
        why = check.problem(seq) if check is not None else None
        if why:  # it became [UNK] tokens without a word
            raise InputError(
                f"seq: {why}",
                hint="pass the sequence alone (no spaces, line breaks or '>name' lines; "
                "dna.io.read_fasta reads FASTA text)",
            )
        return self.tokenize_ids([seq], add_special_tokens)[0]

    def decode(self, ids: Sequence[int]) -> str:
        """Back to a sequence (special tokens dropped). `ids` is a list (tuple, 1-D array) of
        token ids of this tokenizer; anything else is an `InputError` naming it."""
        ids = self._check_ids(ids)
        if self.spec.kind == "dna-kmer" and self.spec.overlap:
            toks = [
                t for t in self.hf.convert_ids_to_tokens(ids) if t not in self.hf.all_special_tokens
            ]
            if not toks:
                return ""
            return toks[0] + "".join(t[-1] for t in toks[1:])
        return self.hf.decode(ids, skip_special_tokens=True, clean_up_tokenization_spaces=False)

    def _check_ids(self, ids: Any) -> list[int]:
        """`ids` as a list of int token ids in 0 … vocab_size − 1; None, a string, a 2-D array,
        a non-integer or an id outside the vocabulary is an `InputError` (raw TypeErrors or a
        silent '' before)."""
        import numpy as np

        from helixforge.core.errors import InputError

        if ids is None or isinstance(ids, str | bytes | bytearray | Mapping):
            raise InputError(
                f"ids is {'None' if ids is None else type(ids).__name__ + ' ' + repr(ids)[:40]}, "
                "not a list of token ids",
                hint="pass what encode() returned (a list of ints); encode() takes a sequence",
            )
        if getattr(ids, "ndim", 1) != 1:
            raise InputError(
                f"ids is an array of shape {tuple(np.shape(ids))}; decode() takes one 1-D list",
                hint="decode each row: [tok.decode(row) for row in ids]",
            )
        try:
            items = list(ids.tolist() if hasattr(ids, "tolist") else ids)
        except TypeError:
            raise InputError(
                f"ids is {type(ids).__name__} ({repr(ids)[:40]}), not a list of token ids",
                hint="pass what encode() returned (a list of ints)",
            ) from None
        n = len(self.hf)
        for i, v in enumerate(items):
            if isinstance(v, bool) or not isinstance(v, int | np.integer):
                raise InputError(
                    f"ids[{i}] is {type(v).__name__} ({repr(v)[:40]}), not a token id (an int)"
                )
            if not 0 <= v < n:
                raise InputError(f"ids[{i}] = {v} is not a token of this tokenizer (ids 0…{n - 1})")
        return [int(v) for v in items]

    def affixes(self) -> tuple[list[int], list[int]]:
        """(ids before, ids after) a sequence, e.g. ([CLS], [SEP]); ([BOS], []) for some decoders.

        Found once by encoding a probe with and without special tokens; copies are returned so
        callers cannot change the cached value."""
        if getattr(self, "_affix_cache", None) is None:
            text = self.preprocess("CCOACGTACGT")
            plain = self.hf(text, add_special_tokens=False)["input_ids"]
            full = self.hf(text, add_special_tokens=True)["input_ids"]
            prefix, suffix = [], []
            for i in range(len(full) - len(plain) + 1):
                if full[i : i + len(plain)] == plain:
                    prefix, suffix = full[:i], full[i + len(plain) :]
                    break
            self._affix_cache = (list(prefix), list(suffix))
        prefix, suffix = self._affix_cache
        return list(prefix), list(suffix)

    @property
    def overlap_radius(self) -> int:
        """How many tokens on each side share bases with a token: K − 1 for overlapping K-mers
        (their neighbours together spell the token out), 0 otherwise. Masked-LM training and
        pseudo-log-likelihood mask this neighbourhood too, or the task becomes copying."""
        spec = getattr(self, "spec", None)
        if spec is not None and spec.kind == "dna-kmer" and spec.overlap:
            return int(spec.k) - 1
        return 0

    def with_specials(self, ids: Sequence[int]) -> list[int]:
        """Add the tokenizer's own begin/end tokens around `ids`."""
        prefix, suffix = self.affixes()
        return prefix + list(ids) + suffix

    @property
    def n_special(self) -> int:
        """How many special tokens wrap one sequence ([CLS] … [SEP] = 2)."""
        return len(self.with_specials([]))

    def special_mask(self, ids: Sequence[int]) -> list[int]:
        special = set(self.hf.all_special_ids)
        return [1 if i in special else 0 for i in ids]

    def save(self, path: str | os.PathLike) -> Path:
        """Write tokenizer.json + tokenizer_config.json (+ helixforge_tokenizer.json)."""
        p = Path(path)
        p.mkdir(parents=True, exist_ok=True)
        self.hf.save_pretrained(str(p))
        (p / SPEC_FILE).write_text(
            json.dumps(self.spec.to_dict(), indent=2) + "\n", encoding="utf-8"
        )
        return p

    @classmethod
    def load(cls, path: str | os.PathLike, trust_remote_code: bool = False) -> SequenceTokenizer:
        """Load from a directory (ours or a published checkpoint's); never downloads."""
        p = Path(path)
        if not p.is_dir():
            raise InputError(
                f"{p}: tokenizer directory not found", hint="pass a directory with tokenizer.json"
            )
        _check_tokenizer_files(p)
        from transformers import AutoTokenizer

        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            hf = AutoTokenizer.from_pretrained(
                str(p), local_files_only=True, trust_remote_code=trust_remote_code
            )
        except Exception as exc:  # noqa: BLE001 - tokenizers raises plain Exception on bad JSON
            raise InputError(
                f"{p}: no usable tokenizer; tokenizer.json / tokenizer_config.json may be "
                f"truncated or corrupt ({type(exc).__name__}: {exc})",
                hint="the directory needs tokenizer.json (or the files of a slow tokenizer); "
                "published models with custom code need --trust-remote-code",
            ) from exc
        spec = read_spec(p) or _detect_kmer_vocab(hf) or TokenizerSpec("external")
        if spec.kind != "external":
            _restore_special_tokens(hf)
        return cls(hf, spec)


def read_spec(path: str | os.PathLike) -> TokenizerSpec | None:
    """The spec of a tokenizer directory HelixForge built: from its helixforge_tokenizer.json,
    or, when only the Hugging Face files were copied (tokenizer.json without it), recognised
    from tokenizer.json itself (our specials, post-processor, DNA normalizer, pre-tokenizer).
    None for other tokenizers, so a copied DNA tokenizer keeps its alphabet check."""
    p = Path(path)
    spec_file = p / SPEC_FILE
    if spec_file.exists():
        try:
            raw = json.loads(spec_file.read_text(encoding="utf-8"))
            if not isinstance(raw, dict):
                raise ValueError("not a JSON object")
        except ValueError as exc:
            raise InputError(f"{spec_file}: corrupt or truncated ({exc})", hint=_REBUILD) from None
        known = {k: raw.pop(k) for k in ("kind", "k", "overlap", "vocab_size") if k in raw}
        return TokenizerSpec(**known, extra=raw)
    try:
        tj = json.loads((p / "tokenizer.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return _recognise_own(tj) if isinstance(tj, dict) else None


def _recognise_own(tj: dict[str, Any]) -> TokenizerSpec | None:
    """Which of our specs wrote this tokenizer.json (see tokenizer_backends.build_backend), or
    None when it is not one of ours."""
    model = tj.get("model") or {}
    vocab = model.get("vocab")
    if isinstance(vocab, dict):
        first = sorted(vocab, key=lambda t: vocab[t] if isinstance(vocab[t], int) else 1 << 62)
    else:
        return None
    post = tj.get("post_processor") or {}
    if first[: len(SPECIAL_TOKENS)] != SPECIAL_TOKENS or post.get("type") != "TemplateProcessing":
        return None
    kind, pre = model.get("type"), tj.get("pre_tokenizer") or {}
    pattern = (pre.get("pattern") or {}).get("Regex") if pre.get("type") == "Split" else None
    words = first[len(SPECIAL_TOKENS) :]
    extra = {"recognised": "from tokenizer.json (helixforge_tokenizer.json was missing)"}
    if tj.get("normalizer") == _dna_normalizer_json():
        if kind == "BPE":
            return TokenizerSpec("dna-bpe", vocab_size=len(vocab), extra=extra)
        if kind != "WordLevel":
            return None
        if pattern == ".":
            return TokenizerSpec("dna-char", extra=extra)
        m = re.fullmatch(r"\.\{1,([3-6])\}", pattern or "")
        if m:
            return TokenizerSpec("dna-kmer", k=int(m.group(1)), overlap=False, extra=extra)
        lengths = {len(w) for w in words}
        if pre.get("type") == "WhitespaceSplit" and len(lengths) == 1 and 3 <= min(lengths) <= 6:
            return TokenizerSpec("dna-kmer", k=lengths.pop(), overlap=True, extra=extra)
        return None
    if tj.get("normalizer") is None and kind == "WordLevel" and pattern == SMILES_REGEX:
        return TokenizerSpec("smiles-atom", extra=extra)
    return None


def _dna_normalizer_json() -> Any:
    """Our DNA normalizer as tokenizer.json stores it."""
    from tokenizers import Tokenizer, models

    from helixforge.lm.tokenizer_backends import dna_normalizer

    tok = Tokenizer(models.WordLevel(vocab={"[UNK]": 0}, unk_token="[UNK]"))
    tok.normalizer = dna_normalizer()
    return json.loads(tok.to_str())["normalizer"]


def _restore_special_tokens(hf) -> None:
    """Name our special tokens when tokenizer_config.json was not copied (transformers then
    knows no [MASK] / [PAD]); they are in the vocabulary of every tokenizer we build."""
    names = dict(zip(("pad", "unk", "cls", "sep", "mask"), SPECIAL_TOKENS, strict=True))
    names |= {"bos": "[CLS]", "eos": "[SEP]"}
    for role, token in names.items():
        if getattr(hf, f"{role}_token", None) is None:
            setattr(hf, f"{role}_token", token)


_REBUILD = (
    "re-copy the directory, or rebuild the tokenizer: helix lm tokenizer train SPEC "
    "--corpus FILE -o DIR --overwrite (a checkpoint's tokenizer cannot be swapped: re-copy it)"
)


def _check_tokenizer_files(p: Path) -> None:
    """Name what is missing before transformers does (its message lists conversion routes and
    says nothing of the folder): an empty folder, or ours without its tokenizer.json. A
    published folder without tokenizer.json (slow-tokenizer files, remote code) is left to
    transformers."""
    if (p / "tokenizer.json").is_file():
        return
    names = sorted(f.name for f in p.iterdir())
    if not names:
        raise InputError(
            f"{p}: an empty directory, not a tokenizer",
            hint="pass a directory written by `helix lm tokenizer train` (or a checkpoint), or "
            "a spec such as dna-char",
        )
    if (p / SPEC_FILE).exists():  # ours: always saved with tokenizer.json
        raise InputError(
            f"{p}: tokenizer.json is missing (present: {', '.join(names[:8])})",
            hint=_REBUILD,
        )


def _detect_kmer_vocab(hf) -> TokenizerSpec | None:
    """A published DNABERT-1-style tokenizer (vocabulary = all 4^K K-mers, K = 3..6) expects
    space-separated overlapping K-mers; recognise it so raw sequences just work."""
    special = set(hf.all_special_tokens)
    words = [t for t in hf.get_vocab() if t not in special]
    for k in range(3, 7):
        kmers = {t.upper() for t in words if len(t) == k and set(t.upper()) <= set("ACGT")}
        if len(kmers) == 4**k and len(kmers) >= 0.95 * len(words):
            return TokenizerSpec("dna-kmer", k=k, overlap=True, extra={"detected": True})
    return None


def normalize_dna(seq: str) -> str:
    """Python twin of the DNA normalizer: upper-case, U→T, IUPAC ambiguity codes → N."""
    s = seq.upper().replace("U", "T")
    return s.translate(str.maketrans(_IUPAC_AMBIGUOUS, "N" * len(_IUPAC_AMBIGUOUS)))


def split_smiles(smiles: str) -> list[str]:
    """Atom-level SMILES tokens (regex of Schwaller et al.)."""
    return _SMILES_RE.findall(smiles)


def build_tokenizer(
    spec: str | TokenizerSpec, corpus: Iterable[str] | None = None, max_len: int | None = None
) -> SequenceTokenizer:
    """Build a tokenizer from a spec; BPE and corpus-vocabulary specs train on `corpus` (strings)."""
    from transformers import PreTrainedTokenizerFast

    if not isinstance(spec, str | TokenizerSpec):
        raise ConfigError(
            f"tokenizer spec must be a string such as 'dna-char', got {spec!r}",
            hint="use dna-char, dna-kmer:K[:nonoverlap] (K=3..6), dna-bpe:V, smiles-atom, "
            "smiles-bpe:V",
        )
    sp = parse_spec(spec) if isinstance(spec, str) else spec
    if isinstance(corpus, str | bytes):  # one text is one sequence, not one per character
        from helixforge.lm.inputs import as_sequences

        corpus = as_sequences(corpus, "corpus")
    if sp.kind == "dna-kmer" and sp.overlap and corpus is not None:
        corpus = None  # fixed vocabulary
    from helixforge.lm.tokenizer_backends import build_backend

    backend = build_backend(sp, corpus)
    hf = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        pad_token="[PAD]",
        unk_token="[UNK]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        bos_token="[CLS]",
        eos_token="[SEP]",
        model_max_length=max_len or 1_000_000,
    )
    return SequenceTokenizer(hf, sp)


def get_tokenizer(
    spec_or_path: str | os.PathLike, corpus: Iterable[str] | None = None
) -> SequenceTokenizer:
    """A saved tokenizer directory, or a new one built from a spec string."""
    p = Path(spec_or_path)
    if p.is_dir():
        return SequenceTokenizer.load(p)
    return build_tokenizer(str(spec_or_path), corpus)


def train_tokenizer(
    spec: str,
    corpus: str | os.PathLike | None,
    out: str | os.PathLike,
    *,
    max_sequences: int = 20000,
    seed: int = 0,
) -> SequenceTokenizer:
    """Build (and train, for BPE / corpus vocabularies) a tokenizer and save it to `out`.

    `corpus` is a FASTA(.gz), .smi/.csv(.gz) or text file; at most `max_sequences` sequences
    (genome windows of 1,000 bp) are read from it.
    """
    from helixforge.core.io import check_not_input

    check_not_input(out, [corpus])  # a folder holding the corpus would be replaced with it
    sp = parse_spec(spec)
    texts = None
    if corpus is not None:
        from helixforge.lm.corpus import (
            corpus_kind,
            fasta_text_sample,
            require_dna_text,
            require_smiles_text,
            sample_sequences,
        )

        if sp.alphabet == "dna" and corpus_kind(corpus) == "fasta":  # a protein FASTA, say
            require_dna_text(fasta_text_sample(corpus), corpus, str(sp))
        texts = sample_sequences(corpus, max_sequences, window=1000, seed=seed)
        if sp.alphabet == "dna":
            require_dna_text(texts, corpus, str(sp))
        elif sp.alphabet == "smiles":
            require_smiles_text(texts, corpus, str(sp))
    elif sp.needs_corpus:
        raise ConfigError(
            f"tokenizer {spec} is trained on a corpus; none was given", hint="pass --corpus FILE"
        )
    tok = build_tokenizer(sp, texts)
    from helixforge.core.io import staging_dir

    # built beside `out` and swapped in whole: a killed save (or a failed --overwrite) never
    # leaves a half-written tokenizer, or new files mixed with an old one's, under `out`
    with staging_dir(out, keep_on_error=False) as stage:
        tok.save(stage)
    return tok
