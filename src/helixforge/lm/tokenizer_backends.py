"""The tokenizers-library backends behind each tokenizer spec (see `helixforge.lm.tokenizers`)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from helixforge.core.errors import ConfigError
from helixforge.lm.tokenizers import (
    _IUPAC_AMBIGUOUS,
    CLS,
    SEP,
    SMILES_BASE_VOCAB,
    SMILES_REGEX,
    SPECIAL_TOKENS,
    TokenizerSpec,
)


def _dna_normalizer():
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
        tok.normalizer = _dna_normalizer()
        tok.pre_tokenizer = pre_tokenizers.Split(Regex("."), behavior="isolated")
        tok.decoder = decoders.Fuse()
    elif spec.kind == "dna-kmer" and spec.overlap:
        kmers = ["".join(p) for p in itertools.product("ACGT", repeat=spec.k)]
        tok = _word_level(kmers)
        tok.normalizer = _dna_normalizer()
        tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    elif spec.kind == "dna-kmer":
        kmers = [
            "".join(p) for n in range(spec.k, 0, -1) for p in itertools.product("ACGT", repeat=n)
        ]
        tok = _word_level(kmers)
        tok.normalizer = _dna_normalizer()
        tok.pre_tokenizer = pre_tokenizers.Split(Regex(f".{{1,{spec.k}}}"), behavior="isolated")
        tok.decoder = decoders.Fuse()
    elif spec.kind == "smiles-atom":
        pre = pre_tokenizers.Split(Regex(SMILES_REGEX), behavior="isolated")
        if corpus is not None:
            tok = Tokenizer(models.WordLevel(unk_token="[UNK]"))
            tok.pre_tokenizer = pre
            trainer = trainers.WordLevelTrainer(special_tokens=SPECIAL_TOKENS, min_frequency=1)
            tok.train_from_iterator(corpus, trainer=trainer)
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
            tok.normalizer = _dna_normalizer()
        trainer = trainers.BpeTrainer(
            vocab_size=spec.vocab_size,
            special_tokens=SPECIAL_TOKENS,
            initial_alphabet=alphabet,
            show_progress=False,
        )
        tok.train_from_iterator(corpus, trainer=trainer)
        tok.decoder = decoders.Fuse()
    else:  # pragma: no cover - parse_spec guards this
        raise ConfigError(f"cannot build tokenizer {spec}")
    tok.post_processor = _post_processor()
    return tok
