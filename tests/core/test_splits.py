import numpy as np
import pytest

from helixforge.core.errors import ConfigError
from helixforge.core.splits import kfold_indices, make_split


def _covers(split, n):
    allidx = np.concatenate([split.train, split.valid, split.test])
    return sorted(allidx.tolist()) == list(range(n))


def test_random_split_is_disjoint_complete_and_seeded():
    a = make_split("random", 100, seed=1)
    b = make_split("random", 100, seed=1)
    c = make_split("random", 100, seed=2)
    assert _covers(a, 100) and a.sizes() == {"train": 80, "valid": 10, "test": 10}
    assert np.array_equal(a.test, b.test) and not np.array_equal(a.test, c.test)


def test_stratified_split_keeps_class_ratio():
    y = np.array([0] * 80 + [1] * 20)
    s = make_split("stratified", 100, y=y, seed=0)
    assert _covers(s, 100)
    assert y[s.test].mean() == pytest.approx(0.2, abs=0.05)


def test_stratified_split_refuses_a_continuous_target():
    y = np.random.default_rng(0).normal(size=200)
    with pytest.raises(ConfigError, match="distinct values"):
        make_split("stratified", 200, y=y)


def test_group_split_never_splits_a_group():
    groups = np.repeat(np.arange(30), 5)
    s = make_split("group", 150, groups=groups, seed=0)
    parts = [set(groups[p]) for p in (s.train, s.valid, s.test)]
    assert not (parts[0] & parts[1] or parts[0] & parts[2] or parts[1] & parts[2])
    assert _covers(s, 150)


def test_predefined_split_accepts_common_spellings_and_rejects_others():
    s = make_split("predefined", 4, assignment=["train", "dev", "test", "TRAIN"])
    assert s.train.tolist() == [0, 3] and s.valid.tolist() == [1] and s.test.tolist() == [2]
    with pytest.raises(ConfigError, match="besides train/valid/test"):
        make_split("predefined", 2, assignment=["train", "holdout"])


def test_unknown_split_and_bad_fractions():
    with pytest.raises(ConfigError, match="unknown split"):
        make_split("nope", 10)
    with pytest.raises(ConfigError, match="summing to 1"):
        make_split("random", 10, fractions=(0.5, 0.2, 0.2))


def test_group_kfold_holds_out_each_row_once():
    groups = np.repeat(np.arange(12), 3)
    folds = kfold_indices(36, 3, groups=groups)
    held = np.concatenate([h for _, h in folds])
    assert sorted(held.tolist()) == list(range(36))
    for train, h in folds:
        assert not set(groups[train]) & set(groups[h])


def test_group_split_scales_to_many_groups():
    groups = np.arange(200_000) // 2  # 100k groups of two
    s = make_split("group", len(groups), groups=groups, seed=0)
    assert _covers(s, len(groups))
    assert not set(groups[s.train]) & set(groups[s.test])


def test_kfold_needs_two_folds():
    for k in (0, 1, -2, 2.5):
        with pytest.raises(ConfigError, match="--folds"):
            kfold_indices(10, k)


def test_splits_are_identical_across_processes_and_hash_seeds():
    """Group keys are strings: nothing may depend on Python's per-process hash seed."""
    import os
    import subprocess
    import sys

    code = (
        "from helixforge.core.splits import make_split, kfold_indices\n"
        "g = [f'scaffold{i % 17}' for i in range(200)]\n"
        "s = make_split('group', 200, groups=g, seed=3)\n"
        "f = kfold_indices(200, 5, seed=3, groups=g)\n"
        "print(s.train.tolist(), s.test.tolist(), [h.tolist() for _, h in f])\n"
    )
    outs = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert len(outs) == 1


@pytest.mark.parametrize(
    "fractions", [(float("nan"), 0.1, 0.1), (0.8, 0.1), (0.8, -0.1, 0.3), ("a", 0, 0)]
)
def test_fractions_that_are_not_three_finite_shares_are_refused(fractions):
    from helixforge.core.errors import ConfigError
    from helixforge.core.splits import group_split, random_split

    with pytest.raises(ConfigError, match="split fractions"):
        random_split(10, fractions=fractions)
    with pytest.raises(ConfigError, match="split fractions"):
        group_split(10, groups=list(range(10)), fractions=fractions)  # it checked nothing
