"""`auto`'s rules (chem.selection): by default the lowest CV loss (the blend when it is better
by a margin); opt-in, gbm is kept unless a candidate beats it on the CV folds by more than the
fold-to-fold noise of the paired gain; the blend is also scored with cross-fitted weights; the
decision is recorded."""

from __future__ import annotations

import numpy as np
import pytest

from helixforge.chem.selection import (
    RULE,
    best_blend_weight,
    crossfit_blend_losses,
    decide,
    decide_lowest,
    paired_gain,
    select_model,
)


def test_the_default_rule_takes_the_lowest_cv_loss_even_without_a_margin():
    gbm = [0.30, 0.30, 0.30, 0.30, 0.30]
    lucky = [0.10, 0.31, 0.31, 0.31, 0.31]
    chosen, info = decide_lowest({"gbm": gbm, "minimol-mlp": lucky}, {})
    assert chosen == "minimol-mlp" and "lowest" in info["reason"]


def test_the_default_rule_blends_only_when_the_blend_is_better_by_the_margin():
    losses = {"gbm": [0.30, 0.30], "minimol-gbm": [0.28, 0.28], "blend:x": [0.27, 0.27]}
    chosen, _ = decide_lowest(losses, {"blend:x": 0.279})  # 0.001 better: not enough
    assert chosen == "minimol-gbm"
    chosen, info = decide_lowest(losses, {"blend:x": 0.27})
    assert (
        chosen == "blend:x" and info["candidates"]["blend:x"]["oof_loss_at_chosen_weight"] == 0.27
    )


def test_an_unknown_rule_is_refused_before_any_fit():
    from helixforge.core.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown auto rule"):
        select_model(["CCO", "CCN"], np.zeros((2, 1)), ["regression"], ["gbm", "x"], rule="best")


def test_a_consistent_gain_switches_away_from_gbm():
    gbm = [0.30, 0.32, 0.31, 0.29, 0.30]
    better = [0.25, 0.27, 0.26, 0.24, 0.26]  # 0.04-0.05 better on every fold
    chosen, info = decide({"gbm": gbm, "minimol-gbm": better})
    assert chosen == "minimol-gbm"
    e = info["candidates"]["minimol-gbm"]
    assert e["qualifies"] and e["gain"] > e["gain_sd"] and e["paired_folds"] == 5
    assert info["baseline"] == "gbm" and "beats gbm" in info["reason"]


def test_a_lower_mean_carried_by_one_lucky_fold_keeps_gbm():
    gbm = [0.30, 0.30, 0.30, 0.30, 0.30]
    lucky = [0.10, 0.31, 0.31, 0.31, 0.31]  # mean 0.268 < 0.30, but only fold 0 is better
    chosen, info = decide({"gbm": gbm, "minimol-mlp": lucky})
    assert np.mean(lucky) < np.mean(gbm)
    assert chosen == "gbm" and not info["candidates"]["minimol-mlp"]["qualifies"]
    assert "no candidate" in info["reason"]


def test_among_qualifying_candidates_the_lowest_mean_loss_wins():
    gbm = [0.30, 0.32, 0.31, 0.29, 0.30]
    a = [0.25, 0.27, 0.26, 0.24, 0.26]
    b = [0.20, 0.22, 0.21, 0.19, 0.21]
    noisy = [0.05, 0.40, 0.05, 0.40, 0.05]  # lowest mean of all, but pure noise against gbm
    chosen, info = decide({"gbm": gbm, "a": a, "b": b, "noisy": noisy})
    assert chosen == "b"
    assert info["candidates"]["a"]["qualifies"] and not info["candidates"]["noisy"]["qualifies"]


def test_gain_needs_two_defined_folds():
    gain, sd, n = paired_gain(np.array([0.3, np.nan, 0.3]), np.array([0.1, 0.1, np.nan]))
    assert n == 1 and np.isnan(sd) and gain == pytest.approx(0.2)
    chosen, _ = decide({"gbm": [0.3, np.nan, 0.3], "x": [0.1, 0.1, np.nan]})
    assert chosen == "gbm"  # no noise estimate: the baseline stays


