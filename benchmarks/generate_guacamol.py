"""GuacaMol goal-directed tasks through `helix chem design` (RL and GA, equal scoring budgets),
plus the issue's timing goal (a 10k-call RL design with a LightGBM model on 2 cores).

    .venv/bin/python benchmarks/generate_guacamol.py --optimizers ga --seeds 0 1 2   # resumable
    .venv/bin/python benchmarks/generate_guacamol.py --optimizers rl --seeds 0
    .venv/bin/python benchmarks/generate_guacamol.py --part timing
    .venv/bin/python benchmarks/generate_guacamol.py --part report

Each task is written as a design TOML (scoring components + transforms of
helixforge.chem.generate) that restates GuacaMol's definition (Brown et al., J. Chem. Inf.
Model. 2019, 59, 1096–1108; guacamol/standard_benchmarks.py): the same reference molecules,
fingerprints (ECFP4/ECFP6/FCFP4 as unfolded Morgan *count* vectors, AP as atom-pair counts
with max distance 10), modifiers (ClippedScoreModifier → maximise, Min/MaxGaussianModifier →
min_gaussian/max_gaussian, GaussianModifier → gaussian) and geometric means. The task score
is GuacaMol's: the mean of the top-1, top-10 and top-100 averages of the molecules found
(top-1 only for rediscovery). The tasks' own self-checks run first (`check_tasks`).

Budget: every run gets the same number of scoring calls (distinct valid molecules scored,
duplicates free; --budget, default 10,000). The GA starts from 1,000 random MOSES-train
molecules (scored within the budget); RL starts from the shipped MOSES prior. GuacaMol's
published baselines used far larger budgets (Graph GA: population 100, 100 children per
generation from a 200-parent mating pool, up to 1,000 generations, starting from the top 100
of all ~1.6M ChEMBL molecules scored by the objective; SMILES LSTM: 20 rounds of 8,192
samples) — the table says so beside their numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from _common import RESULTS_DIR, append_row, done_keys, load_rows, markdown_table  # noqa: E402

NAME = "generate_guacamol"
JSON = RESULTS_DIR / f"{NAME}.json"
MD = RESULTS_DIR / f"{NAME}.md"
WORK = ROOT / ".bench" / "guacamol"
DATA = ROOT.parent / "shared" / "data" / "chem"

CELECOXIB = "CC1=CC=C(C=C1)C1=CC(=NN1C1=CC=C(C=C1)S(N)(=O)=O)C(F)(F)F"
OSIMERTINIB = "COc1cc(N(C)CCN(C)C)c(NC(=O)C=C)cc1Nc2nccc(n2)c3cn(C)c4ccccc34"
RANOLAZINE = "COc1ccccc1OCC(O)CN2CCN(CC(=O)Nc3c(C)cccc3C)CC2"
PERINDOPRIL = "O=C(OCC)C(NC(C(=O)N1C(C(=O)O)CC2CCCCC12)C)CCC"
AMLODIPINE = r"Clc1ccccc1C2C(=C(/N/C(=C2/C(=O)OCC)COCCN)C)\C(=O)OC"
CAMPHOR = "CC1(C)C2CCC1(C)C(=O)C2"
MENTHOL = "CC(C)C1CCC(C)CC1O"


def _sim(name: str, smiles: str, fp: str, transform: str = '{ type = "none" }') -> str:
    return f"""
[[component]]
name = "{name}"
type = "similarity"
smiles = ['{smiles}']
fingerprint = "{fp}"
transform = {transform}
"""


def _prop(name: str, prop: str, transform: str, extra: str = "") -> str:
    return f"""
