"""No silent [UNK]: with a HelixForge DNA / SMILES tokenizer, rows with characters outside its
alphabet go to the errors table (line, column, the offending characters) in every reader of
`helix lm embed | score | predict | finetune`, and the good rows are processed (rows in = rows
out + rows in errors). Published tokenizers keep their own handling."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from helixforge.cli.app import app
from helixforge.lm.tokenizer_backends import SequenceCheck, sequence_check

runner = CliRunner()

# (id, sequence, expected fragment of the reason; None = accepted)
DNA_CASES = [
    ("plain", "ACGTACGTAGGCAT", None),
    ("soft-masked", "acgtacgtaggcat", None),
    ("iupac", "ACGTRYSWKMBDHVNN", None),
    ("rna-u", "ACGUACGUAGGCAU", None),
    ("inner-space", "ACGT NNNNACGT", "' ' at position 5"),
    ("fasta-header", ">seq1ACGT", "'>' at position 1"),
    ("gap", "AC-GTACGT", "'-' at position 3"),
    ("digits", "ACGT1234", "'1' at position 5"),
    ("stop", "ACG*TACG", "'*' at position 4"),
    ("label-0", "0", "'0' at position 1"),
    ("tab", "ACGT\tACGT", "'\\t' at position 5"),
    ("dot", "ACGT.ACGT", "'.' at position 5"),
    ("protein-x", "ACGTXACGT", "'X' at position 5"),
    ("several", "A-C>G", "'-' at position 2, '>' at position 4"),
]
SMILES_CASES = [
    ("ok", "CC(=O)Nc1ccc(O)cc1", None),
    ("chiral", "CC[C@H](N)C(=O)O", None),
    ("inner-space", "CC O", "' ' at position 3"),
    ("inner-tab", "CC\tO", "'\\t' at position 3"),
]


@pytest.mark.parametrize("case", DNA_CASES, ids=lambda c: c[0])
def test_dna_alphabet(case):
    _, seq, reason = case
    why = SequenceCheck("dna", "dna-char").problem(seq)
    assert (why is None) if reason is None else (reason in why and "DNA alphabet" in why)


@pytest.mark.parametrize("case", SMILES_CASES, ids=lambda c: c[0])
def test_smiles_whitespace(case):
    _, seq, reason = case
    why = SequenceCheck("smiles", "smiles-atom").problem(seq)
    assert (why is None) if reason is None else (reason in why and "whitespace" in why)


@pytest.mark.parametrize(
    "kind, family",
    [("dna-char", "dna"), ("dna-kmer", "dna"), ("dna-bpe", "dna"), ("smiles-atom", "smiles"),
     ("smiles-bpe", "smiles"), ("external", None)],
)  # fmt: skip
def test_sequence_check_reads_the_saved_kind(pretrained_encoder, tmp_path, kind, family):
    m = shutil.copytree(pretrained_encoder, tmp_path / "m")
    spec = json.loads((m / "helixforge_tokenizer.json").read_text())
    (m / "helixforge_tokenizer.json").write_text(json.dumps({**spec, "kind": kind}))
    check = sequence_check(m)
    assert (check is None) if family is None else (check.kind == family)


def test_published_and_missing_checkpoints_are_not_checked(published_bert, tmp_path):
    assert sequence_check(published_bert) is None  # no helixforge_tokenizer.json
    assert sequence_check(tmp_path / "nope") is None  # loading reports it later


GOOD = ["".join(np.random.default_rng(i).choice(list("ACGT"), 14)) for i in range(14)]
GOOD[1] = GOOD[1].lower()  # soft-masked
GOOD[2] = GOOD[2][:5] + "RYN" + GOOD[2][8:]  # IUPAC codes
BAD = [seq for _, seq, reason in DNA_CASES if reason is not None and "\t" not in seq]


@pytest.fixture(scope="module")
def d(tmp_path_factory, pretrained_encoder):
    """Tables mixing good and bad rows, a FASTA, and a run fine-tuned on the dna-char encoder."""
    from helixforge.lm.finetune import finetune

    d = tmp_path_factory.mktemp("alphabet")
    shutil.copytree(pretrained_encoder, d / "enc")
    seqs = GOOD + BAD
    labels = [i % 2 for i in range(len(GOOD))] + [0] * len(BAD)
    pd.DataFrame({"sequence": seqs, "label": labels}).to_csv(d / "mixed.csv", index=False)
    pd.DataFrame({"sequence": GOOD, "label": labels[: len(GOOD)]}).to_csv(
        d / "good.csv", index=False
    )
    recs = [("ok1", GOOD[0]), ("gap", "AC-GT"), ("ok2", GOOD[3]), ("digit", "ACG7T")]
    (d / "mixed.fa").write_text("".join(f">{n}\n{s}\n" for n, s in recs))
    finetune(d / "enc", d / "good.csv", out=d / "ft", epochs=1, batch_size=8, threads=1,
             device="cpu")  # fmt: skip
    return d


def _bad_lines() -> set[int]:
    return {len(GOOD) + 2 + i for i in range(len(BAD))}  # header = line 1


def _check_errors(errors: pd.DataFrame, lines: set[int]) -> None:
    assert set(errors.row) == lines
    assert set(errors.column) == {"sequence"}
    assert errors.reason.str.contains("outside the DNA alphabet").all()
    assert errors.reason.str.contains("at position").all()


@pytest.mark.parametrize("verb, model", [("embed", "enc"), ("score", "enc"), ("predict", "ft")])
def test_bad_rows_go_to_the_errors_table(d, tmp_path, verb, model):
    out = tmp_path / "o.csv"
    res = runner.invoke(app, ["lm", verb, str(d / model), str(d / "mixed.csv"), "-o", str(out)])
    assert res.exit_code == 0, res.output
    kept = pd.read_csv(out)
    errors = pd.read_csv(tmp_path / "o.errors.csv")
    _check_errors(errors, _bad_lines())
    assert list(kept.sequence) == GOOD
    assert len(kept) + len(errors) == len(GOOD) + len(BAD)


@pytest.mark.parametrize("verb, model", [("embed", "enc"), ("score", "enc"), ("predict", "ft")])
def test_bad_fasta_records_go_to_the_errors_table(d, tmp_path, verb, model):
    out = tmp_path / "o.csv"
    res = runner.invoke(app, ["lm", verb, str(d / model), str(d / "mixed.fa"), "-o", str(out)])
    assert res.exit_code == 0, res.output
    errors = pd.read_csv(tmp_path / "o.errors.csv")
    assert list(errors.row) == [
        3,
        7,
    ]  # the header lines of records 2 and 4 (file lines, as in tables)
    assert errors.reason.str.contains("'-' at position 3").iloc[0]
    assert errors.reason.str.contains("'7' at position 4").iloc[1]
    assert len(pd.read_csv(out)) == 2


@pytest.mark.parametrize("src", ["mixed.fa", "table"])
def test_an_npy_of_embeddings_says_which_input_row_each_row_is(d, tmp_path, src):
    """With rows rejected, row i of emb.npy was no longer input row i and nothing said which
    it was; emb.ids.csv now names the file line and id of every row of the array."""
    if src == "table":
        path = tmp_path / "t.csv"
        pd.DataFrame({"name": ["a", "b", "c"], "sequence": [GOOD[0], "ACGT-ACGT", GOOD[3]]}).to_csv(
            path, index=False
        )
        extra = ["--id-col", "name"]
    else:
        path, extra = d / "mixed.fa", []
    out = tmp_path / "emb.npy"
    res = runner.invoke(app, ["lm", "embed", str(d / "enc"), str(path), "-o", str(out), *extra])
    assert res.exit_code == 0, res.output
    assert "row ids: " in res.output
    X, ids = np.load(out), pd.read_csv(tmp_path / "emb.ids.csv")
    rejected = pd.read_csv(tmp_path / "emb.errors.csv")["row"].tolist()
    assert len(ids) == len(X) and not set(ids["row"]) & set(rejected)
    if src == "table":
        assert ids.to_dict("list") == {"row": [2, 4], "id": ["a", "c"]}
        assert np.allclose(X[1], np.load(_embed_one(d, tmp_path, GOOD[3])))


def _embed_one(d, tmp_path, seq):
    one = tmp_path / "one.csv"
    pd.DataFrame({"sequence": [seq]}).to_csv(one, index=False)
    runner.invoke(app, ["lm", "embed", str(d / "enc"), str(one), "-o", str(tmp_path / "one.npy")])
    return tmp_path / "one.npy"


def test_embedding_a_label_column_is_refused(d, tmp_path):
    out = tmp_path / "e.csv"
    argv = ["lm", "embed", str(d / "enc"), str(d / "good.csv"), "--input-col", "label"]
    res = runner.invoke(app, [*argv, "-o", str(out)])
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert "good.csv" in res.output and not out.exists()
    errors = pd.read_csv(tmp_path / "e.errors.csv")
    assert len(errors) == len(GOOD) and set(errors.column) == {"label"}


def test_finetune_keeps_bad_rows_out_of_training(d, tmp_path):
    out = tmp_path / "ft"
    res = runner.invoke(app, ["lm", "finetune", str(d / "enc"), str(d / "mixed.csv"), "--epochs",
                              "1", "--jobs", "1", "--quiet", "-o", str(out)])  # fmt: skip
    assert res.exit_code == 0, res.output
    errors = pd.read_csv(out / "errors.csv")
    _check_errors(errors, _bad_lines())
    assert json.loads((out / "config.json").read_text())["n_rows"] == len(GOOD)


def test_published_tokenizer_keeps_todays_behaviour(published_bert, tmp_path):
    pd.DataFrame({"sequence": ["ACGTACGT", "AC-GTACG"]}).to_csv(tmp_path / "t.csv", index=False)
    out = tmp_path / "e.csv"
    res = runner.invoke(app, ["lm", "embed", published_bert, str(tmp_path / "t.csv"), "-o",
                              str(out)])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert len(pd.read_csv(out)) == 2


def test_a_missing_value_marker_in_the_sequence_column_is_an_error_not_bases(tmp_path):
    from helixforge.lm.tables import read_sequences

    (tmp_path / "t.csv").write_text("sequence\nACGTACGT\nNA\nnan\nTTGACCAT\n")
    inp = read_sequences(tmp_path / "t.csv")
    assert inp.sequences == ["ACGTACGT", "TTGACCAT"]
    assert [(e.row, e.reason) for e in inp.errors] == [
        (3, "missing-value marker, not a sequence"),
        (4, "missing-value marker, not a sequence"),
    ]


def test_fasta_errors_name_the_header_line_and_text_before_the_first_header_is_refused(tmp_path):
    import pytest

    from helixforge.core.errors import InputError
    from helixforge.lm.tables import read_sequences

    (tmp_path / "a.fa").write_text(">a\n>b\nACGT\n\n>c x\nAC GT\nTTZA\n>d\n")
    inp = read_sequences(tmp_path / "a.fa", check=None)
    assert inp.ids == ["b", "c"] and inp.sequences == ["ACGT", "ACGTTTZA"]
    assert [(e.row, e.value, e.reason) for e in inp.errors] == [
        (1, "a", "empty sequence"),
        (8, "d", "empty sequence"),
    ]
    (tmp_path / "b.fa").write_text("id,sequence\n>a\nACGT\n")
    with pytest.raises(InputError, match=r"b.fa, line 1: sequence text before the first '>'"):
        read_sequences(tmp_path / "b.fa")


def test_per_position_table_at_the_out_path_is_refused(d, tmp_path):
    out = tmp_path / "s.csv"
    res = runner.invoke(app, ["lm", "score", str(d / "enc"), str(d / "good.csv"), "-o", str(out),
                              "--per-position", str(out)])  # fmt: skip
    assert res.exit_code == 2 and "one output would replace the other" in res.output
    assert not out.exists()


@pytest.mark.parametrize("verb, out_name", [("embed", "e.parquet"), ("score", "s.csv")])
def test_an_output_table_fed_back_keeps_its_old_columns_as_input(pretrained_encoder, tmp_path,
                                                                 verb, out_name):  # fmt: skip
    """`lm embed` of its own output wrote emb_0… twice (a pyarrow ValueError traceback for
    parquet, repeated CSV headers); `lm score` repeated n_tokens, log_likelihood, …"""
    from helixforge.core.tables import read_table

    pd.DataFrame({"sequence": GOOD[:4]}).to_csv(tmp_path / "t.csv", index=False)
    first, second = tmp_path / f"1{out_name}", tmp_path / f"2{out_name}"
    for src, dst in ((tmp_path / "t.csv", first), (first, second)):
        res = runner.invoke(app, ["lm", verb, pretrained_encoder, str(src), "-o", str(dst)])
        assert res.exit_code == 0, res.output
    cols = list(read_table(second).columns)
    assert len(cols) == len(set(cols))
    new = [c for c in cols if not c.startswith("input_") and c != "sequence"]
    assert all(f"input_{c}" in cols for c in new)


def test_a_fastq_input_is_named_as_such(tmp_path):
    """lm embed reads.fq said "column 'sequence' not found. Columns present: '@r1'"."""
    from helixforge.core.errors import InputError
    from helixforge.lm.tables import read_sequences

    (tmp_path / "reads.fq").write_text("@r1\nACGT\n+\nIIII\n")
    with pytest.raises(InputError, match="a FASTQ file; the lm verbs read FASTA or a table"):
        read_sequences(tmp_path / "reads.fq")


@pytest.mark.parametrize(
    "extra, key", [([], "row"), (["--id-col", "name"], "name")], ids=["lines", "id-col"]
)
def test_the_per_position_table_joins_the_per_sequence_one(d, tmp_path, extra, key):
    """The per-position key was the file line while the per-sequence table kept the input's
    own id (or no key at all): the two could not be joined."""
    src = tmp_path / "named.csv"
    pd.DataFrame({"name": ["s0", "s1"], "sequence": GOOD[:2]}).to_csv(src, index=False)
    out, pos = tmp_path / "s.csv", tmp_path / "p.csv"
    res = runner.invoke(app, ["lm", "score", str(d / "enc"), str(src), "-o", str(out),
                              "--per-position", str(pos), *extra])  # fmt: skip
    assert res.exit_code == 0, res.output
    scores, positions = pd.read_csv(out), pd.read_csv(pos)
    assert key in scores and key in positions
    assert set(positions[key]) == set(scores[key])
    joined = positions.merge(scores[[key, "log_likelihood"]], on=key)
    sums = joined.groupby(key)["log_prob"].sum()
    assert np.allclose(sums.sort_index(), scores.set_index(key)["log_likelihood"].sort_index(),
                       atol=1e-3)  # fmt: skip


def test_a_per_position_key_that_repeats_is_refused_before_scoring(d, tmp_path):
    """--id-col name with 'x' on two lines keyed the per-position rows of both sequences 'x':
    joined back, each sequence got the other's log-probs too. Refused, naming both lines."""
    src = tmp_path / "dup.csv"
    pd.DataFrame({"name": ["x", "y", "x"], "sequence": GOOD[:3]}).to_csv(src, index=False)
    out, pos = tmp_path / "s.csv", tmp_path / "p.csv"
    res = runner.invoke(app, ["lm", "score", str(d / "enc"), str(src), "-o", str(out),
                              "--per-position", str(pos), "--id-col", "name"])  # fmt: skip
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert "--id-col name has 'x' on line 2 and line 4" in res.output
    assert not out.exists() and not pos.exists()
    # without --per-position there is nothing to join: the ids stay as they are
    res = runner.invoke(app, ["lm", "score", str(d / "enc"), str(src), "-o", str(out),
                              "--id-col", "name"])  # fmt: skip
    assert res.exit_code == 0 and pd.read_csv(out)["name"].tolist() == ["x", "y", "x"]


