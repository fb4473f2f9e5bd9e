import gzip
import itertools

import numpy as np
import pandas as pd
import pytest

from helixforge.core.errors import (
    ConfigError,
    EmptyInputError,
    InputError,
    NoUsableRowsError,
    RowErrors,
)
from helixforge.datasets.registry import mirror_root
from helixforge.dna.motifs import (
    Motif,
    MotifScanner,
    benjamini_hochberg,
    enrich,
    load_jaspar,
    prepare_motif,
    read_fasta_records,
    read_motifs,
    scan,
    write_hits,
)
from helixforge.dna.sequence import reverse_complement


def counts_for(consensus: str, strength: float = 20.0) -> np.ndarray:
    """A count matrix that strongly prefers `consensus` (1 count for every other base)."""
    c = np.ones((len(consensus), 4))
    for i, b in enumerate(consensus):
        c[i, "ACGT".index(b)] = strength
    return c


GATA = Motif("T0001.1", "GATA-like", counts_for("AGATAAGA"))
EBOX = Motif("T0002.1", "Ebox-like", counts_for("CACGTGAC"))


def random_dna(n: int, seed: int = 0) -> str:
    return "".join(np.random.default_rng(seed).choice(list("ACGT"), n))


def test_probabilities_and_log_odds():
    p = GATA.probabilities(pseudocount=0.8)
    assert np.allclose(p.sum(1), 1.0)
    lo = GATA.log_odds()
    assert lo.shape == (8, 4)
    best = "".join("ACGT"[i] for i in lo.argmax(1))
    assert best == GATA.consensus == "AGATAAGA"
    assert GATA.reverse_complement().consensus == reverse_complement("AGATAAGA")


def test_exact_pvalues_equal_full_enumeration():
    m = Motif(
        "small", "small", np.array([[5, 1, 1, 3], [1, 8, 0, 1], [2, 2, 4, 2], [0, 0, 1, 9]], float)
    )
    prep = prepare_motif(m, bins=200)
    scores = []
    for kmer in itertools.product(range(4), repeat=4):
        scores.append(sum(prep.int_matrix[i, b] for i, b in enumerate(kmer)))
    scores = np.array(scores)
    for s in np.unique(scores):
        assert prep.pvalue(s) == pytest.approx((scores >= s).mean(), abs=1e-12)


def test_scan_finds_sites_on_both_strands_with_bed_coordinates():
    seq = list(random_dna(300, seed=1))
    seq[50:58] = list("AGATAAGA")
    seq[200:208] = list(reverse_complement("AGATAAGA"))
    hits = scan({"s1": "".join(seq)}, [GATA], pvalue=1e-4)
    found = set(zip(hits["start"], hits["end"], hits["strand"]))
    assert (50, 58, "+") in found and (200, 208, "-") in found
    assert set(hits.loc[hits["start"].isin([50, 200]), "matched"]) == {"AGATAAGA"}
    assert (hits["pvalue"] <= 1e-4).all()
    assert list(hits.columns) == [
        "seq",
        "start",
        "end",
        "strand",
        "motif_id",
        "name",
        "score",
        "pvalue",
        "matched",
    ]


def test_scan_agrees_with_biopython_pssm_search():
    from Bio.motifs.matrix import PositionSpecificScoringMatrix
    from Bio.Seq import Seq

    seq = random_dna(4000, seed=3)
    scanner = MotifScanner([GATA, EBOX], pvalue=1e-3)
    hits = scanner.scan({"s": seq})
    ours = set(zip(hits["motif_id"], hits["start"], hits["strand"]))
    theirs = set()
    for k, prep in enumerate(scanner.prepared):
        pssm = PositionSpecificScoringMatrix(
            "ACGT", {b: list(prep.int_matrix[:, i] / prep.scale) for i, b in enumerate("ACGT")}
        )
        for pos, _ in pssm.search(
            Seq(seq), threshold=scanner.thresholds[k] / prep.scale - 1e-9, both=True
        ):
            pos = int(pos)
            theirs.add(
                (prep.motif.id, pos if pos >= 0 else len(seq) + pos, "+" if pos >= 0 else "-")
            )
    assert ours == theirs and len(ours) > 0


