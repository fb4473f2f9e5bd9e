"""The Prior: a chemical language model that samples SMILES and scores their likelihood.

API (shared with scoring, RL, GA and `helix chem design`; keep it stable)::

    prior = Prior.load()                     # the shipped MOSES prior (package weights)
    prior = Prior.load("run/prior")          # a saved prior directory
    smiles, ll = prior.sample(1000, seed=0)  # raw decoded SMILES (may be invalid), ll: (n,)
    smiles, ll = agent.sample(64, generator=g, grad=True)   # ll carries autograd
    ll = prior.log_likelihood(["CCO", "c1ccccc1"])          # (n,), autograd on
    agent = prior.clone()                    # independent parameters, same vocabulary
    prior.save("out/prior")                  # config.json, model.safetensors, vocab.json, manifest
    test_prior = tiny_prior(seed=0)          # small random model for tests

Attributes: `model` (torch.nn.Module), `vocab` (= `tokenizer`, a `Vocabulary`), `config`
(dict: cell, embedding_dim, hidden_size, num_layers, dropout, max_len, vocab kind).

Semantics:

* `sample` draws token by token from softmax(logits / temperature) until the end token or
  `max_len` tokens (a sequence cut at `max_len` is returned as is, usually invalid). The
  returned log-likelihood is always the model's own (temperature 1) log-probability of the
  sampled tokens including the end token, so `log_likelihood(smiles)` of a SMILES sample
  equals it (up to float rounding). With `grad=True` it is recomputed with autograd by one
  teacher-forced pass (REINVENT's agent update); otherwise it is detached.
  Determinism: the same `seed` (or a generator in the same state) gives the same samples.
* `sample(..., constrained=True)` masks, at every step, the tokens that would make the SMILES
  syntactically impossible (`sampling.SmilesSyntax`: a ")" without an open branch, the end
  token inside a branch or with a ring label open, a ring label after "(" or ")", a ring bond
  to its own atom or its chain neighbour, anything that no longer fits into `max_len`) and
  renormalises over the rest. Its log-likelihood is then that of the masked policy
  (temperature 1): `log_likelihood(smiles, constrained=True, max_len=...)` gives the same
  number, and raises InputError for a SMILES the mask would never produce. The default stays
  unconstrained (RL, training validity and GA seeding use the plain model). SELFIES priors
  ignore it (always valid).
* `log_likelihood` sums log p(token | prefix) over [tokens, end]. A SMILES that cannot be
  spelled with the vocabulary (unknown token, characters outside SMILES) raises `InputError`
  naming it — never -inf, which would poison a loss; filter first with `prior.can_encode`.
* SELFIES priors (config vocab kind "selfies") sample SELFIES and return the decoded SMILES;
  their `log_likelihood` encodes SMILES with `selfies.encoder` (that spelling may differ from
  the sampled one, so the sampled ll and log_likelihood of the decoded SMILES can differ).

Architecture: a token-level LSTM (REINVENT's prior family) rather than the lm layer's HF
GPT decoder: a recurrent step costs O(1) per token with a tiny state, so sampling thousands
of sequences on a CPU core is fast, and at the parameter budget that trains in ~40 CPU-minutes
it reaches higher validity (see docs/generate.md for the measurement).

Files are data only: safetensors weights + JSON; `manifest.json` records each file's sha256
and `load` refuses a file whose hash does not match (InputError naming it). An optional
`novelty.safetensors` (Bloom filter of the canonical training SMILES, `prior.novelty`) lets
`helix chem generate` report novelty without the training corpus.
"""

from __future__ import annotations

import copy
import hashlib
import json
import numbers
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from helixforge.chem.generate.vocab import BOS, EOS, PAD, SPECIALS, Vocabulary
from helixforge.core.errors import ConfigError, DataUnavailableError, InputError

