"""The `--model auto` section of benchmarks/results/dna.md (rows of benchmarks/dna.py)."""

from __future__ import annotations

import numpy as np

AUTO_TASKS = ("prom_core_tata", "human_tf_2", "prom_300_tata")
COMPARED = ("auto", "cnn", "resnet_pos", "resnet")


def auto_section(gue: list[dict]) -> list[str]:
    """Mean ± sd test MCC over seeds for auto and the fixed models, and what auto chose."""
    if not any(r["model"] == "auto" for r in gue):
        return []
    lines = [
        "",
        "### `--model auto` (the default of `helix dna train`) vs fixed models",
        "",
        "auto = successive halving over cnn / resnet / resnet_pos (`helixforge.dna.auto`): rung 0 "
        "trains each for 2 epochs on GUE train and scores validation log-loss on GUE dev; the "
        "better two are retrained with the task's full epoch cap and compared again on dev; the "
        "winner's full-epoch model is the result (`helix dna train` makes that same model its "
        "first member; it used to train it once more, to the same bytes). Test is never used to choose. Same per-model settings as the rows above. Test "
        "MCC x100, mean ± sd over the seeds run (n); wall seconds include the search. The seed-0 "
        "rows of the fixed models were timed in an earlier session under heavier machine load, "
        "so compare seconds only between rows of the same seed set.",
        "",
        "| task | model | MCC | n seeds | train wall s (mean) | auto chose (per seed) |",
        "|---|---|---|---|---|---|",
    ]
    for task in AUTO_TASKS:
        for model in COMPARED:
            rs = [r for r in gue if r["task"] == task and r["model"] == model]
            if not rs:
                continue
            mcc = np.array([100 * r["mcc"] for r in rs])
            sd = f" ± {mcc.std(ddof=1):.1f}" if len(mcc) > 1 else ""
            chose = (
                ", ".join(
                    f"s{r['seed']}: {r['auto_chosen']}" for r in sorted(rs, key=lambda r: r["seed"])
                )
                if model == "auto"
                else ""
            )
            secs = np.mean([r["train_seconds"] for r in rs])
            lines.append(
                f"| {task} | {model} | {mcc.mean():.1f}{sd} | {len(rs)} | {secs:.0f} | {chose} |"
            )
    return lines