def test_windows_with_n_or_past_the_end_are_not_scored():
    seq = "AGATNAGA" + random_dna(40, 4) + "AGATAAG"  # broken site, then a site cut by the end
    hits = scan([seq], [GATA], pvalue=1e-2)
    assert not ((hits["start"] == 0) & (hits["strand"] == "+")).any()
    assert (hits["end"] <= len(seq)).all()


def test_many_short_sequences_keep_their_own_coordinates():
    seqs = {
        f"r{i}": random_dna(30, 10 + i)[:10] + "CACGTGAC" + random_dna(12, 50 + i)
        for i in range(20)
    }
    hits = scan(seqs, [EBOX], pvalue=1e-4)
    plus = hits[(hits["start"] == 10) & (hits["strand"] == "+")]
    assert set(plus["seq"]) == set(seqs)


def test_qvalues_are_added_and_monotone_in_pvalue():
    hits = scan([random_dna(5000, 6)], [GATA, EBOX], pvalue=1e-2, qvalues=True)
    assert "qvalue" in hits
    for _, grp in hits.groupby("motif_id"):
        g = grp.sort_values("pvalue")
        assert (np.diff(g["qvalue"].to_numpy()) >= -1e-12).all()
        assert (g["qvalue"] >= g["pvalue"]).all()
    q = benjamini_hochberg([0.01, 0.04, 0.03, np.nan])
    assert np.isnan(q[3]) and q[0] == pytest.approx(0.03)


def test_bad_bases_become_error_rows_or_raise(tmp_path):
    fa = tmp_path / "x.fa"
    fa.write_text(">ok\n" + "AGATAAGA" * 4 + "\n>bad\nACGT*ACGT\n>empty\n")
    errors = RowErrors(fa)
    hits = scan(fa, [GATA], errors=errors)
    assert set(hits["seq"]) == {"ok"}
    frame = errors.to_frame()
    assert list(frame["row"]) == [3, 5]  # header lines of the bad records
    assert "'*'" in frame["reason"].iloc[0] and "empty" in frame["reason"].iloc[1]
    with pytest.raises(InputError, match="line 3"):
        scan(fa, [GATA])


def test_all_records_bad_or_empty_file(tmp_path):
    fa = tmp_path / "bad.fa"
    fa.write_text(">a\n12345\n")
    with pytest.raises(NoUsableRowsError):
        scan(fa, [GATA], errors=RowErrors(fa))
    empty = tmp_path / "empty.fa"
    empty.write_text("")
    with pytest.raises(EmptyInputError):
        read_fasta_records(empty)
    with pytest.raises(InputError, match="not found"):
        scan(tmp_path / "missing.fa", [GATA])


def test_bad_options_are_config_errors():
    with pytest.raises(ConfigError):
        MotifScanner([GATA], pvalue=0)
    with pytest.raises(ConfigError):
        MotifScanner([])
    with pytest.raises(InputError):
        Motif("x", "x", np.ones((3, 5)))


def test_read_transfac_and_jaspar_files(tmp_path):
    transfac = tmp_path / "m.transfac.gz"
    text = (
        "AC T0001.1\nXX\nID GATA-like\nXX\nPO\tA\tC\tG\tT\n"
        + "".join(
            f"{i + 1:02d}\t" + "\t".join(str(int(v)) for v in row) + "\n"
            for i, row in enumerate(GATA.counts)
        )
        + "XX\nCC tax_group:vertebrates\nXX\n//\n"
    )
    with gzip.open(transfac, "wt") as fh:
        fh.write(text)
    (m,) = read_motifs(transfac)
    assert m.id == "T0001.1" and m.name == "GATA-like" and m.tax_group == "vertebrates"
    assert np.allclose(m.counts, GATA.counts)
    jaspar = tmp_path / "m.jaspar"
    jaspar.write_text(
        ">T0002.1 Ebox-like\n"
        + "\n".join(
            f"{b} [ " + " ".join(str(int(v)) for v in EBOX.counts[:, i]) + " ]"
            for i, b in enumerate("ACGT")
        )
        + "\n"
    )
    (e,) = read_motifs(jaspar)
    assert e.consensus == "CACGTGAC"


def test_bundled_jaspar_by_id_and_unknown_id():
    (ctcf,) = load_jaspar(ids=["MA0139.2"])
    assert ctcf.name == "CTCF" and ctcf.length == 15
    with pytest.raises(InputError, match="MA9999.9"):
        load_jaspar(ids=["MA9999.9"])
    with pytest.raises(ConfigError, match="release"):
        load_jaspar(ids=["MA0139.2"], release=1999)


