"""Token vocabulary of a chemical language model: SMILES (atom level) or SELFIES.

    vocab = Vocabulary.build(["CCO", "c1ccccc1"], kind="smiles")
    ids = vocab.encode("CCO")            # [BOS, C, C, O, EOS]
    vocab.decode(ids) == "CCO"

SMILES are split with the atom-level regex of the lm layer (`lm.tokenizers.split_smiles`,
Schwaller et al. 2019): bracket atoms, Cl/Br, ring closures and bonds are one token each, so
joining tokens and splitting again gives the same tokens (the log-likelihood of a decoded
sample is the log-probability it was sampled with). SELFIES are split with
`selfies.split_selfies`; decoding a SELFIES sample gives a SMILES with `selfies.decoder`.

Special tokens: 0 = `<pad>`, 1 = `^` (begin), 2 = `$` (end). A string with a token outside
the vocabulary cannot be encoded: `encode` raises `InputError`, `can_encode` says False.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from helixforge.core.errors import ConfigError, InputError

PAD, BOS, EOS = 0, 1, 2
SPECIALS = ["<pad>", "^", "$"]
KINDS = ("smiles", "selfies")


def split_tokens(text: str, kind: str) -> list[str]:
    """Tokens of one SMILES or SELFIES string; a SMILES with characters the regex does not
    cover raises InputError (they would be silently dropped otherwise)."""
    if kind == "smiles":
        from helixforge.lm.tokenizers import split_smiles

        toks = split_smiles(text)
        if sum(len(t) for t in toks) != len(text):
            raise InputError(f"SMILES {text!r}: has characters outside the SMILES alphabet")
        return toks
    if kind == "selfies":
        import selfies as sf

        try:
            return list(sf.split_selfies(text))
        except Exception as exc:  # noqa: BLE001 - selfies raises its own error types
            raise InputError(f"SELFIES {text!r}: cannot be split ({exc})") from None
    raise ConfigError(f"unknown vocabulary kind {kind!r}", hint=f"use one of {', '.join(KINDS)}")


def smiles_to_sequence(smiles: str, kind: str) -> str:
    """The model's string for a SMILES: itself, or its SELFIES encoding."""
    if kind == "smiles":
        return smiles
    import selfies as sf

    try:
        out = sf.encoder(smiles)
    except Exception as exc:  # noqa: BLE001 - selfies.EncoderError and RDKit-free parse errors
        raise InputError(f"SMILES {smiles!r}: cannot be encoded as SELFIES ({exc})") from None
    if out is None:
        raise InputError(f"SMILES {smiles!r}: cannot be encoded as SELFIES")
    return out


@dataclass
class Vocabulary:
    """Token list (specials first) and the kind of string it spells (smiles | selfies)."""

    tokens: list[str]
    kind: str = "smiles"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ConfigError(f"unknown vocabulary kind {self.kind!r}", hint="smiles or selfies")
        if self.tokens[:3] != SPECIALS:
            raise InputError(f"vocabulary must start with the special tokens {SPECIALS}")
        if len(set(self.tokens)) != len(self.tokens):
            raise InputError("vocabulary has duplicate tokens")
        self.index = {t: i for i, t in enumerate(self.tokens)}

    def __len__(self) -> int:
        return len(self.tokens)

    @classmethod
    def build(cls, texts: Iterable[str], kind: str = "smiles", min_count: int = 1) -> Vocabulary:
        """Vocabulary of every token seen `min_count` times in `texts` (SMILES strings;
        SMILES are encoded to SELFIES first when kind is selfies), sorted for stable ids."""
        from helixforge.chem.inputs import smiles_list

        counts: Counter[str] = Counter()
        for t in smiles_list(texts, "Vocabulary.build", "texts", any_order=True):
            counts.update(split_tokens(smiles_to_sequence(t, kind), kind))
        return cls.from_counts(counts, kind, min_count)

    @classmethod
    def from_counts(cls, counts: Counter[str], kind: str, min_count: int = 1) -> Vocabulary:
        toks = sorted(t for t, c in counts.items() if c >= min_count)
        return cls(SPECIALS + toks, kind)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "tokens": self.tokens}

    @classmethod
    def from_dict(cls, d: dict) -> Vocabulary:
        try:
            return cls(list(d["tokens"]), str(d.get("kind", "smiles")))
        except (KeyError, TypeError) as exc:
            raise InputError(f"vocabulary is malformed ({exc})") from None

    def tokenize(self, smiles: str) -> list[str]:
        """Tokens of a SMILES (its SELFIES tokens for a SELFIES vocabulary)."""
        if not isinstance(smiles, str) or not smiles:
            raise InputError(f"expected a non-empty SMILES string, got {smiles!r}")
        return split_tokens(smiles_to_sequence(smiles, self.kind), self.kind)

    def encode(self, smiles: str) -> list[int]:
        """[BOS] + token ids + [EOS]; InputError naming the first unknown token."""
        toks = self.tokenize(smiles)
        bad = [t for t in toks if t not in self.index]
        if bad:
            raise InputError(
                f"SMILES {smiles!r}: token {bad[0]!r} is not in the prior's vocabulary",
                hint="the prior can only score molecules spelled with tokens it was trained on",
            )
        return [BOS] + [self.index[t] for t in toks] + [EOS]

    def can_encode(self, smiles: str) -> bool:
        try:
            self.encode(smiles)
        except InputError:
            return False
        return True

    def decode(self, ids: Sequence[int]) -> str:
        """SMILES of a token-id sequence (stops at EOS, skips BOS/PAD; SELFIES is decoded)."""
        out = []
        for i in ids:
            i = int(i)
            if i == EOS:
                break
            if i in (PAD, BOS):
                continue
            out.append(self.tokens[i])
        text = "".join(out)
        if self.kind == "selfies":
            import selfies as sf

            try:
                return sf.decoder(text) or ""
            except Exception:  # noqa: BLE001 - a malformed sample decodes to nothing
                return ""
        return text
