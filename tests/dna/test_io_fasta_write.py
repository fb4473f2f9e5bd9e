"""write_fasta: a record name holding a line break no longer corrupts the sequences."""

from helixforge.dna.io import read_fasta, write_fasta


def test_a_line_break_in_a_name_becomes_a_space_and_the_sequence_reads_back(tmp_path):
    # 'a\nb' was written as '>a' then 'b', read back as record 'a' with sequence 'bACGT'
    records = [("a\rb x", "ACGT"), ("c\nd", "GGGG"), ("e\r\n", "TT"), ("f\u2028g", "CC")]
    for name in ("n.fa", "n.fa.gz"):
        path = write_fasta(records, tmp_path / name)
        back = [(r.description, r.seq) for r in read_fasta(path)]
        assert back == [("a b x", "ACGT"), ("c d", "GGGG"), ("e", "TT"), ("f g", "CC")]