def test_bundled_jaspar_takes_a_tf_name_in_ids_as_a_motif_file_does():
    """'--ids CTCF' chose CTCF's matrices from a --motifs file but was 'unknown JASPAR matrix
    id' for the bundled JASPAR; an id named twice was scanned twice."""
    by_name = load_jaspar(ids=["ctcf", "MA0139.2"])
    assert [m.id for m in by_name] == ["MA0139.2", "MA0531.2", "MA1929.2", "MA1930.2"]
    assert {m.name for m in by_name} == {"CTCF"}
    with pytest.raises(InputError, match=r"unknown JASPAR matrix id\(s\) in JASPAR2024: NOTATF\n"):
        load_jaspar(ids=["CTCF", "NOTATF"])


def test_enrich_ranks_the_planted_motif_first():
    fg = [random_dna(40, i)[:15] + "AGATAAGA" + random_dna(40, 100 + i)[:17] for i in range(30)]
    bg = [random_dna(40, 200 + i) for i in range(30)]
    table = enrich(fg, bg, [GATA, EBOX], pvalue=1e-4)
    top = table.iloc[0]
    assert top["motif_id"] == "T0001.1" and top["fg_hits"] == 30 and top["qvalue"] < 1e-6
    assert table.set_index("motif_id").loc["T0002.1", "qvalue"] > 0.05


def test_enrich_counts_records_not_names(tmp_path):
    """Repeated FASTA names ('peak', '.') made every record of a name count once: 30 planted
    records with one name were 1 hit of 30 — an enriched motif reported as depleted."""
    fg = [random_dna(40, i)[:15] + "AGATAAGA" + random_dna(40, 100 + i)[:17] for i in range(30)]
    bg = [random_dna(40, 200 + i) for i in range(30)]
    (tmp_path / "fg.fa").write_text("".join(f">peak\n{s}\n" for s in fg))
    (tmp_path / "bg.fa").write_text("".join(f">.\n{s}\n" for s in bg))
    by_name = enrich(tmp_path / "fg.fa", tmp_path / "bg.fa", [GATA, EBOX]).set_index("motif_id")
    plain = enrich(fg, bg, [GATA, EBOX]).set_index("motif_id")
    pd.testing.assert_frame_equal(by_name, plain)
    assert by_name.loc["T0001.1", "fg_hits"] == 30


def test_enrich_with_no_hits_in_one_set_gives_finite_numbers(tmp_path):
    """A motif with hits only in the foreground had odds_ratio inf; one with no hit anywhere
    had NaN (0/0). Both are finite now (0.5 added to a table with a 0 cell), through the CLI
    too; the Fisher p-value stays exact (1.0 with no hit at all)."""
    from typer.testing import CliRunner

    from helixforge.cli.app import app

    fg = {f"p{i}": random_dna(30, i) + "AGATAAGA" for i in range(6)}
    bg = {f"b{i}": random_dna(40, 50 + i) for i in range(6)}
    table = enrich(fg, bg, [GATA, EBOX]).set_index("motif_id")
    assert np.isfinite(table["odds_ratio"]).all() and np.isfinite(table["pvalue"]).all()
    gata, ebox = table.loc["T0001.1"], table.loc["T0002.1"]
    assert (gata.fg_hits, gata.bg_hits) == (6, 0)
    assert gata.odds_ratio == pytest.approx((6.5 * 6.5) / (0.5 * 0.5))
    assert (ebox.fg_hits, ebox.bg_hits, ebox.odds_ratio, ebox.pvalue) == (0, 0, 1.0, 1.0)
    reverse = enrich(bg, fg, [GATA]).iloc[0]
    assert reverse.odds_ratio == pytest.approx(1 / 169) and reverse.pvalue == 1.0
    for name, recs in (("fg.fa", fg), ("bg.fa", bg)):
        (tmp_path / name).write_text("".join(f">{k}\n{v}\n" for k, v in recs.items()))
    write_motifs = "".join(
        f"AC {m.id}\nXX\nID {m.name}\nXX\nPO\tA\tC\tG\tT\n"
        + "".join(
            f"{i + 1:02d}\t" + "\t".join(str(int(c)) for c in row) + "\n"
            for i, row in enumerate(m.counts)
        )  # fmt: skip
        + "XX\n//\n"
        for m in (GATA, EBOX)
    )
    (tmp_path / "m.transfac").write_text(write_motifs)
    res = CliRunner().invoke(app, ["dna", "motifs", "enrich", str(tmp_path / "fg.fa"),
                                   str(tmp_path / "bg.fa"), "--motifs", str(tmp_path / "m.transfac"),
                                   "-o", str(tmp_path / "e.tsv"), "-q"])  # fmt: skip
    assert res.exit_code == 0, res.output
    out = pd.read_csv(tmp_path / "e.tsv", sep="\t")
    assert np.isfinite(out["odds_ratio"]).all() and len(out) == 2


