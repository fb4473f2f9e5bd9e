"""On-target feature version 2 (binding energies), flank-free models for 23-mers, the ensemble
that routes 23-mers to them, and the build recipe's per-study normalisation and spacer folds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helixforge.core.errors import ConfigError
from helixforge.crispr.ontarget import OnTargetEnsemble, OnTargetModel, encode_contexts
from helixforge.crispr.ontarget_energy import energy_feature_names, energy_features
from helixforge.crispr.ontarget_features import feature_names, featurize, flanks_unknown
from helixforge.crispr.ontarget_recipe import dataset_weights, spacer_fold

GOOD = "TTCTGCCTTGTTTCTTTCCTCTCTGGGTCG"
RNG = np.random.default_rng(3)


def _codes(seqs):
    return np.array([["ACGT".index(b) for b in s] for s in seqs])


def _contexts(n, rng):
    s = rng.choice(list("ACGT"), (n, 30))
    s[:, 25:27] = "G"
    return ["".join(r) for r in s]


def test_hybrid_energy_is_the_sugimoto_nearest_neighbour_sum():
    # rGG x19 = 19 x -2.9 + 3.1 initiation; rUU x19 = 19 x -0.2 + 3.1
    X = energy_features(_codes(["G" * 20, "T" * 20]))
    col = {n: i for i, n in enumerate(energy_feature_names())}
    assert X[0, col["dg_hybrid_1_20"]] == pytest.approx(19 * -2.9 + 3.1, abs=1e-4)
    assert X[1, col["dg_hybrid_1_20"]] == pytest.approx(19 * -0.2 + 3.1, abs=1e-4)
    # DNA duplex poly-A: 19 x -1.00 + 1.96 + 2 x 0.05 terminal A·T
    assert X[1, col["dg_dna_1_20"]] == pytest.approx(-19.0 + 1.96 + 0.1, abs=1e-4)
    assert X[0, col["dg_rloop_1_20"]] < X[1, col["dg_rloop_1_20"]]  # G-rich hybrids win


def test_energy_of_a_row_with_n_is_nan():
    c = _codes(["A" * 20])
    c[0, 5] = 4
    assert np.isnan(energy_features(c)).all()


def test_feature_versions_extend_each_other():
    codes, _ = encode_contexts([GOOD])
    v1, v2 = featurize(codes, 1), featurize(codes, 2)
    assert v1.shape[1] == len(feature_names(1)) == 628
    assert v2.shape[1] == len(feature_names(2)) == 628 + len(energy_feature_names())
    assert np.array_equal(v1, v2[:, :628], equal_nan=True)
    with pytest.raises(ConfigError, match="feature version"):
        featurize(codes, 9)


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    ctx = _contexts(600, RNG)
    # activity depends on the spacer (G before the PAM) and on the 3' flank
    y = np.array([2.0 * (c[23] == "G") + 1.0 * (c[27] == "A") for c in ctx]) + RNG.normal(
        0, 0.2, 600
    )
    params = {"n_estimators": 60, "min_child_samples": 5}
    full = OnTargetModel("gbm", params=params, target_transform="none").fit(ctx, y)
    short = OnTargetModel("gbm", params=params, target_transform="none", flank_free=True)
    short.fit(ctx, y)
    return ctx, y, full, short


def test_a_flank_free_model_never_reads_the_flanks(fitted):
    ctx, _, full, short = fitted
    other = [c[:4] + c[4:27] + ("C" if c[27] == "A" else "A") + c[28:] for c in ctx[:50]]
    assert np.allclose(short.predict(ctx[:50]), short.predict(other))
    assert np.allclose(short.predict(ctx[:50]), short.predict([c[4:27] for c in ctx[:50]]))
    assert not np.allclose(full.predict(ctx[:50]), full.predict(other))  # the 30-mer model does


def test_the_ensemble_routes_23mers_to_the_flank_free_model(fitted, tmp_path):
    ctx, _, full, short = fitted
    ens = OnTargetEnsemble([full], flank_free=short)
    mixed = [ctx[0], ctx[1][4:27], ctx[2]]
    assert flanks_unknown(encode_contexts(mixed)[0]).tolist() == [False, True, False]
    got = ens.predict(mixed)
    assert got[0] == pytest.approx(full.predict([ctx[0]])[0])
    assert got[1] == pytest.approx(short.predict([ctx[1][4:27]])[0])
    ens.save(tmp_path / "ens")
    again = OnTargetModel.load(tmp_path / "ens")
    assert isinstance(again, OnTargetEnsemble) and again.flank_free.flank_free
    assert np.allclose(again.predict(mixed), got)


def test_models_keep_their_feature_version_when_saved(fitted, tmp_path):
    ctx, y, _, _ = fitted
    m = OnTargetModel("gbm", params={"n_estimators": 20}, target_transform="none",
                      feature_version=1).fit(ctx, y)  # fmt: skip
    m.save(tmp_path / "v1")
    again = OnTargetModel.load(tmp_path / "v1")
    assert again.feature_version == 1 and np.allclose(again.predict(ctx[:9]), m.predict(ctx[:9]))


def test_sample_weights_reach_the_gbm(fitted):
    ctx, y, _, _ = fitted
    w = np.where(np.arange(len(ctx)) < 300, 1.0, 0.0)  # rows 300+ carry no weight
    flipped = np.concatenate([y[:300], -y[300:]])
    m = OnTargetModel("gbm", params={"n_estimators": 40}, target_transform="none",
                      valid_fraction=0).fit(ctx, flipped, sample_weight=w)  # fmt: skip
    assert np.corrcoef(m.predict_raw_codes(encode_contexts(ctx[:300])[0]), y[:300])[0, 1] > 0.5


def test_spacer_folds_keep_copies_together_and_weights_pick_kim():
    spacers = pd.Series(["A" * 20, "C" * 20, "A" * 20, "G" * 20])
    f = spacer_fold(spacers, 3)
    assert f[0] == f[2] and set(f) <= {0, 1, 2}
    df = pd.DataFrame({"dataset": ["kim2019", "deephf_wt"]})
    assert dataset_weights(df, 3.0).tolist() == [3.0, 1.0]


@pytest.mark.parametrize(
    "name, key",
    [("SpCas9", "spcas9"), ("eSpCas9(1.1)", "espcas9"), ("espcas9", "espcas9"),
     ("SpCas9-HF1", "spcas9hf1"), ("HF1", "spcas9hf1")],
)  # fmt: skip
def test_enzyme_names_of_the_on_target_heads(name, key):
    from helixforge.crispr.ontarget_features import ENZYMES, _check_enzyme

    if key not in ENZYMES:
        pytest.skip(f"no shipped {key} head in this installation")
    assert _check_enzyme(name) == key


def test_variant_heads_are_shipped_as_default_only_and_other_enzymes_are_refused():
    from helixforge.crispr.ontarget import load_ontarget_model
    from helixforge.crispr.ontarget_features import ENZYMES

    if "espcas9" in ENZYMES:
        with pytest.raises(ConfigError, match="shipped as 'default' only"):
            load_ontarget_model("gbm", enzyme="espcas9")
        assert load_ontarget_model("default", enzyme="eSpCas9(1.1)").flank_free
    with pytest.raises(ConfigError, match="no on-target efficiency model for enzyme 'sacas9'"):
        load_ontarget_model("default", enzyme="sacas9")


@pytest.mark.parametrize("spelled", ["cas9", "SpyCas9", "custom:NGG:20"])
def test_every_spelling_design_reads_as_spcas9_is_scored_by_its_model(spelled):
    """design, index and offtargets read --enzyme cas9 (an alias) and custom:NGG:20 as SpCas9;
    score-ontarget refused both: "no on-target efficiency model for enzyme 'cas9'"."""
    from helixforge.crispr.ontarget import load_ontarget_model

    assert load_ontarget_model("gbm", enzyme=spelled) is load_ontarget_model("gbm")


def test_an_enzyme_without_a_model_is_not_sent_to_train_one_it_could_not_use(tmp_path):
    """The hint said "or train one with `helix crispr train-ontarget`": that verb trains SpCas9
    30-mer (NGG) models, and a run directory is refused for SaCas9 / Cas12a all the same."""
    from helixforge.crispr.ontarget import load_ontarget_model

    for enzyme in ("sacas9", "ascas12a"):
        with pytest.raises(ConfigError) as exc:
            load_ontarget_model(str(tmp_path), enzyme=enzyme)
        assert "--ontarget-model none" in exc.value.hint
        assert "train one" not in exc.value.hint and "SpCas9" in exc.value.hint


def test_the_default_is_the_accurate_ensemble_and_gbm_the_fast_single_model():
    from helixforge.crispr.ontarget import load_ontarget_model, score_ontarget
    from helixforge.crispr.ontarget_features import SHIPPED_MODELS

    assert {"default", "accurate", "gbm"} <= set(SHIPPED_MODELS)
    acc, default = load_ontarget_model("accurate"), load_ontarget_model("default")
    assert isinstance(acc, OnTargetEnsemble) and len(acc.members) == 2
    assert [m.kind for m in default.members] == ["gbm", "cnn"]
    np.testing.assert_array_equal(default.weights, acc.weights)
    assert sum(acc.weights) == pytest.approx(1.0)
    ctx = _contexts(200, np.random.default_rng(11))
    a = score_ontarget(ctx, model="accurate")
    np.testing.assert_array_equal(score_ontarget(ctx, model="default"), a)
    g = score_ontarget(ctx, model="gbm")
    assert a.shape == g.shape and np.all((a >= 0) & (a <= 100))
    assert not np.array_equal(a, g)  # a different model ...
    assert np.corrcoef(a, g)[0, 1] > 0.7  # ... ranking guides much as the fast gbm does
    # 23-mers (no flanks) are scored too, with N flanks
    assert np.all(np.isfinite(score_ontarget([c[4:27] for c in ctx[:5]], model="accurate")))
