"""Scoring variant alleles with a sequence model (ref vs alt window) or a language model.

Supervised models: the model's raw output for the chosen class (the logit for classifiers),
averaged over both strands; `delta = alt_score − ref_score`. Language models (`lm:PATH`):
log-likelihood (decoders) or pseudo-log-likelihood (encoders) of each window from
`helixforge.lm.inference.score`, `delta` = log P(alt) − log P(ref), zero-shot.

With an output path, alleles are scored in chunks, each saved atomically in the staging
directory beside the output so that `resume=True` continues an interrupted run (see
`variants.resume`: a resume with another VCF, genome, model or options is refused).

Methods (`method=`, `--method`); every one writes `delta` (signed: alt − ref, > 0 = more of
the modelled activity / a motif site gained) and `score` (the variant-effect magnitude to rank
by):
  model     a supervised run (or lm:PATH): ref_score, alt_score, delta; score = |delta|
  lm        zero-shot log-likelihood ratio of an `lm:PATH` model (same columns as model)
  motif     JASPAR motif disruption (`variants.motif_delta`): delta = motif_sum_delta (Σ over
            motifs of Δ best log-odds), score = motif_sum_abs (Σ |Δ|), plus the motif columns;
            no model needed
  ensemble  model and motif together: both column sets, score = mean of the two scores'
            percentile ranks within the file (0–1), delta = model delta
  mpra      `variants.mpra`: a LightGBM prior trained on saturation-mutagenesis MPRA data
            (motif Δ, ±5 bp motif context, bases): score = predicted rank of |effect|,
            delta = motif_sum_delta, plus the motif columns; no model needed
How well each tracks measured MPRA effects: docs/dna_analysis.md (benchmarks/results/
dna_variants.md).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from helixforge.core.errors import ConfigError, InputError, NoUsableRowsError, RowErrors
from helixforge.core.options import require_int
from helixforge.dna.variants.alleles import (
    as_genome,
    checked_alleles,
    read_variants,
    variant_windows,
)
from helixforge.dna.variants.resume import ChunkStore, fingerprint

LM_PREFIX = "lm:"
BASE_COLUMNS = ["line", "chrom", "pos", "id", "ref", "alt", "kind"]
OUTPUT_COLUMNS = [*BASE_COLUMNS, "ref_score", "alt_score", "delta", "score"]
METHODS = ("model", "lm", "motif", "ensemble", "mpra")


def _lm_scorer(path: str, device: str = "cpu", batch_size: int = 32) -> Any:
    """A function seqs → log-likelihoods from `helixforge.lm.inference.score` (imported lazily)."""
    try:
        from helixforge.lm.inference import score as lm_score
    except ImportError as exc:
        raise ConfigError(
            "zero-shot variant scores with lm:PATH need helixforge.lm.inference, which is not "
            "available in this install",
            hint=f"score with a supervised run directory instead (import failed: {exc})",
        ) from exc

    def score(seqs: list[str]) -> np.ndarray:
        res = lm_score(path, seqs, batch_size=batch_size, device=device)
        return np.asarray(res.log_likelihood, dtype=float)

    return score


def _resolve_model(model: Any, target: Any, device: str, batch_size: int):
    """('lm', fn) for lm:PATH, else ('supervised', Scorer)."""
    from helixforge.dna.interpret import as_scorer, load_run_model

    if isinstance(model, str) and model.startswith(LM_PREFIX):
        path = model[len(LM_PREFIX) :]
        if not path or not Path(path).exists():
            raise ConfigError(
                f"--model: language model {path!r} not found",
                hint="pass lm:DIR with a local checkpoint directory",
            )
        return "lm", _lm_scorer(path, device)
    if isinstance(model, str | os.PathLike):
        model = load_run_model(model, device)
    return "supervised", as_scorer(model, target, batch_size)


def _model_min_len(kind: str, model: Any, scorer: Any) -> int:
    """Bases of one token of the model (k of a dna-kmer language model), else 1."""
    if kind == "lm":
        from helixforge.lm.tokenizer_backends import sequence_check

        check = sequence_check(str(model)[len(LM_PREFIX) :])
        return check.k if check is not None else 1
    if kind == "supervised":
        return int(getattr(getattr(scorer, "model", None), "min_len", 1) or 1)
    return 1


def _motif_scorer(motifs: Any, pvalue: float, tfs: Any = None, errors: RowErrors | None = None):
    """A `MotifDeltaScorer` over `motifs` (list, file path, or None = JASPAR CORE vertebrates),
    restricted to the TF names `tfs` when given. `errors`: where a file's unusable matrices go
    (they are skipped, `read_motifs`)."""
    from helixforge.dna.motifs import load_jaspar, read_motifs
    from helixforge.dna.variants.motif_delta import MotifDeltaScorer, select_by_tf

    bundled = motifs is None
    if motifs is None:
        motifs = load_jaspar()
    elif isinstance(motifs, str | os.PathLike):
        motifs = read_motifs(motifs, errors=errors)
    if tfs:
        names = [t.strip() for t in (tfs.split(",") if isinstance(tfs, str) else tfs) if t.strip()]
        if not names:  # --tfs ',' named nothing; it was 'no motifs … check --motifs / --ids'
            raise ConfigError(
                f"--tfs {tfs!r} names no transcription factor", hint="e.g. --tfs SP1,GATA1"
            )
        try:
            motifs = select_by_tf(motifs, names)
        except ConfigError as exc:
            if not bundled:
                raise
            # a yeast TF (REB1) was 'no motif … among the 879 motifs', with no word of why
            raise ConfigError(
                exc.message + " (the default set: JASPAR CORE vertebrates)",
                hint=f"{exc.hint}; for a TF of another taxon (yeast, plants, insects) pass "
                "--motifs FILE, e.g. JASPAR's all-taxa CORE file in TRANSFAC format",
            ) from None
    return MotifDeltaScorer(list(motifs), pvalue=pvalue)


def _both_strands(scorer, x: np.ndarray) -> np.ndarray:
    return 0.5 * (scorer(x) + scorer(np.ascontiguousarray(x[:, ::-1, ::-1])))


def _score_chunk(
    kind: str, scorer, part, window: int, motif_scorer=None, mpra_model=None, genome=None
) -> pd.DataFrame:
    """One chunk of alleles → the method's columns (see the module docstring). `part` holds
    (variant, contig, ref window, alt window), or with `genome` (variant, contig, the variant
    as its windows take it: `checked_alleles`), whose windows are made here."""
    from helixforge.dna.interpret import onehot_sequences

    if genome is not None:
        part = [(v, c, *variant_windows(genome, w, c, window)) for v, c, w in part]
    refs = [u[2] for u in part]
    alts = [u[3] for u in part]
    frame = pd.DataFrame(
        {
            "line": [u[0].line for u in part],
            "chrom": [u[0].chrom for u in part],
            "pos": [u[0].pos for u in part],
            "id": [u[0].id for u in part],
            "ref": [u[0].ref for u in part],
            "alt": [u[0].alt for u in part],
            "kind": [u[0].kind for u in part],
        }
    )
    if scorer is not None:
        if kind == "lm":
            rs, as_ = scorer(refs), scorer(alts)
        else:
            rs = _both_strands(scorer, onehot_sequences(refs, window))
            as_ = _both_strands(scorer, onehot_sequences(alts, window))
        frame["ref_score"] = np.asarray(rs, dtype=float)
        frame["alt_score"] = np.asarray(as_, dtype=float)
        frame["delta"] = frame["alt_score"] - frame["ref_score"]
        frame["score"] = frame["delta"].abs()
    if motif_scorer is not None:
        from helixforge.dna.variants.motif_delta import allele_spans

        spans = [allele_spans(window, u[0].ref, u[0].alt) for u in part]
        m = motif_scorer.score(refs, alts, [s[0] for s in spans], [s[1] for s in spans])
        for c in m.columns:
            frame[c] = m[c].to_numpy()
        if scorer is None:
            frame["delta"] = frame["motif_sum_delta"]
            frame["score"] = frame["motif_sum_abs"]
        if mpra_model is not None:
            from helixforge.dna.variants.mpra import allele_features

            feats = allele_features(
                motif_scorer, refs, alts, [s[0] for s in spans], [s[1] for s in spans],
                [u[0].ref for u in part], [u[0].alt for u in part], motif_table=m,
            )  # fmt: skip
            frame["score"] = mpra_model.predict(feats)
    return frame


def _check_method(method: str, model: Any) -> None:
    """Refuse a method / model combination that cannot work, before any work."""
    from helixforge.core.options import require_choice

    require_choice(method, "--method", list(METHODS))
    is_lm = isinstance(model, str) and model.startswith(LM_PREFIX)
    if method in ("model", "ensemble", "lm") and model is None:
        raise ConfigError(
            f"--method {method} needs --model (a `helix dna train` run directory or lm:PATH)",
            hint="or use --method motif, which needs no model",
        )
    if method == "lm" and not is_lm:
        raise ConfigError("--method lm needs --model lm:PATH (a local pretrained DNA LM)")
    if method in ("motif", "mpra") and model is not None:
        raise ConfigError(
            f"--method {method} takes no --model", hint="use --method ensemble for model + motifs"
        )


def _ensemble_score(result: pd.DataFrame) -> None:
    """score = mean percentile rank of |model delta| and motif_sum_abs (within the file)."""
    if "motif_abs_delta" in result and "ref_score" in result and len(result):
        a = result["delta"].abs().rank(pct=True)
        b = result["motif_sum_abs"].rank(pct=True)
        result["score"] = (0.5 * (a + b)).to_numpy()


def _alleles_fingerprint(usable) -> str:
    """sha256 of the alleles to score, in order (line, contig, POS, REF, ALT)."""
    import hashlib

    h = hashlib.sha256()
    for v, chrom, *_ in usable:
        h.update(f"{v.line}\t{chrom}\t{v.pos}\t{v.ref}\t{v.alt}\n".encode())
    return h.hexdigest()


DEFAULT_WINDOW = 200  # bases around each variant, when the model allows as many


def score_variants(
    vcf: str | os.PathLike,
    genome: str | os.PathLike | Mapping[str, str] | Any,
    model: Any = None,
    window: int | None = None,
    out: str | os.PathLike | None = None,
    target: Any = None,
    method: str = "model",
    motifs: Any = None,
    motif_pvalue: float = 1e-4,
    tfs: Any = None,
    batch_size: int = 256,
    chunk_size: int = 4096,
    device: str = "cpu",
    errors: RowErrors | None = None,
    resume: bool = False,
    overwrite: bool = False,
    quiet: bool = True,
) -> pd.DataFrame:
    """Score every ALT allele of `vcf` with `method` (module docstring): a supervised `model`
    (a run directory, a loaded model), an `lm:PATH`, JASPAR motif disruption (`motifs`: a list
    of `Motif`, a motif file, or None = JASPAR CORE vertebrates bundled with pyjaspar; `tfs`:
    only these TF names, e.g. "SP1,GATA1"; hits at p < `motif_pvalue`), or an ensemble of model
    and motifs.

    `window` (bases around each variant) defaults to `DEFAULT_WINDOW`, or to a supervised
    model's maximum input when that is shorter; a longer explicit window is a `ConfigError`.
    `target` is the class (label or output index) whose score is compared (`--class`).
    With `out`, the output path is checked first (an existing one needs `overwrite`), alleles
    are scored in chunks of `chunk_size` kept in the staging directory until the final table
    is written atomically, and `resume=True` continues an interrupted run with the same VCF,
    genome, model and options (any difference is refused, naming it).

    Returns (and with `out`, writes) line, chrom, pos, id, ref, alt, kind and the method's
    columns (always `delta` and `score`); rejected records go to `errors` and to
    `<out stem>.errors.csv`: every VCF allele is in one of the two. `result.attrs` holds
    `rejected` (how many went to the errors table) and, with `out`, `errors_path`.
    The model and the genome are checked before the VCF is read.
    """
    from helixforge.core.io import check_output, staging_path
    from helixforge.core.progress import progress
    from helixforge.lm.inputs import as_path

    as_path(vcf, "vcf")  # None or a non-path is named before any work
    if genome is None:
        raise InputError("genome is None", hint="pass a FASTA path, a dna.io.Genome or a dict")
    if window is not None:
        require_int(window, "--window", min_value=1)
    require_int(batch_size, "--batch-size", min_value=1)
    require_int(chunk_size, "--chunk-size", min_value=1)
    _check_method(method, model)
    if tfs and method not in ("motif", "ensemble"):
        raise ConfigError(
            f"--tfs selects motifs; it needs --method motif or ensemble, not {method}"
        )
    if method == "mpra" and (motifs is not None or motif_pvalue != 1e-4):
        raise ConfigError(
            "--method mpra uses the motif set and threshold it was trained with",
            hint="drop --motifs / --motif-pvalue, or use --method motif",
        )
    motif_errors = RowErrors(motifs if isinstance(motifs, str | os.PathLike) else None)
    motif_scorer = (
        _motif_scorer(motifs, motif_pvalue, tfs, motif_errors)
        if method in ("motif", "ensemble", "mpra")
        else None
    )
    mpra_model = None
    if method == "mpra":
        from helixforge.dna.variants.mpra import MpraModel

        mpra_model = MpraModel.load()
    if out is not None:
        from helixforge.dna.motifs.pipeline import check_outputs_not_inputs

        check_outputs_not_inputs(out, [vcf, genome, model if isinstance(model, str) else None])
        check_output(out, overwrite=overwrite, kind="table")
    errors = errors if errors is not None else RowErrors(vcf)
    n_errors_before = len(errors)
    errors.extend(motif_errors)  # matrices of --motifs that could not be used: skipped
    # the model and the genome are checked before the VCF is read: a wrong --model (a run of
    # another domain, a missing checkpoint) is refused before any pass over a large VCF
    kind, scorer = (
        _resolve_model(model, target, device, batch_size) if model is not None else ("", None)
    )
    g = as_genome(genome)
    variants = read_variants(vcf, errors)
    model_max = getattr(scorer.model, "max_len", None) if kind == "supervised" else None
    if window is None:  # the default fits the model: one trained on 50-mers takes 64, not 200
        window = min(DEFAULT_WINDOW, model_max) if model_max else DEFAULT_WINDOW
    if model_max and window > model_max:
        raise ConfigError(
            f"--window {window} is longer than the model's maximum input of {model_max} bases",
            hint=f"use --window {model_max} or less",
        )
    model_min = _model_min_len(kind, model, scorer)
    if window < model_min:  # every window would be one [UNK]: the job died on sequences[0]
        raise ConfigError(
            f"--window {window} is shorter than one token of the model: its tokenizer reads "
            f"{model_min}-mers, so every window would be [UNK] alone",
            hint=f"use --window {model_min} or more (the default is {DEFAULT_WINDOW})",
        )
    usable = checked_alleles(variants, g, window, errors)  # windows: made chunk by chunk
    store = None
    if out is not None:
        key = {
            "vcf": fingerprint(vcf),
            "genome": fingerprint(genome),
            "model": fingerprint(model),
            "options": {
                "window": window,
                "class": target,
                "chunk_size": chunk_size,
                "method": method,
                "motif_pvalue": motif_pvalue,
            },
            "motifs": sorted(m.id for m in motif_scorer.motifs) if motif_scorer else None,
            # chunks are slices of this list: another list (new rules for which records are
            # scored) would mix two slicings, losing or repeating alleles
            "alleles": _alleles_fingerprint(usable),
        }
        store = ChunkStore(staging_path(out), key)
        store.start(resume)
    frames = []
    starts = range(0, len(usable), chunk_size)
    with progress("scoring variants", total=len(usable), quiet=quiet, unit="alleles") as advance:
        for k, start in enumerate(starts):
            part = usable[start : start + chunk_size]
            done = store.load(k) if store is not None else None
            if done is None:
                done = _score_chunk(kind, scorer, part, window, motif_scorer, mpra_model, g)
                if store is not None:
                    store.save(k, done)
            frames.append(done)
            advance(len(part))
    result = (
        pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=OUTPUT_COLUMNS)
    )
    if method == "ensemble":
        _ensemble_score(result)
    result.attrs["rejected"] = len(errors) - n_errors_before
    if out is not None:
        from helixforge.core.tables import write_table
        from helixforge.dna.motifs import errors_path

        errors.write(errors_path(out))
        result.attrs["errors_path"] = str(errors_path(out))
        if result.empty:
            store.clear()
            raise NoUsableRowsError(
                f"{vcf}: no variant could be scored; the {result.attrs['rejected']} rejected "
                f"records are in the errors table {errors_path(out)} (file, row, column, "
                "value, reason)",
                hint=errors.summary(),
            )
        write_table(result, out)
        store.clear()
    elif result.empty:
        raise NoUsableRowsError(f"{vcf}: no variant could be scored", hint=errors.summary())
    return result