def test_write_hits_as_bed_and_tsv(tmp_path):
    hits = scan({"chr1": "TT" + "AGATAAGA" + "TT"}, [GATA])
    bed = write_hits(hits, tmp_path / "h.bed")
    first = bed.read_text().splitlines()[0].split("\t")
    assert first[:3] == ["chr1", "2", "10"] and first[5] == "+"
    tsv = write_hits(hits, tmp_path / "h.tsv")
    assert pd.read_csv(tsv, sep="\t")["motif_id"].tolist() == hits["motif_id"].tolist()


@pytest.mark.skipif(
    mirror_root() is None, reason="shared data mirror (../shared/data) not available"
)
def test_jaspar_2024_transfac_file_from_the_mirror():
    path = mirror_root() / "genomics/motifs/jaspar2024_core_all_taxa.transfac.gz"
    if not path.exists():
        pytest.skip("JASPAR 2024 TRANSFAC file not in the mirror")
    motifs = read_motifs(path)
    assert len(motifs) == 2346
    ctcf = next(m for m in motifs if m.id == "MA0139.2")
    (bundled,) = load_jaspar(ids=["MA0139.2"])
    assert np.allclose(ctcf.counts, bundled.counts)


def test_read_meme_frequencies_become_counts(tmp_path):
    meme = tmp_path / "m.meme"
    meme.write_text(
        "MEME version 4\n\nALPHABET= ACGT\n\nstrands: + -\n\n"
        "Background letter frequencies\nA 0.25 C 0.25 G 0.25 T 0.25\n\n"
        "MOTIF M1 GATA\n\nletter-probability matrix: alength= 4 w= 4 nsites= 10 E= 0\n"
        " 0.1 0.1 0.7 0.1\n 0.7 0.1 0.1 0.1\n 0.1 0.1 0.1 0.7\n 0.7 0.1 0.1 0.1\n"
    )
    (m,) = read_motifs(meme)
    assert m.id == "M1" and m.consensus == "GATA"
    assert np.allclose(m.counts.sum(1), 10)  # frequencies × nsites


@pytest.mark.parametrize("bg", [[float("nan"), 1, 1, 1], [float("inf"), 1, 1, 1], [0.5, 0.5, 0, 0]])
def test_a_background_with_nan_inf_or_zero_is_refused(bg):
    from helixforge.core.errors import ConfigError
    from helixforge.dna.motifs.matrices import _background

    with pytest.raises(ConfigError, match="4 positive frequencies"):
        _background(bg)


def test_a_minimal_meme_file_without_alphabet_or_background_is_read(tmp_path):
    # MEME calls both lines optional (uniform background by default); Biopython needs them
    from helixforge.dna.motifs.load import read_motifs

    (tmp_path / "m.meme").write_text(
        "MEME version 4\n\nMOTIF M1 tata\nletter-probability matrix: alength= 4 w= 2\n"
        "0 0 0 1\n1 0 0 0\n"
    )
    (m,) = read_motifs(tmp_path / "m.meme")
    assert m.name == "M1" and m.counts.shape == (2, 4)


