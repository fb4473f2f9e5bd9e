"""benchmarks/chem_property.py: the paired bootstrap of auto − gbm over test molecules and the
rebuilding of auto's test prediction from its members' saved predictions (tiny synthetic data)."""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "chem_property.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("chem_property_bench", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _binary(n: int = 200, seed: int = 0):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.4).astype(float)
    good = np.clip(y * 0.6 + rng.random(n) * 0.4, 0, 1)  # separates the classes well
    noise = rng.random(n)  # AUROC near 0.5
    return y, good, noise


def test_identical_predictions_give_zero_and_a_zero_interval(bench):
    y, good, _ = _binary()
    b = bench.paired_bootstrap("roc_auc", y, [good, good], [good, good], n_boot=200)
    assert (b["diff"], b["lo"], b["hi"]) == (0.0, 0.0, 0.0)
    assert not b["a_worse"] and not b["a_better"]
    assert (b["n_seeds"], b["n_boot"], b["skipped"]) == (2, 200, 0)


def test_clearly_better_model_has_an_interval_excluding_zero(bench):
    y, good, noise = _binary()
    b = bench.paired_bootstrap("roc_auc", y, [good], [noise], n_boot=200)
    assert b["diff"] > 0.3 and 0 < b["lo"] <= b["diff"] <= b["hi"]
    assert b["a_better"] and not b["a_worse"]
    swapped = bench.paired_bootstrap("roc_auc", y, [noise], [good], n_boot=200)
    assert swapped["a_worse"] and not swapped["a_better"]
    assert swapped["hi"] < 0


def test_lower_is_better_metric_reads_a_positive_difference_as_worse(bench):
    rng = np.random.default_rng(1)
    y = rng.normal(size=150)
    close, far = y + rng.normal(scale=0.1, size=150), y + rng.normal(scale=1.0, size=150)
    b = bench.paired_bootstrap("mae", y, [far], [close], n_boot=200)
    assert b["diff"] > 0 and b["lo"] > 0
    assert b["a_worse"] and not b["a_better"]


def test_difference_is_the_seed_mean_of_per_seed_differences(bench):
    y, good, noise = _binary()
    a, b_ = [good, 0.5 * good + 0.5 * noise], [noise, good]
    res = bench.paired_bootstrap("roc_auc", y, a, b_, n_boot=50)
    per_seed = [bench.score("roc_auc", y, p) - bench.score("roc_auc", y, q) for p, q in zip(a, b_)]
    assert res["diff"] == pytest.approx(np.mean(per_seed), abs=1e-12)


def test_same_inputs_give_the_same_interval_and_the_seed_matters(bench):
    y, good, noise = _binary()
    mixed = 0.5 * good + 0.5 * noise
    one = bench.paired_bootstrap("roc_auc", y, [mixed], [good], n_boot=100)
    two = bench.paired_bootstrap("roc_auc", y, [mixed], [good], n_boot=100)
    other = bench.paired_bootstrap("roc_auc", y, [mixed], [good], n_boot=100, seed=7)
    assert one == two
    assert (one["lo"], one["hi"]) != (other["lo"], other["hi"])


def test_resamples_without_both_classes_are_skipped_and_counted(bench):
    y = np.array([1.0, 0, 0, 0, 0, 0, 0, 0])
    p = np.linspace(0.9, 0.1, 8)
    b = bench.paired_bootstrap("roc_auc", y, [p], [p[::-1]], n_boot=100)
    assert b["skipped"] > 0 and b["n_boot"] + b["skipped"] == 100


def test_unpaired_seed_lists_are_refused(bench):
    y, good, noise = _binary()
    with pytest.raises(ValueError, match="paired"):
        bench.paired_bootstrap("roc_auc", y, [good, good], [noise], n_boot=10)


def test_chosen_members_and_their_combination(bench):
    assert bench.chosen_members("gbm") == (["gbm"], [1.0])
    members, weights = bench.chosen_members("blend:minimol-gbm+gbm@0.70")
    assert members == ["minimol-gbm", "gbm"] and weights == pytest.approx([0.7, 0.3])
    p, q = np.array([0.2, 0.8]), np.array([0.6, 0.4])
    assert np.array_equal(
        bench.combine_members([p, q], weights), 0.0 + weights[0] * p + weights[1] * q
    )


def test_auto_predictions_are_rebuilt_and_checked_against_stored_values(
    bench, tmp_path, monkeypatch
):
    monkeypatch.setattr(bench, "PRED_DIR", tmp_path)
    y, good, noise = _binary(60)
    preds = {
        ("gbm", 1): noise,
        ("minimol-gbm", 1): good,
        ("gbm", 2): noise,
        ("minimol-gbm", 2): good,
    }
    for (model, seed), p in preds.items():
        bench._savez_atomic(bench._pred_path("t", model, seed), pred=p, train_cpu_seconds=1.0)
    # the weights as `run_auto` gets them (0.3 is 0.30000000000000004 there: 1 − 0.7)
    auto = bench.combine_members(
        [good, noise], bench.chosen_members("blend:minimol-gbm+gbm@0.70")[1]
    )
    rows = [
        {"task": "t", "model": "gbm", "seed": k, "value": bench.score("roc_auc", y, noise)}
        for k in (1, 2, 3)
    ]
    rows += [
        {
            "task": "t",
            "model": "auto",
            "seed": 1,
            "chosen": "blend:minimol-gbm+gbm@0.70",
            "value": bench.score("roc_auc", y, auto),
        },
        # stored value that the saved predictions do not reproduce: seed left out, reported
        {"task": "t", "model": "auto", "seed": 2, "chosen": "minimol-gbm", "value": 0.5},
        # gbm's prediction for seed 3 was never saved
        {"task": "t", "model": "auto", "seed": 3, "chosen": "gbm", "value": 0.5},
    ]
    pairs, problems = bench.auto_vs_gbm_preds(rows, "t", "roc_auc", y)
    assert sorted(pairs) == [1]
    assert np.array_equal(pairs[1][0], auto) and np.array_equal(pairs[1][1], noise)
    assert any(p.startswith("seed 2: auto rebuilt") for p in problems)
    assert "seed 3: gbm prediction not saved" in problems


def test_bootstrap_cache_is_keyed_on_its_inputs(bench, tmp_path, monkeypatch):
    monkeypatch.setattr(bench, "BOOT_CACHE", tmp_path)
    monkeypatch.setattr(bench, "BOOT_N", 30)
    y, good, noise = _binary(80)
    first = bench._bootstrap_cached("t", "roc_auc", y, {1: (good, noise)})
    stored = json.loads((tmp_path / "t.json").read_text())
    assert stored["result"] == first and first["seeds"] == [1]
    assert bench._bootstrap_cached("t", "roc_auc", y, {1: (good, noise)}) == first
    changed = bench._bootstrap_cached("t", "roc_auc", y, {1: (noise, good)})
    assert changed["diff"] == pytest.approx(-first["diff"])
    assert json.loads((tmp_path / "t.json").read_text())["key"] != stored["key"]
