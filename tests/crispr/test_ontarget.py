"""On-target efficiency models: contexts, features, training, persistence, shipped weights."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helixforge.core.errors import ConfigError, InputError, RowErrors
from helixforge.core.metrics import spearman
from helixforge.crispr.ontarget import (
    OnTargetModel,
    encode_contexts,
    feature_names,
    featurize,
    melting_temperature,
    rank_normalize,
    score_ontarget,
    train_ontarget,
)
from helixforge.datasets.registry import mirror_root

RNG = np.random.default_rng(7)
GOOD = "TTCTGCCTTGTTTCTTTCCTCTCTGGGTCG"  # 4 + 20 + TGG + 3 (Kim 2019 train row 1)


def random_contexts(n: int, rng: np.random.Generator) -> list[str]:
    bases = np.array(list("ACGT"))
    out = []
    for _ in range(n):
        s = rng.choice(bases, 30)
        s[25:27] = "G"
        out.append("".join(s))
    return out


def synthetic_activity(contexts: list[str], rng: np.random.Generator) -> np.ndarray:
    """A learnable rule: G next to the PAM helps, T-runs in the spacer hurt, plus noise."""
    y = []
    for c in contexts:
        score = 2.0 * (c[23] == "G") - 1.5 * (c[4:24].count("TT")) / 3 + 0.5 * (c[24] == "C")
        y.append(score + rng.normal(0, 0.3))
    return np.array(y)


def test_melting_temperature_matches_biopython():
    from Bio.SeqUtils import MeltingTemp as mt

    for seq in ["ACGTG", "AAAAA", "TTTTA", "GCGCGCGC", "TTCTGCCTTGTTTCTTTCCTCTCTGGGTCG"]:
        codes, _ = np.array([["ACGT".index(b) for b in seq]]), None
        assert melting_temperature(codes)[0] == pytest.approx(mt.Tm_NN(seq), abs=1e-9)


def test_23mer_is_padded_with_unknown_flanks():
    codes, valid = encode_contexts([GOOD[4:27]])
    assert valid.all()
    assert list(codes[0, :4]) == [4, 4, 4, 4] and list(codes[0, 27:]) == [4, 4, 4]
    X = featurize(codes)
    names = feature_names()
    assert X.shape == (1, len(names))
    assert np.isnan(X[0, names.index("pos1_A")])  # flank unknown
    assert X[0, names.index("pos5_G")] == 1.0  # spacer position 1 is G
    assert np.isnan(X[0, names.index("tm_context")]) and np.isfinite(X[0, names.index("tm_spacer")])


@pytest.mark.parametrize(
    "bad, problem",
    [
        ("ACGT", "length 4"),
        (GOOD[:10] + "X" + GOOD[11:], "'X' at position 11"),
        (GOOD[:24] + "TAA" + GOOD[27:], "not NGG"),
        (GOOD[:10] + "N" + GOOD[11:], "N inside the spacer"),
    ],
)
def test_invalid_context_raises_with_index_and_problem(bad, problem):
    with pytest.raises(InputError) as err:
        score_ontarget([GOOD, bad], model="gbm")
    assert "context 1" in err.value.message and problem in err.value.message


def test_batch_mode_gives_nan_and_row_error():
    errors = RowErrors("guides")
    scores = score_ontarget([GOOD, "NOTAGUIDE", GOOD.lower()], model="gbm", errors=errors)
    assert np.isnan(scores[1]) and np.isfinite(scores[[0, 2]]).all()
    assert scores[0] == pytest.approx(scores[2])  # lowercase accepted
    assert [e.row for e in errors] == [1] and "length 9" in errors.items[0].reason


def test_unknown_enzyme_and_model_are_config_errors():
    with pytest.raises(ConfigError, match="no on-target efficiency model"):
        score_ontarget([GOOD], enzyme="ascas12a")
    with pytest.raises(ConfigError, match="unknown on-target model"):
        score_ontarget([GOOD], model="no_such_model")


def test_rank_normalize_is_per_group():
    r = rank_normalize([10, 20, 30, 1, 2], groups=["a", "a", "a", "b", "b"])
    assert np.allclose(r, [1 / 6, 3 / 6, 5 / 6, 0.25, 0.75])


@pytest.mark.parametrize(
    "kind, params",
    [
        ("gbm", {"n_estimators": 150}),
        ("cnn", {"epochs": 25, "patience": 25, "channels": 8, "hidden": 16}),
    ],
)
def test_model_learns_a_rule_and_round_trips(tmp_path, kind, params):
    train = random_contexts(600, RNG)
    test = random_contexts(200, RNG)
    model = OnTargetModel(kind, params=params, seed=0).fit(train, synthetic_activity(train, RNG))
    pred = model.predict(test)
    assert np.all((pred >= 0) & (pred <= 100))
    assert spearman(synthetic_activity(test, RNG), pred) > 0.5
    model.save(tmp_path / "m")
    assert (tmp_path / "m" / ("model.txt" if kind == "gbm" else "model.safetensors")).exists()
    assert not list((tmp_path / "m").glob("*.pkl"))
    again = OnTargetModel.load(tmp_path / "m")
    np.testing.assert_array_equal(again.predict(test), pred)


def test_shipped_models_score_valid_contexts():
    contexts = random_contexts(50, np.random.default_rng(1)) + [GOOD[4:27]]
    for name in ("default", "gbm", "cnn"):
        s = score_ontarget(contexts, model=name)
        assert s.shape == (51,) and np.isfinite(s).all()
        assert s.min() >= 0 and s.max() <= 100 and s.std() > 1  # a spread of scores, not a constant


@pytest.mark.skipif(mirror_root() is None, reason="shared data mirror (../shared/data) not present")
def test_shipped_default_ranks_kim2019_test_guides():
    path = mirror_root() / "crispr/on_target/kim2019_deepspcas9_HT_Cas9_test_30mer.csv"
    df = pd.read_csv(path).head(250)
    rho = spearman(
        df["background_subtracted_indel_freq_pct"],
        score_ontarget(df["target_context_30mer"].tolist()),
    )
    assert rho > 0.4  # held-out set (never trained on); the benchmark reports the full number


def _screen(tmp_path, n=300, dup=0):
    ctx = random_contexts(n, RNG)
    ctx += ctx[:dup]  # repeated spacers (another library, say)
    y = synthetic_activity(ctx, RNG)
    df = pd.DataFrame({"context": ctx, "lfc": y.round(4).astype(str)})
    df["study"] = np.where(np.arange(len(df)) % 2 == 0, "a", "b")
    data = tmp_path / "screen.csv"
    df.to_csv(data, index=False)
    return data, df


def test_train_ontarget_writes_a_usable_run_dir(tmp_path):
    import json

    data, df = _screen(tmp_path)
    df.loc[5, "context"] = "ACGTTT"
    df.loc[9, "lfc"] = "n/a"
    df.to_csv(data, index=False)
    out = tmp_path / "model"
    res = train_ontarget(data, "context", "lfc", "gbm", out, params={"n_estimators": 80})
    assert res["n_rejected"] == 2 and res["n_train"] + res["n_valid"] + res["n_test"] == 298
    errs = pd.read_csv(out / "errors.csv")
    assert sorted(errs["row"]) == [7, 11]  # file line numbers (header = line 1)
    run_files = ("config.json", "versions.json", "model/manifest.json", "model/member_0/model.txt",
                 "model/member_0/config.json", "conformal.json", "metrics.json", "predictions.csv",
                 "errors.csv", "card.md", "report.html")  # fmt: skip
    for f in run_files:
        assert (out / f).exists(), f
    preds = pd.read_csv(out / "predictions.csv")
    cols = {"row", "context", "lfc", "study", "split", "lfc_rank_pct", "lfc_pred", "lfc_std",
            "lfc_lower", "lfc_upper"}  # fmt: skip
    assert len(preds) == 298 and cols <= set(preds.columns)
    assert res["rows_in"] == len(preds) + res["n_rejected"]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["test"]["lfc"]["spearman"] == pytest.approx(res["test_spearman"])
    assert {"coverage", "interval_width", "rmse"} <= set(metrics["test"]["lfc"])
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["domain"] == "crispr" and cfg["split"] == "spacer" and cfg["model"] == "gbm"
    assert cfg["rows_in"] == 300 and cfg["rows_used"] == 298
    # score-ontarget with the run gives the run's own predictions
    scores = score_ontarget(preds["context"].tolist()[:20], model=str(out))
    np.testing.assert_allclose(scores, preds["lfc_pred"][:20], rtol=0, atol=1e-9)
    with pytest.raises(ConfigError, match="already exists"):
        train_ontarget(data, "context", "lfc", "gbm", out, params={"n_estimators": 80})
    again = train_ontarget(data, "context", "lfc", "gbm", out, params={"n_estimators": 80},
                           overwrite=True)  # fmt: skip
    assert again == res  # same command + seed → same result


def test_spacer_split_keeps_copies_together_and_matches_the_old_holdout():
    from helixforge.crispr.ontarget_estimator import spacer_split

    spacers = [f"S{i % 150}" for i in range(400)]  # every spacer repeated
    sp = spacer_split(len(spacers), spacers=spacers, fractions=(0.72, 0.08, 0.2), seed=3)
    parts = [{spacers[i] for i in p} for p in (sp.train, sp.valid, sp.test)]
    assert not (parts[0] & parts[1] or parts[0] & parts[2] or parts[1] & parts[2])
    assert len(sp.train) + len(sp.valid) + len(sp.test) == 400 and len(sp.valid) > 0
    # unique spacers: the held-out rows and the early-stopping rows of the pre-layer trainer
    uniq = [f"U{i:04d}" for i in range(500)]
    sp = spacer_split(500, spacers=uniq, fractions=(0.81, 0.09, 0.1), seed=0)
    is_test = np.random.default_rng(0).random(500) < 0.1
    tr = np.flatnonzero(~is_test)
    order = np.random.default_rng(0).permutation(len(tr))
    n_valid = int(round(0.1 * len(tr)))
    assert sp.test.tolist() == np.flatnonzero(is_test).tolist()
    assert sp.valid.tolist() == tr[order[:n_valid]].tolist()
    assert sp.train.tolist() == tr[order[n_valid:]].tolist()


def test_duplicate_spacers_never_straddle_parts(tmp_path):
    data, _ = _screen(tmp_path, n=200, dup=60)
    out = tmp_path / "run"
    train_ontarget(data, "context", "lfc", "gbm", out, params={"n_estimators": 20})
    preds = pd.read_csv(out / "predictions.csv")
    by_spacer = preds.groupby(preds["context"].str[4:24])["split"].nunique()
    assert (by_spacer == 1).all()


def test_group_ranks_are_made_per_part_and_per_group(tmp_path):
    data, _ = _screen(tmp_path, n=200)
    out = tmp_path / "run"
    train_ontarget(
        data, "context", "lfc", "gbm", out, group_col="study", params={"n_estimators": 20}
    )
    p = pd.read_csv(out / "predictions.csv")
    p["part"] = np.where(p["split"] == "test", "test", "fit")
    for _, g in p.groupby(["part", "study"]):
        expected = 100 * rank_normalize(g["lfc"].to_numpy())
        np.testing.assert_allclose(g["lfc_rank_pct"], expected)


def test_ensemble_run_scores_the_mean_and_raw_target_keeps_units(tmp_path):
    data, _ = _screen(tmp_path, n=200)
    out = tmp_path / "ens"
    res = train_ontarget(
        data, "context", "lfc", "gbm", out, ensemble=2, params={"n_estimators": 20}
    )
    preds = pd.read_csv(out / "predictions.csv")
    assert (out / "model/member_1/model.txt").exists() and (preds["lfc_std"] > 0).any()
    s = score_ontarget(preds["context"][:10].tolist(), model=str(out))
    np.testing.assert_allclose(s, preds["lfc_pred"][:10], atol=1e-9)
    raw = train_ontarget(data, "context", "lfc", "gbm", tmp_path / "raw", target_transform="none",
                         params={"n_estimators": 20})  # fmt: skip
    p = pd.read_csv(tmp_path / "raw" / "predictions.csv")
    assert "lfc_rank_pct" not in p and p["lfc_pred"].max() < 10  # the label's units, not 0-100
    assert raw["test_spearman"] > 0.3 and res["test_spearman"] > 0.3


def test_a_damaged_or_foreign_run_is_a_clear_error(tmp_path):
    import json
    import shutil

    data, _ = _screen(tmp_path, n=100)
    out = tmp_path / "run"
    train_ontarget(data, "context", "lfc", "gbm", out, params={"n_estimators": 10})
    bad = tmp_path / "bad"
    shutil.copytree(out, bad)
    f = bad / "model/member_0/model.txt"
    f.write_text(f.read_text()[:200])
    with pytest.raises(InputError, match="model.txt"):
        score_ontarget([GOOD], model=str(bad))
    chem = tmp_path / "chem"
    shutil.copytree(out, chem)
    cfg = json.loads((chem / "config.json").read_text())
    (chem / "config.json").write_text(json.dumps({**cfg, "domain": "chem"}))
    with pytest.raises(InputError, match="chem run"):
        score_ontarget([GOOD], model=str(chem))


def test_a_run_written_before_the_run_layer_still_scores(tmp_path):
    ctx = random_contexts(200, RNG)
    m = OnTargetModel("gbm", params={"n_estimators": 20}).fit(ctx, synthetic_activity(ctx, RNG))
    m.save(tmp_path / "old" / "model")
    (tmp_path / "old" / "config.json").write_text('{"task": "crispr on-target regression"}')
    np.testing.assert_array_equal(score_ontarget(ctx[:5], model=str(tmp_path / "old")),
                                  m.predict(ctx[:5]))  # fmt: skip


def test_estimator_follows_the_core_protocol(tmp_path):
    from helixforge.core.estimator import Estimator
    from helixforge.crispr.ontarget_estimator import OnTargetEstimator

    ctx = random_contexts(300, RNG)
    y = (100 * rank_normalize(synthetic_activity(ctx, RNG)))[:, None]
    est = OnTargetEstimator("gbm", params={"n_estimators": 30})
    assert isinstance(est, Estimator)
    est.fit(ctx[:250], y[:250], ["regression"], valid=(ctx[250:], y[250:]), seed=1)
    pred = est.predict(ctx)
    assert pred.shape == (300, 1) and 0 <= pred.min() and pred.max() <= 100
    assert est.model.info["n_valid"] == 50 and est.model.seed == 1
    est.save(tmp_path / "m")
    np.testing.assert_array_equal(OnTargetEstimator.load(tmp_path / "m").predict(ctx), pred)
    with pytest.raises(ConfigError, match="regression"):
        OnTargetEstimator().fit(ctx, y, ["binary"])


def test_score_ontarget_reads_one_context_and_names_missing_ones():
    ctx = "TGGAGACGCATAAAGATGAGACGCTGGAAA"
    assert score_ontarget(ctx).shape == (1,)  # one string was read base by base
    assert score_ontarget([ctx.encode()]) == pytest.approx(score_ontarget([ctx]))
    with pytest.raises(InputError, match="contexts is None"):
        score_ontarget(None)
    with pytest.raises(InputError, match="context 1.*missing"):
        score_ontarget([ctx, None])
    with pytest.raises(ConfigError, match="model must be a shipped model name"):
        score_ontarget([ctx], model=None)
    errors = RowErrors("<contexts>")
    out = score_ontarget([ctx, None], errors=errors)
    assert np.isnan(out[1]) and "missing" in errors.items[0].reason


def test_score_ontarget_table_names_a_missing_path(tmp_path):
    from helixforge.crispr.ontarget import score_ontarget_table

    with pytest.raises(InputError, match="data is None"):
        score_ontarget_table(None, "context", tmp_path / "o.tsv")
    with pytest.raises(InputError, match="out is None"):
        score_ontarget_table(tmp_path / "in.csv", "context", None)


def test_ensemble_save_names_are_one_per_member(tmp_path):
    """A bare string is one member's name (it was split into characters); a count mismatch is
    named before anything is written."""
    from helixforge.crispr.ontarget_ensemble import OnTargetEnsemble

    class _Member:
        kind = "gbm"

        def save(self, d):
            d.mkdir(parents=True)

    OnTargetEnsemble([_Member()]).save(tmp_path / "e", names="best")
    assert (tmp_path / "e" / "best").is_dir()
    with pytest.raises(ConfigError, match="names has 2 entries for 1 ensemble members"):
        OnTargetEnsemble([_Member()]).save(tmp_path / "f", names=["a", "b"])