[[component]]
name = "{name}"
type = "property"
property = "{prop}"
{extra}transform = {transform}
"""


HEAD = '[scoring]\naggregate = "geometric"\n'
TASKS: dict[str, tuple[str, tuple[int, ...]]] = {
    "Celecoxib rediscovery": (
        HEAD + _sim("celecoxib", CELECOXIB, "ecfp4_count"),
        (1,),
    ),
    "Osimertinib MPO": (
        HEAD
        + _sim(
            "sim_fcfp4", OSIMERTINIB, "fcfp4_count", '{ type = "maximise", low = 0.0, high = 0.8 }'
        )
        + _sim(
            "sim_ecfp6",
            OSIMERTINIB,
            "ecfp6_count",
            '{ type = "min_gaussian", mu = 0.85, sigma = 0.1 }',
        )
        + _prop("tpsa", "tpsa", '{ type = "max_gaussian", mu = 100, sigma = 10 }')
        + _prop("logp", "logp", '{ type = "min_gaussian", mu = 1, sigma = 1 }'),
        (1, 10, 100),
    ),
    "Ranolazine MPO": (
        HEAD
        + _sim("sim_ap", RANOLAZINE, "ap", '{ type = "maximise", low = 0.0, high = 0.7 }')
        + _prop("logp", "logp", '{ type = "max_gaussian", mu = 7, sigma = 1 }')
        + _prop(
            "fluorine",
            "element_count",
            '{ type = "gaussian", mu = 1, sigma = 1 }',
            'element = "F"\n',
        )
        + _prop("tpsa", "tpsa", '{ type = "max_gaussian", mu = 95, sigma = 20 }'),
        (1, 10, 100),
    ),
    "Perindopril MPO": (
        HEAD
        + _sim("perindopril", PERINDOPRIL, "ecfp4_count")
        + _prop("aromatic_rings", "aromatic_rings", '{ type = "gaussian", mu = 2, sigma = 0.5 }'),
        (1, 10, 100),
    ),
    "Amlodipine MPO": (
        HEAD
        + _sim("amlodipine", AMLODIPINE, "ecfp4_count")
        + _prop("rings", "rings", '{ type = "gaussian", mu = 3, sigma = 0.5 }'),
        (1, 10, 100),
    ),
    "Median molecules 1": (
        HEAD + _sim("menthol", MENTHOL, "ecfp4_count") + _sim("camphor", CAMPHOR, "ecfp4_count"),
        (1, 10, 100),
    ),
}
# Brown et al. 2019, Table 2 (goal-directed benchmarks): SMILES LSTM and Graph GA.
PUBLISHED = {
    "Celecoxib rediscovery": {"smiles_lstm": 1.000, "graph_ga": 1.000},
    "Osimertinib MPO": {"smiles_lstm": 0.907, "graph_ga": 0.953},
    "Ranolazine MPO": {"smiles_lstm": 0.855, "graph_ga": 0.920},
    "Perindopril MPO": {"smiles_lstm": 0.808, "graph_ga": 0.792},
    "Amlodipine MPO": {"smiles_lstm": 0.894, "graph_ga": 0.894},
    "Median molecules 1": {"smiles_lstm": 0.438, "graph_ga": 0.406},
}


def task_file(task: str) -> Path:
    WORK.mkdir(parents=True, exist_ok=True)
    p = WORK / (task.lower().replace(" ", "_") + ".toml")
    p.write_text(f'title = "{task}"\n' + TASKS[task][0], encoding="utf-8")
    return p


def guacamol_score(scores: list[float], spec: tuple[int, ...]) -> tuple[float, dict]:
    """GuacaMol's aggregate: mean over k in spec of the mean of the top-k scores."""
    s = sorted(scores, reverse=True)
    parts = {f"top{k}": sum(s[:k]) / k if len(s) >= k else sum(s) / k for k in spec}
    return sum(parts.values()) / len(parts), parts


def check_tasks() -> None:
    """Known values: a reference molecule scores 1 against itself; Celecoxib rediscovery of
    celecoxib is 1; hand-computed partial scores of osimertinib."""
    from helixforge.chem.generate.scoring import load_scoring

    cel = load_scoring(task_file("Celecoxib rediscovery")).score([CELECOXIB])
    assert abs(cel["score"].iloc[0] - 1.0) < 1e-9, cel
    osi = load_scoring(task_file("Osimertinib MPO")).score([OSIMERTINIB]).iloc[0]
    assert abs(osi["sim_fcfp4"] - 1.0) < 1e-9 and abs(osi["sim_ecfp6_raw"] - 1.0) < 1e-9
    import math

    assert abs(osi["sim_ecfp6"] - math.exp(-0.5 * 1.5**2)) < 1e-9
    med = load_scoring(task_file("Median molecules 1")).score([MENTHOL]).iloc[0]
    assert abs(med["menthol"] - 1.0) < 1e-9 and med["camphor"] < 1


