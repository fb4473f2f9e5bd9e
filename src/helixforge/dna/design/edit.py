"""Edit search toward a model's prediction.

Every step scores all single-base substitutions of the current sequence(s) in one batch (like
ISM). 'greedy' keeps the best one; 'beam' keeps the `beam_width` best distinct sequences;
'anneal' makes random substitutions accepted by the Metropolis rule under a cooling
temperature. At most `edits` positions differ from the seed, positions in `keep_out` never
change, and candidates that create new hits of `avoid_motifs` or lose hits of
`preserve_motifs` (FIMO-like scan at `motif_pvalue`) are skipped. The score is the model's raw
output for the target (logit for classifiers), which is what is maximised (or minimised).
Edits are written "pos:ref>alt" with 1-based positions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from helixforge.core.errors import ConfigError, InputError
from helixforge.core.options import require_choice, require_float, require_int
from helixforge.dna.motifs import Motif

METHODS = ("greedy", "beam", "anneal")
DESIGN_COLUMNS = [
    "seed",
    "rank",
    "method",
    "sequence",
    "n_edits",
    "edits",
    "seed_score",
    "score",
    "delta",
]


def _keep_out_mask(length: int, keep_out) -> np.ndarray:
    """Boolean (L,) mask of positions that may change; keep_out: positions or (start, end) ranges."""
    from helixforge.core.options import require_int

    if isinstance(keep_out, str):
        raise ConfigError(
            f"keep_out {keep_out!r} is text; in Python it is 0-based (start, end) ranges",
            hint=f"pass parse_keep_out({keep_out!r}) (1-based, inclusive, as on the command "
            "line) or a list such as [(0, 20), 35]",
        )
    allowed = np.ones(length, dtype=bool)
    for item in keep_out or []:
        if isinstance(item, tuple | list) and len(item) == 2:
            a = require_int(item[0], f"keep_out range {tuple(item)!r} start", min_value=0)
            b = require_int(item[1], f"keep_out range {tuple(item)!r} end", min_value=0)
            if b <= a:
                raise ConfigError(
                    f"keep_out range {tuple(item)!r} is empty: ranges are 0-based (start, end) "
                    "with end > start"
                )
            allowed[a:b] = False
        else:
            i = require_int(item, f"keep_out position {item!r}", min_value=0)
            if i < length:
                allowed[i] = False
    return allowed


def parse_keep_out(text: str | None) -> list[tuple[int, int]]:
    """'1-20,36,51-60' (1-based, inclusive, as on the command line) → 0-based half-open
    [(0, 20), (35, 36), (50, 60)]."""
    if text is not None and not isinstance(text, str):
        raise ConfigError(
            f"parse_keep_out takes text such as '1-20,36', got {type(text).__name__} {text!r}",
            hint="in Python, keep_out= also takes 0-based (start, end) ranges directly",
        )
    out = []
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            a, _, b = part.partition("-")
            start, end = int(a), int(b or a)
        except ValueError:
            raise ConfigError(
                f"--keep-out {part!r} is not a position or a range like 10-20",
                hint="positions are 1-based and inclusive: --keep-out 1-20,36",
            ) from None
        if start < 1 or end < start:
            raise ConfigError(
                f"--keep-out {part!r}: positions start at 1 and a range ends at or after its start"
            )
        out.append((start - 1, end))
    return out


class _MotifGuard:
    """Rejects sequences that gain hits of `avoid` motifs or lose hits of `preserve` motifs."""

    def __init__(
        self,
        seed: str,
        avoid: Sequence[Motif] | None,
        preserve: Sequence[Motif] | None,
        pvalue: float,
    ):
        from helixforge.dna.motifs import MotifScanner

        self.avoid = MotifScanner(avoid, pvalue=pvalue) if avoid else None
        self.preserve = MotifScanner(preserve, pvalue=pvalue) if preserve else None
        self.avoid_base = self._sites(self.avoid, seed)
        self.preserve_base = self._sites(self.preserve, seed)

    @staticmethod
    def _sites(scanner, seq: str) -> set:
        if scanner is None:
            return set()
        h = scanner.scan({"s": seq})
        return set(zip(h["motif_id"], h["start"], h["strand"]))

    def ok(self, seq: str) -> bool:
        if self.avoid is not None and not self._sites(self.avoid, seq) <= self.avoid_base:
            return False
        if self.preserve is not None and not self.preserve_base <= self._sites(self.preserve, seq):
            return False
        return True


def _mutants(x: np.ndarray, allowed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All single substitutions of one-hot x (L, 4) at allowed positions: (M, L, 4), (M, 2) pos/base."""
    pos, base = np.nonzero((x == 0) & allowed[:, None])
    muts = np.repeat(x[None], len(pos), axis=0)
    r = np.arange(len(pos))
    muts[r, pos, :] = 0
    muts[r, pos, base] = 1
    return muts, np.stack([pos, base], axis=1)


def _to_seq(x: np.ndarray) -> str:
    from helixforge.dna.interpret import onehot_to_sequences

    return onehot_to_sequences(x[None])[0]


def _edits(seed: str, seq: str) -> list[str]:
    return [f"{i + 1}:{a}>{b}" for i, (a, b) in enumerate(zip(seed, seq)) if a != b]


