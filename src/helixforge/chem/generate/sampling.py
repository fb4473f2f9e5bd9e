"""Sample molecules from a prior into a table: `helix chem generate`.

    summary = generate_molecules(None, 10_000, "gen.csv", seed=0)   # None → shipped prior
    summary["validity"], summary["uniqueness"], summary["novelty"]

Columns written: smiles (raw decoded sample), valid (RDKit parses it), canonical_smiles
(RDKit canonical, empty when invalid), unique (first occurrence of its canonical SMILES),
novel (not in the prior's training set; empty when the prior ships no novelty reference),
log_likelihood (the prior's log-probability of the sample).

Validity = valid / n; uniqueness = distinct canonical / valid; novelty = distinct canonical
not in the training set / distinct canonical (the MOSES definitions).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch


def canonicalize(smiles: Sequence[str]) -> list[str | None]:
    """RDKit canonical SMILES, None for an empty or unparsable string (or a missing value)."""
    from rdkit import Chem, RDLogger

    from helixforge.chem.inputs import smiles_list
    from helixforge.chem.standardize import plain_mol

    RDLogger.DisableLog("rdApp.*")
    out: list[str | None] = []
    for s in smiles_list(smiles, "canonicalize"):
        mol = plain_mol(s) if isinstance(s, str) and s else None
        out.append(Chem.MolToSmiles(mol) if mol is not None and mol.GetNumAtoms() else None)
    return out


def summarize_samples(canon: Sequence[str | None], novel_flags=None) -> dict[str, Any]:
    """Validity, uniqueness and (with per-sample novel flags) novelty of canonical samples."""
    from helixforge.chem.inputs import smiles_list

    canon = smiles_list(canon, "summarize_samples", "canon")
    n = len(canon)
    valid = [c for c in canon if c is not None]
    distinct = set(valid)
    out: dict[str, Any] = {
        "n": n,
        "valid": len(valid),
        "unique": len(distinct),
        "validity": len(valid) / n if n else float("nan"),
        "uniqueness": len(distinct) / len(valid) if valid else float("nan"),
        "novelty": None,
    }
    if novel_flags is not None:
        novel = {c for c, f in zip(canon, novel_flags, strict=True) if c is not None and f}
        out["novel"] = len(novel)
        out["novelty"] = len(novel) / len(distinct) if distinct else float("nan")
    return out


CHUNK = 100_000  # samples per checkpoint of `generate_molecules` (one chunk: no checkpoint)


def chunk_seed(seed: int, i: int) -> int:
    """The sampling seed of chunk `i` of a run seeded `seed`: `seed` itself for the first
    chunk (a run of up to CHUNK samples is one plain `Prior.sample(n, seed=seed)` call), a
    hash of both after it (so chunks never share a random stream)."""
    if i == 0:
        return seed
    import hashlib

    return int(hashlib.sha256(f"helix-generate:{seed}:{i}".encode()).hexdigest()[:15], 16)


def generate_molecules(
    model: str | os.PathLike | None,
    n: int,
    out: str | os.PathLike,
    *,
    seed: int = 0,
    temperature: float = 1.0,
    max_len: int = 128,
    constrained: bool = False,
    overwrite: bool = False,
    resume: bool = False,
    device: str = "cpu",
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Sample `n` SMILES from the prior at `model` (None: shipped) and write the table `out`;
    `constrained`: syntax-aware sampling (`SmilesSyntax`; log_likelihood is then that of the
    masked policy).

    Samples are drawn in chunks of `CHUNK` (chunk i seeded `chunk_seed(seed, i)`), each kept
    in the staging folder beside `out` when done: after an interruption `resume=True` samples
    only the chunks left (the prior, n, seed and sampling options must match: the resume key)
    and writes the same bytes as an uninterrupted run. Uniqueness and novelty are computed
    over the whole run at the end."""
    import pandas as pd

    from helixforge.chem.generate.prior import Prior
    from helixforge.chem.inputs import check_paths
    from helixforge.core.io import atomic_file, check_output, staging_path
    from helixforge.core.options import require_float, require_int
    from helixforge.core.supervised import prepare_resume_stage
    from helixforge.core.tables import write_table

    check_paths("generate_molecules", optional=("model",), model=model, out=out)
    from helixforge.chem.generate.prior import MAX_SAMPLES

    require_int(n, "--n", min_value=1, max_value=MAX_SAMPLES)
    require_float(temperature, "--temperature", low=0.05, high=10.0)
    require_int(max_len, "--max-len", min_value=1, max_value=1000)
    check_output(out, overwrite=overwrite, kind="table", inputs=[model])
    prior = Prior.load(model, device=device)
    log = log or (lambda _m: None)
    n_chunks = -(-n // CHUNK)
    stage = None
    if n_chunks > 1:
        key = {
            "verb": "chem generate", "prior": prior.weights_sha256(), "n": n, "seed": seed,
            "temperature": float(temperature), "max_len": max_len,
            "constrained": bool(constrained), "chunk": CHUNK,
        }  # fmt: skip
        stage = prepare_resume_stage(out, key, resume, log)
    elif resume and staging_path(out).exists():  # a chunked run's leftovers, not resumable here
        log(f"nothing to resume for {n} samples (one chunk); sampling afresh")
    t0 = time.perf_counter()
    smiles: list[str] = []
    lls: list[float] = []
    ended: list[bool] = []
    loaded = 0
    for i in range(n_chunks):
        size = min(CHUNK, n - i * CHUNK)
        done = stage / f"chunk-{i:05d}.parquet" if stage is not None else None
        if done is not None and done.exists():
            part = pd.read_parquet(done)
            loaded += 1
        else:
            chunk_ended: list[bool] = []
            got, ll = prior.sample(
                size, seed=chunk_seed(seed, i), temperature=float(temperature),
                max_len=max_len, constrained=constrained, ended=chunk_ended,
            )  # fmt: skip
            part = pd.DataFrame({"smiles": got, "ended": chunk_ended, "ll": ll.tolist()})
            if done is not None:
                with atomic_file(done) as tmp:
                    part.to_parquet(tmp, index=False)
                log(f"chunk {i + 1}/{n_chunks} sampled ({min(n, (i + 1) * CHUNK):,} of {n:,})")
        smiles += part["smiles"].tolist()
        ended += [bool(e) for e in part["ended"]]
        lls += [float(x) for x in part["ll"]]
    if loaded:
        log(f"{loaded} of {n_chunks} sampled chunks loaded from the unfinished run")
    t_sample = time.perf_counter() - t0
    # a sample cut at --max-len is a prefix, not the prior's molecule: 'C' of a longer chain
    # parsed and was counted valid (--max-len 1: validity 100%, every sample 'C')
    canon = [c if e else None for c, e in zip(canonicalize(smiles), ended, strict=True)]
    seen: set[str] = set()
    unique = []
    for c in canon:
        unique.append(c is not None and c not in seen)
        if c is not None:
            seen.add(c)
    novel_flags = None
    if prior.novelty is not None:
        known = prior.novelty.contains([c or "" for c in canon])
        novel_flags = [c is not None and not k for c, k in zip(canon, known, strict=True)]
    df = pd.DataFrame(
        {
            "smiles": smiles,
            "valid": [c is not None for c in canon],
            "canonical_smiles": [c or "" for c in canon],
            "unique": unique,
            "novel": novel_flags if novel_flags is not None else [None] * n,
            "log_likelihood": [round(x, 4) for x in lls],
        }
    )
    write_table(df, out)
    if stage is not None:
        import shutil

        shutil.rmtree(stage, ignore_errors=True)
    summary = summarize_samples(canon, novel_flags)
    summary.update(
        out=str(out), seed=seed, temperature=float(temperature), constrained=bool(constrained),
        truncated=ended.count(False), max_len=max_len,
        sampling_seconds=round(t_sample, 3), seconds=round(time.perf_counter() - t0, 3),
        novelty_reference=None if prior.novelty is None else {
            "items": prior.novelty.n_items, "false_positive_rate": prior.novelty.fp_rate},
    )  # fmt: skip
    if summary["novelty"] is None and log:
        log("the prior ships no novelty reference: novelty not reported")
    return summary


# -- syntax-aware (constrained) SMILES sampling --------------------------------------------
# Token classes of the grammar below. OTHER covers tokens that cannot stand outside a bracket
# atom in a SMILES the parser accepts ("+", "@", "?", ">", "~", "*"-free specials, ...).
OTHER, ATOM, BOND, OPEN, CLOSE, RING, DOT, END, START, LEAD_BOND = range(10)
# LEAD_BOND is a state, not a token class: a bond that does not follow an atom ("(=", ")=", "1=")
_ORGANIC = {"B", "C", "N", "O", "P", "S", "F", "Cl", "Br", "I", "b", "c", "n", "o", "s", "p", "*"}
_BONDS = {"-", "=", "#", ":", "/", "\\"}

# _FOLLOWS[previous class][next class]: which token class may follow which (OpenSMILES order:
# a ring-closure label directly after an atom, never after a branch; a branch opens after an
# atom, a ring label or a closed branch and holds a bond or an atom first; a bond after an atom
# precedes an atom or a ring label ("C=1"), any other bond an atom; the end token follows an
# atom, a ring label or a closed branch).
_FOLLOWS = {
    START: {ATOM},
    ATOM: {ATOM, BOND, OPEN, CLOSE, RING, DOT, END},
    RING: {ATOM, BOND, OPEN, CLOSE, RING, DOT, END},
    CLOSE: {ATOM, BOND, OPEN, CLOSE, DOT, END},
    BOND: {ATOM, RING},
    LEAD_BOND: {ATOM},
    OPEN: {ATOM, BOND},
    DOT: {ATOM},
}


def token_class(token: str) -> int:
    """Grammar class of one SMILES token (ATOM, BOND, OPEN, CLOSE, RING, DOT or OTHER)."""
    if token in _ORGANIC or (token.startswith("[") and token.endswith("]") and len(token) > 2):
        return ATOM
    if token in _BONDS:
        return BOND
    if token == "(":
        return OPEN
    if token == ")":
        return CLOSE
    if token == ".":
        return DOT
    if (len(token) == 1 and token.isdigit()) or (
        len(token) == 3 and token[0] == "%" and token[1:].isdigit()
    ):
        return RING
    return OTHER


class SmilesSyntax:
    """Masks that keep token-by-token SMILES sampling syntactically complete, batched.

    Per sequence it tracks the class of the previous token, the open branches (a stack of the
    atom each branch hangs from), the open ring-closure labels with the atom that opened each,
    the current atom and its chain parent. A token is allowed when (1) its class may follow the
    previous one (`_FOLLOWS`); (2) a ")" has an open branch; (3) a ring label either opens a
    free label or closes an open one on an atom other than its opener or the opener's chain
    neighbour (RDKit refuses both: "bonds atom to itself", duplicate bond); (4) the end token
    comes with no branch or ring open; (5) after it, the shortest completion still fits into
    `max_len` tokens. Rule (5) uses the exact length of a canonical completion (close every
    closable ring, add at most two atoms for the others, close the branches, end), so a masked
    sequence always ends with the end token before `max_len` and never strands in a state with
    no allowed token. Tokens of class OTHER ("+", "@", ... outside brackets) are never allowed.

    Not covered (chemistry, left to RDKit): valence, aromaticity/kekulization, two ring
    closures between the same pair of atoms through two labels ("C12CC12"), ring-bond order
    conflicts ("C=1CC-1"). All state is integer tensors, updated in place with the batch.
    """

    def __init__(self, tokens: Sequence[str], device) -> None:
        import torch

        from helixforge.chem.generate.vocab import EOS, SPECIALS
        from helixforge.core.errors import ConfigError

        self.device = torch.device(device)
        classes = [OTHER] * len(SPECIALS) + [token_class(t) for t in tokens[len(SPECIALS) :]]
        classes[EOS] = END
        self.cls = torch.tensor(classes, dtype=torch.long, device=self.device)
        ring_tokens = [i for i, c in enumerate(classes) if c == RING]
        self.ring_ids = torch.tensor(ring_tokens, dtype=torch.long, device=self.device)
        self.ring_of = torch.full((len(classes),), -1, dtype=torch.long, device=self.device)
        self.ring_of[self.ring_ids] = torch.arange(len(ring_tokens), device=self.device)
        if ATOM not in classes:
            raise ConfigError("constrained sampling needs a vocabulary with atom tokens")
        follows = torch.zeros(10, 10, dtype=torch.bool)
        for prev, nxt in _FOLLOWS.items():
            for c in nxt:
                follows[prev, c] = True
        if CLOSE not in classes:  # a branch that could never close is never opened
            follows[:, OPEN] = False
        self.follows = follows.to(self.device)

    def start(self, n: int, max_len: int) -> dict:
        """Initial state of `n` sequences of at most `max_len` tokens (end token included)."""
        import torch

        from helixforge.core.errors import ConfigError

        if max_len < 2:
            raise ConfigError("constrained sampling needs max_len >= 2 (an atom and the end)")
        z = {"dtype": torch.long, "device": self.device}
        r = len(self.ring_ids)
        return {
            "max_len": max_len,
            "t": 0,
            "prev": torch.full((n,), START, **z),
            "depth": torch.zeros(n, **z),
            "atoms": torch.zeros(n, **z),
            "cur": torch.full((n,), -1, **z),
            "par": torch.full((n,), -1, **z),
            "stack_cur": torch.full((n, max_len + 1), -1, **z),
            "stack_par": torch.full((n, max_len + 1), -1, **z),
            "ring_open": torch.zeros(n, r, dtype=torch.bool, device=self.device),
            "opener": torch.full((n, r), -2, **z),
            "closed_at": torch.full((n, r), -2, **z),
        }

    def allowed(self, s: dict) -> torch.Tensor:
        """(n, V) bool: tokens allowed as the next token of every sequence."""
        import torch

        cls, prev, depth = self.cls, s["prev"], s["depth"]
        ok = self.follows[prev][:, cls]  # (n, V)
        ok &= (cls != CLOSE) | (depth > 0)[:, None]
        ok &= (cls != DOT) | (depth == 0)[:, None]
        ring_open, opener = s["ring_open"], s["opener"]
        k = ring_open.sum(1)
        self_open = (ring_open & (opener == s["cur"][:, None])).sum(1)  # opened on this atom
        par_open = (ring_open & (opener == s["par"][:, None]) & (s["par"] >= 0)[:, None]).sum(1)
        ok &= (cls != END) | ((depth == 0) & (k == 0))[:, None]
        # ring labels: open a free one, or close an open one away from its opener's bonds
        blocked = (opener == s["cur"][:, None]) | (
            (opener == s["par"][:, None]) & (s["par"] >= 0)[:, None]
        )
        ring_ok = ~ring_open | ~blocked
        if len(self.ring_ids):
            ok[:, self.ring_ids] &= ring_ok
        # length budget: cost of the shortest completion after each candidate token
        remaining = s["max_len"] - s["t"] - 1
        base = 1 + depth + k  # end token + closing ")" + closing labels
        two = (self_open > 0).long()
        # a new atom hangs from the current one (unless after a dot or at the start): the
        # labels opened on the current atom cannot close on it, one more atom is needed
        detached = (prev == START) | (prev == DOT)
        atom_cost = base + ((self_open > 0) & ~detached).long()
        # ")" returns to the atom the branch hangs from: its own opened labels count there
        rows = torch.arange(len(prev), device=self.device)
        back = s["stack_cur"][rows, (depth - 1).clamp(min=0)]
        back_open = (ring_open & (opener == back[:, None])).sum(1)
        close_branch = base - 1 + torch.where(k > 0, 1 + (back_open > 0).long(), 0)
        zero = torch.zeros_like(base)
        per_class = torch.stack(  # (n, classes), in the order of the class constants
            [zero, atom_cost, base + 1 + two, base + 2 + two, close_branch, zero, base + 1,
             zero, zero, zero],
            dim=1,
        )  # fmt: skip
        cost = per_class[:, cls]
        if len(self.ring_ids):
            # opening: one more label and the current atom becomes an opener (two atoms)
            # closing: one label fewer; extra atoms for the labels still blocked here
            close_cost = base - 1 + torch.where(self_open > 0, 2, (par_open > 0).long())
            open_cost = (base + 1 + 2)[:, None]
            cost[:, self.ring_ids] = torch.where(ring_open, close_cost[:, None], open_cost)
        ok &= cost <= remaining
        if len(self.ring_ids) > 1:
            # a second ring bond between the same two atoms ("C12CC12"): refused too, unless
            # that leaves no token (the length rule above does not count it, see class doc)
            here = ~ring_open & (s["closed_at"] == s["cur"][:, None]) & (s["cur"] >= 0)[:, None]
            same = (opener[:, :, None] == opener[:, None, :]) & here[:, None, :]
            dup = ring_open & same.any(2)
            strict = ok.clone()
            strict[:, self.ring_ids] &= ~dup
            ok = torch.where(strict.any(1, keepdim=True), strict, ok)
        return ok

    def update(self, s: dict, tok: torch.Tensor, active: torch.Tensor) -> None:
        """Advance the state of the `active` sequences by the tokens `tok` (n,)."""
        import torch

        c = torch.where(active, self.cls[tok], torch.full_like(tok, OTHER))
        rows = torch.arange(len(tok), device=self.device)
        is_atom = c == ATOM
        detached = (s["prev"] == START) | (s["prev"] == DOT)
        new_par = torch.where(detached, torch.full_like(s["cur"], -1), s["cur"])
        s["par"] = torch.where(is_atom, new_par, s["par"])
        s["cur"] = torch.where(is_atom, s["atoms"], s["cur"])
        s["atoms"] = s["atoms"] + is_atom.long()
        is_open = c == OPEN
        depth = s["depth"]
        s["stack_cur"][rows, depth] = torch.where(is_open, s["cur"], s["stack_cur"][rows, depth])
        s["stack_par"][rows, depth] = torch.where(is_open, s["par"], s["stack_par"][rows, depth])
        is_close = c == CLOSE
        top = (depth - 1).clamp(min=0)
        s["cur"] = torch.where(is_close, s["stack_cur"][rows, top], s["cur"])
        s["par"] = torch.where(is_close, s["stack_par"][rows, top], s["par"])
        s["depth"] = depth + is_open.long() - is_close.long()
        is_ring = c == RING
        if bool(is_ring.any()):
            label = self.ring_of[tok].clamp(min=0)
            was_open = s["ring_open"][rows, label]
            s["ring_open"][rows, label] = torch.where(is_ring, ~was_open, was_open)
            s["opener"][rows, label] = torch.where(
                is_ring & ~was_open, s["cur"], s["opener"][rows, label]
            )
            s["closed_at"][rows, label] = torch.where(
                is_ring & was_open, s["cur"], s["closed_at"][rows, label]
            )
        lead = (c == BOND) & (s["prev"] != ATOM)
        c = torch.where(lead, torch.full_like(c, LEAD_BOND), c)
        s["prev"] = torch.where(active & (c != OTHER), c, s["prev"])
        s["t"] += 1
