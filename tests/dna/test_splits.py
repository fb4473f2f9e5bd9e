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