FORMAT = "helixforge-prior"  # core.artifacts.identify_artifact recognises a prior by it
_PRIOR_HINT = "pass a prior: a run of `helix chem train-prior` / `finetune-prior`"
FORMAT_VERSION = 1
FILES = ("config.json", "model.safetensors", "vocab.json")
NOVELTY_FILE = "novelty.safetensors"  # optional: Bloom filter of the training set
DEFAULT_CONFIG: dict[str, Any] = {
    "cell": "lstm",
    "embedding_dim": 128,
    "hidden_size": 256,
    "num_layers": 3,
    "dropout": 0.0,
    "max_len": 128,
}
_CHUNK = 1024  # sampling/scoring batch; fixed so that seeded sampling is reproducible
# The most sequences one `Prior.sample` call returns (the `--n` limit of `helix chem generate`
# and of the GA's start_size). `sample` returns every SMILES and log-likelihood in memory
# (~100-200 bytes a molecule without grad: ~2 GB at this limit, far more with grad=True), so
# a larger n is refused up front instead of allocating until the process dies.
MAX_SAMPLES = 10_000_000


class CharRNN(nn.Module):
    """Embedding → LSTM/GRU stack → linear head over the vocabulary."""

    def __init__(self, vocab_size: int, cfg: dict[str, Any]):
        super().__init__()
        cell = {"lstm": nn.LSTM, "gru": nn.GRU}.get(cfg["cell"])
        if cell is None:
            raise ConfigError(f"unknown prior cell {cfg['cell']!r}", hint="use lstm or gru")
        self.embedding = nn.Embedding(vocab_size, cfg["embedding_dim"], padding_idx=PAD)
        self.rnn = cell(
            cfg["embedding_dim"],
            cfg["hidden_size"],
            cfg["num_layers"],
            batch_first=True,
            dropout=cfg["dropout"] if cfg["num_layers"] > 1 else 0.0,
        )
        self.head = nn.Linear(cfg["hidden_size"], vocab_size)

    def forward(self, ids: torch.Tensor, state=None):
        """ids (B, T) → logits (B, T, V), new state."""
        out, state = self.rnn(self.embedding(ids), state)
        return self.head(out), state


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def never_start_or_pad(logits: torch.Tensor) -> torch.Tensor:
    """Logits with PAD and BOS impossible (the model only ever emits tokens or EOS)."""
    mask = torch.zeros(logits.shape[-1], device=logits.device, dtype=logits.dtype)
    mask[PAD] = mask[BOS] = float("-inf")
    return logits + mask


def default_prior_path() -> Path:
    """Directory of the shipped MOSES prior inside the package."""
    from importlib.resources import files

    return Path(str(files("helixforge.chem.generate").joinpath("weights", "prior_moses")))