@pytest.mark.parametrize(
    "rows, message",
    [
        ("0.5 0.5 0 0\n0.1 0.1\n", "declares w= 2 but 1 matrix row"),
        ("0.5 0.5 0 0\n-1 0.1 0.1 0.1\n", "not a finite number"),
        ("0.5 0.5 0 0\n0 0 0 0\n", "matrix row 2 is all zeros"),
    ],
)
def test_a_broken_meme_matrix_is_an_error_naming_the_motif(tmp_path, rows, message):
    from helixforge.core.errors import InputError
    from helixforge.dna.motifs.load import read_motifs

    (tmp_path / "m.meme").write_text(
        "MEME version 4\n\nALPHABET= ACGT\n\nMOTIF M1\n"
        f"letter-probability matrix: alength= 4 w= 2\n{rows}"
    )
    with pytest.raises(InputError, match=message) as exc:
        read_motifs(tmp_path / "m.meme")
    assert "M1" in exc.value.message


# ---------------------------------------------------------------- Python-API inputs

_CTCF_SITE = "CCGCGNGGNGGCAG".replace("N", "A")


def _ctcf():
    return load_jaspar(ids="MA0139.2")  # one id as a string, not its characters


def test_one_id_string_is_one_id():
    assert [m.id for m in _ctcf()] == ["MA0139.2"]


@pytest.mark.parametrize(
    "given",
    [
        pytest.param(lambda s: s.encode(), id="bytes"),
        pytest.param(lambda s: [s.encode()], id="list-of-bytes"),
        pytest.param(lambda s: np.array([s]), id="ndarray"),
        pytest.param(lambda s: pd.Series({"x": s}), id="series"),
    ],
)
def test_sequences_in_any_container_give_the_same_hits(given):
    seq = "ACGT" * 10 + _CTCF_SITE + "TTGA" * 10
    want = scan([seq], _ctcf(), pvalue=1e-3)
    got = scan(given(seq), _ctcf(), pvalue=1e-3)
    assert len(want) > 0
    assert got[["start", "end", "strand", "score"]].equals(
        want[["start", "end", "strand", "score"]]
    )


@pytest.mark.parametrize("given", [None, "", [None], ["ACGTACGT", float("nan")], {"a": None}, [1]])
def test_missing_sequences_are_named_not_read_as_text(given):
    with pytest.raises(InputError) as err:
        scan(given, _ctcf())
    message = str(err.value)  # None was read as the text 'None' ("has 'O' at position 2")
    assert "has 'O'" not in message and "directory" not in message


def test_a_missing_record_goes_to_the_errors_table():
    errs = RowErrors("<sequences>")
    scan({"good": "ACGT" * 20, "gone": None}, _ctcf(), errors=errs)
    assert [e.reason for e in errs] == ["sequence 'gone' is missing (None / NaN)"]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"motifs": "MA0139.2"}, "text, not Motif objects"),
        ({"pvalue": None}, r"pvalue must be in \(0, 1\]"),
        ({"pseudocount": -1}, "pseudocount must be ≥ 0"),
        ({"pseudocount": float("nan")}, "pseudocount must be a finite number"),
    ],
)
def test_bad_scan_options_are_config_errors(kwargs, match):
    options = {"motifs": _ctcf(), **kwargs}
    with pytest.raises(ConfigError, match=match):
        scan(["ACGT" * 20], **options)


def test_one_motif_object_is_a_list_of_one():
    seq = "ACGT" * 10 + _CTCF_SITE
    assert len(scan([seq], _ctcf()[0], pvalue=1e-3)) == len(scan([seq], _ctcf(), pvalue=1e-3))


def test_scanner_sizes_and_p_values_out_of_range_are_named():
    with pytest.raises(ConfigError, match="chunk must be at least 1"):
        MotifScanner(_ctcf(), chunk=0)
    with pytest.raises(ConfigError, match="bins must be at least 1"):
        MotifScanner(_ctcf(), bins=0)
    with pytest.raises(InputError, match=r"p\[0\] = 2.0"):
        benjamini_hochberg([2.0, 0.1])
    with pytest.raises(InputError, match="motif file is None"):
        read_motifs(None)


def test_scan_fasta_names_a_missing_output_path():
    from helixforge.dna.motifs import scan_fasta

    with pytest.raises(InputError, match="out is None"):
        scan_fasta("in.fa", None)
    with pytest.raises(InputError, match="fasta is None"):
        scan_fasta(None, "hits.tsv")