def test_table_paths_that_are_none_are_named(tmp_path):
    import pytest

    from helixforge.core.errors import InputError
    from helixforge.lm.tables import embed_table, read_sequences, score_table

    with pytest.raises(InputError, match="input is None"):
        read_sequences(None)
    with pytest.raises(InputError, match="out is None"):
        score_table("model", tmp_path / "in.csv", None)
    with pytest.raises(InputError, match="out is None"):
        embed_table("model", tmp_path / "in.csv", None)


def test_rows_the_tokenizer_reads_as_unk_only_are_refused():
    """A sequence shorter than one k-mer, or without any A/C/G/T, tokenised to [UNK] alone:
    every such row got one and the same embedding, score and prediction."""
    from helixforge.lm.tokenizer_backends import spec_check
    from helixforge.lm.tokenizers import parse_spec

    kmer = spec_check(parse_spec("dna-kmer:6"))
    assert kmer.k == 6 and kmer.row_problem("ACGTAC") is None
    assert "shorter than one 6-mer" in kmer.row_problem("acgta")
    assert "no A, C, G or T base" in kmer.row_problem("NNNNNNNN")
    assert "no A, C, G or T base" in kmer.row_problem("nnRYKMnn")
    assert kmer.row_problem("NNNNNu") is None  # U is a base (read as T)
    char = SequenceCheck("dna", "dna-char")
    assert char.row_problem("A") is None and "no A, C, G or T" in char.row_problem("N")
    assert "DNA alphabet" in char.row_problem("NN-N")  # the alphabet check comes first
    assert SequenceCheck("smiles", "smiles-atom").row_problem("C") is None


