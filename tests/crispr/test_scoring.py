"""CFD and MIT against published reference values (CRISPOR's doctests of Doench's calculator)."""

import hashlib
from importlib import resources

import numpy as np
import pytest

from helixforge.crispr.scoring import cfd_score, cfd_tables, mit_score, mit_weights, specificity


@pytest.mark.parametrize(
    "guide, site, expected",
    [
        ("GGGGGGGGGGGGGGGGGGGGGGG", "GGGGGGGGGGGGGGGGGAAAGGG", 0.4635989007074176),
        ("GGGGGGGGGGGGGGGGGGGGGGG", "aaaaGaGaGGGGGGGGGGGGGGG", 0.5140384614450001),
        ("ATGGTCGGACTCCCTGCCAGAGG", "ATGGTGGGACTCCCTGCCAGAGG", 0.5),
        ("ATGGTCGGACTCCCTGCCAGAGG", "ATGATCCAAATCCCTGCCAGAGG", 0.53625000020625),
        ("ATGTGGAGATTGCCACCTACCGG", "ATCTGGAGATTGCCACCTACAGG", 0.384615385),
    ],
)
def test_cfd_matches_crispor_reference_values(guide, site, expected):
    assert cfd_score(guide, site) == pytest.approx(expected, rel=1e-9)


def test_cfd_perfect_match_is_one_and_pam_table_applies():
    spacer = "ACGTACGTACGTACGTACGT"
    assert cfd_score(spacer, spacer + "TGG") == 1.0
    assert cfd_score(spacer, spacer + "TAG") == pytest.approx(0.259259259)
    assert cfd_score(spacer, spacer + "TTT") == 0.0
    assert np.isnan(cfd_score(spacer, spacer[:-1] + "N" + "TGG"))  # N in the site: undefined


def test_mit_hit_score_formula():
    s = "ACGTACGTACGTACGTACGT"
    assert mit_score(s, s) == 100.0
    one = s[:19] + "A"  # mismatch at position 20 (weight 0.583)
    assert mit_score(s, one) == pytest.approx((1 - 0.583) * 100)
    two = "T" + s[1:9] + "T" + s[10:]  # positions 1 and 10: d = 9, n = 2
    expected = (1 - 0) * (1 - 0.079) / (((19 - 9) / 19) * 4 + 1) / 4 * 100
    assert mit_score(s, two) == pytest.approx(expected)


def test_specificity_is_100_without_off_targets():
    assert specificity(0.0) == 100.0
    assert specificity(100.0) == 50.0


