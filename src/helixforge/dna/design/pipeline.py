"""The `helix dna design` pipeline: load a trained run, edit seeds (or sample from a language
model), write a FASTA of designs plus a TSV table beside it, and `<stem>.errors.csv` with the
seed records that could not be designed from (every seed record is designed from or listed).
Both outputs are checked before any work (`--overwrite` replaces them) and written atomically.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from helixforge.core.errors import ConfigError, NoUsableRowsError, RowErrors
from helixforge.core.io import check_not_input
from helixforge.dna.design.edit import design_sequences
from helixforge.dna.design.sample import sample_from_lm

_OPTION = {"maximize": "--minimize", "target": "--class"}  # library keyword → CLI option


def table_path(path: str | os.PathLike) -> Path:
    """designs.fa → designs.tsv (the table written beside the FASTA)."""
    from helixforge.core.io import output_stem

    stem = output_stem(path)
    return stem.with_name(stem.name + ".tsv")


def write_designs(designs: pd.DataFrame, path: str | os.PathLike) -> None:
    """FASTA of the designs (header: seed|rank|score|edits) plus a TSV table beside it."""
    from helixforge.core.tables import write_table, write_text

    lines = []
    for r in designs.itertuples():
        lines.append(f">{r.seed}|design{r.rank}|score={r.score:.4g}|edits={r.edits or 'none'}")
        lines.extend(r.sequence[i : i + 60] for i in range(0, len(r.sequence), 60))
    write_text("\n".join(lines) + "\n", Path(path))
    write_table(designs, table_path(path))


def _seed_records(fasta, seed_seqs, max_len, errors: RowErrors) -> list[tuple[str, str]]:
    """(name, sequence) seeds; records with non-ACGT bases or longer than the model go to errors."""
    from helixforge.dna.motifs import SequenceRecord, as_records, check_records

    recs: list[SequenceRecord] = []
    src = "--seed-seq"
    if fasta is not None:
        recs, src = as_records(fasta)
    recs = recs + [SequenceRecord(f"seed{i + 1}", s) for i, s in enumerate(seed_seqs or [])]
    if not recs:
        raise ConfigError(
            "nothing to design from", hint="give --seed-seq ACGT…, --fasta FILE or --lm DIR"
        )
    seeds = []
    for r in check_records(recs, src, errors):
        bad = next((c for c in r.seq if c not in "ACGT"), None)
        if bad is not None:
            reason = f"seed {r.name!r} has {bad!r} at position {r.seq.index(bad) + 1}; designs need A, C, G, T"
            errors.add(r.line, "sequence", r.name, reason)
        elif max_len and len(r.seq) > max_len:
            reason = f"{len(r.seq)} bases, longer than the model's maximum of {max_len}"
            errors.add(r.line, "sequence", r.name, reason)
        else:
            seeds.append((r.name, r.seq))
    if not seeds:
        raise NoUsableRowsError(f"{src}: no usable seed sequence", hint=errors.summary())
    return seeds


def design_from_run(
    run: str | os.PathLike,
    out: str | os.PathLike,
    seed_seqs: Sequence[str] | None = None,
    fasta: str | os.PathLike | None = None,
    lm: str | os.PathLike | None = None,
    n: int = 100,
    length: int | None = None,
    device: str = "cpu",
    avoid_ids: Sequence[str] | None = None,
    preserve_ids: Sequence[str] | None = None,
    overwrite: bool = False,
    **options,
) -> pd.DataFrame:
    """Load a trained run, edit seeds (or sample from `lm`), write FASTA + TSV (+ errors).

    `avoid_ids` / `preserve_ids` are JASPAR matrix ids for the motif constraints; other options
    go to `design_sequences` (target, edits, method, beam_width, keep_out, maximize, …).
    """
    from helixforge.core.io import check_output
    from helixforge.dna.interpret import load_run_model
    from helixforge.dna.motifs import errors_path, load_jaspar
    from helixforge.dna.motifs.pipeline import check_outputs_not_inputs

    check_outputs_not_inputs(out, [run, fasta, lm])
    check_not_input(table_path(out), [run, fasta, lm])
    check_output(out, overwrite=overwrite)
    check_output(table_path(out), overwrite=overwrite)
    if lm is not None:  # sampling draws new sequences: seed and edit options would be ignored
        unused = [
            opt
            for opt, value in (
                ("--fasta", fasta),
                ("--seed-seq", seed_seqs),
                ("--avoid-motif", avoid_ids),
                ("--preserve-motif", preserve_ids),
            )
            if value
        ] + [
            _OPTION.get(k, f"--{k.replace('_', '-')}")
            for k in options
            if k not in ("target", "seed")
        ]
        if unused:
            raise ConfigError(
                f"--lm samples new sequences; {', '.join(unused)} cannot be used with it",
                hint="drop them, or drop --lm to edit the seed sequences",
            )  # fmt: skip
    model = load_run_model(run, device)
    errors = RowErrors(fasta if fasta is not None else "--seed-seq")
    if lm is not None:
        designs = sample_from_lm(
            lm,
            model,
            n=n,
            length=length or getattr(model, "max_len", None) or 200,
            target=options.get("target"),
            seed=options.get("seed", 0),
            device=device,
        )
    else:
        try:
            seeds = _seed_records(fasta, seed_seqs, getattr(model, "max_len", None), errors)
        except NoUsableRowsError:
            errors.write(errors_path(out))  # says why every seed was rejected
            raise
        if len(errors) or fasta is not None:
            errors.write(errors_path(out))
        if avoid_ids:
            options["avoid_motifs"] = load_jaspar(ids=avoid_ids)
        if preserve_ids:
            options["preserve_motifs"] = load_jaspar(ids=preserve_ids)
        designs = design_sequences(model, seeds, **options)
    write_designs(designs, out)
    return designs
