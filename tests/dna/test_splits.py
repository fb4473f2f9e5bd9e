"""The chromosome hold-out split registered in core.splits."""

import numpy as np
import pytest

import helixforge.dna.splits  # noqa: F401  (registers "chromosome")
from helixforge.core.errors import ConfigError
from helixforge.core.splits import make_split

CHROMS = ["chr1"] * 40 + ["chr2"] * 30 + ["chr3"] * 20 + ["chr4"] * 10


def test_named_test_and_valid_chromosomes():
    sp = make_split(
        "chromosome", len(CHROMS), groups=CHROMS, test_chroms="chr3", valid_chroms=["chr4"]
    )
    chrom = np.array(CHROMS)
    assert set(chrom[sp.test]) == {"chr3"}
    assert set(chrom[sp.valid]) == {"chr4"}
    assert set(chrom[sp.train]) == {"chr1", "chr2"}


def test_random_whole_chromosomes_never_span_parts():
    sp = make_split("chromosome", len(CHROMS), groups=CHROMS, fractions=(0.5, 0.25, 0.25), seed=3)
    chrom = np.array(CHROMS)
    parts = [set(chrom[p]) for p in (sp.train, sp.valid, sp.test)]
    assert (
        parts[0].isdisjoint(parts[1])
        and parts[0].isdisjoint(parts[2])
        and parts[1].isdisjoint(parts[2])
    )
    assert sum(len(p) for p in (sp.train, sp.valid, sp.test)) == len(CHROMS)


def test_unknown_chromosome_is_a_clear_error():
    with pytest.raises(ConfigError, match="chrX"):
        make_split("chromosome", len(CHROMS), groups=CHROMS, test_chroms="chrX")


def test_held_out_chromosomes_match_the_data_across_chr_prefix_spellings():
    """--test-chroms 1 on rows of chr1 (or chrX on X, MT on chrM) was 'do not occur in the
    data'; a name with both spellings present is taken as written."""
    chrom = np.array(CHROMS + ["chrM"] * 5)
    sp = make_split("chromosome", len(chrom), groups=chrom, test_chroms="3", valid_chroms="MT")
    assert set(chrom[sp.test]) == {"chr3"} and set(chrom[sp.valid]) == {"chrM"}
    bare = np.array([c.removeprefix("chr") for c in CHROMS])
    sp = make_split("chromosome", len(bare), groups=bare, test_chroms=["chr4"])
    assert set(bare[sp.test]) == {"4"}
    both = np.array(["1"] * 5 + ["chr1"] * 5 + ["2"] * 5)
    sp = make_split("chromosome", len(both), groups=both, test_chroms="1")
    assert set(both[sp.test]) == {"1"}
    with pytest.raises(ConfigError, match=r"\['9'\] do not occur"):
        make_split("chromosome", len(CHROMS), groups=CHROMS, test_chroms="9")


def test_a_split_that_would_leave_no_training_chromosome_says_why():
    """Rows all on one chromosome (a BED of chrI peaks), or every chromosome held out, ended
    in 'the training part of the split is empty → check --split'."""
    one = ["chrI"] * 20
    with pytest.raises(ConfigError, match=r"every row is on chrI") as e:
        make_split("chromosome", len(one), groups=one)
    assert "--split stratified" in e.value.hint
    with pytest.raises(ConfigError, match=r"none is left for training"):
        make_split("chromosome", len(CHROMS), groups=CHROMS, test_chroms="chr1,chr2",
                   valid_chroms="chr3,chr4")  # fmt: skip
