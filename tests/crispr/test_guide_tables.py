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


def test_a_missing_context_column_is_told_which_column_holds_the_contexts(tmp_path):
    """RS3, Kim 2019 and DeepHF tables name their contexts 'sgRNA Context Sequence',
    'target_context_30mer', 'sgRNA': the error only listed the columns."""
    rng = np.random.default_rng(0)
    ctx = ["".join(rng.choice(list("ACGT"), 25)) + "GG" + "".join(rng.choice(list("ACGT"), 3))
           for _ in range(12)]  # fmt: skip
    df = pd.DataFrame({"sgRNA Sequence": [c[4:24] for c in ctx],
                       "sgRNA Context Sequence": [c.lower() for c in ctx],
                       "lfc": rng.normal(size=12)})  # fmt: skip
    df.loc[3, "sgRNA Context Sequence"] = None
    df.to_csv(tmp_path / "rs3.csv", index=False)
    with pytest.raises(InputError) as e:
        score_ontarget_table(tmp_path / "rs3.csv", "context", tmp_path / "o.csv")
    assert "column 'context' not found" in e.value.message
    assert e.value.hint == (
        "column 'sgRNA Context Sequence' holds 30-nt sequences: pass --input-col "
        "'sgRNA Context Sequence'"
    )


def test_a_missing_spacer_column_is_told_which_column_holds_the_spacers(tmp_path):
    rng = np.random.default_rng(1)
    genome = "".join(rng.choice(list("ACGT"), 3000))
    (tmp_path / "g.fa").write_text(f">chr1\n{genome}\n")
    (tmp_path / "g.csv").write_text(
        "name,protospacer\n" + f"a,{genome[10:30]}\nb,{genome[50:70]}\n"
    )
    with pytest.raises(InputError) as e:
        offtargets_table(tmp_path / "g.csv", tmp_path / "g.fa", tmp_path / "o.tsv")
    assert (
        "column 'protospacer' holds 20-nt sequences: pass --input-col 'protospacer'" in e.value.hint
    )


def test_no_sequence_column_keeps_the_plain_column_error(tmp_path):
    (tmp_path / "t.csv").write_text("a,b\nx,1\ny,2\n")
    with pytest.raises(InputError) as e:
        score_ontarget_table(tmp_path / "t.csv", "context", tmp_path / "o.csv")
    assert "holds" not in (e.value.hint or "")


def test_a_list_of_spacers_without_a_header_is_searched_line_by_line(tmp_path):
    """One spacer per line, as Cas-OFFinder and most guide lists keep them: the first spacer was
    taken for the header ("column 'spacer' not found"), and the hint to pass it as --input-col
    lost that guide."""
    seq = "".join(np.random.default_rng(2).choice(list("ACGT"), 4000))
    (tmp_path / "g.fa").write_text(f">chr1\n{seq}\n")
    lines = [seq[100:120], "", seq[300:320], "ACGT"]  # a blank line, a bad spacer
    (tmp_path / "guides.txt").write_text("\r\n".join(lines) + "\r\n")
    res = offtargets_table(tmp_path / "guides.txt", tmp_path / "g.fa", tmp_path / "o.tsv")
    summary = pd.read_csv(tmp_path / "o.summary.tsv", sep="\t")
    assert summary["spacer"].tolist() == [seq[100:120], seq[300:320]]
    errors = pd.read_csv(tmp_path / "o.errors.csv")
    assert errors[["row", "value"]].values.tolist() == [[4, "ACGT"]]  # its file line
    assert res["rows_in"] == 3
    (tmp_path / "one.txt").write_text(seq[100:120] + "\n")  # one guide: no "no data rows"
    assert read_guide_table(tmp_path / "one.txt", ["spacer"])["spacer"].tolist() == [seq[100:120]]


def test_a_list_of_contexts_without_a_header_is_scored_and_unnamed_fields_are_refused(tmp_path):
    ctx = "TTCTGCCTTGTTTCTTTCCTCTCTGGGTCG"
    (tmp_path / "c.txt").write_text(f"{ctx}\n{ctx.lower()}\n")
    res = score_ontarget_table(tmp_path / "c.txt", "context", tmp_path / "s.csv", model="gbm")
    assert res["n_scored"] == 2 and pd.read_csv(tmp_path / "s.csv").columns[0] == "context"
    (tmp_path / "two.csv").write_text(f"{ctx},g1\n{ctx},g2\n")  # which field is which?
    with pytest.raises(InputError, match="line 1 .* holds a sequence, not column names") as e:
        read_guide_table(tmp_path / "two.csv", ["context"])
    assert "add a header line" in e.value.hint


def test_a_table_scored_again_and_again_keeps_every_old_score_under_a_name_of_its_own(tmp_path):
    """The second rescoring renamed ontarget_score to input_ontarget_score beside the one
    already there: two columns of one name, a table helix itself then refused to read."""
    from helixforge.crispr.guide_tables import input_column_names

    ctx = "TTCTGCCTTGTTTCTTTCCTCTCTGGGTCG"
    (tmp_path / "s0.csv").write_text(f"context\n{ctx}\n")
    for k in range(3):
        score_ontarget_table(tmp_path / f"s{k}.csv", "context", tmp_path / f"s{k + 1}.csv",
                             model="gbm")  # fmt: skip
    columns = pd.read_csv(tmp_path / "s3.csv").columns.tolist()
    assert columns == ["context", "input_ontarget_score", "input_ontarget_score_2",
                       "ontarget_score"]  # fmt: skip
    assert input_column_names(["a", "b", "input_b"], ["b", "c"]) == {"b": "input_b_2"}


def test_a_summary_searched_again_and_again_keeps_every_old_count(tmp_path):
    seq = "".join(np.random.default_rng(2).choice(list("ACGT"), 4000))
    (tmp_path / "g.fa").write_text(f">chr1\n{seq}\n")
    (tmp_path / "o0.summary.tsv").write_text(f"spacer\n{seq[100:120]}\n")
    for k in range(3):
        offtargets_table(tmp_path / f"o{k}.summary.tsv", tmp_path / "g.fa",
                         tmp_path / f"o{k + 1}.tsv")  # fmt: skip
    columns = pd.read_csv(tmp_path / "o3.summary.tsv", sep="\t").columns
    assert not columns.duplicated().any()
    assert {"input_mm0", "input_mm0_2", "mm0"} <= set(columns)