def test_ids_from_a_motif_file_match_in_any_case_as_the_bundled_jaspar_does():
    """'ma0139.2' chose MA0139.2 from the bundled JASPAR but was 'not found' in a motif file."""
    from helixforge.dna.motifs import select_motifs

    motifs = [GATA, EBOX, Motif("T0001.2", "GATA-like", counts_for("AGATAAGG"))]
    assert [m.id for m in select_motifs(motifs, ["t0002.1"])] == ["T0002.1"]
    assert [m.id for m in select_motifs(motifs, ["t0001"])] == ["T0001.1", "T0001.2"]
    assert [m.id for m in select_motifs(motifs, ["ebox-LIKE "])] == ["T0002.1"]
    with pytest.raises(InputError, match="not found among the 3 motifs: T9") as err:
        select_motifs(motifs, ["T0001.1", "T9"])
    assert "TF names" in err.value.hint


_ONE_GOOD_ONE_EMPTY = {
    "m.jaspar": ">MA0001.3\tAGL3\nA [ 0 0 82 ]\nC [ 92 79 1 ]\nG [ 0 0 2 ]\nT [ 3 16 10 ]\n"
    ">MA9999.1\tEMPTY\nA [ ]\nC [ ]\nG [ ]\nT [ ]\n",
    "m.meme": "MEME version 4\n\nALPHABET= ACGT\n\nMOTIF MA0001.3 AGL3\n"
    "letter-probability matrix: alength= 4 w= 2\n0.1 0.7 0.1 0.1\n0.7 0.1 0.1 0.1\n\n"
    "MOTIF MA9999.1 EMPTY\nletter-probability matrix: alength= 4 w= 0 nsites= 0\n\n",
    "ragged.jaspar": ">MA0001.3\tAGL3\nA [ 0 0 82 ]\nC [ 92 79 1 ]\nG [ 0 0 2 ]\nT [ 3 16 10 ]\n"
    ">MA9999.1\tRAGGED\nA [ 1 2 ]\nC [ 1 2 ]\nG [ 1 ]\nT [ 1 2 ]\n",
    "m.transfac": "AC MA0001.3\nXX\nID AGL3\nXX\nPO\tA\tC\tG\tT\n01\t0\t92\t0\t3\n"
    "02\t82\t1\t2\t10\nXX\n//\nAC MA9999.1\nXX\nID EMPTY\nXX\nPO\tA\tC\tG\tT\nXX\n//\n",
    "short.meme": "MEME version 4\n\nALPHABET= ACGT\n\nMOTIF MA9999.1 SHORT\n"
    "letter-probability matrix: alength= 4 w= 2\n0.1 0.7 0.1 0.1\n0.7 0.1\n\n"
    "MOTIF MA0001.3 AGL3\n"
    "letter-probability matrix: alength= 4 w= 2\n0.1 0.7 0.1 0.1\n0.7 0.1 0.1 0.1\n",
    # a value that is not a number: Biopython's parser refused the whole file for it
    "word.meme": "MEME version 4\n\nMOTIF MA0001.3 AGL3\n"
    "letter-probability matrix: alength= 4 w= 2\n0.1 0.7 0.1 0.1\n0.7 0.1 0.1 0.1\n\n"
    "MOTIF MA9999.1 WORD\nletter-probability matrix: alength= 4 w= 1\n0.1 0.7 n/a 0.1\n",
    "word.transfac": "AC MA9999.1\nXX\nID WORD\nXX\nPO\tA\tC\tG\tT\n01\t0\tabc\t0\t3\nXX\n//\n"
    "AC MA0001.3\nXX\nID AGL3\nXX\nPO\tA\tC\tG\tT\n01\t0\t92\t0\t3\n02\t82\t1\t2\t10\nXX\n//\n",
}


