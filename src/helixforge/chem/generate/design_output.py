"""The files of a finished design run: ranked molecules, history, configs, timings, report.

    best = write_outputs(stage, cfg=cfg, ledger=ledger, resolved=..., timings=..., agent=None)

The report (core.report + the shared Jinja2 template) shows the run settings, the score
trajectory (best so far and mean of each step's new molecules), each component's mean per
step, the top molecules as a table and as an RDKit grid drawing (PNG, embedded), and how
the scores are distributed.
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from helixforge.chem.generate.history import HISTORY, ScoringLedger
from helixforge.chem.generate.scoring_config import DesignConfig

GRID_MOLECULES = 24


def ranked_molecules(history: pd.DataFrame) -> pd.DataFrame:
    """Every scored molecule, best first (ties: found first), with rank and step found."""
    order = np.lexsort((np.arange(len(history)), -history["score"].to_numpy(float)))
    ranked = history.iloc[order].reset_index(drop=True)
    ranked.insert(0, "rank", np.arange(1, len(ranked) + 1))
    cols = ["rank", "smiles", "score", "step"]
    return ranked[cols + [c for c in ranked.columns if c not in cols]]


def trajectory(history: pd.DataFrame) -> pd.DataFrame:
    """Per step: molecules scored, their mean and best score, and the best so far."""
    g = history.groupby("step")["score"]
    traj = pd.DataFrame({"new": g.size(), "mean": g.mean(), "best": g.max()})
    traj["best_so_far"] = traj["best"].cummax()
    traj["calls"] = traj["new"].cumsum()
    return traj.reset_index()


def _trajectory_figure(traj: pd.DataFrame):
    from helixforge.core.report import pyplot

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    ax.plot(traj["calls"], traj["best_so_far"], label="best so far")
    ax.plot(traj["calls"], traj["best"], label="best of step", alpha=0.6)
    ax.plot(traj["calls"], traj["mean"], label="mean of step")
    ax.set_xlabel("scoring calls")
    ax.set_ylabel("score")
    ax.set_ylim(-0.02, 1.02)
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def _components_figure(history: pd.DataFrame, names: list[str]):
    from helixforge.core.report import pyplot

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    means = history.groupby("step")[names].mean()
    calls = history.groupby("step").size().cumsum()
    for n in names:
        ax.plot(calls.to_numpy(), means[n].to_numpy(), label=n)
    ax.set_xlabel("scoring calls")
    ax.set_ylabel("mean component score")
    ax.set_ylim(-0.02, 1.02)
    ax.legend(loc="best", fontsize="small")
    fig.tight_layout()
    return fig


def molecule_grid_png(smiles: list[str], legends: list[str], per_row: int = 4) -> str:
    """An RDKit grid drawing of molecules as base64 PNG."""
    from rdkit import Chem
    from rdkit.Chem import Draw

    mols = [Chem.MolFromSmiles(s) for s in smiles]
    img = Draw.MolsToGridImage(
        mols, molsPerRow=per_row, subImgSize=(220, 180), legends=legends, returnPNG=True
    )
    data = img if isinstance(img, bytes) else img.data
    return base64.b64encode(data).decode("ascii")


def write_report(
    path: Path, cfg: DesignConfig, history: pd.DataFrame, ranked: pd.DataFrame, resolved: dict
) -> None:
    """report.html of a design run (byte-stable: no timestamps or timings)."""
    from helixforge.core.report import Report, histogram_figure

    run = resolved["run"]
    rep = Report(
        f"Design: {cfg.title or cfg.path.name}",
        subtitle=f"{run['optimizer'].upper()} · budget {run['budget']} · seed {run['seed']}",
    )
    rep.add_heading("Run")
    rep.add_table(
        pd.DataFrame([{k: v for k, v in run.items() if k not in ("prior_sha256", "start_sha256")}])
    )
    rep.add_table(
        pd.DataFrame(
            [
                {
                    "component": c.name,
                    "type": c.type,
                    "weight": c.weight,
                    "filter": c.filter,
                    "transform": json.dumps(c.transform.to_dict()),
                }
                for c in cfg.components
            ]
        )
    )
    rep.add_text(
        f"Aggregate: weighted {cfg.aggregate} mean of the non-filter components, times the filter components."
    )
    if len(history):
        traj = trajectory(history)
        rep.add_heading("Score trajectory")
        rep.add_figure(
            _trajectory_figure(traj), caption="Best and mean score per step against scoring calls"
        )
        rep.add_figure(
            _components_figure(history, [c.name for c in cfg.components]),
            caption="Mean component score per step",
        )
        rep.add_figure(
            histogram_figure(
                history["score"].to_numpy(float), "Scores of all scored molecules", "score"
            ),
            caption="Score distribution",
        )
        if "novel" in ranked:
            top100 = ranked.head(100)["novel"]
            rep.add_text(
                f"Novel (not in the prior's training set): {ranked['novel'].mean():.1%} of all "
                f"scored molecules, {top100.mean():.1%} of the top {len(top100)}."
            )
        rep.add_heading("Top molecules")
        top = ranked.head(GRID_MOLECULES)
        legends = [
            f"#{r} {s:.3f} (step {st})"
            for r, s, st in zip(top["rank"], top["score"], top["step"], strict=True)
        ]
        png = molecule_grid_png(top["smiles"].tolist(), legends)
        rep.add_html(
            f'<img alt="{html.escape("top molecules")}" src="data:image/png;base64,{png}" style="max-width:100%">'
        )
        rep.add_table(ranked, max_rows=50)
    rep.write(path)


def write_outputs(
    stage: Path,
    *,
    cfg: DesignConfig,
    ledger: ScoringLedger,
    resolved: dict[str, Any],
    timings: dict[str, float],
    agent=None,
    report: bool = True,
    novelty=None,
) -> float:
    """Write every output file into the staging directory; return the best score.
    With the prior's novelty reference (a Bloom filter of its training set), molecules.csv
    gets a `novel` column (not in the training set)."""
    from helixforge.core.artifacts import save_json
    from helixforge.core.tables import write_table, write_text

    history = ledger.history_frame()
    ranked = ranked_molecules(history)
    if novelty is not None and len(ranked):
        ranked.insert(4, "novel", ~np.asarray(novelty.contains(ranked["smiles"].tolist()), bool))
    write_table(ranked, stage / "molecules.csv")
    write_table(history, stage / HISTORY)
    write_text(cfg.text, stage / "config.toml")
    save_json(resolved, stage / "config.json")
    save_json({k: round(v, 3) for k, v in timings.items()}, stage / "timings.json")
    if agent is not None:
        agent.save(stage / "agent")
    if report:
        write_report(stage / "report.html", cfg, history, ranked, resolved)
    return float(ranked["score"].iloc[0]) if len(ranked) else 0.0