def test_blend_losses_are_scored_with_weights_picked_on_the_other_folds():
    rng = np.random.default_rng(1)
    y = rng.normal(size=(300, 1))
    a, b = y + 0.6 * rng.normal(size=y.shape), y + 0.6 * rng.normal(size=y.shape)
    held = np.array_split(np.arange(300), 3)
    folds = [(np.setdiff1d(np.arange(300), h), h) for h in held]
    pa, pb = [a[h] for _, h in folds], [b[h] for _, h in folds]
    losses, weights = crossfit_blend_losses(["regression"], y, folds, pa, pb)
    assert len(losses) == len(weights) == 3
    for k in range(3):
        others = [j for j in range(3) if j != k]
        w, _ = best_blend_weight(["regression"], y, folds, pa, pb, use=others)
        assert weights[k] == w
    _, in_sample = best_blend_weight(["regression"], y, folds, pa, pb)
    assert np.mean(losses) >= in_sample - 1e-12  # the tuned weight's own score is the optimist


def test_select_model_records_the_rule_fold_losses_and_decision(make_table, fast_gbm):
    df = make_table()
    record: dict = {}
    chosen, scores = select_model(
        df["smiles"],
        df[["logp_like"]].to_numpy(),
        ["regression"],
        candidates=["gbm", "gbm-fast"],
        folds=3,
        params={"gbm": fast_gbm, "gbm-fast": fast_gbm},
        record=record,
    )
    assert record["rule"] == RULE and record["folds"] == 3 and record["chosen"] == chosen
    cands = record["candidates"]
    assert {"gbm", "gbm-fast"} <= set(cands) and set(cands) == set(scores)
    assert all(len(c["fold_losses"]) == 3 for c in cands.values())
    blend = [k for k in cands if k.startswith("blend:")]
    assert len(blend) == 1 and len(cands[blend[0]]["fold_weights"]) == 3
    for name, c in cands.items():
        assert scores[name] == pytest.approx(np.mean(c["fold_losses"]), abs=1e-5)
    if chosen != "gbm":
        assert cands[chosen]["qualifies"]
    else:
        assert not any(c.get("qualifies") for c in cands.values())


def test_one_candidate_is_chosen_without_cv_and_says_so():
    record: dict = {}
    assert select_model(["CCO"], np.zeros((1, 1)), ["regression"], ["gbm"], record=record) == (
        "gbm",
        {},
    )
    assert record["chosen"] == "gbm" and "one candidate" in record["reason"]


def test_select_model_hands_out_its_out_of_fold_predictions_for_offline_rules(make_table, fast_gbm):
    from helixforge.chem.models.gbm import use_log_target
    from helixforge.chem.selection import _fold_losses, _mean

    df = make_table()
    y = df[["logp_like"]].to_numpy()
    record: dict = {}
    oof: dict = {}
    select_model(
        df["smiles"],
        y,
        ["regression"],
        candidates=["gbm", "gbm-fast"],
        folds=3,
        params={"gbm": fast_gbm, "gbm-fast": fast_gbm},
        record=record,
        oof_out=oof,
    )
    rows, fold = oof["rows"], oof["fold"]
    assert len(set(rows.tolist())) == len(rows) == len(df)  # every molecule held out once
    assert np.array_equal(oof["y"], y[rows]) and sorted(set(fold.tolist())) == [0, 1, 2]
    logs = [use_log_target(oof["y"][:, 0])]
    for name in ("gbm", "gbm-fast"):
        pred = oof["pred"][name]
        assert pred.shape == (len(rows), 1)
        # the rule's per-fold losses are recomputed exactly from what was handed out
        again = [
            _mean(_fold_losses(["regression"], oof["y"][fold == k], pred[fold == k], logs))
            for k in range(3)
        ]
        assert again == pytest.approx(record["candidates"][name]["fold_losses"], abs=1e-4)


