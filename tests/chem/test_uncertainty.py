import json

import numpy as np

from helixforge.chem.featurize import morgan_bits
from helixforge.chem.uncertainty import (
    ApplicabilityDomain,
    ClassificationConformal,
    RegressionConformal,
    conformal_quantile,
    max_tanimoto,
    set_labels,
)


def test_conformal_quantile_uses_the_finite_sample_rank():
    scores = np.arange(1, 11, dtype=float)  # n = 10
    assert conformal_quantile(scores, 0.5) == 6.0  # ceil(11 * 0.5) = 6th smallest
    assert conformal_quantile(scores, 0.95) == float("inf")  # needs more calibration points


def test_regression_intervals_reach_the_coverage_on_exchangeable_data():
    rng = np.random.default_rng(0)
    y_cal, y_new = rng.normal(size=2000), rng.normal(size=2000)
    cal = RegressionConformal(coverage=0.9).fit(y_cal, np.zeros(2000))
    lo, hi = cal.interval(np.zeros(2000))
    covered = np.mean((y_new >= lo) & (y_new <= hi))
    assert 0.87 < covered < 0.93
    again = RegressionConformal.from_dict(cal.to_dict())
    assert again.q == cal.q


def test_normalized_intervals_scale_with_spread():
    y = np.array([0.0, 1.0, 2.0, 3.0] * 10)
    cal = RegressionConformal(coverage=0.8, normalized=True).fit(y, y + 0.5, np.full(40, 0.5))
    assert cal.beta == 0.5  # the median calibration spread
    lo, hi = cal.interval(np.array([0.0, 0.0, 0.0]), np.array([0.0, 0.5, 2.5]))
    width = hi - lo
    assert width[0] > 0 and np.allclose(width[1:], [2 * width[0], 6 * width[0]], rtol=1e-5)
    again = RegressionConformal.from_dict(cal.to_dict())
    assert (
        again.beta == cal.beta
        and RegressionConformal.from_dict(
            {k: v for k, v in cal.to_dict().items() if k != "beta"}
        ).beta
        == 0.0
    )  # a run saved before beta keeps its intervals


def test_members_that_agree_by_chance_do_not_blow_up_normalized_intervals():
    # 3 GBM seeds often agree on a molecule (spread ~0) whatever its error: with |y - ŷ| / σ̂
    # alone such a row made q huge and every other interval far too wide (ESOL: q = 31).
    rng = np.random.default_rng(0)
    n = 2000
    err = rng.normal(scale=0.8, size=n)
    spread = rng.uniform(0.05, 0.15, n)
    spread[::7] = 1e-4  # members that agreed by chance (one row in seven)
    cal = RegressionConformal(coverage=0.9, normalized=True).fit(
        err[:1000], np.zeros(1000), spread[:1000]
    )
    lo, hi = cal.interval(np.zeros(1000), spread[1000:])
    assert 0.87 < np.mean((err[1000:] >= lo) & (err[1000:] <= hi)) < 0.95
    assert np.mean(hi - lo) < 1.5 * 2 * 1.645 * 0.8  # near the plain interval, not 10x it


def test_classification_sets():
    y = np.array([0, 1] * 50, dtype=float)
    p = np.where(y == 1, 0.8, 0.2)
    cal = ClassificationConformal(coverage=0.9).fit(y, p)
    sets = cal.sets(np.array([0.95, 0.5, 0.6, 0.05]))
    # p = 0.5 / 0.6 pass neither class's threshold (0.8): not an empty set but the top class
    assert sets.tolist() == [[False, True], [True, True], [False, True], [True, False]]
    assert set_labels(sets, [0, 1]) == ["{1}", "{0,1}", "{1}", "{0}"]


def test_max_tanimoto_and_domain_flag():
    train = morgan_bits(["c1ccccc1CCO", "CCCCCC"])
    query = morgan_bits(["c1ccccc1CCO", "c1ccccc1CCN", "O=C(O)C1CCN(C1)S(=O)(=O)F"])
    sim = max_tanimoto(query, train, chunk=2)
    assert sim[0] == 1.0 and 0.3 < sim[1] < 1.0 and sim[2] < 0.2
    assert ApplicabilityDomain(0.3).flag(sim).tolist() == [True, True, False]


def test_a_molecule_far_larger_than_any_training_molecule_is_out_of_domain(tmp_path):
    # ECFP bits cannot count: a 300-carbon chain has exactly hexadecane's bits (similarity 1.0)
    # and was 'in domain' for a model of molecules up to 16 atoms
    from helixforge.chem.uncertainty import applicability_columns

    train = ["CCCCCCCCCCCCCCCC", "CCCCCCCCO", "c1ccccc1CCO", "CC(=O)Oc1ccccc1C(=O)O"]
    hook = applicability_columns(0.3)
    hook(train, tmp_path, list(range(len(train))), None)  # training writes ad.json
    queries = ["C" * 300, "C" * 32, "CCCCCCCCCCCC", "C" * 33]
    cols = hook(queries, tmp_path, None, None)
    assert cols["ad_similarity"].tolist() == [1.0, 1.0, 1.0, 1.0]
    assert cols["in_domain"].tolist() == [False, True, True, False]  # at most 2 x 16 atoms
    # a run trained before the size was saved keeps the similarity-only flag
    info = json.loads((tmp_path / "ad.json").read_text())
    del info["max_heavy_atoms"]
    (tmp_path / "ad.json").write_text(json.dumps(info))
    assert hook(queries, tmp_path, None, None)["in_domain"].all()
