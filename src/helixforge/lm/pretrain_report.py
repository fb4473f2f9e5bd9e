"""What a finished pretraining run leaves behind: the save_pretrained model and tokenizer,
helixforge_lm.json (with the run's options), log.jsonl, metrics.json, versions.json, card.md and report.html
(loss curves), and timings.json (train seconds, tokens/s). The same command and seed give the same
bytes in every file but timings.json and log.jsonl (a log: its rows hold the tokens/s of each
logging window)."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

WALL_CLOCK_FIELDS = ("tokens_per_second",)  # of PretrainResult: in timings.json, not metrics.json


def write_pretrain_outputs(
    stage: Path,
    *,
    model,
    tok,
    state: dict[str, Any],
    history: list[dict[str, Any]],
    meta: dict[str, Any],
    corpus: str | os.PathLike,
    config: dict[str, Any],
    result_cls,
    out_dir: Path,
):
    """Write every output of the run into `stage` (swapped in at `out_dir` by the caller)."""
    from helixforge.core.artifacts import RunDir, save_json
    from helixforge.core.tables import write_text
    from helixforge.lm.models import META_FILE

    model.save_pretrained(str(stage))
    tok.save(stage)
    # config.json is the model's own (save_pretrained); the run's options go to helixforge_lm.json
    save_json({**meta, "run": config}, stage / META_FILE)
    write_text("".join(json.dumps(h) + "\n" for h in history), stage / "log.jsonl")
    seconds = state["train_seconds"]
    last_valid = next(
        (h["valid_loss"] for h in reversed(history) if h.get("valid_loss") is not None), None
    )
    result = result_cls(
        out=str(out_dir),
        steps=state["step"],
        parameters=meta["parameters"],
        tokens_seen=state["tokens"],
        tokens_per_second=state["tokens"] / seconds if seconds else 0.0,
        history=history,
        final_valid_loss=last_valid,
        final_valid_perplexity=math.exp(min(last_valid, 50)) if last_valid is not None else None,
        rejected_lines=int(meta.get("rejected_lines", 0)),
    )
    run = RunDir(stage)
    # wall-clock figures go to timings.json: every other file is the same bytes for the same
    # command and seed (tokens_per_second in metrics.json made two identical runs differ); the
    # output path is left out too (the folder's own path: a copy or a second --out differed)
    skip = ("history", "out", *WALL_CLOCK_FIELDS)
    run.save_metrics({k: v for k, v in result.to_dict().items() if k not in skip})
    run.save_timing(train_seconds=float(seconds), tokens_per_second=result.tokens_per_second)
    run.save_versions([corpus])
    ppl = result.final_valid_perplexity
    valid_text = (
        "no validation sequences"
        if last_valid is None
        else f"final loss {last_valid:.4f} (perplexity {ppl:.3f})"
    )
    title = f"HelixForge {meta['objective']} ({meta['arch']}, {meta['parameters']:,} parameters)"
    run.write_card(
        title,
        {
            "Data": f"{meta['corpus_description']}. Tokenizer {meta['tokenizer']}, windows of "
            f"{meta['max_len']} tokens."
            + (
                f" {meta['rejected_lines']:,} corpus line(s) that are not sequences for the "
                "tokenizer were left out (errors.csv)."
                if meta.get("rejected_lines")
                else ""
            ),
            "Training": f"{meta['steps']} steps × {meta['batch_size'] * meta['accumulate']} "
            f"sequences, {state['tokens']:,} tokens, lr {meta['lr']}, seed {meta['seed']}.",
            "Validation": valid_text,
            "Use": "Load with transformers (AutoModelForMaskedLM / AutoModelForCausalLM, "
            "AutoTokenizer) or `helix lm finetune|embed|score`. Loading never runs code from "
            "this folder.",
        },
    )
    _write_report(stage / "report.html", title, meta, result, history)
    return result


def _write_report(path: Path, title: str, meta: dict, result, history: list[dict]) -> None:
    from helixforge.core.report import Report

    rep = Report(title, subtitle=meta["corpus_description"])
    rep.add_metrics(
        {
            "run": {
                "steps": result.steps,
                "parameters": result.parameters,
                "tokens seen": result.tokens_seen,
                "final valid loss": result.final_valid_loss,
                "final valid perplexity": result.final_valid_perplexity,
            }
        }
    )
    curves = [
        {
            "step": h["step"],
            "train_loss": h["train_loss"],
            "valid_loss": h.get("valid_loss") if h.get("valid_loss") is not None else float("nan"),
        }
        for h in history
    ]
    rep.add_learning_curves(curves, name="(loss by optimizer step)")
    rep.write(path)