def test_a_metric_becomes_a_loss_on_the_raw_scale():
    from helixforge.chem.selection import metric_loss

    y = np.array([1.0, 2.0, 3.0, 4.0])
    assert metric_loss("mae", y, y + 0.5) == pytest.approx(0.5)
    assert metric_loss("mae", y, y + 0.5, scale=2.0) == pytest.approx(0.25)
    assert metric_loss("spearman", y, y**2) == pytest.approx(0.0)  # 1 − ρ
    scores = np.array([0.1, 0.9, 0.2, 0.8])
    assert metric_loss("pr_auc", np.array([0, 1, 0, 1]), scores) == pytest.approx(0.0)
    assert np.isnan(metric_loss("mae", np.array([1.0, np.nan]), y[:2]))


def test_a_metric_that_cannot_score_the_tasks_is_refused():
    from helixforge.chem.selection import check_metric
    from helixforge.core.errors import ConfigError

    assert check_metric("PR-AUC", ["binary"]) == "pr_auc"
    with pytest.raises(ConfigError, match="choose from.*roc_auc"):
        check_metric("mae", ["binary"])
    with pytest.raises(ConfigError, match="every task is regression or every task is binary"):
        check_metric("mae", ["regression", "binary"])


def _two_gbms(make_table, fast_gbm, **kw):
    """select_model between gbm and a 5-tree gbm-fast on the tiny table, 3 folds."""
    df = make_table()
    return select_model(
        df["smiles"],
        df[["logp_like"]].to_numpy(),
        ["regression"],
        candidates=["gbm", "gbm-fast"],
        folds=3,
        params={"gbm": fast_gbm, "gbm-fast": {**fast_gbm, "n_estimators": 5}},
        **kw,
    )


def test_select_model_compares_candidates_by_the_metric_asked_for(make_table, fast_gbm):
    from helixforge.core.metrics import spearman

    record: dict = {}
    oof: dict = {}
    chosen, _ = _two_gbms(make_table, fast_gbm, record=record, oof_out=oof, metric="spearman")
    assert record["metric"] == "spearman" and record["chosen"] == chosen
    for name in ("gbm", "gbm-fast"):
        per_fold = [
            1 - spearman(oof["y"][oof["fold"] == k, 0], oof["pred"][name][oof["fold"] == k, 0])
            for k in range(3)
        ]
        assert record["candidates"][name]["fold_losses"] == pytest.approx(per_fold, abs=1e-5)


def test_the_blend_margin_is_a_parameter_of_the_lowest_rule():
    losses = {"gbm": [8.0, 8.0], "minimol-gbm": [7.9, 7.9], "blend:x": [7.85, 7.85]}
    assert decide_lowest(losses, {"blend:x": 7.85})[0] == "blend:x"
    assert decide_lowest(losses, {"blend:x": 7.85}, margin=0.2)[0] == "minimol-gbm"


def test_saved_cv_evidence_reproduces_the_decision_offline(make_table, fast_gbm):
    """`oof_out` + `choose_from_oof` give select_model's choice and scores without refitting,
    so another metric can be scored on the same folds."""
    from helixforge.chem.selection import choose_from_oof

    for metric in (None, "mae"):
        oof: dict = {}
        chosen, scores = _two_gbms(make_table, fast_gbm, oof_out=oof, metric=metric)
        holdouts = [np.flatnonzero(oof["fold"] == k) for k in range(3)]
        preds = {n: [p[ho] for ho in holdouts] for n, p in oof["pred"].items()}
        again, again_scores, info = choose_from_oof(
            ["regression"], oof["y"], holdouts, preds, metric=metric
        )
        assert again == chosen and info["chosen"] == chosen
        assert again_scores == pytest.approx(scores)


