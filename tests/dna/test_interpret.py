import numpy as np
import pandas as pd
import pytest
import torch

from helixforge.core.errors import ConfigError
from helixforge.dna.interpret import (
    MotifDatabase,
    as_scorer,
    cluster_seqlets,
    extract_seqlets,
    gradient_x_input,
    interpret,
    ism,
    ism_contributions,
    logo_figure,
    match_motif,
    onehot_sequences,
    onehot_to_sequences,
)
from helixforge.dna.motifs import Motif

torch.set_num_threads(1)
SITE = "TGATAAGC"


def counts_for(consensus: str, strength: float = 20.0) -> np.ndarray:
    c = np.ones((len(consensus), 4))
    for i, b in enumerate(consensus):
        c[i, "ACGT".index(b)] = strength
    return c


DB = [
    Motif("T1", "GATA-like", counts_for(SITE)),
    Motif("T2", "Ebox-like", counts_for("CACGTGAC")),
    Motif("T3", "CCAAT-like", counts_for("GCCAATCA")),
    Motif("T4", "SP-like", counts_for("GGGGCGGGG")),
]


def planted(n: int, length: int = 60, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        s = list(rng.choice(list("ACGT"), length))
        at = int(rng.integers(5, length - 13))
        s[at : at + len(SITE)] = list(SITE)
        out.append("".join(s))
    return out


def test_onehot_round_trip_keeps_n():
    assert onehot_to_sequences(onehot_sequences(["ACGTN", "AC"])) == ["ACGTN", "ACNNN"]


def test_ism_equals_scoring_every_mutant_by_hand(make_detector):
    model = make_detector()
    seq = "AAAA" + SITE + "CCCC"
    delta = ism(model, [seq])[0]
    scorer = as_scorer(model)
    ref = scorer(onehot_sequences([seq]))[0]
    for pos in (0, 5, 9, 15):
        for b in "ACGT":
            mut = seq[:pos] + b + seq[pos + 1 :]
            expect = 0.0 if b == seq[pos] else scorer(onehot_sequences([mut]))[0] - ref
            assert delta[pos, "ACGT".index(b)] == pytest.approx(expect)
    # breaking the site costs exactly one matching base; outside the site nothing changes
    assert delta[4 + 3].min() == pytest.approx(-1.0)
    assert np.allclose(delta[:2], 0)


def test_gradient_x_input_concentrates_on_the_site(make_detector):
    model = make_detector()
    seqs = planted(5)
    attr = gradient_x_input(model, seqs, rc_average=False)
    assert attr.shape == (5, 60, 4)
    per_pos = attr.sum(-1)
    for s, row in zip(seqs, per_pos):
        at = s.index(SITE)
        assert row[at : at + 8].sum() > 0.9 * row.clip(min=0).sum()
    # reverse-complement averaging is exactly the mean of both strands' attributions
    both = gradient_x_input(model, seqs[:1], rc_average=True)
    rc = gradient_x_input(
        model, onehot_sequences(seqs[:1])[:, ::-1, ::-1].copy(), rc_average=False
    )[:, ::-1, ::-1]
    assert np.allclose(both, 0.5 * (attr[:1] + rc), atol=1e-6)


def test_ism_contributions_mark_the_reference_base(make_detector):
    model = make_detector()
    x = onehot_sequences(planted(2))
    contrib = ism_contributions(ism(model, x), x)
    assert np.all(contrib[x == 0] == 0)
    assert contrib.sum() > 0


def test_seqlets_sit_on_the_planted_sites_and_do_not_overlap(make_detector):
    model = make_detector()
    seqs = planted(20, seed=1)
    attr = gradient_x_input(model, seqs)
    seqlets = extract_seqlets(attr, seqs, window=8, flank=2)
    assert len(seqlets) >= 20
    top = seqlets.groupby("seq_index").head(1)
    for _, r in top.iterrows():
        at = seqs[r["seq_index"]].index(SITE)
        assert r["start"] <= at + 2 and r["end"] >= at + 6
    for _, grp in seqlets.groupby("seq_index"):
        spans = sorted(zip(grp["start"], grp["end"]))
        assert all(b[0] >= a[1] - 4 for a, b in zip(spans, spans[1:]))


def test_clusters_recover_the_motif_and_match_it(make_detector):
    model = make_detector()
    seqs = planted(30, seed=2)
    attr = gradient_x_input(model, seqs)
    seqlets = extract_seqlets(attr, seqs, window=8, flank=2, max_per_sequence=1)
    clusters = cluster_seqlets(attr, seqs, seqlets)
    assert clusters[0].n >= 25
    consensus = "".join("ACGT"[i] for i in clusters[0].pfm.argmax(1))
    assert (
        SITE[1:7] in consensus
        or SITE[1:7] in consensus.translate(str.maketrans("ACGT", "TGCA"))[::-1]
    )
    best = match_motif(clusters[0].pfm, DB, n_null=200)
    assert best["motif_id"].iloc[0] == "T1"


def test_match_motif_finds_itself_on_either_strand_and_in_part():
    db = MotifDatabase(DB)
    for query in (
        DB[1].probabilities(),
        DB[1].reverse_complement().probabilities(),
        DB[1].probabilities()[1:7],
    ):
        res = match_motif(query, db, n_null=200)
        assert res["motif_id"].iloc[0] == "T2"
        assert (
            res["pvalue"].iloc[0] < res["pvalue"].iloc[-1]
            or res["zscore"].iloc[0] > res["zscore"].iloc[-1]
        )
    euc = match_motif(DB[2].probabilities(), db, metric="euclidean", n_null=200)
    assert euc["motif_id"].iloc[0] == "T3"
    with pytest.raises(ConfigError):
        match_motif(DB[2].probabilities(), db, metric="cosine")


def test_plain_functions_support_ism_but_not_gradients():
    def gc_count(x):
        return x[:, :, 1:3].sum(axis=(1, 2))

    delta = ism(gc_count, ["AAAA"])[0]
    assert np.allclose(delta[:, 1:3], 1.0) and np.allclose(delta[:, 3], 0.0)
    with pytest.raises(ConfigError, match="ism"):
        gradient_x_input(gc_count, ["AAAA"])


def test_target_class_flips_a_binary_logit(make_detector):
    class Binary(make_detector):
        classes_ = [0, 1]
        n_outputs = 1

    model = Binary()
    x = onehot_sequences([SITE])
    assert as_scorer(model, target=1)(x)[0] == pytest.approx(8.0)
    assert as_scorer(model, target=0)(x)[0] == pytest.approx(-8.0)
    with pytest.raises(ConfigError):
        as_scorer(model, target="other")


def test_class_by_label_or_output_index_as_the_help_says(make_detector):
    """--class 1 (text, as the CLI passes it) with classes neg / pos was 'not one of the
    model's classes'; index 0 given as a number scored P(pos), not neg."""

    class Binary(make_detector):
        classes_ = ["neg", "pos"]
        n_outputs = 1

    model = Binary()
    x = onehot_sequences([SITE])
    for pos, neg in [("pos", "neg"), ("1", "0"), (1, 0)]:
        assert as_scorer(model, target=pos)(x)[0] == pytest.approx(8.0)
        assert as_scorer(model, target=neg)(x)[0] == pytest.approx(-8.0)
    with pytest.raises(ConfigError, match=r"output index 2 but the model has 2 classes"):
        as_scorer(model, target="2")
    with pytest.raises(ConfigError, match=r"'other' is not one of the model's classes") as e:
        as_scorer(model, target="other")
    assert "an output index (0 to 1)" in e.value.hint


def test_logo_figures():
    fig = logo_figure(DB[0].probabilities(), "GATA", kind="probability")
    assert fig.axes and fig.axes[0].get_title() == "GATA"
    logo_figure(np.random.default_rng(0).normal(size=(12, 4)), "contributions")


def test_interpret_writes_attributions_seqlets_and_report(tmp_path, make_detector):
    fa = tmp_path / "pos.fa"
    seqs = planted(12, seed=3)
    fa.write_text("".join(f">s{i}\n{s}\n" for i, s in enumerate(seqs)) + ">bad\nACGT!!\n")
    summary = interpret(make_detector(), fa, tmp_path / "out", method="ism", motifs=DB, window=8)
    assert summary["sequences"] == 12 and summary["errors"] == 1
    assert summary["clusters"][0]["best_match"] == "T1"
    data = np.load(tmp_path / "out" / "attributions.npz")
    assert data["attributions"].shape == (12, 60, 4) and "ism" in data
    for name in ("seqlets.tsv", "clusters.tsv", "report.html", "errors.csv"):
        assert (tmp_path / "out" / name).exists()
    assert "data:image/png;base64" in (tmp_path / "out" / "report.html").read_text()
    seqlets = pd.read_csv(tmp_path / "out" / "seqlets.tsv", sep="\t")
    assert (seqlets["cluster"] == 1).sum() >= 10 and seqlets["best_match"].iloc[0] == "T1"


@pytest.mark.parametrize(
    ("name", "bad", "line"),
    [
        ("m.jaspar", ">MA9.1 BAD\nA [ 1 -2 ]\nC [ 1 2 ]\nG [ 1 2 ]\nT [ 1 2 ]\n", 6),
        ("m.meme", "MOTIF MA9.1 BAD\nletter-probability matrix: alength= 4 w= 1\n0.2 x 0.4 0.4\n", 8),
    ],
)  # fmt: skip
def test_one_unusable_matrix_of_the_motif_file_is_skipped_and_recorded(
    tmp_path, make_detector, name, bad, line
):
    """`dna interpret` refused the whole motif file for one bad matrix where `dna motifs scan`
    skipped it; it now goes to errors.csv (line, id, reason) and the others are matched."""
    good = {
        "m.jaspar": ">T1.1 GATA\nA [ 1 1 1 20 1 20 20 1 ]\nC [ 1 1 1 1 1 1 1 20 ]\n"
        "G [ 1 20 1 1 1 1 1 1 ]\nT [ 20 1 20 1 1 1 1 1 ]\n",
        "m.meme": "MEME version 4\n\nMOTIF T1.1 GATA\nletter-probability matrix: alength= 4 w= 2\n"
        "0.1 0.1 0.1 0.7\n0.1 0.1 0.7 0.1\n\n",
    }[name]
    motif_file = tmp_path / name
    motif_file.write_text(good + bad)
    fa = tmp_path / "pos.fa"
    fa.write_text("".join(f">s{i}\n{s}\n" for i, s in enumerate(planted(12, seed=3))))
    summary = interpret(
        make_detector(), fa, tmp_path / "out", method="ism", window=8,
        motif_options={"motif_file": motif_file},
    )  # fmt: skip
    assert summary["motifs_skipped"] == 1 and summary["errors"] == 0
    assert summary["errors_path"] == str(tmp_path / "out" / "errors.csv")
    assert summary["clusters"][0]["best_match"] == "T1.1"
    errors = pd.read_csv(tmp_path / "out" / "errors.csv")
    assert errors[["row", "column", "value"]].values.tolist() == [[line, "matrix", "MA9.1"]]
    assert errors["reason"].iloc[0].endswith("the motif is skipped")


def test_report_does_not_call_a_non_significant_match_best(tmp_path, make_detector):
    from helixforge.dna.interpret import match_title

    assert match_title("MA1", "GATA1", 0.01, 0.05) == "best match MA1 GATA1 (q = 0.01)"
    assert match_title("MA1", "GATA1", 0.88, 0.05) == "no significant match (best q = 0.88)"
    fa = tmp_path / "pos.fa"
    fa.write_text("".join(f">s{i}\n{s}\n" for i, s in enumerate(planted(12, seed=3))))
    # q-values from 1000 decoys cannot reach 1e-4: no cluster may be titled a match
    summary = interpret(
        make_detector(), fa, tmp_path / "out", method="ism", motifs=DB, window=8,
        match_qvalue=1e-4,
    )  # fmt: skip
    assert summary["clusters"] and not summary["clusters"][0]["significant"]
    html = (tmp_path / "out" / "report.html").read_text()
    assert "no significant match (best q = " in html and "best match T" not in html
    clusters = pd.read_csv(tmp_path / "out" / "clusters.tsv", sep="\t")
    assert {"qvalue", "significant"} <= set(clusters.columns)
    with pytest.raises(ConfigError, match="already exists"):
        interpret(make_detector(), fa, tmp_path / "out", motifs=DB, window=8)


@pytest.mark.parametrize("inside", ["model", "model/member_0"])
def test_a_folder_inside_a_run_is_refused_naming_the_run_to_pass(tmp_path, inside):
    # `--model runs/x/model` said "no trained model here (no config.json in runs/x/model or
    # runs/x/model/model)", which does not tell the user that runs/x is what to pass
    import json

    from helixforge.core.errors import InputError
    from helixforge.dna.interpret import load_run_model

    run = tmp_path / "run"
    (run / "model" / "member_0").mkdir(parents=True)
    (run / "config.json").write_text(
        json.dumps({"domain": "dna", "targets": ["label"], "task_types": ["binary"]})
    )
    (run / "model" / "manifest.json").write_text("{}")
    (run / "model" / "member_0" / "helix_model.json").write_text("{}")
    with pytest.raises(InputError, match="pass the run directory") as info:
        load_run_model(run / inside)
    assert str(run) in info.value.message + (info.value.hint or "")


# ---------------------------------------------------------------- Python-API inputs

_SEQ = "ACGTTGATAAGCACGTACGTAC"


@pytest.mark.parametrize(
    "given",
    [
        pytest.param(np.array([_SEQ, _SEQ]), id="ndarray-of-str"),
        pytest.param(pd.Series([_SEQ, _SEQ]), id="series"),
        pytest.param([_SEQ.encode(), _SEQ.encode()], id="bytes"),
    ],
)
def test_attributions_take_arrays_series_and_bytes(make_detector, given):
    want = ism(make_detector(), [_SEQ, _SEQ])
    assert np.allclose(ism(make_detector(), given), want)
    assert gradient_x_input(make_detector(), given).shape == (2, len(_SEQ), 4)


@pytest.mark.parametrize(
    "given, match",
    [
        (None, "sequences is None"),
        ([_SEQ, None], r"sequences\[1\] is missing"),
        ([">seq1\n" + _SEQ], r"sequences\[0\]: character '>' at position 1 is a FASTA header"),
        ([_SEQ + " \n"], r"position 23 is whitespace"),
        ([""], "all empty"),
    ],
)
def test_what_would_be_scored_as_n_or_crash_is_named(make_detector, given, match):
    from helixforge.core.errors import InputError

    with pytest.raises(InputError, match=match):
        ism(make_detector(), given)


def test_sequences_shorter_than_the_model_and_bad_batch_sizes(make_detector):
    from helixforge.core.errors import InputError

    with pytest.raises(InputError, match="failed on 1 sequence.*length 3"):
        gradient_x_input(make_detector(), ["ACG"])
    with pytest.raises(ConfigError, match="batch_size must be at least 1"):
        ism(make_detector(), [_SEQ], batch_size=0)
    with pytest.raises(ConfigError, match="is a path, not a model"):
        ism("runs/promoter", [_SEQ])
    assert gradient_x_input(make_detector(), []).shape == (0, 0, 4)


def test_seqlet_inputs_must_match_the_contributions(make_detector):
    from helixforge.core.errors import InputError

    attr = gradient_x_input(make_detector(), [_SEQ] * 3)
    with pytest.raises(InputError, match="sequences has 1 entries but contributions has 3"):
        extract_seqlets(attr, _SEQ)  # one string: its characters were taken as 22 sequences
    with pytest.raises(InputError, match="names has 2 entries"):
        extract_seqlets(attr, names=["a", "b"])
    with pytest.raises(ConfigError, match="window must be at least 1"):
        extract_seqlets(attr, window=0)
    one = extract_seqlets(attr[:1], names="seq1", threshold=-1)  # was split into 4 names
    assert set(one["seq"]) == {"seq1"}
    with pytest.raises(ConfigError, match=r"names\[0\] must be a string"):
        extract_seqlets(attr[:1], names=[None])
    seqlets = extract_seqlets(attr, [_SEQ] * 3, threshold=-1)
    with pytest.raises(InputError, match="differ in shape"):
        cluster_seqlets(attr, _SEQ, seqlets)


def test_match_motif_and_onehot_to_sequences_name_a_wrong_matrix():
    from helixforge.core.errors import InputError

    db = [Motif("m", "m", counts_for("TGATAAGC"))]
    with pytest.raises(InputError, match=r"\(L, 4\) matrix"):
        match_motif(np.ones((8, 3)), db)
    with pytest.raises(InputError, match="non-finite"):
        match_motif(np.full((8, 4), np.nan), db)
    with pytest.raises(ConfigError, match="top must be at least 1"):
        match_motif(np.ones((8, 4)), db, top=-1)
    with pytest.raises(InputError, match="numeric one-hot array"):
        onehot_to_sequences(["ACGT"])
    assert onehot_to_sequences(onehot_sequences(["ACGN"])[0]) == ["ACGN"]


def test_gradxinput_on_a_model_without_gradients_is_refused_before_any_work(tmp_path):
    """dna interpret --method gradxinput on a run fine-tuned from a language model read the
    whole input, then failed with "gradients need a torch model … use method='ism'" (the
    Python spelling); it now names the option at once and writes nothing."""

    def gc_count(x):
        return x[:, :, 1:3].sum(axis=(1, 2))

    fa = tmp_path / "in.fa"
    fa.write_text(">a\nACGTACGTACGTACGT\n")
    with pytest.raises(ConfigError, match="--method gradxinput needs gradients") as err:
        interpret(gc_count, fa, tmp_path / "out", method="gradxinput", motifs=DB, window=4)
    assert "--method ism" in err.value.hint and not (tmp_path / "out").exists()


def test_iupac_codes_follow_dna_predicts_rule_and_option(tmp_path, make_detector):
    """interpret reads sequences as `dna predict` does: an IUPAC code is an errors row under
    the default iupac='error' (it was read as N silently), and is read as N with iupac='n'."""
    fa = tmp_path / "pos.fa"
    seqs = planted(12, seed=3)
    seqs[0] = "R" + seqs[0][1:]
    fa.write_text(
        "".join(f">s{i}\n{s}\n" for i, s in enumerate(seqs)) + ">alln\n" + "N" * 60 + "\n"
    )
    summary = interpret(make_detector(), fa, tmp_path / "out", method="ism", motifs=DB, window=8)
    assert summary["sequences"] == 11 and summary["errors"] == 2
    errors = pd.read_csv(tmp_path / "out" / "errors.csv")
    assert errors["reason"].str.contains("IUPAC ambiguity code 'R' at position 1").sum() == 1
    assert errors["reason"].str.contains("no A, C, G or T base").sum() == 1
    summary = interpret(
        make_detector(), fa, tmp_path / "out_n", method="ism", motifs=DB, window=8, iupac="n"
    )
    assert summary["sequences"] == 12 and summary["errors"] == 1
    with pytest.raises(ConfigError, match="--iupac"):
        interpret(make_detector(), fa, tmp_path / "o2", motifs=DB, window=8, iupac="drop")


def test_interpret_reads_records_under_the_runs_iupac_policy_by_default(tmp_path):
    """A run trained with --iupac n sent every record holding an R to interpret's errors.csv
    (the option defaulted to 'error', not to the run's policy as dna predict now does)."""
    from helixforge.dna.interpret.pipeline import _run_iupac

    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text('{"iupac": "n", "seq_col": "sequence"}')
    assert _run_iupac(run) == "n" and _run_iupac(str(run)) == "n"
    (run / "config.json").write_text('{"seq_col": "sequence"}')  # an older run: no policy
    assert _run_iupac(run) == "error"
    assert _run_iupac(lambda x: x) == "error"  # a loaded model has no run to ask
