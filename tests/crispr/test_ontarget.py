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


def test_train_ontarget_writes_a_usable_model_dir(tmp_path):
    ctx = random_contexts(300, RNG)
    y = synthetic_activity(ctx, RNG)
    df = pd.DataFrame({"context": ctx, "lfc": y.round(4).astype(str)})
    df.loc[5, "context"] = "ACGTTT"
    df.loc[9, "lfc"] = "n/a"
    data = tmp_path / "screen.csv"
    df.to_csv(data, index=False)
    out = tmp_path / "model"
    metrics = train_ontarget(data, "context", "lfc", "gbm", out, params={"n_estimators": 80})
    assert metrics["n_rejected"] == 2 and metrics["n_train"] + metrics["n_test"] == 298
    errs = pd.read_csv(out / "errors.csv")
    assert sorted(errs["row"]) == [7, 11]  # file line numbers (header = line 1)
    run_files = ("config.json", "versions.json", "model/model.txt", "model/config.json",
                 "metrics.json", "predictions.csv", "errors.csv", "card.md", "report.html")  # fmt: skip
    for f in run_files:
        assert (out / f).exists(), f
    preds = pd.read_csv(out / "predictions.csv")
    assert len(preds) == 298 and {"context", "lfc", "split", "lfc_pred"} <= set(preds.columns)
    assert metrics["rows_in"] == len(preds) + metrics["n_rejected"]
    scores = score_ontarget(ctx[:20], model=str(out))
    assert np.isfinite(scores).all()
    with pytest.raises(ConfigError, match="already exists"):
        train_ontarget(data, "context", "lfc", "gbm", out, params={"n_estimators": 80})
    again = train_ontarget(data, "context", "lfc", "gbm", out, params={"n_estimators": 80},
                           overwrite=True)  # fmt: skip
    assert again == metrics  # same command + seed → same result