def test_auto_falls_back_to_gbm_when_the_training_molecules_allow_no_cross_validation():
    """All molecules acyclic = one scaffold set: scaffold-grouped folds cannot hold any out.
    This crashed with an IndexError (no candidate had CV predictions)."""
    smiles = ["CCO", "CCN", "CCC", "CCCl", "CCCO", "CCCN"]
    record: dict = {}
    chosen, scores = select_model(
        smiles, np.arange(6.0)[:, None], ["regression"], ["gbm", "minimol-gbm"], record=record
    )
    assert (chosen, scores) == ("gbm", {})
    assert record["chosen"] == "gbm" and "too few scaffold sets" in record["reason"]


# ------------------------------------------------------------- blend specs (check_blend_spec)


@pytest.mark.parametrize(
    ("spec", "why"),
    [
        ("blend:gbm+gbm-fast@", "the weight after '@' is empty"),
        ("blend:gbm+gbm-fast@ ", "the weight after '@' is empty"),
        ("blend:gbm+gbm-fast@x", "the weight 'x' is not a number"),
        ("blend:gbm+gbm-fast@nan", "not a number from 0 to 1"),
        ("blend:gbm+gbm-fast@1.5", "not a number from 0 to 1"),
        ("blend:gbm+gbm-fast@0.5@0.2", "more than one '@'"),
        ("blend:gbm", "needs two models"),
        ("blend:", "needs two models"),
        ("blend:gbm++gbm-fast", "an empty model name"),
        ("blend:gbm+", "an empty model name"),
        ("blend:gbm+gbm", "named twice"),
        ("blend:gbm+auto", "'auto' is not a chem model"),
        ("blend:gbm+blend:a+b", "'blend:a' is not a chem model"),
        ("blend:gbm+lm:", "needs a checkpoint path"),
    ],
)
def test_a_malformed_blend_is_refused_showing_the_valid_form(spec, why):
    """`blend:A+B@` (empty weight) was read as 'no weight' and trained a 50/50 blend."""
    from helixforge.chem.selection import check_blend_spec
    from helixforge.core.errors import ConfigError

    with pytest.raises(ConfigError) as err:
        check_blend_spec(spec)
    assert why in err.value.message and err.value.message.startswith(f"--model {spec}")
    assert "blend:MODEL_A+MODEL_B@WEIGHT_OF_A" in err.value.hint


def test_a_good_blend_is_returned_canonical():
    from helixforge.chem.selection import check_blend_spec

    assert check_blend_spec("blend:gbm+minimol-mlp@0.6") == "blend:gbm+minimol-mlp@0.6"
    assert check_blend_spec("Blend:GBM + gbm-fast") == "blend:gbm+gbm-fast"
    assert check_blend_spec("blend:gbm+lm:runs/MyLM@1") == "blend:gbm+lm:runs/MyLM@1"


def test_a_class_too_rare_to_score_most_folds_keeps_gbm():
    """Two positives in 50 molecules: ROC-AUC is defined on the two folds holding one each, and
    a MiniMol model won on them at 'CV loss 0.0000'; two folds are no evidence to leave gbm."""
    from helixforge.chem.selection import choose_from_oof

    holdouts = [np.arange(k * 10, (k + 1) * 10) for k in range(5)]

    def choose(positives):
        y = np.zeros((50, 1))
        y[positives, 0] = 1.0
        gbm = [np.where(y[ho, 0] == 1, 0.4, 0.5)[:, None] for ho in holdouts]  # ranks them last
        mm = [np.where(y[ho, 0] == 1, 0.9, 0.1)[:, None] for ho in holdouts]  # ranks them first
        chosen, _, info = choose_from_oof(
            ["binary"], y, holdouts, {"gbm": gbm, "minimol-gbm": mm}, blend=False
        )
        return chosen, info

    chosen, info = choose([3, 37])
    assert chosen == "gbm" and info["chosen"] == "gbm"
    assert info["reason"].startswith("kept gbm: only 2 of 5 cross-validation folds")
    chosen, _ = choose([3, 13, 23, 37, 45])  # a positive in every fold: the evidence decides
    assert chosen == "minimol-gbm"