@pytest.mark.parametrize("verb, model", [("embed", "enc"), ("score", "enc"), ("predict", "ft")])
def test_all_n_rows_go_to_the_errors_table(d, tmp_path, verb, model):
    seqs = [GOOD[0], "NNNNNNNNNN", "a", "RYRYRYKM", GOOD[4].lower()]
    pd.DataFrame({"sequence": seqs}).to_csv(tmp_path / "n.csv", index=False)
    out = tmp_path / "o.csv"
    res = runner.invoke(app, ["lm", verb, str(d / model), str(tmp_path / "n.csv"), "-o", str(out)])
    assert res.exit_code == 0, res.output
    errors = pd.read_csv(tmp_path / "o.errors.csv")
    assert list(errors.row) == [3, 5] and errors.reason.str.contains("no A, C, G or T").all()
    assert list(pd.read_csv(out).sequence) == [GOOD[0], "a", GOOD[4].lower()]


@pytest.mark.parametrize("verb, model", [("embed", "enc"), ("score", "enc"), ("predict", "ft")])
def test_fasta_outputs_keep_the_header_line_and_text_and_tell_repeated_names_apart(
    d, tmp_path, verb, model
):
    """FASTA outputs had id and sequence only: the header text ('label=1 chr2:…') was lost and
    two records of one name could not be told apart (dna predict writes row and description)."""
    fa = tmp_path / "dup.fa"
    fa.write_text(f">a first\n{GOOD[0]}\n>a second copy\n{GOOD[1]}\n>b\n{GOOD[2]}\n")
    out = tmp_path / "o.csv"
    extra = ["--per-position", str(tmp_path / "p.csv")] if verb == "score" else []
    res = runner.invoke(app, ["lm", verb, str(d / model), str(fa), "-o", str(out), *extra])
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out)
    assert list(table.columns[:4]) == ["row", "id", "description", "sequence"]
    assert table["row"].tolist() == [1, 3, 5] and table["id"].tolist() == ["a", "a", "b"]
    assert table["description"].tolist() == ["a first", "a second copy", "b"]
    if verb == "score":  # repeated names: the per-position table is keyed by the header line
        positions = pd.read_csv(tmp_path / "p.csv")
        sums = positions.groupby("row")["log_prob"].sum()
        assert np.allclose(sums.loc[[1, 3, 5]], table["log_likelihood"], atol=1e-3)


