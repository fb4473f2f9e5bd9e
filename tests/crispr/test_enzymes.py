import numpy as np
import pytest

from helixforge.core.errors import ConfigError, InputError
from helixforge.crispr.enzymes import (
    Enzyme,
    get_enzyme,
    list_enzymes,
    pam_code_matcher,
    pam_match_starts,
)
from helixforge.dna.sequence import encode_int


def test_builtin_enzymes_have_the_published_layouts():
    cas9 = get_enzyme("SpCas9")
    assert cas9.pams == ("NGG",) and cas9.spacer_length == 20 and cas9.pam_side == "3prime"
    assert cas9.offtarget_pams == ("NGG", "NAG", "NGA")
    assert cas9.cut_offsets == (3, 3) and not cas9.staggered
    assert cas9.context_length == 30  # Rule Set 2 30-mer: 4 + 20 + 3 + 3
    sa = get_enzyme("sacas9")
    assert sa.pams == ("NNGRRT",) and sa.spacer_length == 21
    cas12a = get_enzyme("cpf1")  # alias
    assert cas12a.name == "ascas12a" and cas12a.pam_side == "5prime" and cas12a.pams == ("TTTV",)
    assert cas12a.cut_offsets == (18, 23) and cas12a.staggered and cas12a.spacer_length == 23
    assert set(get_enzyme("enAsCas12a").pams) == {"TTYN", "VTTV", "TRTV"}
    assert {e.name for e in list_enzymes()} >= {
        "spcas9",
        "sacas9",
        "ascas12a",
        "lbcas12a",
        "enascas12a",
    }


def test_custom_enzyme_from_constructor_and_from_a_name():
    e = Enzyme.custom("nnnrrt", spacer=21, side="3prime")
    assert e.pams == ("NNNRRT",) and e.site_length == 27 and e.cut_offsets == (3, 3)
    e5 = get_enzyme("custom:TTN:22:5")
    assert e5.pam_side == "5prime" and e5.spacer_length == 22 and e5.cut_offsets == (18, 23)
    assert e5.split_site("TTA" + "C" * 22) == ("C" * 22, "TTA")


@pytest.mark.parametrize("bad", ["NGX", "", "NG G", "NNNNNNNNN"])
def test_malformed_pam_is_a_clear_error(bad):
    with pytest.raises(InputError) as exc:
        Enzyme.custom(bad, spacer=20)
    assert "PAM" in exc.value.message


def test_unknown_enzyme_lists_the_known_ones():
    with pytest.raises(ConfigError) as exc:
        get_enzyme("cas99")
    assert "spcas9" in exc.value.hint


def test_pam_scanning_respects_iupac_and_never_matches_n():
    codes = encode_int("AGGCAGNGGTGG")
    ok = pam_match_starts(codes, "NGG")
    assert np.flatnonzero(ok).tolist() == [0, 9]  # AGG at 0 and TGG at 9; NGG at 6 starts with N
    assert not pam_match_starts(
        encode_int("NGG"), "NGG"
    ).any()  # genome N never matches, even PAM N
    lut = pam_code_matcher(["NRG"], 3)
    assert lut[0b00_10_10] and lut[0b11_00_10] and not lut[0b00_01_10]  # AGG, TAG yes; ACG no


def test_one_pam_string_is_one_pam():
    from helixforge.crispr.enzymes import Enzyme

    enz = Enzyme("x", "NGG", 20, offtarget_pams="NRG")  # was the PAMs 'N', 'G', 'G'
    assert enz.pams == ("NGG",) and enz.offtarget_pams == ("NRG",)


@pytest.mark.parametrize(
    "text, problem",
    [
        ("custom:NGG", "the spacer length is missing"),
        ("custom::20", "the PAM is empty"),
        ("custom:NGG:x", "spacer length 'x' is not a whole number"),
        ("custom:NGG:20:7", "PAM side '7' is not 3 or 5"),
        ("custom:NGG:20:3:1", "at most 3"),
        ("custom:NGG:0", "spacer length 0 is outside 10–32 nt"),
        ("custom:NGG:200", "spacer length 200 is outside 10–32 nt"),
    ],
)
def test_a_custom_enzyme_string_that_does_not_parse_says_which_part_is_wrong(text, problem):
    # they were 'unknown enzyme' (or a spacer-length error whose hint was about a file)
    with pytest.raises(ConfigError, match=problem) as exc:
        get_enzyme(text)
    assert "custom:PAM:SPACER_LENGTH" in exc.value.hint or "custom:NGG:20" in exc.value.hint


def test_a_custom_enzyme_is_read_in_any_case():
    assert get_enzyme("Custom:ngg:20") == get_enzyme("custom:NGG:20")


@pytest.mark.parametrize("given", ["custom:NNGRRT:20", "custom:TTTV:23:5", "custom:ngg:21:3"])
def test_the_name_a_custom_enzyme_is_shown_under_reads_back_as_that_enzyme(given):
    """`helix crispr index` prints 'custom_NNGRRT_20nt_3prime sites', and the hint for a missing
    index says 'helix crispr index GENOME --enzyme custom_NNGRRT_20nt_3prime': that command was
    refused ('a custom enzyme is written custom:PAM:SPACER_LENGTH')."""
    enzyme = get_enzyme(given)
    assert enzyme.name.startswith("custom_")
    assert get_enzyme(enzyme.name) == enzyme
    several = Enzyme.custom(("NGG", "NAG"), spacer=20)  # custom_NGG_NAG_20nt_3prime
    assert get_enzyme(several.name) == several


@pytest.mark.parametrize(
    "kwargs, what",
    [
        ({"pam": "NNNNNNNNNG"}, "at most 8 nt"),
        ({"pam": "NGG", "cut": (3, 99)}, r"cut offset 99 is out of range \(0–30\)"),
        ({"pam": ()}, "needs at least one PAM"),
        ({"pam": "NGG", "spacer": 5}, "spacer length 5 is outside"),
    ],
)
def test_a_custom_enzyme_that_cannot_be_made_says_what_to_give(kwargs, what):
    # these had no hint of their own: the CLI showed 'check the file named above …'
    with pytest.raises(InputError, match=what) as exc:
        Enzyme.custom(**kwargs)
    assert exc.value.hint and "file" not in exc.value.hint
