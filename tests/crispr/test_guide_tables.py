"""Guides given as FASTA to crispr offtargets / score-ontarget are read as a table of guide_id and
sequence, with header lines as rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helixforge.core.errors import InputError
from helixforge.crispr.guide_tables import looks_like_fasta, read_guide_table
from helixforge.crispr.offtarget import offtargets_table
from helixforge.crispr.ontarget import score_ontarget_table


def test_a_fasta_of_spacers_is_searched_with_record_names_as_guide_ids(tmp_path):
    seq = "".join(np.random.default_rng(2).choice(list("ACGT"), 4000))
    (tmp_path / "g.fa").write_text(f">chr1\n{seq}\n")
    # named .txt: a first '>' is enough
    (tmp_path / "guides.txt").write_text(f">g1 first\n{seq[100:110]}\n{seq[110:120]}\n>g2\nACGT\n")
    res = offtargets_table(tmp_path / "guides.txt", tmp_path / "g.fa", tmp_path / "o.tsv")
    summary = pd.read_csv(tmp_path / "o.summary.tsv", sep="\t")
    assert summary["guide_id"].tolist() == ["g1"] and summary["spacer"][0] == seq[100:120]
    errors = pd.read_csv(tmp_path / "o.errors.csv")
    assert errors[["row", "value"]].values.tolist() == [[4, "ACGT"]]  # the header line of g2
    assert res["rows_in"] == 2


def test_a_fasta_of_contexts_is_scored(tmp_path):
    (tmp_path / "c.fasta").write_text(">c1\nTTCTGCCTTGTTTCTTTCCTCTCTGGGTCG\n")
    score_ontarget_table(tmp_path / "c.fasta", "context", tmp_path / "s.csv", model="gbm")
    out = pd.read_csv(tmp_path / "s.csv")
    assert out.columns.tolist() == ["guide_id", "context", "ontarget_score"]
    assert out["ontarget_score"].notna().all()


def test_tables_stay_tables_and_a_fasta_has_no_other_columns(tmp_path):
    (tmp_path / "t.csv").write_text("spacer,name\nACGT,a\n")
    assert not looks_like_fasta(tmp_path / "t.csv")
    assert read_guide_table(tmp_path / "t.csv", ["spacer", "name"]).columns.tolist() == [
        "spacer",
        "name",
    ]
    (tmp_path / "g.fa").write_text(">a\nACGT\n")
    with pytest.raises(InputError, match="no column 'name'"):
        read_guide_table(tmp_path / "g.fa", ["spacer", "name"])