@pytest.mark.parametrize("name", list(_ONE_GOOD_ONE_EMPTY))
def test_one_unusable_matrix_in_a_motif_file_is_an_errors_row_not_the_end_of_the_scan(
    tmp_path, name
):
    """A matrix with zero columns (or rows short of MEME's w=, or JASPAR rows of different
    lengths: a bare Exception from Biopython, a traceback) among good ones refused the whole
    file; with an errors table it is a row there (its line, its id) and the rest scan."""
    from typer.testing import CliRunner

    from helixforge.cli.app import app

    motif_file = tmp_path / name
    motif_file.write_text(_ONE_GOOD_ONE_EMPTY[name])
    errors = RowErrors(motif_file)
    (m,) = read_motifs(motif_file, errors=errors)
    assert m.id == "MA0001.3"
    (e,) = list(errors)
    assert e.value == "MA9999.1" and e.column == "matrix" and "skipped" in e.reason
    assert (
        motif_file.read_text()
        .splitlines()[e.row - 1]
        .lstrip(">")
        .startswith(("MA9999.1", "MOTIF MA9999.1", "AC MA9999.1"))
    )
    with pytest.raises(InputError, match="MA9999.1"):
        read_motifs(motif_file)  # without an errors table it is still refused, named
    (tmp_path / "s.fa").write_text(">s1\n" + "CCAACCAACCAA" * 10 + "\n")
    out = tmp_path / "hits.tsv"
    res = CliRunner().invoke(app, ["dna", "motifs", "scan", str(tmp_path / "s.fa"), "--motifs",
                                   str(motif_file), "--pvalue", "0.5", "-o", str(out)])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "1 motif(s)" in res.output and "skipped" in res.output
    assert set(pd.read_csv(out, sep="\t")["motif_id"]) == {"MA0001.3"}
    table = pd.read_csv(tmp_path / "hits.errors.csv")
    assert table["value"].tolist() == ["MA9999.1"] and table["row"].tolist() == [e.row]
    res = CliRunner().invoke(app, ["dna", "motifs", "scan", str(tmp_path / "s.fa"), "--motifs",
                                   str(motif_file), "--ids", "MA9999.1", "-o",
                                   str(tmp_path / "h2.tsv")])  # fmt: skip
    assert res.exit_code == 2 and f"line {e.row}" in res.output, res.output


def test_a_fasta_record_with_no_name_is_an_errors_row_and_the_others_are_scanned(tmp_path):
    """'>' alone on a line refused the whole file ('empty FASTA header'); it is one bad record."""
    from helixforge.dna.motifs import scan_fasta

    fa = tmp_path / "s.fa"
    fa.write_text(">s1\n" + "CCAGATAAGACC" * 3 + "\n>\n" + "AGATAAGA\n>s3\nAGATAAGA\n")
    hits = scan_fasta(fa, tmp_path / "hits.tsv", motifs=[GATA], pvalue=0.01)
    assert set(hits["seq"]) == {"s1", "s3"}
    table = pd.read_csv(tmp_path / "hits.errors.csv")
    assert table[["row", "column"]].values.tolist() == [[3, "name"]]
    assert "no record name" in table["reason"][0]


def test_a_rejected_record_says_in_the_errors_table_what_to_do(tmp_path):
    """The reasons said only "has '-' at position 5, which is not a nucleotide"."""
    from helixforge.dna.motifs import scan_fasta

    fa = tmp_path / "s.fa"
    fa.write_text(">ok\nAGATAAGA\n>aln\nAGAT-AAGA\n>masked\nAGXXXAGA\n>prot\nMKVLAAG\n>e\n")
    scan_fasta(fa, tmp_path / "hits.tsv", motifs=[GATA], pvalue=0.01)
    reasons = pd.read_csv(tmp_path / "hits.errors.csv").set_index("row")["reason"]
    assert reasons[3].endswith("an alignment gap: remove the gaps (seqkit seq -g) or replace "
                               "them with N")  # fmt: skip
    assert reasons[5].endswith("write N for a masked or unknown base")
    assert reasons[7].endswith("a protein sequence? give the DNA sequence")
    assert reasons[9] == "sequence 'e' is empty; give its bases or remove the record"


def test_an_rna_meme_motif_reads_u_as_t(tmp_path):
    """'ALPHABET= ACGU' (RNA-binding protein motifs, e.g. from RNAcompete) was a KeyError
    traceback; U is T on DNA."""
    body = "letter-probability matrix: alength= 4 w= 2\n0.1 0.2 0.3 0.4\n0.7 0.1 0.1 0.1\n"
    (tmp_path / "rna.meme").write_text(f"MEME version 4\n\nALPHABET= ACGU\n\nMOTIF R1\n{body}")
    (tmp_path / "dna.meme").write_text(f"MEME version 4\n\nALPHABET= ACGT\n\nMOTIF R1\n{body}")
    (rna,) = read_motifs(tmp_path / "rna.meme")
    (dna,) = read_motifs(tmp_path / "dna.meme")
    assert np.allclose(rna.counts, dna.counts) and rna.counts[0, 3] > rna.counts[0, 0]
