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