def test_sequence_columns_are_matched_exactly_as_in_chem_and_dna(tmp_path):
    """One rule for every reader (chem, dna, lm): a column name is matched exactly; a header
    differing only in case ('Sequence') is refused with a hint naming it, never picked."""
    from helixforge.core.errors import ColumnNotFoundError
    from helixforge.lm.tables import default_sequence_column, read_sequences

    (tmp_path / "t.csv").write_text("Sequence,Label\nACGTACGT,1\n")
    with pytest.raises(ColumnNotFoundError) as exc:
        read_sequences(tmp_path / "t.csv")
    assert "did you mean 'Sequence'" in exc.value.hint
    inp = read_sequences(tmp_path / "t.csv", column="Sequence", check=None)
    assert inp.sequences == ["ACGTACGT"]
    assert default_sequence_column(["SEQ", "seq"]) == "seq"
    assert default_sequence_column(["Seq", "SMILES"]) is None


def test_lm_predict_does_not_pick_a_column_differing_in_case(tmp_path):
    from types import SimpleNamespace

    from helixforge.lm.predict import _column

    run = SimpleNamespace(config={"input_col": "sequence"})
    (tmp_path / "t.csv").write_text("Sequence,Label\nACGTACGT,1\n")
    assert _column(run, tmp_path / "t.csv", None, None) == "sequence"  # then refused, with a hint
    (tmp_path / "u.csv").write_text("Sequence,seq\nACGTACGT,ACGT\n")
    assert _column(run, tmp_path / "u.csv", None, None) == "seq"