class Prior:
    """A trained (or random) chemical language model with its vocabulary; see module doc."""

    def __init__(self, model: CharRNN, vocab: Vocabulary, config: dict[str, Any], device="cpu"):
        self.model = model
        self.novelty = None  # NoveltyReference of the training set, when shipped
        self.vocab = vocab
        self.config = dict(config)
        self.device = torch.device(device)
        self.model.to(self.device)

    # -- construction -------------------------------------------------------------------
    @classmethod
    def from_config(
        cls,
        vocab: Vocabulary,
        config: dict[str, Any] | None = None,
        *,
        seed: int = 0,
        device="cpu",
    ) -> Prior:
        """A randomly initialised prior (seeded) for `vocab` with `config` over the defaults."""
        cfg = {**DEFAULT_CONFIG, **(config or {})}
        # Extra keys are metadata (str / dict: "trained", "finetuned", ...); a number is a typo.
        unknown = {k for k in set(cfg) - set(DEFAULT_CONFIG) if not isinstance(cfg[k], str | dict)}
        if unknown:
            raise ConfigError(f"unknown prior config keys: {', '.join(sorted(unknown))}")
        for key in ("embedding_dim", "hidden_size", "num_layers", "max_len"):
            if not isinstance(cfg[key], int) or cfg[key] < 1:
                raise ConfigError(
                    f"prior config {key} must be a positive integer, not {cfg[key]!r}"
                )
        cfg["vocab_kind"] = vocab.kind
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = CharRNN(len(vocab), cfg)
        return cls(model, vocab, cfg, device)

    @classmethod
    def load(cls, path: str | os.PathLike | None = None, device="cpu") -> Prior:
        """Load a saved prior directory; None → the shipped default prior (package weights).
        Missing or altered files (sha256 against manifest.json) raise InputError naming them."""
        from safetensors.torch import load_file

        if path is None:
            d = default_prior_path()
            if not (d / "manifest.json").is_file():
                raise DataUnavailableError(
                    "the default prior is not installed in this build of HelixForge",
                    hint="train one with `helix chem train-prior` and pass it with --model",
                )
        else:
            d = Path(path)
            if not (d / "manifest.json").exists() and (d / "prior" / "manifest.json").exists():
                d = d / "prior"  # a train-prior / finetune-prior run directory
        if d.is_dir() and all((d / f).is_file() for f in FILES):
            if not (d / "manifest.json").exists():  # a prior copied file by file
                raise InputError(
                    f"{d}: holds a prior's files ({', '.join(FILES)}) but no manifest.json, "
                    "which lists their checksums",
                    hint="copy the whole prior directory again (manifest.json included)",
                )
        if d.exists() and not (d / "manifest.json").is_file():  # a model run, a checkpoint …
            from helixforge.core.artifacts import refuse_foreign

            # a chem run passes through: the check below says where it belongs in a design
            refuse_foreign(d, "a prior", _PRIOR_HINT, domain="chem")
        if not d.is_dir():
            raise InputError(f"{d}: prior directory not found", hint="pass a saved prior directory")
        if not (d / "manifest.json").exists() and (d / "config.json").exists():
            raise InputError(
                f"{d}: a run directory of another command (no manifest.json; a chem run "
                "(`helix chem train`) is a property model), not a prior",
                hint="pass a prior: a run of `helix chem train-prior` / `finetune-prior`, or "
                "leave the option out for the shipped prior (a `helix chem train` run is a "
                "scoring model: use it with `helix chem predict`, or in a design file as "
                '[[component]] type = "model")',
            )
        if not (d / "manifest.json").is_file():
            raise InputError(f"{d}: not a prior (no manifest.json)", hint=_PRIOR_HINT)
        try:
            manifest = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(f"{d / 'manifest.json'}: damaged ({exc})", hint=_PRIOR_HINT) from None
        if not isinstance(manifest, dict) or not isinstance(manifest.get("files", {}), dict):
            raise InputError(f"{d / 'manifest.json'}: damaged (not a prior manifest)")
        if manifest.get("format") != FORMAT:  # e.g. a model run's model/ folder
            from helixforge.core.artifacts import refuse_foreign

            refuse_foreign(d, "a prior", _PRIOR_HINT)
            raise InputError(
                f"{d}: not a HelixForge prior (manifest format {manifest.get('format')!r})"
            )
        optional = [n for n in manifest.get("files", {}) if n == NOVELTY_FILE]
        for name in (*FILES, *optional):
            f = d / name
            if not f.is_file():
                raise InputError(f"{f}: missing from the prior directory")
            if _sha256(f) != manifest.get("files", {}).get(name):
                raise InputError(
                    f"{f}: sha256 does not match manifest.json (file corrupted or edited)",
                    hint="re-copy or re-train the prior",
                )
        try:
            config = json.loads((d / "config.json").read_text(encoding="utf-8"))
            vocab = Vocabulary.from_dict(json.loads((d / "vocab.json").read_text(encoding="utf-8")))
            prior = cls.from_config(vocab, config, device="cpu")
            state = {k: v.float() for k, v in load_file(str(d / "model.safetensors")).items()}
            prior.model.load_state_dict(state)
        except (json.JSONDecodeError, RuntimeError, KeyError, ValueError) as exc:
            raise InputError(f"{d}: prior files are inconsistent ({exc})") from None
        if optional:
            from helixforge.chem.generate.novelty import NoveltyReference

            prior.novelty = NoveltyReference.load(d / NOVELTY_FILE)
        prior.model.to(torch.device(device))
        prior.device = torch.device(device)
        prior.model.eval()
        return prior

    def save(self, path: str | os.PathLike, *, dtype: str = "float32") -> None:
        """Write the prior directory atomically; `dtype="float16"` halves the weight file
        (it is read back as float32)."""
        from safetensors.torch import save_file

        from helixforge.core.io import staging_dir

        if dtype not in ("float32", "float16"):
            raise ConfigError(f"save dtype must be float32 or float16, not {dtype!r}")
        cast = torch.float16 if dtype == "float16" else torch.float32
        state = {
            k: v.detach().to("cpu", cast).contiguous() for k, v in self.model.state_dict().items()
        }
        config = {**self.config, "weights_dtype": dtype}
        with staging_dir(path, keep_on_error=False) as stage:
            save_file(state, str(stage / "model.safetensors"))
            (stage / "config.json").write_text(json.dumps(config, indent=1, sort_keys=True))
            (stage / "vocab.json").write_text(json.dumps(self.vocab.to_dict(), indent=0))
            names = list(FILES)
            if self.novelty is not None:
                self.novelty.save(stage / NOVELTY_FILE)
                names.append(NOVELTY_FILE)
            manifest = {
                "format": FORMAT,
                "version": FORMAT_VERSION,
                "files": {n: _sha256(stage / n) for n in names},
            }
            (stage / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True))

    def weights_sha256(self) -> str:
        """sha256 of the parameters (names and float32 values, sorted by name)."""
        import hashlib

        h = hashlib.sha256()
        for k, v in sorted(self.model.state_dict().items()):
            h.update(k.encode())
            h.update(v.detach().to("cpu", torch.float32).contiguous().numpy().tobytes())
        return h.hexdigest()

    def clone(self) -> Prior:
        """An agent initialised from this prior: same vocabulary, independent parameters."""
        other = Prior(
            copy.deepcopy(self.model), self.vocab, copy.deepcopy(self.config), self.device
        )
        other.novelty = self.novelty
        return other

    # -- properties ---------------------------------------------------------------------
    @property
    def tokenizer(self) -> Vocabulary:
        return self.vocab

    @property
    def max_len(self) -> int:
        return int(self.config.get("max_len", 128))

    def can_encode(self, smiles: str) -> bool:
        """True when `smiles` can be spelled with this prior's vocabulary."""
        return self.vocab.can_encode(smiles)

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.model.parameters())

    # -- likelihood ---------------------------------------------------------------------
    def _syntax(self):
        """The SMILES syntax masker of this vocabulary (None for SELFIES: always valid)."""
        from helixforge.chem.generate.sampling import SmilesSyntax

        if self.vocab.kind != "smiles":
            return None
        return SmilesSyntax(self.vocab.tokens, self.device)

    def _syntax_mask(self, targets: torch.Tensor, max_len: int, offset: int = 0) -> torch.Tensor:
        """(B, T, V) bool: the tokens constrained sampling allows at every position of the
        target rows; InputError naming a row whose own tokens it would not allow."""
        syntax = self._syntax()
        n, width = targets.shape
        lengths = (targets != PAD).sum(1)
        if syntax is None:
            return torch.ones(n, width, len(self.vocab), dtype=torch.bool, device=self.device)
        too_long = (lengths > max_len).nonzero().flatten().tolist()
        if too_long:
            i = too_long[0]
            raise InputError(
                f"smiles[{offset + i}]: {int(lengths[i]) - 1} tokens do not fit max_len {max_len}"
                " (with the end token) of constrained sampling",
                hint="pass the max_len the molecules were sampled with",
            )
        state = syntax.start(n, max(max_len, width))
        state["max_len"] = max_len
        ended = torch.zeros(n, dtype=torch.bool, device=self.device)
        masks = []
        for t in range(width):
            tok = targets[:, t]
            active = ~ended & (tok != PAD)
            masks.append(syntax.allowed(state) | ~active[:, None])
            syntax.update(state, tok, active)
            ended |= tok == EOS
        mask = torch.stack(masks, 1)
        refused = (~mask.gather(2, targets.unsqueeze(2)).squeeze(2)).any(1)
        if bool(refused.any()):
            i = int(refused.nonzero()[0])
            raise InputError(
                f"smiles[{offset + i}]: {self.vocab.decode(targets[i].tolist())!r} cannot be "
                "produced by constrained sampling (unbalanced branch, unclosed or misplaced ring "
                "label, or a token outside SMILES syntax)",
                hint="score it with constrained=False",
            )
        return mask

    def _ll_ids(
        self, targets: torch.Tensor, constrained_len: int | None = None, offset: int = 0
    ) -> torch.Tensor:
        """Sum of log p over non-PAD targets (B, T); inputs are BOS + targets[:, :-1].
        With `constrained_len` (a max_len): log p of the syntax-masked, renormalised model."""
        bos = torch.full((targets.shape[0], 1), BOS, dtype=torch.long, device=targets.device)
        inputs = torch.cat([bos, targets[:, :-1]], dim=1)
        logits, _ = self.model(inputs)
        logits = never_start_or_pad(logits)
        if constrained_len is not None:
            mask = self._syntax_mask(targets, constrained_len, offset)
            logits = logits.masked_fill(~mask, float("-inf"))
        logp = torch.log_softmax(logits, dim=-1).gather(2, targets.unsqueeze(2)).squeeze(2)
        return torch.where(targets != PAD, logp, torch.zeros_like(logp)).sum(dim=1)

    def encode_batch(self, smiles: Sequence[str]) -> torch.Tensor:
        """Padded target ids (B, T) = tokens + EOS (no BOS); InputError naming a bad SMILES."""
        rows = []
        for i, s in enumerate(smiles):
            try:
                rows.append(self.vocab.encode(s)[1:])
            except InputError as exc:
                raise InputError(f"smiles[{i}]: {exc.message}", hint=exc.hint) from None
        width = max((len(r) for r in rows), default=1)
        out = torch.full((len(rows), width), PAD, dtype=torch.long)
        for i, r in enumerate(rows):
            out[i, : len(r)] = torch.tensor(r, dtype=torch.long)
        return out.to(self.device)

    def log_likelihood(
        self, smiles: Sequence[str], *, constrained: bool = False, max_len: int = 128
    ) -> torch.Tensor:
        """Log-likelihood (n,) of each SMILES under the model, with autograd; an
        unencodable SMILES raises InputError (see `can_encode`). `constrained=True` scores
        under the syntax-masked policy that `sample(constrained=True, max_len=max_len)`
        draws from (InputError for a SMILES that policy cannot produce)."""
        from helixforge.chem.inputs import smiles_list

        smiles = smiles_list(smiles, "Prior.log_likelihood")
        if not smiles:
            return torch.zeros(0, device=self.device)
        targets = self.encode_batch(smiles)
        limit = max_len if constrained else None
        parts = [
            self._ll_ids(targets[i : i + _CHUNK], limit, i) for i in range(0, len(smiles), _CHUNK)
        ]
        return torch.cat(parts)

    # -- sampling -----------------------------------------------------------------------
    @torch.no_grad()
    def _sample_ids(
        self, n: int, generator, temperature: float, max_len: int, constrained: bool = False
    ):
        ids = torch.full((n, max_len), PAD, dtype=torch.long, device=self.device)
        ll = torch.zeros(n, device=self.device)
        done = torch.zeros(n, dtype=torch.bool, device=self.device)
        x = torch.full((n, 1), BOS, dtype=torch.long, device=self.device)
        state = None
        syntax = self._syntax() if constrained else None
        grammar = syntax.start(n, max_len) if syntax is not None else None
        for t in range(max_len):
            logits, state = self.model(x, state)
            logits = never_start_or_pad(logits[:, -1, :])
            if syntax is not None:  # finished rows: any token (it is replaced by PAD)
                allowed = syntax.allowed(grammar) | done[:, None]
                logits = logits.masked_fill(~allowed, float("-inf"))
            logp = torch.log_softmax(logits, dim=-1)
            probs = (
                torch.softmax(logits / temperature, dim=-1) if temperature != 1.0 else logp.exp()
            )
            tok = torch.multinomial(probs, 1, generator=generator).squeeze(1)
            tok = torch.where(done, torch.full_like(tok, PAD), tok)
            ll += torch.where(done, torch.zeros_like(ll), logp.gather(1, tok[:, None]).squeeze(1))
            ids[:, t] = tok
            if syntax is not None:
                syntax.update(grammar, tok, ~done)
            done |= tok == EOS
            if bool(done.all()):
                self._ended = done
                return ids[:, : t + 1], ll
            x = tok[:, None]
        self._ended = done  # False: cut at max_len before its end token
        return ids, ll

    def sample(
        self,
        n: int,
        *,
        seed: int | None = None,
        generator: torch.Generator | None = None,
        temperature: float = 1.0,
        max_len: int = 128,
        grad: bool = False,
        constrained: bool = False,
        ended: list[bool] | None = None,
    ) -> tuple[list[str], torch.Tensor]:
        """Sample `n` sequences → (decoded SMILES, log-likelihoods (n,)); see module doc.
        `constrained=True`: syntax-aware sampling (`sampling.SmilesSyntax`), and the returned
        log-likelihood is that of the masked policy (`log_likelihood(..., constrained=True)`).
        `ended`: a list that receives, per sequence, whether it reached its end token within
        `max_len` (False: cut there; its decoded prefix may still parse as a molecule)."""
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0:
            raise ConfigError(f"n must be a non-negative integer, not {n!r}")
        n = int(n)  # a NumPy integer (len of an array, np.int64(3)) is one
        if n > MAX_SAMPLES:
            raise ConfigError(
                f"n={n:,} is more than Prior.sample returns in one call ({MAX_SAMPLES:,}): "
                "every sampled SMILES and its log-likelihood are held in memory (~2 GB at "
                "the limit), so a larger n would exhaust memory",
                hint=f"sample in calls of at most {MAX_SAMPLES:,} and write each one out",
            )
        if not (isinstance(temperature, int | float) and 0.05 <= float(temperature) <= 10.0):
            raise ConfigError(f"temperature must be in [0.05, 10], not {temperature!r}")
        if isinstance(max_len, bool) or not isinstance(max_len, int) or not 1 <= max_len <= 1000:
            raise ConfigError(f"max_len must be an integer in [1, 1000], not {max_len!r}")
        if seed is not None and generator is not None:
            raise ConfigError("pass seed or generator, not both")
        if seed is not None and (
            isinstance(seed, bool)
            or not isinstance(seed, numbers.Integral)
            or not -(2**63) <= seed < 2**64
        ):
            raise ConfigError(f"seed must be an integer (64-bit), not {seed!r}", hint="e.g. seed=0")
        if seed is not None:
            generator = torch.Generator(device=self.device)
            generator.manual_seed(int(seed))
        was_training = self.model.training
        self.model.eval()
        smiles: list[str] = []
        lls: list[torch.Tensor] = []
        try:
            for start in range(0, n, _CHUNK):
                m = min(_CHUNK, n - start)
                ids, ll = self._sample_ids(
                    m, generator, float(temperature), max_len, bool(constrained)
                )
                smiles.extend(self.vocab.decode(row) for row in ids.tolist())
                if ended is not None:
                    ended.extend(bool(e) for e in self._ended.tolist())
                if grad:
                    self.model.train(was_training)
                    limit = max_len if constrained and self.vocab.kind == "smiles" else None
                    ll = self._ll_ids(ids, limit, start)
                    self.model.eval()
                lls.append(ll)
        finally:
            self.model.train(was_training)
        if not lls:
            return [], torch.zeros(0, device=self.device)
        return smiles, torch.cat(lls)


# Tokens of common drug-like SMILES, for tiny test priors.
_TINY_TOKENS = [
    "#", "(", ")", "-", "1", "2", "3", "4", "=", "Br", "C", "Cl", "F", "N", "O", "S",
    "[C@@H]", "[C@H]", "[nH]", "c", "n", "o", "s",
]  # fmt: skip


def tiny_prior(seed: int = 0, kind: str = "smiles") -> Prior:
    """A small randomly initialised prior (1-layer LSTM, 32 units) for tests; SELFIES with
    `kind="selfies"` (a small SELFIES alphabet)."""
    if kind == "selfies":
        tokens = ["[C]", "[c]", "[N]", "[O]", "[=C]", "[=O]", "[Ring1]", "[Branch1]", "[F]"]
    else:
        tokens = list(_TINY_TOKENS)
    vocab = Vocabulary(SPECIALS + sorted(tokens), kind)
    cfg = {"embedding_dim": 16, "hidden_size": 32, "num_layers": 1, "max_len": 64}
    return Prior.from_config(vocab, cfg, seed=seed)
