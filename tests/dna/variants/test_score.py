"""`score_variants` when nothing can be scored: the refusal says where every record went.

score_variants("calls.vcf", "genome.fa", method="motif", out="scores.tsv")
# NoUsableRowsError "calls.vcf: no variant could be scored; the 7 rejected records are in
# the errors table scores.errors.csv (file, row, column, value, reason)"
"""

import pandas as pd
import pytest

from helixforge.core.errors import NoUsableRowsError
from helixforge.dna.motifs import Motif
from helixforge.dna.variants import score_variants

HEADER = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"


def test_when_no_allele_is_scored_the_message_names_the_errors_table(tmp_path):
    """Every record refused (here: symbolic SVs and an unknown contig): the errors table was
    written, but the message named only the VCF and the first rows, not where the rest went."""
    vcf = tmp_path / "calls.vcf"
    records = [f"chr1\t{10 + k}\tsv{k}\tA\t<DEL>\t.\t.\t." for k in range(6)]
    vcf.write_text(HEADER + "\n".join([*records, "chr9\t5\tx\tA\tG\t.\t.\t."]) + "\n")
    motif = Motif("M1", "site", [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]])
    out = tmp_path / "scores.tsv"
    with pytest.raises(NoUsableRowsError) as info:
        score_variants(vcf, {"chr1": "A" * 100}, method="motif", motifs=[motif], out=out)
    message = info.value.message
    errors = tmp_path / "scores.errors.csv"
    assert f"the 7 rejected records are in the errors table {errors}" in message
    assert len(pd.read_csv(errors)) == 7 and not out.exists()