def _search(scorer, seed: str, allowed, edits, width, guard, sign) -> list[tuple[str, float]]:
    """Beam search (width 1 = greedy); returns the final beam as (sequence, score)."""
    from helixforge.dna.interpret import onehot_sequences

    x0 = onehot_sequences([seed])[0]
    seed_score = float(sign * scorer(x0[None])[0])
    beam = [(x0, seed_score)]
    best_seen = {seed: seed_score}
    for _ in range(edits):
        cands, scores = [], []
        for x, _score in beam:
            changed = np.any(x != x0, axis=1)
            m, _ = _mutants(x, allowed & ~changed)
            if len(m):
                cands.append(m)
                scores.append(sign * scorer(m))
        if not cands:
            break
        cands = np.concatenate(cands)
        scores = np.concatenate(scores)
        new_beam, taken = [], set()
        for i in np.argsort(-scores, kind="stable"):
            seq = _to_seq(cands[i])
            if seq in taken:
                continue
            if guard is not None and not guard.ok(seq):
                continue
            taken.add(seq)
            new_beam.append((cands[i], float(scores[i])))
            if len(new_beam) >= width:
                break
        if not new_beam or new_beam[0][1] <= beam[0][1]:
            break  # no single edit improves the best sequence
        beam = new_beam
        for x, s in beam:
            best_seen[_to_seq(x)] = s
    ranked = sorted(best_seen.items(), key=lambda kv: -kv[1])
    return [(s, sign * v) for s, v in ranked[: max(width, 1)]]


def _anneal(
    scorer, seed: str, allowed, edits, guard, sign, steps, t0, rng
) -> list[tuple[str, float]]:
    from helixforge.dna.interpret import onehot_sequences

    x0 = onehot_sequences([seed])[0]
    x = x0.copy()
    cur = float(sign * scorer(x[None])[0])
    best = (seed, cur)
    positions = np.nonzero(allowed)[0]
    if not len(positions):
        return [(seed, sign * cur)]
    for step in range(steps):
        temp = t0 * (1 - step / steps) + 1e-6
        y = x.copy()
        p = int(rng.choice(positions))
        options = [b for b in range(4) if y[p, b] == 0]
        y[p] = 0
        y[p, int(rng.choice(options))] = 1
        if np.any(y != x0, axis=1).sum() > edits:
            continue
        s = float(sign * scorer(y[None])[0])
        if s >= cur or rng.random() < np.exp((s - cur) / temp):
            seq = _to_seq(y)
            if guard is not None and not guard.ok(seq):
                continue
            x, cur = y, s
            if s > best[1]:
                best = (seq, s)
    return [(best[0], sign * best[1])]


def design_sequences(
    model: Any,
    seeds: Sequence[str] | Sequence[tuple[str, str]],
    target: Any = None,
    edits: int = 5,
    method: str = "greedy",
    beam_width: int = 4,
    keep_out=None,
    avoid_motifs: Sequence[Motif] | None = None,
    preserve_motifs: Sequence[Motif] | None = None,
    motif_pvalue: float = 1e-4,
    maximize: bool = True,
    anneal_steps: int = 500,
    temperature: float = 1.0,
    seed: int = 0,
    batch_size: int = 1024,
) -> pd.DataFrame:
    """Edit each seed toward a higher (or lower) model score; returns one row per design.

    `seeds`: sequences or (name, sequence) pairs. `keep_out`: positions / (start, end) ranges
    that must not change. Columns: seed, rank, method, sequence, n_edits, edits ("pos:ref>alt",
    1-based), seed_score, score, delta.
    """
    from helixforge.dna.interpret import as_scorer
    from helixforge.dna.sequence import validate_dna

    require_choice(method, "--method", METHODS)
    require_int(edits, "--edits", min_value=1)
    require_int(beam_width, "--beam-width", min_value=1)
    require_int(anneal_steps, "--anneal-steps", min_value=1)
    require_int(batch_size, "--batch-size", min_value=1)
    require_float(temperature, "--temperature", low=0, low_open=True)
    require_float(motif_pvalue, "--motif-pvalue", low=0, high=1, low_open=True)
    scorer = as_scorer(model, target, batch_size)
    sign = 1.0 if maximize else -1.0
    rng = np.random.default_rng(seed)
    rows = []
    if seeds is None:
        raise InputError("seeds is None", hint="pass a list of seed sequences (or one sequence)")
    if isinstance(seeds, str | bytes | bytearray):  # one seed, not one seed per character
        seeds = [seeds]
    elif type(seeds).__name__ == "ndarray":
        from helixforge.lm.inputs import as_sequences

        seeds = as_sequences(seeds, "seeds")
    for k, item in enumerate(seeds):
        name, seq = item if isinstance(item, tuple | list) else (f"seed{k + 1}", item)
        seq = validate_dna(seq, name=str(name), allow_n=False)
        max_len = getattr(scorer.model, "max_len", None)
        if max_len and len(seq) > max_len:
            raise InputError(
                f"{name}: {len(seq)} bases, longer than the model's maximum of {max_len}"
            )
        allowed = _keep_out_mask(len(seq), keep_out)
        guard = (
            _MotifGuard(seq, avoid_motifs, preserve_motifs, motif_pvalue)
            if (avoid_motifs or preserve_motifs)
            else None
        )
        seed_score = float(scorer(_onehot(seq))[0])
        if method == "anneal":
            found = _anneal(
                scorer, seq, allowed, edits, guard, sign, anneal_steps, temperature, rng
            )
        else:
            found = _search(
                scorer, seq, allowed, edits, 1 if method == "greedy" else beam_width, guard, sign
            )
        for rank, (s, score) in enumerate(found, start=1):
            e = _edits(seq, s)
            rows.append(
                {
                    "seed": name,
                    "rank": rank,
                    "method": method,
                    "sequence": s,
                    "n_edits": len(e),
                    "edits": ";".join(e),
                    "seed_score": seed_score,
                    "score": score,
                    "delta": score - seed_score,
                }
            )
    return pd.DataFrame(rows, columns=DESIGN_COLUMNS)


def _onehot(seq: str) -> np.ndarray:
    from helixforge.dna.interpret import onehot_sequences

    return onehot_sequences([seq])
