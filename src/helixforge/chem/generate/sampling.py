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
from typing import Any


def canonicalize(smiles: Sequence[str]) -> list[str | None]:
    """RDKit canonical SMILES, None for an empty or unparsable string."""
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    out: list[str | None] = []
    for s in smiles:
        mol = Chem.MolFromSmiles(s) if s else None
        out.append(Chem.MolToSmiles(mol) if mol is not None and mol.GetNumAtoms() else None)
    return out


def summarize_samples(canon: Sequence[str | None], novel_flags=None) -> dict[str, Any]:
    """Validity, uniqueness and (with per-sample novel flags) novelty of canonical samples."""
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


def generate_molecules(
    model: str | os.PathLike | None,
    n: int,
    out: str | os.PathLike,
    *,
    seed: int = 0,
    temperature: float = 1.0,
    max_len: int = 128,
    overwrite: bool = False,
    device: str = "cpu",
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Sample `n` SMILES from the prior at `model` (None: shipped) and write the table `out`."""
    import pandas as pd

    from helixforge.chem.generate.prior import Prior
    from helixforge.core.io import check_output
    from helixforge.core.options import require_float, require_int
    from helixforge.core.tables import write_table

    require_int(n, "--n", min_value=1, max_value=10_000_000)
    require_float(temperature, "--temperature", low=0.05, high=10.0)
    require_int(max_len, "--max-len", min_value=1, max_value=1000)
    check_output(out, overwrite=overwrite, kind="table", inputs=[model])
    prior = Prior.load(model, device=device)
    t0 = time.perf_counter()
    smiles, ll = prior.sample(n, seed=seed, temperature=float(temperature), max_len=max_len)
    t_sample = time.perf_counter() - t0
    canon = canonicalize(smiles)
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
            "log_likelihood": [round(float(x), 4) for x in ll.tolist()],
        }
    )
    write_table(df, out)
    summary = summarize_samples(canon, novel_flags)
    summary.update(
        out=str(out), seed=seed, temperature=float(temperature),
        sampling_seconds=round(t_sample, 3), seconds=round(time.perf_counter() - t0, 3),
        novelty_reference=None if prior.novelty is None else {
            "items": prior.novelty.n_items, "false_positive_rate": prior.novelty.fp_rate},
    )  # fmt: skip
    if summary["novelty"] is None and log:
        log("the prior ships no novelty reference: novelty not reported")
    return summary
