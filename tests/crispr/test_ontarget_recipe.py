"""The on-target build recipe keeps evaluation honest: every evaluation set is deduplicated by
spacer against every candidate training set (whatever mix a model used)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from helixforge.crispr.ontarget_recipe import FILES, held_out
from helixforge.datasets.registry import mirror_root


def test_held_out_drops_every_copy_of_a_training_spacer_whatever_its_flanks():
    spacer = "GCCTTGTTTCTTTCCTCTCT"
    frame = pd.DataFrame({"context": ["TTCT" + spacer + "GGGTCG", "AAAA" + spacer.lower() + "AGGCCC",
                                      "TTCT" + "A" * 20 + "TGGTCG"], "y": [1, 2, 3]})  # fmt: skip
    held, removed = held_out(frame, {spacer})
    assert removed == 2 and held["y"].tolist() == [3]


ROOT = mirror_root()
needs_data = pytest.mark.skipif(
    ROOT is None or not (Path(ROOT) / FILES["kim2019"]).is_file(),
    reason="the shared data mirror (../shared/data) is not here",
)


@pytest.mark.slow
@needs_data
def test_real_evaluation_sets_share_no_spacer_with_any_training_set():
    from helixforge.crispr.ontarget_recipe import load_eval_sets, load_training_sets

    train = load_training_sets()
    assert set(train["dataset"]) == {"kim2019", "doench2016", "wang2014", "doench2014",
                                     "deephf_wt", "deephf_esp", "deephf_hf1"}  # fmt: skip
    # per-study normalisation: every group's targets are ranks in (0, 1)
    assert train["target"].between(0, 1).all()
    spacers = set(train["spacer"])
    sets = load_eval_sets()
    assert {"kim2019_test", "aguirre2016", "behan2019", "hart2016-GbmAvg"} <= set(sets)
    for name, s in sets.items():
        held, removed = held_out(s["frame"], spacers)
        assert not set(held["spacer"]) & spacers, name
        assert len(held) + removed == len(s["frame"])
    kim_test, removed = held_out(sets["kim2019_test"]["frame"], spacers)
    assert removed > 0 and len(kim_test) > 500  # the 20 Kim test spacers also in training go


def _synthetic_training_rows(n_per_set: int = 80) -> pd.DataFrame:
    """Training rows shaped like `load_training_sets` output: activity set by a G before the PAM."""
    import numpy as np

    from helixforge.crispr.ontarget_features import rank_normalize
    from helixforge.crispr.ontarget_recipe import CV_DATASETS

    rng = np.random.default_rng(5)
    rows = []
    for ds in [*CV_DATASETS, "deephf_wt"]:
        for _ in range(n_per_set):
            s = rng.choice(list("ACGT"), 30)
            s[25:27] = "G"
            ctx = "".join(s)
            rows.append({"dataset": ds, "context": ctx, "group": ds,
                         "y": 2.0 * (ctx[23] == "G") + rng.normal(0, 0.5)})  # fmt: skip
    df = pd.DataFrame(rows)
    df["spacer"] = df["context"].str[4:24]
    df["target"] = rank_normalize(df["y"].to_numpy(), df["group"].to_numpy())
    return df


def test_cv_ensemble_scores_gbm_cnn_and_their_mixes_on_the_same_fold(tmp_path):
    import numpy as np

    from helixforge.crispr.ontarget_recipe import CNN_WEIGHTS, cv_ensemble, spacer_fold

    df = _synthetic_training_rows()
    res = cv_ensemble(df, "base", 2, tmp_path, cnn_params={"epochs": 2, "batch_size": 64})
    assert set(res) >= {"gbm", "cnn", "best_cnn_weight"}
    assert res["best_cnn_weight"] in CNN_WEIGHTS
    # weight 0 is the gbm alone; the signal is learnable, so the gbm's fold-0 score is positive
    assert res["cnn_weight_0.0"]["score"] == pytest.approx(res["gbm"]["score"])
    assert res["gbm"]["score"] > 0.3
    scores = [res[f"cnn_weight_{w}"]["score"] for w in CNN_WEIGHTS]
    assert res[f"cnn_weight_{res['best_cnn_weight']}"]["score"] == max(scores)
    # fold-0 predictions are cached, one per fold-0 row, and reused
    cached = np.load(tmp_path / "cv_gbm_base_f2.npy")
    assert len(cached) == int((spacer_fold(df["spacer"], 3) == 0).sum())
    assert cv_ensemble(df, "base", 2, tmp_path)["gbm"] == res["gbm"]


def test_ship_copies_a_build_into_weights_that_load_and_score_the_same(tmp_path):
    import json

    import numpy as np

    from helixforge.core.artifacts import save_json
    from helixforge.crispr.ontarget import OnTargetModel
    from helixforge.crispr.ontarget_recipe import make_model, ship

    df = _synthetic_training_rows(60)
    out = tmp_path / "build"
    for name, ff in (("gbm", False), ("gbm23", True)):
        m = make_model(2, ff, {"n_estimators": 30, "min_child_samples": 5})
        m.fit(df["context"].tolist(), df["target"].to_numpy())
        m.info.update({"mix": "base", "rows": {"kim2019": 60}})
        m.save(out / name)
    save_json({"format": "helixforge.crispr.ontarget", "kind": "ensemble", "enzyme": "spcas9",
               "members": ["gbm"], "member_base": "siblings", "weights": [1.0],
               "flank_free": "gbm23"}, out / "default" / "config.json")  # fmt: skip
    weights = tmp_path / "weights"
    assert ship(out, weights) == {"gbm": "spcas9_gbm", "gbm23": "spcas9_gbm23"}
    cfg = json.loads((weights / "spcas9_default" / "config.json").read_text())
    assert cfg["members"] == ["spcas9_gbm"] and cfg["flank_free"] == "spcas9_gbm23"
    assert not list(weights.rglob("*.pkl")) and (weights / "spcas9_gbm" / "card.md").is_file()
    # every shipped gbm carries its trees for ONNX Runtime, tied to its model.txt
    for name in ("spcas9_gbm", "spcas9_gbm23"):
        assert (
            json.loads((weights / name / "config.json").read_text())["onnx"]["file"] == "model.onnx"
        )
    shipped = OnTargetModel.load(weights / "spcas9_default", siblings=weights)
    built = OnTargetModel.load(out / "default")  # LightGBM itself
    ctx = df["context"].tolist()[:20] + [c[4:27] for c in df["context"].tolist()[:5]]
    # same leaves; only ONNX Runtime's float32 leaf sums differ (well under 0.01 percentile points)
    np.testing.assert_allclose(shipped.predict(ctx), built.predict(ctx), rtol=0, atol=1e-2)


def test_build_ships_the_gbm_alone_unless_a_cnn_member_is_asked_for(tmp_path, monkeypatch):
    import json

    from helixforge.crispr import ontarget_recipe as R

    df = _synthetic_training_rows(60)
    monkeypatch.setattr(R, "load_training_sets", lambda root=None: df)
    monkeypatch.setattr(R, "GRID", [("base", 2, 1.0)])
    monkeypatch.setattr(R, "RECIPE_CNN_PARAMS", {"epochs": 2, "batch_size": 64, "patience": 1})
    assert R.build(tmp_path / "fast") == {"mix": "base", "features": 2, "kim_weight": 1.0,
                                           "cnn_weight": 0.0}  # fmt: skip
    cfg = json.loads((tmp_path / "fast" / "default" / "config.json").read_text())
    assert cfg["members"] == ["gbm"] and cfg["weights"] == [1.0]
    assert "cnn_weight_cv" not in cfg["recipe"] and not (tmp_path / "fast" / "cnn").exists()
    rows = [json.loads(x) for x in (tmp_path / "fast" / "cv.jsonl").read_text().splitlines()]
    assert not any(r.get("ensemble_cv") for r in rows)

    res = R.build(tmp_path / "with_cnn", cnn=True)  # the cnn's weight is chosen by the CV
    assert res["cnn_weight"] in R.CNN_WEIGHTS
    cfg = json.loads((tmp_path / "with_cnn" / "default" / "config.json").read_text())
    assert cfg["recipe"]["cnn_weight_cv"]["best_cnn_weight"] == res["cnn_weight"]
    assert (tmp_path / "with_cnn" / "cnn" / "config.json").exists() == (res["cnn_weight"] > 0)


def test_accurate_stage_mixes_a_larger_gbm_and_cnn_and_ships_beside_the_default(
    tmp_path, monkeypatch
):
    import json

    import numpy as np

    from helixforge.crispr import ontarget_recipe as R
    from helixforge.crispr.ontarget import OnTargetModel

    df = _synthetic_training_rows(60)
    monkeypatch.setattr(R, "load_training_sets", lambda root=None: df)
    monkeypatch.setattr(R, "GRID", [("base", 2, 1.0)])
    monkeypatch.setattr(R, "ACCURATE_GBM_PARAMS", {"n_estimators": 40, "num_leaves": 7})
    monkeypatch.setattr(R, "ACCURATE_CNN_PARAMS", {"epochs": 2, "batch_size": 64, "patience": 1})
    out = tmp_path / "build"
    with pytest.raises(SystemExit, match="build --out"):
        R.build_accurate(out)  # needs the default's mix first
    R.build(out)
    res = R.build_accurate(out)
    cfg = json.loads((out / "accurate" / "config.json").read_text())
    assert cfg["members"] == ["accurate_gbm", "accurate_cnn"]
    assert cfg["weights"][1] == res["cnn_weight"] in R.ACCURATE_WEIGHTS
    assert sum(cfg["weights"]) == pytest.approx(1.0)
    cv = cfg["recipe"]["cnn_weight_cv"]
    assert cv["best_cnn_weight"] == res["cnn_weight"]
    assert cv[f"cnn_weight_{res['cnn_weight']}"]["score"] == max(
        cv[f"cnn_weight_{w}"]["score"] for w in R.ACCURATE_WEIGHTS
    )
    assert R.build_accurate(out) == res  # resumable: the CV row and fitted members are reused

    weights = tmp_path / "weights"
    shipped = R.ship(out, weights)
    assert (
        shipped["accurate"] == "spcas9_accurate"
        and (weights / "spcas9_accurate" / "card.md").is_file()
    )
    ctx = df["context"].tolist()[:20]
    np.testing.assert_allclose(  # the shipped gbm runs on ONNX Runtime: float32 leaf sums
        OnTargetModel.load(weights / "spcas9_accurate", siblings=weights).predict(ctx),
        OnTargetModel.load(out / "accurate").predict(ctx),
        rtol=0,
        atol=1e-2,
    )
    # `--default accurate` makes the accurate ensemble the default, under the shipped names
    R.ship(out, weights, default="accurate")
    default = json.loads((weights / "spcas9_default" / "config.json").read_text())
    assert default["members"] == ["spcas9_accurate_gbm", "spcas9_accurate_cnn"]
    assert default["weights"] == cfg["weights"]
    assert "highest cross-validation score" in (weights / "spcas9_default" / "card.md").read_text()


def test_a_cv_cache_write_killed_half_way_leaves_no_torn_file(tmp_path, monkeypatch):
    """The fold-0 prediction cache was written with np.save straight to its final name: a
    recipe killed mid-write left a torn .npy that the next run loaded (and crashed on)."""
    import numpy as np

    from helixforge.crispr import ontarget_recipe

    df = _synthetic_training_rows()
    fake = np.linspace(0, 1, int((ontarget_recipe.spacer_fold(df["spacer"], 3) == 0).sum()))
    monkeypatch.setattr(ontarget_recipe, "cv_predict", lambda *a, **k: (None, fake))

    def killed_save(file, arr, *a, **k):
        fh = file if hasattr(file, "write") else open(file, "wb")
        fh.write(b"\x93NUMPY\x01\x00v\x00{'descr'")  # the header, half written …
        fh.flush()
        raise KeyboardInterrupt  # … when the process is stopped

    monkeypatch.setattr(np, "save", killed_save)
    with pytest.raises(KeyboardInterrupt):
        ontarget_recipe.cv_ensemble(df, "base", 2, tmp_path)
    assert list(tmp_path.iterdir()) == []  # nothing under the cache's name, no temporary file
