"""The pipeline behind `helix dna interpret`: attributions, seqlets, clusters matched to a
motif database, and a report; written into a run directory built beside the final path and
swapped in when complete (`core.io.staging_dir`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from helixforge.core.io import check_not_input
from helixforge.core.options import require_choice, require_float, require_int
from helixforge.dna.interpret.attributions import attribute, ism, ism_contributions
from helixforge.dna.interpret.matching import MotifDatabase, match_motif
from helixforge.dna.interpret.report import interpretation_report
from helixforge.dna.interpret.scoring import as_scorer, load_run_model, onehot_sequences
from helixforge.dna.interpret.seqlets import cluster_seqlets, extract_seqlets
from helixforge.dna.motifs import BASES, Motif
from helixforge.dna.sequence import IUPAC_POLICIES

METHODS = ("gradxinput", "ism")
CLUSTER_COLUMNS = [
    "cluster",
    "n_seqlets",
    "consensus",
    "best_match",
    "best_match_name",
    "pvalue",
    "qvalue",
    "zscore",
    "significant",
]


def interpret(
    run: str | os.PathLike | Any,
    fasta: str | os.PathLike,
    out: str | os.PathLike,
    method: str = "gradxinput",
    target: Any = None,
    motifs: Sequence[Motif] | None = None,
    motif_options: dict[str, Any] | None = None,
    window: int = 10,
    max_sequences: int | None = None,
    match_seqlets: int = 100,
    batch_size: int = 256,
    device: str = "cpu",
    match_qvalue: float = 0.05,
    iupac: str | None = None,
    overwrite: bool = False,
) -> dict[str, Any]:
    """Attributions, seqlets, seqlet clusters matched to JASPAR, and a report with logos.

    `run`: a run directory of `helix dna train` (or a loaded model). Writes the directory `out`:
    attributions.npz (names, lengths, onehot, attributions[, ism]), seqlets.tsv (each seqlet's
    cluster, and for the `match_seqlets` strongest its own closest database motif with p and q),
    clusters.tsv, errors.csv and report.html. A database motif counts as a match only when its
    q-value is ≤ `match_qvalue`; otherwise the report says "no significant match (best q = …)".
    `motifs` default to `resolve_motifs(**motif_options)` (JASPAR 2024 CORE vertebrates); a
    matrix of a motif file that cannot be used (a negative count, rows of unequal length, …)
    is skipped and recorded in errors.csv (its line, its id, why) as `helix dna motifs scan`
    does, and the others are matched; only a file with no usable matrix is refused.
    `iupac` is `helix dna predict`'s rule (`dna.reader.model_sequence`): 'error' sends a
    record with an ambiguity code (R, Y, …) to errors.csv, 'n' reads the codes as N, 'keep'
    keeps them (the one-hot encoding reads them as N); None: the run's policy (as `dna
    predict`), 'error' for a loaded model. Returns a summary dict.
    """
    from helixforge.core.errors import ConfigError, NoUsableRowsError, RowErrors
    from helixforge.core.io import check_output, staging_dir
    from helixforge.dna.motifs import as_records, check_records, resolve_motifs

    require_choice(method, "--method", METHODS)
    require_int(window, "--window", min_value=1)
    require_int(batch_size, "--batch-size", min_value=1)
    require_float(match_qvalue, "--match-qvalue", low=0, high=1, low_open=True)
    if iupac is not None:
        require_choice(iupac, "--iupac", IUPAC_POLICIES)
    else:  # a run trained with --iupac n: its records with an R went to errors.csv
        iupac = _run_iupac(run)
    if max_sequences is not None:
        require_int(max_sequences, "--max-sequences", min_value=1)
    check_not_input(out, [run if isinstance(run, str | os.PathLike) else None, fasta])
    check_output(out, overwrite=overwrite, kind="dir")
    model = load_run_model(run, device) if isinstance(run, str | os.PathLike) else run
    if method == "gradxinput" and not as_scorer(model, target, batch_size).differentiable:
        raise ConfigError(  # was found after reading the input, in API terms (method='ism')
            "--method gradxinput needs gradients, which this model does not give (a fine-tuned "
            "language model reads tokens, not one-hot bases)",
            hint="use --method ism (method='ism' in Python): it works with any model",
        )
    errors = RowErrors(fasta)
    recs, src = as_records(fasta)
    n_in = len(recs)
    max_len = getattr(model, "max_len", None)
    if max_len and window >= max_len:  # an option error, not one row error per sequence
        raise ConfigError(
            f"--window {window:,} is not shorter than the model's maximum input of {max_len:,} "
            "bases, so no sequence the model can score can hold a seqlet",
            hint=f"use a --window below {max_len} (10 is usual)",
        )
    recs = check_records(recs, src, errors, min_length=window + 1)
    recs = _model_records(recs, src, errors, iupac)
    if max_len:
        kept = []
        for r in recs:
            if len(r.seq) > max_len:
                errors.add(
                    r.line,
                    "sequence",
                    r.name,
                    f"{len(r.seq)} bases, longer than the model's maximum of {max_len}",
                )
            else:
                kept.append(r)
        recs = kept
    if not recs:
        raise NoUsableRowsError(f"{fasta}: no sequence can be interpreted", hint=errors.summary())
    not_asked = recs[max_sequences:] if max_sequences else []
    recs = recs[:max_sequences] if max_sequences else recs
    options = dict(motif_options or {})
    motif_errors = RowErrors(options.get("motif_file"))  # unusable matrices: skipped, recorded
    db = MotifDatabase(
        motifs if motifs is not None else resolve_motifs(**options, errors=motif_errors)
    )
    rejected = len(errors)
    errors.extend(motif_errors)
    with staging_dir(out, keep_on_error=False) as stage:
        errors.write(stage / "errors.csv")
        summary, plot = _interpret_into(
            stage, model, recs, method, target, window, match_seqlets, batch_size, db, match_qvalue
        )
        summary.update(
            records=n_in, errors=rejected, not_interpreted=len(not_asked), out=str(out),
            motifs_skipped=len(motif_errors), errors_path=str(Path(out) / "errors.csv"),
        )  # fmt: skip
        interpretation_report(stage, method, *plot, n_errors=rejected, threshold=match_qvalue)
    return summary


def _run_iupac(run: Any) -> str:
    """The --iupac policy a run directory was trained with ('error' when not recorded)."""
    import json

    if not isinstance(run, str | os.PathLike):
        return "error"
    try:
        config = json.loads((Path(run) / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "error"  # load_run_model names what is wrong with the run
    value = config.get("iupac") if isinstance(config, dict) else None
    return value if value in IUPAC_POLICIES else "error"


def _model_records(recs: list, src: str, errors: Any, iupac: str) -> list:
    """The records `helix dna predict` would score, under the same `--iupac` rule; the others
    go to `errors` with predict's reason."""
    from helixforge.dna.motifs import SequenceRecord
    from helixforge.dna.reader import model_sequence

    kept = []
    for r in recs:
        seq, reason = model_sequence(r.seq, f"{src}, line {r.line} ({r.name})", iupac)
        if reason:
            errors.add(r.line, "sequence", r.name, reason)
        else:
            kept.append(SequenceRecord(r.name, seq, r.line))
    return kept


def _interpret_into(stage: Path, model, recs, method, target, window, match_seqlets, batch_size,
                    db: MotifDatabase, match_qvalue: float) -> tuple[dict[str, Any], tuple]:  # fmt: skip
    from helixforge.core.tables import atomic_path, write_table

    names = [r.name for r in recs]
    seqs = [r.seq for r in recs]
    x = onehot_sequences(seqs)
    scorer = as_scorer(model, target, batch_size)
    pred = scorer(x)
    extra = {}
    if method == "ism":
        delta = ism(scorer, x, batch_size=max(batch_size, 512))
        attr = ism_contributions(delta, x)
        extra["ism"] = delta
    else:
        attr = attribute(scorer, x, method, batch_size=batch_size)
    with atomic_path(stage / "attributions.npz") as tmp, open(tmp, "wb") as fh:
        np.savez_compressed(
            fh,
            names=np.array(names),
            lengths=np.array([len(s) for s in seqs]),
            onehot=x,
            attributions=attr,
            score=pred,
            **extra,
        )
    seqlets = extract_seqlets(attr, seqs, window=window, names=names)
    clusters = cluster_seqlets(attr, x, seqlets)
    membership = np.zeros(len(seqlets), dtype=int)
    for k, cl in enumerate(clusters):
        membership[[r for r, _, _ in cl.members]] = k + 1
    seqlets["cluster"] = membership  # 0 = not in a reported cluster
    _match_seqlets(seqlets, attr, x, db, match_seqlets)
    write_table(seqlets, stage / "seqlets.tsv")
    rows, match_tables = [], []
    for k, cl in enumerate(clusters):
        m = match_motif(cl.pfm, db, n_null=1000, top=5)
        match_tables.append(m)
        q = float(m["qvalue"].iloc[0])
        rows.append(
            {
                "cluster": k + 1,
                "n_seqlets": cl.n,
                "consensus": "".join(BASES[i] for i in cl.pfm.argmax(1)),
                "best_match": m["motif_id"].iloc[0],
                "best_match_name": m["name"].iloc[0],
                "pvalue": float(m["pvalue"].iloc[0]),
                "qvalue": q,
                "zscore": float(m["zscore"].iloc[0]),
                "significant": bool(q <= match_qvalue),
            }
        )
    cluster_df = pd.DataFrame(rows, columns=CLUSTER_COLUMNS)
    write_table(cluster_df, stage / "clusters.tsv")
    summary = {
        "sequences": len(seqs),
        "seqlets": len(seqlets),
        "clusters": cluster_df.to_dict("records"),
    }
    return summary, (names, seqs, attr, pred, seqlets, clusters, match_tables, db)


def _match_seqlets(seqlets: pd.DataFrame, attr, x, db: MotifDatabase, limit: int) -> None:
    """Closest database motif (id, name, p, q) of the `limit` strongest seqlets, in place."""
    n = len(seqlets)
    best_id, best_name = [""] * n, [""] * n
    best_p, best_q = [np.nan] * n, [np.nan] * n
    for i, (s, a, b) in enumerate(zip(seqlets["seq_index"], seqlets["start"], seqlets["end"])):
        if i >= limit:  # each match costs a database comparison; the strongest suffice
            break
        m = match_motif(seqlet_pfm(attr[s, a:b], x[s, a:b]), db, n_null=100, top=1)
        best_id[i], best_name[i] = m["motif_id"].iloc[0], m["name"].iloc[0]
        best_p[i], best_q[i] = float(m["pvalue"].iloc[0]), float(m["qvalue"].iloc[0])
    seqlets["best_match"], seqlets["best_match_name"] = best_id, best_name
    seqlets["best_match_pvalue"], seqlets["best_match_qvalue"] = best_p, best_q


def seqlet_pfm(contrib: np.ndarray, onehot: np.ndarray) -> np.ndarray:
    """A probability matrix for one seqlet: its bases, sharpened where contribution is high."""
    imp = np.clip(contrib.sum(1), 0, None)
    w = imp / (imp.max() + 1e-12)
    return onehot * w[:, None] + 0.25 * (1 - w[:, None]) + 1e-3
