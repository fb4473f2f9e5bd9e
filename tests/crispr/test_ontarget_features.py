"""crispr.ontarget_features: how invalid contexts are reported."""

from __future__ import annotations

import pytest

from helixforge.core.errors import InputError, RowErrors
from helixforge.crispr.ontarget_features import encode_contexts

SPACER = "GCTACAACAATCACTAAATC"
CONTEXT = "ACGT" + SPACER + "TGG" + "CAT"


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        (SPACER[:2] + "X" + SPACER[3:] + "TGG", "character 'X' at position 3 is"),
        (SPACER + "TTT", "PAM 'TTT' at positions 21-23 is not NGG"),
        (SPACER + "NGG", "N inside the spacer or PAM (positions 1-23)"),
        (SPACER[:9] + "N" + SPACER[10:] + "AGG", "N inside the spacer or PAM (positions 1-23)"),
        (" " + SPACER.lower() + "agt ", "PAM 'AGT' at positions 21-23 is not NGG"),
        (CONTEXT[:10] + "X" + CONTEXT[11:], "character 'X' at position 11 is"),
        (CONTEXT[:25] + "TT" + CONTEXT[27:], "PAM 'TTT' at positions 25-27 is not NGG"),
        (CONTEXT[:6] + "N" + CONTEXT[7:], "N inside the spacer or PAM (positions 5-27); only"),
    ],
)
def test_an_invalid_context_is_reported_as_given_with_positions_in_it(given, reason):
    """A 23-mer is padded to 30 with N flanks inside; the errors table showed that padded
    sequence ('NNNN…NNN', which is in no input) with positions counted in it (an 'X' at
    position 3 of the 23-mer was 'position 7')."""
    errors = RowErrors("guides.csv")
    _, valid = encode_contexts([CONTEXT, given], errors=errors, rows=[2, 3], column="context")
    assert valid.tolist() == [True, False]
    row = errors.to_frame().iloc[0]
    assert row["value"] == given.strip() and "NNNN" not in row["value"]
    assert reason in row["reason"], row["reason"]
    with pytest.raises(InputError) as e:
        encode_contexts([given])
    assert repr(given.strip()[:40]) in str(e.value) and reason in str(e.value)


def test_a_spacer_alone_is_told_to_be_one_and_what_to_give_instead():
    """A table's 20-nt spacer column (RS3's 'sgRNA Sequence' next to its context column) was
    refused with 'length 20' and nothing about what the column is."""
    errors = RowErrors("guides.csv")
    encode_contexts([SPACER], errors=errors)
    reason = errors.to_frame().iloc[0]["reason"]
    assert reason.startswith("length 20;") and "spacer alone" in reason and "context" in reason


@pytest.mark.parametrize("given", [CONTEXT, SPACER + "TGG"], ids=["30-mer", "23-mer"])
def test_a_context_on_the_other_strand_is_told_so_with_the_sequence_to_give(given):
    """A - strand guide's context read off the + strand (CCN where the PAM should be) was only
    "PAM 'GCA' … is not NGG", though its reverse complement is the context."""
    from helixforge.dna.sequence import reverse_complement

    errors = RowErrors("guides.csv")
    encode_contexts([reverse_complement(given)], errors=errors)
    reason = errors.to_frame().iloc[0]["reason"]
    assert "is not NGG; it reads like the reverse complement" in reason
    assert reason.endswith(f"give it on the protospacer strand, {given}")


@pytest.mark.parametrize("cell", ["NA", "N/A", "nan", "null", "None", "#N/A", " NA "])
def test_a_cell_spelling_a_missing_value_is_missing(cell):
    """'NA' (R, pandas) was 'length 2; expected a 30-mer'."""
    errors = RowErrors("guides.csv")
    _, valid = encode_contexts([CONTEXT, cell], errors=errors)
    assert valid.tolist() == [True, False]
    assert errors.to_frame().iloc[0]["reason"] == f"missing ({cell.strip()!r}), not a sequence"
