"""A genome FASTA of '>' lines only is refused by name, not read as a genome of length 0."""

from __future__ import annotations

import pytest

from helixforge.core.errors import EmptyInputError
from helixforge.dna.io.genome import Genome


def test_a_genome_of_headers_only_is_refused(tmp_path, monkeypatch):
    """'>chr1' with no sequence lines gave `crispr index` an index of 0 sites and `dna annotate
    predict` 0 genes, both with exit code 0; `crispr design` said 'outside contig chr1
    (length 0)' without naming the file."""
    monkeypatch.setenv("HELIX_CACHE", str(tmp_path / "cache"))
    path = tmp_path / "g.fa"
    path.write_text(">chr1\n>chr2 second\n")
    with pytest.raises(EmptyInputError, match=r"g\.fa: genome FASTA has no bases") as exc:
        Genome(path)
    assert "chr1, chr2" in exc.value.message and exc.value.hint


def test_a_genome_with_one_empty_record_still_opens(tmp_path, monkeypatch):
    monkeypatch.setenv("HELIX_CACHE", str(tmp_path / "cache"))
    path = tmp_path / "g.fa"
    path.write_text(">empty\n>chr1\nACGTACGT\n")
    g = Genome(path)
    assert g.lengths == {"empty": 0, "chr1": 8}
    g.close()


def test_a_utf16_genome_is_named_as_such(tmp_path, monkeypatch):
    """pyfaidx said 'Unexpected text before the first sequence definition line in
    <cache>/genomes/…/g.fa at line 1': a path the user never gave, and no word of UTF-16."""
    from helixforge.core.errors import InputError

    monkeypatch.setenv("HELIX_CACHE", str(tmp_path / "cache"))
    path = tmp_path / "g.fa"
    path.write_bytes(">chr1\nACGTACGT\n".encode("utf-16"))
    with pytest.raises(InputError, match=r"g\.fa: is UTF-16 text") as exc:
        Genome(path)
    assert "iconv -f UTF-16" in exc.value.hint
