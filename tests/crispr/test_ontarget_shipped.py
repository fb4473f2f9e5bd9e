"""The shipped SpCas9 on-target default: what it is made of, and that it scores the same values
in every process (the numbers in benchmarks/results/crispr_ontarget.md come from these files)."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.resources import files

import numpy as np
import pandas as pd
import pytest

from helixforge.core.metrics import spearman
from helixforge.crispr.ontarget import OnTargetEnsemble, load_ontarget_model, score_ontarget
from helixforge.datasets.registry import mirror_root

WEIGHTS = files("helixforge.crispr").joinpath("weights")
CONTEXTS = [
    "TTCTGCCTTGTTTCTTTCCTCTCTGGGTCG",
    "ACGACCTTCAGCTCAGTGACAGTGAGGACA",
    "AAAAGTTTTTTTTTTTTTTTTTTTTGGAAA",
    "CAGGGCGGGCGGGCGGGCGGGCGGCGGCTG",
    "GCCTTGTTTCTTTCCTCTCTGGG",  # a 23-mer (no flanks)
]


def test_the_default_is_the_ensemble_its_config_names():
    cfg = json.loads(WEIGHTS.joinpath("spcas9_default", "config.json").read_text())
    m = load_ontarget_model("default")
    assert isinstance(m, OnTargetEnsemble) and len(m.members) == len(cfg["members"])
    assert np.allclose(m.weights, np.asarray(cfg["weights"]) / sum(cfg["weights"]))
    assert (m.flank_free is not None) == bool(cfg.get("flank_free"))
    for name in [*cfg["members"], cfg.get("flank_free")]:
        if name:  # data only: a config and a LightGBM text model or safetensors weights
            d = WEIGHTS.joinpath(name)
            assert d.joinpath("config.json").is_file() and d.joinpath("card.md").is_file()
            assert d.joinpath("model.txt").is_file() or d.joinpath("model.safetensors").is_file()


def test_the_default_scores_the_same_values_in_a_fresh_process():
    here = score_ontarget(CONTEXTS)
    code = ("import json, sys; from helixforge.crispr.ontarget import score_ontarget; "
            "print(json.dumps(score_ontarget(json.loads(sys.argv[1])).tolist()))")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code, json.dumps(CONTEXTS)], check=True,
                         capture_output=True, text=True)  # fmt: skip
    there = np.array(json.loads(out.stdout.strip().splitlines()[-1]))
    np.testing.assert_array_equal(here, there)
    assert np.all((here >= 0) & (here <= 100)) and len(set(here.round(6))) == len(here)
    # a poly-T spacer (a Pol III terminator) scores near the bottom
    assert here[2] < 20


@pytest.mark.skipif(mirror_root() is None, reason="shared data mirror (../shared/data) not present")
def test_the_default_ranks_kim2019_test_and_its_23mers():
    path = mirror_root() / "crispr/on_target/kim2019_deepspcas9_HT_Cas9_test_30mer.csv"
    df = pd.read_csv(path).head(300)
    y, ctx = df["background_subtracted_indel_freq_pct"], df["target_context_30mer"].str.upper()
    assert spearman(y, score_ontarget(ctx.tolist())) > 0.6  # held out; full number in the benchmark
    assert spearman(y, score_ontarget(ctx.str[4:27].tolist())) > 0.5  # flanks unknown


def _random_contexts(n: int, seed: int) -> list[str]:
    s = np.random.default_rng(seed).choice(list("ACGT"), (n, 30))
    s[:, 25:27] = "G"
    return ["".join(r) for r in s]


@pytest.mark.parametrize("name", ["spcas9_gbm", "spcas9_accurate_gbm"])
def test_each_shipped_gbms_onnx_trees_score_as_its_lightgbm_model(name):
    """model.onnx is derived from model.txt at ship time; it must reach the same leaves (only
    float32 leaf sums differ), for full contexts and for 23-mers with unknown flanks."""
    import lightgbm as lgb

    from helixforge.crispr.ontarget_features import encode_contexts, featurize
    from helixforge.crispr.ontarget_models import OnTargetModel

    d = WEIGHTS.joinpath(name)
    m = OnTargetModel.load(d)
    assert m._trees is not None  # scored through ONNX Runtime
    ctx = _random_contexts(3000, 5)
    ctx += [c[4:27] for c in ctx[:1000]]
    codes, valid = encode_contexts(ctx)
    assert valid.all()
    booster = lgb.Booster(model_str=d.joinpath("model.txt").read_text())
    lgb_raw = booster.predict(featurize(codes, m.feature_version), num_threads=1)
    np.testing.assert_allclose(m.predict_raw_codes(codes), lgb_raw, rtol=0, atol=2e-5)


def test_onnx_trees_exported_from_another_model_txt_are_refused(tmp_path):
    import shutil

    from helixforge.core.errors import InputError
    from helixforge.crispr.ontarget_models import OnTargetModel

    d = tmp_path / "gbm"
    shutil.copytree(WEIGHTS.joinpath("spcas9_gbm"), d)
    (d / "model.txt").write_text((d / "model.txt").read_text() + "\n")  # retrained / edited
    with pytest.raises(InputError, match="model.onnx was exported from a different model.txt"):
        OnTargetModel.load(d)


def test_a_model_scored_through_onnx_saves_and_reloads_to_the_same_scores(tmp_path):
    from helixforge.crispr.ontarget_models import OnTargetModel

    m = OnTargetModel.load(WEIGHTS.joinpath("spcas9_gbm"))
    m.save(tmp_path / "copy")
    again = OnTargetModel.load(tmp_path / "copy")
    assert again._trees is not None
    ctx = _random_contexts(50, 2)
    np.testing.assert_array_equal(again.predict(ctx), m.predict(ctx))
    assert m.booster().num_trees() == again.booster().num_trees()  # model.txt parsed on demand


def test_the_same_guides_get_the_same_bytes_and_batching_moves_no_score_visibly():
    m = load_ontarget_model("default")
    ctx = _random_contexts(700, 9)
    whole = m.predict(ctx)
    np.testing.assert_array_equal(m.predict(ctx), whole)
    # kernels pick their loops by batch shape: a guide scored in another batch may move in the
    # last digits (float32 sums), never by anything a ranking could see
    parts = np.concatenate([m.predict(ctx[:1]), m.predict(ctx[1:300]), m.predict(ctx[300:])])
    np.testing.assert_allclose(parts, whole, rtol=0, atol=1e-3)


def test_the_vectorised_encoder_agrees_with_the_row_by_row_one(monkeypatch):
    """Clean 30-mers take a vectorised path; everything else is encoded row by row. Both must give
    the same codes, validity and errors, row for row, on a mix of good and bad contexts."""
    from helixforge.core.errors import RowErrors
    from helixforge.crispr import ontarget_features as F

    rng = np.random.default_rng(4)
    good = _random_contexts(40, 4)
    mixed = [
        *good[:10],
        good[10].lower(),
        " " + good[11],
        good[12][:29] + " ",
        good[13][4:27],  # 23-mer
        good[14][:10] + "N" + good[14][11:],  # N in the spacer
        good[15][:25] + "AG" + good[15][27:],  # not NGG
        "NNNN" + good[16][4:26] + "NNNN",  # N in the PAM
        good[17][:8] + "é" + good[17][9:],  # non-ASCII
        good[18][:8] + "X" + good[18][9:],
        None,
        float("nan"),
        12345,
        "",
        good[19] + "A",
        "NNNN" + good[20][4:],
        *good[21:],
    ]
    order = rng.permutation(len(mixed))
    mixed = [mixed[i] for i in order]
    fast_errors, slow_errors = RowErrors(), RowErrors()
    fast = F.encode_contexts(mixed, errors=fast_errors)
    monkeypatch.setattr(F, "_encode_clean_30mers", lambda c, codes: np.zeros(len(c), bool))
    slow = F.encode_contexts(mixed, errors=slow_errors)
    np.testing.assert_array_equal(fast[0], slow[0])
    np.testing.assert_array_equal(fast[1], slow[1])
    assert fast_errors.to_frame().equals(slow_errors.to_frame())
    assert 0 < fast[1].sum() < len(mixed)


def test_a_damaged_model_onnx_is_an_input_error_saying_how_to_re_export_it(tmp_path):
    import shutil

    from helixforge.core.errors import InputError
    from helixforge.crispr.ontarget_models import OnTargetModel

    d = tmp_path / "gbm"
    shutil.copytree(WEIGHTS.joinpath("spcas9_gbm"), d)
    (d / "model.onnx").write_bytes((d / "model.onnx").read_bytes()[:1000])
    with pytest.raises(InputError, match="truncated or corrupt ONNX model") as e:
        OnTargetModel.load(d)
    assert "ontarget_recipe onnx" in e.value.hint