def test_shipped_tables_are_the_published_files():
    expected = {
        "cfd_mismatch_scores.txt": "636e1d8e65f429db8c578036a673cb4516e896c05f594e3ab134734aab84dafc",
        "cfd_pam_scores.txt": "3f83c4f659cda48795312c080f8528984a3ce25f9b2475d79cb80b4835fb3b45",
        "mit_position_weights.tsv": "467d6e821a03b2b2b6caa97bc913b2c35302640e37ec93c85375b3a2ebf80dcb",
    }
    for name, sha in expected.items():
        data = resources.files("helixforge.crispr").joinpath("data", name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == sha
    mm, pam = cfd_tables()
    assert mm.shape == (20, 4, 4) and pam[2, 2] == 1.0
    assert mit_weights()[19] == pytest.approx(0.583)


def test_microhomology_single_pattern_by_hand():
    from helixforge.crispr.scoring import microhomology_scores

    seq = "A" * 10 + "GC" + "GC" + "T" * 10  # one 2-nt microhomology, deletion of 2 nt (frameshift)
    # 100 * round(exp(-2/20), 3) * (2 nt + 2 G/C) = 100 * 0.905 * 4
    assert microhomology_scores(seq, 12) == (362, 100)
    assert microhomology_scores("A" * 12 + "C" * 12, 12) == (0, 0)


def test_microhomology_matches_crispor_doctest():
    from helixforge.crispr.scoring import microhomology_scores

    s = "CCACGTCTCCACACATCAGCACAACTACGCAGCGCCTCCCTCCACTCGGAAGGACTATCCTGCTGCCAAGAGGGTCAAGTTGGACAGTGTCAGAGTCCTG"
    assert microhomology_scores(s[20:80], 30) == (
        4404,
        51,
    )  # CRISPOR calcAllScores: mh 4404, oof 51


_MIRROR = __import__("helixforge.datasets.registry", fromlist=["mirror_root"]).mirror_root()


@pytest.mark.skipif(
    _MIRROR is None, reason="needs ../shared/data (CRISPOR benchmark files with mh/oof columns)"
)
def test_microhomology_reproduces_crispor_precomputed_scores():
    import pandas as pd

    from helixforge.crispr.scoring import microhomology_scores
    from helixforge.datasets.registry import resolve

    d = pd.read_csv(resolve("crispr/crispor_haeussler2016_benchmark", "concordet2-Hs"), sep="\t")
    d = d[d.longSeq100Bp.str.fullmatch("[ACGTacgt]{100}")]
    got = [microhomology_scores(s[20:80], 30) for s in d.longSeq100Bp]
    exact = sum(g == (m, o) for g, (m, o) in zip(got, zip(d.mh, d.oof)))
    # CRISPOR sums floats and truncates; exact integer arithmetic differs by at most 1
    assert all(abs(g[0] - m) <= 1 and abs(g[1] - o) <= 1 for g, m, o in zip(got, d.mh, d.oof))
    assert exact >= 0.9 * len(d) and len(d) > 20


def test_scores_name_missing_or_non_base_input():
    from helixforge.core.errors import InputError

    spacer = "GACGCATAAAGATGAGACGC"
    with pytest.raises(InputError, match="spacer is missing"):
        cfd_score(None, spacer + "AGG")
    with pytest.raises(InputError, match="site is missing"):
        cfd_score(spacer, None)
    with pytest.raises(InputError, match="'X' at position 20 is not A, C, G or T"):
        cfd_score(spacer[:-1] + "X", spacer + "AGG")  # scored NaN before
    with pytest.raises(InputError, match="protospacer.*'>' at position 1"):
        mit_score(spacer, ">" + spacer[1:])
    assert cfd_score(spacer.encode(), (spacer + "AGG").encode()) == 1.0
    assert cfd_score(spacer + "NGG", spacer + "AGG") == 1.0  # the spacer's PAM is ignored
    assert np.isnan(cfd_score(spacer, spacer[:-1] + "NAGG"))  # N in the site: NaN, as documented


def test_specificity_and_microhomology_name_bad_input():
    """specificity(None) was NaN and specificity(-100) inf; microhomology_scores(None) was a raw
    AttributeError."""
    from helixforge.core.errors import ConfigError, InputError
    from helixforge.crispr.scoring import microhomology_scores

    np.testing.assert_allclose(specificity(np.array([0.0, 100.0, np.nan])), [100.0, 50.0, np.nan])
    for bad, match in [
        (None, "score_sum is None"),
        ("12", "score_sum is '12'"),
        (-100, r"score_sum = -100.0 is not a sum"),
        (np.array([1.0, -3.0]), r"score_sum\[1\] = -3.0"),
        (float("inf"), "score_sum = inf"),
        ({"a": 1}, "score_sum is dict"),
    ]:
        with pytest.raises(InputError, match=match):
            specificity(bad)
    seq = "A" * 10 + "GC" + "GC" + "T" * 10
    assert microhomology_scores(seq.encode(), 12) == (362, 100)
    with pytest.raises(InputError, match="seq is missing"):
        microhomology_scores(None)
    with pytest.raises(InputError, match="FASTA header"):
        microhomology_scores(">s\n" + seq)
    with pytest.raises(ConfigError, match="breakpoint must be an integer"):
        microhomology_scores(seq, "12")
    with pytest.raises(ConfigError, match="length_weight must be"):
        microhomology_scores(seq, 12, length_weight=0)


@pytest.mark.parametrize("extra", ["A", "AG", "AGGTTTTTTT"], ids=["21", "22", "30"])
def test_a_cfd_spacer_of_another_length_is_refused_not_cut_to_20(extra):
    """cfd_score cut any spacer to its first 20 nt: a 21-nt one (a U6 'G' added 5') scored the
    wrong 20 nt without a word. 20 nt, or 23 nt read as spacer + PAM, are scored."""
    from helixforge.core.errors import InputError

    spacer, site = "ATGGTCGGACTCCCTGCCAG", "ATGGTGGGACTCCCTGCCAGAGG"
    with pytest.raises(InputError) as exc:
        cfd_score(spacer + extra, site)
    assert f"is {20 + len(extra)} nt; CFD scores a 20-nt SpCas9 spacer" in exc.value.message
    assert "without an extra 5' G" in exc.value.hint
    assert cfd_score(spacer, site) == cfd_score(spacer + "AGG", site) == 0.5
    assert cfd_score(spacer.lower().replace("t", "u"), site.lower()) == 0.5  # soft-masked, RNA
    with pytest.raises(InputError, match="its PAM part 'XGG' holds 'X'"):
        cfd_score(spacer + "XGG", site)
    with pytest.raises(InputError) as exc:  # an N in the spacer: named, with what to do
        cfd_score("N" + spacer[1:], site)
    assert "character 'N' at position 1" in exc.value.message and exc.value.hint


def test_microhomology_of_a_long_sequence_is_fast_and_stops_where_the_weights_reach_zero():
    """microhomology_scores scanned every deletion length: quadratic in the length (4 kb took
    1.5 s, a whole gene hours) and past d = 709 × length_weight math.exp overflowed (a raw
    OverflowError from ~28 kb, or ~210 nt at length_weight 0.3). Deletions whose weight rounds
    to 0 (d > 152 at the default 20) add nothing, so the scan stops there: same scores."""
    import time

    from helixforge.crispr.scoring import microhomology_scores

    rng = np.random.default_rng(5)
    seq = "".join(rng.choice(list("ACGT"), 60_000))
    t0 = time.perf_counter()
    long = microhomology_scores(seq)
    assert time.perf_counter() - t0 < 2.0
    # only the 153 nt each side of the break can pair: the rest changes nothing
    mid = len(seq) // 2
    assert long == microhomology_scores(seq[mid - 160 : mid + 160])
    assert microhomology_scores(seq[:400], length_weight=0.3) == microhomology_scores(
        seq[:400], length_weight=0.3, breakpoint=200
    )