def start_file(n: int = 1000, seed: int = 0) -> Path:
    """n random MOSES-train SMILES (the GA's start population; scored within the budget)."""
    import numpy as np
    import pandas as pd

    p = WORK / f"moses_start_{n}_{seed}.smi"
    if not p.exists():
        df = pd.read_csv(DATA / "corpora" / "moses_train.csv.gz")
        idx = np.random.default_rng(seed).choice(len(df), size=n, replace=False)
        p.write_text("\n".join(df["SMILES"].iloc[np.sort(idx)]) + "\n", encoding="utf-8")
    return p


def run_task(task: str, optimizer: str, seed: int, budget: int) -> dict:
    from helixforge.chem.generate.design import design

    cfg = task_file(task)
    text = cfg.read_text()
    if optimizer == "ga":
        text += f'\n[ga]\nstart = "{start_file(1000, seed)}"\n'
    cfg = cfg.with_name(cfg.stem + f"_{optimizer}_{seed}.toml")
    cfg.write_text(text, encoding="utf-8")
    out = WORK / "runs" / f"{cfg.stem}_{budget}"
    t0 = time.perf_counter()
    res = design(
        cfg, out, optimizer=optimizer, budget=budget, seed=seed, overwrite=True, resume=False
    )
    wall = time.perf_counter() - t0
    import pandas as pd

    hist = pd.read_csv(out / "history.csv")
    score, parts = guacamol_score(hist["score"].tolist(), TASKS[task][1])
    best = hist.sort_values("score", ascending=False).iloc[0]
    return {
        "task": task,
        "model": optimizer,
        "seed": seed,
        "budget": budget,
        "used": res.used,
        "steps": res.steps,
        "score": round(score, 4),
        **{k: round(v, 4) for k, v in parts.items()},
        "best_smiles": best["smiles"],
        "wall_s": round(wall, 1),
        **{k: round(v, 1) for k, v in res.timings.items()},
        "stopped": res.stopped,
    }


def run_timing(budget: int) -> dict:
    """RL design with a LightGBM model component + QED + SA, `budget` calls, ONE thread (a
    cpujob slot): a conservative stand-in for the 2-core goal."""
    from helixforge.chem.generate.design import design
    from helixforge.chem.train import train_property_model

    model_dir = WORK / "lgbm_lipo"
    if not (model_dir / "config.json").exists():
        src = DATA / "tdc_admet" / "admet_group" / "lipophilicity_astrazeneca" / "train_val.csv"
        train_property_model(src, "Drug", ["Y"], model="gbm", out=model_dir, overwrite=True)
    cfg = WORK / "timing.toml"
    cfg.write_text(
        f"""title = "lipophilicity window + drug-likeness (timing)"
[[component]]
name = "logd"
type = "model"
path = "{model_dir}"
transform = {{ type = "double_sigmoid", low = 1.0, high = 3.0 }}
[[component]]
type = "qed"
[[component]]
type = "sa"
""",
        encoding="utf-8",
    )
    out = WORK / "runs" / f"timing_{budget}"
    t0 = time.perf_counter()
    res = design(cfg, out, optimizer="rl", budget=budget, seed=0, overwrite=True, n_jobs=1)
    wall = time.perf_counter() - t0
    return {
        "task": f"timing: RL, LightGBM model + QED + SA, {budget} calls",
        "model": "rl",
        "seed": 0,
        "budget": budget,
        "used": res.used,
        "steps": res.steps,
        "score": round(res.best_score, 4),
        "wall_s": round(wall, 1),
        **{k: round(v, 1) for k, v in res.timings.items()},
        "stopped": res.stopped,
    }


