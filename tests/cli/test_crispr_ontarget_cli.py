"""helix crispr score-ontarget / train-ontarget."""

from __future__ import annotations

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from helixforge.cli.app import app

runner = CliRunner()
GOOD = "TTCTGCCTTGTTTCTTTCCTCTCTGGGTCG"


def _contexts(n: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        s = rng.choice(list("ACGT"), 30)
        s[25:27] = "G"
        out.append("".join(s))
    return out


def test_score_ontarget_writes_scores_and_errors(tmp_path):
    data = tmp_path / "guides.csv"
    pd.DataFrame({"name": ["g1", "g2", "bad"], "ctx": [GOOD, GOOD[4:27], "ACGT"]}).to_csv(
        data, index=False
    )
    out = tmp_path / "scored.csv"
    res = runner.invoke(
        app,
        [
            "crispr",
            "score-ontarget",
            str(data),
            "--context-col",
            "ctx",
            "--out",
            str(out),
            "--model",
            "gbm",
        ],
    )
    assert res.exit_code == 0, res.output
    scored = pd.read_csv(out)
    assert list(scored["name"]) == ["g1", "g2", "bad"]
    assert scored["ontarget_score"].notna().tolist() == [True, True, False]
    errors = pd.read_csv(tmp_path / "scored.errors.csv")
    assert errors["row"].tolist() == [4] and "length 4" in errors["reason"][0]


def test_score_ontarget_missing_column_is_a_clear_error(tmp_path):
    data = tmp_path / "guides.csv"
    pd.DataFrame({"seq": [GOOD]}).to_csv(data, index=False)
    res = runner.invoke(
        app, ["crispr", "score-ontarget", str(data), "--out", str(tmp_path / "o.csv")]
    )
    assert res.exit_code == 2
    assert "'context' not found" in res.output and "'seq'" in res.output


def test_train_then_score_with_the_trained_model(tmp_path):
    ctx = _contexts(200)
    y = [2.0 * (c[23] == "G") + 0.1 * i % 3 for i, c in enumerate(ctx)]
    data = tmp_path / "screen.tsv"
    pd.DataFrame({"context": ctx, "activity": y}).to_csv(data, sep="\t", index=False)
    model_dir = tmp_path / "my_model"
    res = runner.invoke(app, ["crispr", "train-ontarget", str(data), "--context-col", "context", "--target-col", "activity",
                              "--model", "gbm", "--ensemble", "2", "--coverage", "0.8",
                              "--out", str(model_dir)])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "held-out Spearman" in res.output and "interval coverage" in res.output
    assert (model_dir / "model" / "member_0" / "model.txt").exists()
    assert {"card.md", "report.html", "conformal.json"} <= {p.name for p in model_dir.iterdir()}
    guides = tmp_path / "g.csv"
    pd.DataFrame({"context": ctx[:5]}).to_csv(guides, index=False)
    res = runner.invoke(
        app,
        [
            "crispr",
            "score-ontarget",
            str(guides),
            "--out",
            str(tmp_path / "s.csv"),
            "--model",
            str(model_dir),
        ],
    )
    assert res.exit_code == 0, res.output
    assert pd.read_csv(tmp_path / "s.csv")["ontarget_score"].notna().all()