def report() -> None:
    from _common import fmt_mean_sd

    rows = load_rows(JSON)
    lines = [
        "# GuacaMol goal-directed tasks: `helix chem design` RL and GA\n",
        "Machine: 2 CPU cores shared with other jobs (one thread per run), no GPU. Scores are "
        "GuacaMol's (mean of top-1/10/100 averages; top-1 for rediscovery), computed from every "
        "molecule a run scored. Tasks reimplemented with RDKit from the GuacaMol definitions "
        "(`benchmarks/generate_guacamol.py`, self-checked on the reference molecules). "
        "Mean ± sd (number of seeds).\n",
    ]
    task_rows = [r for r in rows if r["task"] in TASKS]
    budgets = sorted({r["budget"] for r in task_rows}, reverse=True)
    if not any(r["model"] == "rl" for r in task_rows):
        lines.append(
            "**Status:** RL rows and the timing row are not measured yet: they need the shipped "
            "MOSES prior (`helix chem generate`'s default), which was still queued for training "
            "when these rows were run. Run `benchmarks/generate_guacamol.py --optimizers rl` and "
            "`--part timing` once it is installed. The GA budgets (2,000 and 5,000 calls instead "
            "of 10,000) are reduced because the two shared CPU slots were busy for the whole "
            "session; each GA run here took 10–20 s of one core.\n"
        )
    pub = {t: PUBLISHED[t]["graph_ga"] for t in TASKS if t in PUBLISHED}
    best_ga = {}
    for r in task_rows:
        if r["model"] == "ga" and r["task"] in pub:
            best_ga.setdefault(r["task"], []).append((r["budget"], r["score"]))
    if best_ga:
        summary, beats = [], 0
        for t, runs in best_ga.items():
            b = max(x for x, _ in runs)
            n = sum(1 for x, _ in runs if x == b)
            mean = sum(v for x, v in runs if x == b) / n
            beats += "MPO" in t and mean > pub[t]
            summary.append(f"{t} {mean:.3f} vs {pub[t]:.3f} ({b:,} calls, {n} seed{'s' * (n > 1)})")
        n_mpo = sum("MPO" in t for t in best_ga)
        lines.append(
            "**Goal (issue 13): beat the published Graph GA on the MPO tasks with no more scoring "
            f"calls than it used** — not met: ahead on {beats} of {n_mpo} MPO tasks. Our GA at "
            "its largest budget run here: "
            + "; ".join(summary)
            + ". (Graph GA itself scored all ~1.6M ChEMBL molecules to choose its start, so every "
            "budget here is far below its call count.) The 2,000- and 5,000-call GA rows come from "
            "the GA before GuacaMol's mutation rules were adopted (commit df0b85b), as does the "
            "Celecoxib 50,000-call row; the other 10,000- and 50,000-call rows come from the "
            "current GA.\n"
        )
    for b in budgets:
        lines.append(f"\n## Budget: {b:,} scoring calls per run\n")
        table = []
        for task in TASKS:
            cell = {}
            for opt in ("rl", "ga"):
                vals = [
                    r["score"]
                    for r in task_rows
                    if r["task"] == task and r["model"] == opt and r["budget"] == b
                ]
                cell[opt] = fmt_mean_sd(vals)
            pub = PUBLISHED[task]
            table.append(
                [
                    task,
                    cell["rl"],
                    cell["ga"],
                    f"{pub['graph_ga']:.3f}",
                    f"{pub['smiles_lstm']:.3f}",
                ]
            )
        lines.append(
            markdown_table(
                [
                    "task",
                    "ours RL (prior + REINVENT-style)",
                    "ours Graph GA",
                    "published Graph GA*",
                    "published SMILES LSTM*",
                ],
                table,
            )
        )
    lines.append(
        "\n\\* Brown, Fiscato, Segler, Vaucher: *GuacaMol: Benchmarking Models for de Novo Molecular "
        "Design*, J. Chem. Inf. Model. 2019, 59, 1096–1108, Table 2. Their budgets were far larger "
        "than ours: Graph GA scored all ~1.6M ChEMBL molecules to pick its start population (the "
        "top 100 already score 0.839 on Osimertinib MPO and 0.575 on Perindopril MPO), then ran up "
        "to 1,000 generations of 100 children (≤ 100k further calls); the SMILES LSTM hill-climber scored "
        "20 × 8,192 samples after pretraining on ChEMBL. Our runs start from random MOSES molecules "
        "(GA) or the MOSES prior (RL) and count every scored molecule, the start population included.\n"
    )
    lines.append("\n## Every run\n")
    lines.append(
        markdown_table(
            [
                "task",
                "optimizer",
                "seed",
                "budget",
                "used",
                "steps",
                "score",
                "wall s",
                "scoring s",
                "sampling s",
                "learning s",
                "stopped",
                "best molecule",
            ],
            [
                [
                    r["task"],
                    r["model"],
                    r["seed"],
                    r["budget"],
                    r["used"],
                    r["steps"],
                    r["score"],
                    r["wall_s"],
                    r.get("scoring_s"),
                    r.get("sampling_s"),
                    r.get("learning_s"),
                    r["stopped"],
                    f"`{r.get('best_smiles', '')}`",
                ]
                for r in rows
                if r["task"] in TASKS or r["task"].startswith("timing:")
            ],
        )
    )
    measured_timing = any(r["task"].startswith("timing:") for r in rows)
    est = [r for r in rows if r["task"] == "timing-estimate" and not measured_timing]
    for r in est:
        lines.append(
            "\n## Timing goal (10k calls, 2 cores, < 15 min): component measurements\n\n"
            "The full 10k-call RL run waits for the shipped prior; these are measured pieces on "
            f"ONE core. Scoring 1,000 MOSES-test molecules with a LightGBM run (lipophilicity, "
            f"standardize + featurize + predict) + QED + SA: {r['score_1000_s']} s, so 10,000 "
            f"calls ≈ {10 * r['score_1000_s']:.0f} s. One RL step (batch 64; sample with "
            f"gradient + prior likelihood + Adam) with the shipped architecture (3×256 LSTM, "
            f"random weights, max_len 100; its strings end after a few dozen tokens, the order of "
            f"a MOSES SMILES): "
            f"{r['rl_step_s']} s; 10,000 calls need ≈ {r['steps_needed']} steps at ~85 % valid "
            f"and new per batch, ≈ {r['rl_step_s'] * r['steps_needed']:.0f} s. Estimated total "
            f"≈ {(10 * r['score_1000_s'] + r['rl_step_s'] * r['steps_needed']) / 60:.1f} min on "
            "one core plus checkpoints (≈ 50 ms per step): inside the 15-minute goal, to be "
            "confirmed by the measured row.\n"
        )
    timing = [r for r in rows if r["task"].startswith("timing:")]
    if timing:
        lines.append(
            "\n## Timing goal: a 10k-call design run on 2 cores in under 15 minutes (measured on ONE core)\n"
        )
        for r in timing:
            other = r["wall_s"] - r["scoring_s"] - r["sampling_s"] - r["learning_s"]
            lines.append(
                f"- {r['task']}: **{r['wall_s'] / 60:.1f} min** wall for {r['used']:,} scoring calls "
                f"({r['steps']} steps): prior sampling {r['sampling_s']:.0f} s, scoring "
                f"{r['scoring_s']:.0f} s (standardize + featurize + LightGBM + QED + SA), agent "
                f"update {r['learning_s']:.0f} s, checkpoints/report/other {other:.0f} s. "
                f"Goal < 15 min: {'met' if r['wall_s'] < 900 else 'NOT met'}.\n"
            )
    MD.write_text("\n".join(lines), encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--part", choices=("tasks", "timing", "report"), default="tasks")
    ap.add_argument("--optimizers", nargs="+", default=["ga", "rl"])
    ap.add_argument("--seeds", nargs="+", type=int, default=[0])
    ap.add_argument("--tasks", nargs="+", default=list(TASKS))
    ap.add_argument("--budget", type=int, default=10_000)
    args = ap.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import torch

    torch.set_num_threads(1)
    if args.part == "tasks":
        check_tasks()
        for seed in args.seeds:
            for opt in args.optimizers:
                for task in args.tasks:
                    key = (task, opt, seed)
                    if key in {(t, m, s) for t, m, s in done_keys(JSON) if True} and any(
                        r["budget"] == args.budget
                        for r in load_rows(JSON)
                        if (r["task"], r["model"], r["seed"]) == key
                    ):
                        continue
                    row = run_task(task, opt, seed, args.budget)
                    print(json.dumps(row), flush=True)
                    append_row(JSON, row, key=("task", "model", "seed", "budget"))
                    report()
    elif args.part == "timing":
        row = run_timing(args.budget)
        print(json.dumps(row), flush=True)
        append_row(JSON, row, key=("task", "model", "seed", "budget"))
    report()


if __name__ == "__main__":
    main()
